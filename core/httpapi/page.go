package httpapi

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
)

// Page limits.
const (
	DefaultPageSize = 20
	MaxPageSize     = 200
)

// PageQuery is the pagination and sorting part of every list endpoint:
// ?page=1&page_size=20&sort=-created_at.
type PageQuery struct {
	Page     int    `form:"page" json:"page"`
	PageSize int    `form:"page_size" json:"page_size"`
	Sort     string `form:"sort" json:"sort"`
}

// Page is the envelope of every list response.
type Page[T any] struct {
	Items    []T   `json:"items"`
	Total    int64 `json:"total"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
}

// pageQuery reads and checks page, page_size and sort. allowed lists the
// sortable fields; sort "-x" sorts x descending.
func pageQuery(c *gin.Context, allowed ...string) (p PageQuery, orderBy string, err error) {
	p, orderBy, fe := PageFields(c, allowed...)
	if len(fe) > 0 {
		return p, "", apperr.Invalid.WithDetails(fe)
	}
	return p, orderBy, nil
}

// pageFields is pageQuery returning its problems as field errors, for
// handlers that report bad paging and bad filters in one answer.
func PageFields(c *gin.Context, allowed ...string) (p PageQuery, orderBy string, fe []apperr.FieldError) {
	p.Page, p.PageSize = 1, DefaultPageSize
	if v := c.Query("page"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > 1_000_000 {
			fe = append(fe, apperr.FieldError{Field: "page", Code: "out_of_range", EN: "page must be a whole number from 1", ZH: "page 必须是从 1 开始的整数"})
		} else {
			p.Page = n
		}
	}
	if v := c.Query("page_size"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > maxPageSize(c) {
			fe = append(fe, apperr.FieldError{Field: "page_size", Code: "out_of_range", EN: "page_size must be between 1 and " + strconv.Itoa(MaxPageSize), ZH: "page_size 必须在 1 到 " + strconv.Itoa(MaxPageSize) + " 之间"})
		} else {
			p.PageSize = n
		}
	}
	if v := c.Query("sort"); v != "" {
		field, desc := strings.TrimPrefix(v, "-"), strings.HasPrefix(v, "-")
		ok := false
		for _, a := range allowed {
			ok = ok || a == field
		}
		if !ok {
			fe = append(fe, apperr.FieldError{Field: "sort", Code: "unknown_field", EN: "sort by one of: " + strings.Join(allowed, ", "), ZH: "只能按以下字段排序:" + strings.Join(allowed, ", ")})
		} else {
			p.Sort = v
			orderBy = field
			if desc {
				orderBy += " DESC"
			}
		}
	}
	if len(fe) > 0 {
		return p, "", fe
	}
	return p, orderBy, nil
}

// maxPageSize is MaxPageSize, or exportPageSize for the pages an export reads.
func maxPageSize(c *gin.Context) int {
	if c.Request != nil && c.Request.Context().Value(exportKey{}) != nil {
		return exportPageSize
	}
	return MaxPageSize
}

// offset is the row offset of the page.
func (p PageQuery) offset() int { return (p.Page - 1) * p.PageSize }

// Offset is the row offset of the page.
func (p PageQuery) Offset() int { return p.offset() }

// PageQueryOf reads and checks page, page_size and sort (one of sortable,
// "-x" for descending) and returns the order clause.
func PageQueryOf(c *gin.Context, sortable ...string) (PageQuery, string, error) {
	return pageQuery(c, sortable...)
}
