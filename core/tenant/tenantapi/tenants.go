// Package tenantapi is the HTTP face of core/tenant: the operator's tenant
// administration and plans, and a tenant's view of itself.
package tenantapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/tenant"
)

// api serves the tenant routes.
type api struct{ svc *tenant.Service }

// Routes are the operator's tenant administration and a tenant's view of itself.
func Routes(svc *tenant.Service) []httpapi.Route {
	if svc == nil {
		panic("tenantapi: nil service")
	}
	h := &api{svc: svc}
	const base = "/api/v1/operator/tenants"
	return []httpapi.Route{
		{Method: "POST", Path: base, Operator: true, Idempotent: true, ReplayRedacts: []string{"generated_passwords"}, Tag: "tenants", Summary: "Create a tenant and its first administrator",
			Request: tenant.CreateInput{}, Response: tenant.Created{}, Status: http.StatusCreated, Handler: h.createTenant},
		{Method: "GET", Path: base, Operator: true, Tag: "tenants", Summary: "List tenants (filter by status, plan, q)",
			Query: tenantListQuery{}, Response: httpapi.Page[tenant.Tenant]{}, Handler: h.listTenants},
		{Method: "GET", Path: base + "/:id", Operator: true, Tag: "tenants", Summary: "A tenant with its plan and usage",
			Response: tenant.Overview{}, Handler: h.getTenant},
		{Method: "POST", Path: base + "/:id/suspend", Operator: true, Tag: "tenants", Summary: "Suspend a tenant: its users get 403 tenant_suspended",
			Request: suspendRequest{}, Response: tenant.Tenant{}, Handler: h.suspendTenant},
		{Method: "POST", Path: base + "/:id/resume", Operator: true, Tag: "tenants", Summary: "Resume a suspended tenant",
			Response: tenant.Tenant{}, Handler: h.resumeTenant},
		{Method: "PUT", Path: base + "/:id/plan", Operator: true, Tag: "tenants", Summary: "Move a tenant to another plan (refused below current usage)",
			Request: planRequest{}, Response: tenant.Tenant{}, Handler: h.setTenantPlan},
		{Method: "PUT", Path: base + "/:id/time-zone", Operator: true, Tag: "tenants", Summary: "Set a tenant's time zone (IANA name such as Asia/Shanghai; empty restores the default): its \"today\", months and due dates",
			Request: timeZoneRequest{}, Response: tenant.Tenant{}, Handler: h.setTenantTimeZone},
		{Method: "DELETE", Path: base + "/:id", Operator: true, Tag: "tenants", Summary: "Close a tenant (soft delete; data kept, code reusable)",
			Status: http.StatusNoContent, Handler: h.deleteTenant},
		{Method: "POST", Path: base + "/apply", Operator: true, Tag: "tenants", Summary: "Apply a tenant manifest (YAML or JSON body); idempotent",
			Request: tenant.Manifest{}, Response: tenant.ApplyResult{}, Handler: h.applyManifest},
		{Method: "GET", Path: "/api/v1/operator/plans", Operator: true, Tag: "tenants", Summary: "List plans and their quotas",
			Response: httpapi.List[tenant.Plan]{}, Handler: h.listPlans},
		{Method: "GET", Path: "/api/v1/tenant", Permission: "tenant.read", Tag: "tenants", Summary: "The caller's own tenant with plan, quotas and usage",
			Response: tenantSelf{}, Handler: h.ownTenant},
	}
}

type tenantListQuery struct {
	httpapi.PageQuery
	Status string `form:"status" json:"status"`
	Plan   string `form:"plan" json:"plan"`
	Q      string `form:"q" json:"q"`
}

type suspendRequest struct {
	Reason string `json:"reason"`
}

func (r suspendRequest) Validate() []apperr.FieldError {
	if utf8.RuneCountInString(r.Reason) > 500 {
		return []apperr.FieldError{{Field: "reason", Code: "too_long", EN: "reason is at most 500 characters", ZH: "原因最多 500 个字符"}}
	}
	return nil
}

type planRequest struct {
	Plan string `json:"plan"`
}

func (r planRequest) Validate() []apperr.FieldError {
	if r.Plan == "" {
		return []apperr.FieldError{{Field: "plan", Code: "required", EN: "plan is required", ZH: "套餐必填"}}
	}
	return nil
}

// tenantSelf is what a tenant's staff see of their own tenant: no plugin
// configuration (it may hold vendor credentials), only which are enabled.
type tenantSelf struct {
	ID      string           `json:"id"`
	Code    string           `json:"code"`
	Name    string           `json:"name"`
	Status  string           `json:"status"`
	Plan    tenant.Plan      `json:"plan"`
	Usage   map[string]int64 `json:"usage"`
	Plugins map[string]bool  `json:"plugins"`
}

func (h *api) createTenant(c *gin.Context) error {
	var in tenant.CreateInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.Create(c.Request.Context(), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h *api) listTenants(c *gin.Context) error {
	p, orderBy, err := httpapi.PageQueryOf(c, "code", "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.List(c.Request.Context(), tenant.ListFilter{
		Status: c.Query("status"), Plan: c.Query("plan"), Q: c.Query("q"),
		OrderBy: orderBy, Offset: p.Offset(), Limit: p.PageSize,
	})
	if err != nil {
		return err
	}
	if items == nil {
		items = []tenant.Tenant{}
	}
	c.JSON(http.StatusOK, httpapi.Page[tenant.Tenant]{Items: items, Total: total, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (h *api) getTenant(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	o, err := h.svc.Overview(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, o)
	return nil
}

func (h *api) suspendTenant(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in suspendRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	t, err := h.svc.Suspend(c.Request.Context(), id, in.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (h *api) resumeTenant(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	t, err := h.svc.Resume(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (h *api) setTenantPlan(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in planRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	t, err := h.svc.SetPlan(c.Request.Context(), id, in.Plan)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

type timeZoneRequest struct {
	TimeZone string `json:"time_zone"`
}

func (h *api) setTenantTimeZone(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in timeZoneRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	t, err := h.svc.SetTimeZone(c.Request.Context(), id, in.TimeZone)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (h *api) deleteTenant(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.Delete(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// applyManifest takes the manifest as YAML (Content-Type containing "yaml")
// or JSON. password_file is refused here: a request may not read server files.
func (h *api) applyManifest(c *gin.Context) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apperr.TooLarge
		}
		return apperr.BadJSON.Wrap(err)
	}
	parse := tenant.ParseManifestJSON
	if strings.Contains(c.ContentType(), "yaml") {
		parse = tenant.ParseManifest
	}
	m, err := parse(body)
	if err != nil {
		return err
	}
	res, err := h.svc.Apply(c.Request.Context(), m)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Outcome == tenant.OutcomeCreated {
		status = http.StatusCreated
	}
	c.JSON(status, res)
	return nil
}

func (h *api) listPlans(c *gin.Context) error {
	ps, err := h.svc.Plans(c.Request.Context())
	if err != nil {
		return err
	}
	httpapi.WriteList(c, ps)
	return nil
}

func (h *api) ownTenant(c *gin.Context) error {
	a, _ := actor.From(c.Request.Context())
	o, err := h.svc.Overview(c.Request.Context(), a.TenantID)
	if err != nil {
		return err
	}
	plugins := map[string]bool{}
	for name, p := range o.Tenant.Settings.Plugins {
		plugins[name] = p.Enabled
	}
	c.JSON(http.StatusOK, tenantSelf{ID: o.Tenant.ID.String(), Code: o.Tenant.Code, Name: o.Tenant.Name,
		Status: o.Tenant.Status, Plan: o.Plan, Usage: o.Usage, Plugins: plugins})
	return nil
}
