package paging

import (
	"database/sql/driver"
	"reflect"
	"strings"

	"gorm.io/gorm"
)

// Keyset turns a list read page after page (an export) from OFFSET paging,
// whose cost grows with every page, into keyset paging: each page starts
// after the last row of the one before, WHERE (order key, id) > (last), so
// every page costs the same. A Paging carrying one applies it in Apply; the
// page's last row is recorded as the query fills its destination (through
// the store's after-query setting), so a domain list using Apply needs no
// change. The order is exactly Apply's (order key, then id), NULLs where
// the engine puts them, so the rows are the ones offset paging would give.
// When the key cannot be read from the row (the destination is not the
// query's model, the order is no column) Recorded stays false and the
// caller goes on with offsets (Offsets), in the same order.
type Keyset struct {
	has          bool // a last row is known
	key, id      any
	keyNull      bool
	used, record bool
	offsets      bool
}

// afterQuery is the store's statement setting (store.AfterQuery) of a
// function run after a query has filled its destination.
const afterQuery = "wuye:after_query"

// Start begins a page: Used and Recorded report on it afterwards.
func (k *Keyset) Start() { k.used, k.record = false, false }

// Used reports whether the page was read through Apply with this keyset.
func (k *Keyset) Used() bool { return k.used }

// Recorded reports whether the page's last row was recorded, so the next
// page can start after it.
func (k *Keyset) Recorded() bool { return k.record }

// Offsets makes the following pages use OFFSET (same order).
func (k *Keyset) Offsets() { k.offsets = true }

// apply orders and cuts q for the page after the recorded row.
func (k *Keyset) apply(q *gorm.DB, p Paging) *gorm.DB {
	k.used = true
	col, desc := strings.CutSuffix(p.Order, " DESC")
	if !plainColumn(col) {
		k.offsets = true
	}
	if k.offsets {
		if p.Limit > 0 {
			q = q.Offset(p.Offset).Limit(p.Limit)
		}
		return q
	}
	if k.has {
		q = q.Where(k.after(col, desc, q.Dialector.Name() == "postgres"))
	}
	if p.Limit > 0 {
		q = q.Limit(p.Limit)
	}
	return q.Set(afterQuery, func(tx *gorm.DB) { k.last(tx, col) })
}

// after is the condition "after the recorded row" in the order (col [DESC], id).
// Postgres sorts NULL as the largest value, SQLite as the smallest.
func (k *Keyset) after(col string, desc, nullsHigh bool) any {
	if col == "" {
		return gorm.Expr("id > ?", k.id)
	}
	nullsAfter := nullsHigh != desc // NULLs come after every value in this order
	if k.keyNull {
		if nullsAfter {
			return gorm.Expr(col+" IS NULL AND id > ?", k.id)
		}
		return gorm.Expr("("+col+" IS NOT NULL OR id > ?)", k.id)
	}
	cmp := " > "
	if desc {
		cmp = " < "
	}
	cond := col + cmp + "? OR (" + col + " = ? AND id > ?)"
	if nullsAfter {
		cond += " OR " + col + " IS NULL"
	}
	return gorm.Expr("("+cond+")", k.key, k.key, k.id)
}

// last records the last row of the page tx has just read.
func (k *Keyset) last(tx *gorm.DB, col string) {
	rv := reflect.ValueOf(tx.Statement.Dest)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	sch := tx.Statement.Schema
	if rv.Kind() != reflect.Slice || sch == nil {
		return
	}
	if rv.Len() == 0 {
		k.record = true // the end: nothing follows
		return
	}
	row := rv.Index(rv.Len() - 1)
	for row.Kind() == reflect.Pointer && !row.IsNil() {
		row = row.Elem()
	}
	idf := sch.LookUpField("id")
	if row.Type() != sch.ModelType || idf == nil {
		return
	}
	ctx := tx.Statement.Context
	id, _ := idf.ValueOf(ctx, row)
	var key any
	if col != "" {
		f := sch.LookUpField(col)
		if f == nil {
			return
		}
		key, _ = f.ValueOf(ctx, row)
	}
	k.has, k.id, k.key, k.keyNull, k.record = true, id, key, isNull(key), true
}

// isNull reports whether v is written to the database as NULL.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return true
	}
	if dv, ok := v.(driver.Valuer); ok {
		x, err := dv.Value()
		return err == nil && x == nil
	}
	return false
}

// plainColumn: an order key the keyset can compare (a column name, no expression).
func plainColumn(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
