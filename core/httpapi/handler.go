package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/paging"
)

// The helpers a domain's route package uses to write its handlers: read the
// caller, bind the input (BindJSON in bind.go, PathID), page a list, answer.

// Actor is the verified caller of the request.
func Actor(c *gin.Context) actor.Actor {
	a, _ := actor.From(c.Request.Context())
	return a
}

// Tenant is the tenant of the verified caller (access guarantees one on tenant routes).
func Tenant(c *gin.Context) uuid.UUID { return TenantOf(c.Request.Context()) }

// TenantOf is Tenant for a request context.
func TenantOf(ctx context.Context) uuid.UUID {
	a, _ := actor.From(ctx)
	return a.TenantID
}

// ListPaging reads ?page, ?page_size and ?sort (one of sortable, "-x" for
// descending) into the domain's paging.
func ListPaging(c *gin.Context, sortable ...string) (PageQuery, paging.Paging, error) {
	pq, order, err := pageQuery(c, sortable...)
	// An export reads the list page after page: by keyset, not offset (export.go).
	var k *paging.Keyset
	if e := exportPageOf(c); e != nil {
		k = e.keyset
	}
	return pq, paging.Paging{Offset: pq.offset(), Limit: pq.PageSize, Order: order, Keyset: k}, err
}

// WritePage answers one page of a list; an empty page is [], never null.
func WritePage[T any](c *gin.Context, pq PageQuery, items []T, total int64) {
	if items == nil {
		items = []T{}
	}
	if e := exportPageOf(c); e != nil && fillExportPage(e, pq, items, total) {
		return // an export's page (export_page.go)
	}
	c.JSON(http.StatusOK, Page[T]{Items: items, Total: total, Page: pq.Page, PageSize: pq.PageSize})
}
