// Package paging is one page of a list query, shared by every domain: the
// HTTP edge turns ?page, ?page_size and ?sort into a Paging (checked against
// the list's sortable columns), and a domain applies it to its query.
package paging

import "gorm.io/gorm"

// Paging is an offset, a limit (0: no limit) and an order checked by the caller.
type Paging struct {
	Offset, Limit int
	Order         string // a column name, optionally " DESC"; never raw input
	// Keyset, when set (a list read for an export), replaces Offset by
	// "after the last row read" (keyset.go).
	Keyset *Keyset
}

// Apply orders q by p.Order and then by id (a stable order for equal keys),
// and cuts the page.
func (p Paging) Apply(q *gorm.DB) *gorm.DB {
	if p.Order != "" {
		q = q.Order(p.Order)
	}
	q = q.Order("id")
	if p.Keyset != nil {
		return p.Keyset.apply(q, p)
	}
	if p.Limit > 0 {
		q = q.Offset(p.Offset).Limit(p.Limit)
	}
	return q
}
