package identityapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/identity"
)

// operatorRoutes let operators add and disable colleagues. The write-audit
// middleware records each change as a platform event.
func (h *api) operatorRoutes() []httpapi.Route {
	const base = "/api/v1/operator/operators"
	return []httpapi.Route{
		{Method: "POST", Path: base, Operator: true, Idempotent: true, Tag: "operators",
			Summary: "Add a platform operator with an initial password", Request: identity.NewOperator{},
			Response: identity.Operator{}, Status: http.StatusCreated, Handler: h.createOperator},
		{Method: "GET", Path: base, Operator: true, Tag: "operators", Summary: "List platform operators",
			Query: operatorQuery{}, Response: httpapi.Page[identity.Operator]{}, Handler: h.listOperators},
		{Method: "PATCH", Path: base + "/:id", Operator: true, Tag: "operators",
			Summary: "Rename, disable or enable an operator (disabling ends their sessions; never yourself or the last active one)",
			Request: identity.OperatorPatch{}, Response: identity.Operator{}, Handler: h.updateOperator},
	}
}

// operatorQuery is the query string of the operator list.
type operatorQuery struct {
	httpapi.PageQuery
	Status string `form:"status" json:"status"` // active or disabled
}

func (h *api) createOperator(c *gin.Context) error {
	var in identity.NewOperator
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	o, err := h.svc.CreateOperator(c.Request.Context(), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, o)
	return nil
}

func (h *api) listOperators(c *gin.Context) error {
	p, order, fe := httpapi.PageFields(c, "username", "name", "created_at")
	f := identity.OperatorFilter{Status: c.Query("status"), OrderBy: order, Limit: p.PageSize, Offset: p.Offset()}
	fe = append(fe, statusFilter(f.Status)...)
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	ops, total, err := h.svc.ListOperators(c.Request.Context(), f)
	if err != nil {
		return err
	}
	if ops == nil {
		ops = []identity.Operator{}
	}
	c.JSON(http.StatusOK, httpapi.Page[identity.Operator]{Items: ops, Total: total, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (h *api) updateOperator(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in identity.OperatorPatch
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	o, err := h.svc.UpdateOperator(c.Request.Context(), httpapi.Actor(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, o)
	return nil
}
