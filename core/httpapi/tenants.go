package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/tenant"
)

// tenantRoutes are the operator's tenant administration and a tenant's view
// of itself. They need Deps.Tenants.
func (s *Server) tenantRoutes() []Route {
	const base = "/api/v1/operator/tenants"
	return []Route{
		{Method: "POST", Path: base, Operator: true, Idempotent: true, ReplayRedacts: []string{"generated_passwords"}, Tag: "tenants", Summary: "Create a tenant and its first administrator",
			Request: tenant.CreateInput{}, Response: tenant.Created{}, Status: http.StatusCreated, Handler: s.createTenant},
		{Method: "GET", Path: base, Operator: true, Tag: "tenants", Summary: "List tenants (filter by status, plan, q)",
			Query: tenantListQuery{}, Response: Page[tenant.Tenant]{}, Handler: s.listTenants},
		{Method: "GET", Path: base + "/:id", Operator: true, Tag: "tenants", Summary: "A tenant with its plan and usage",
			Response: tenant.Overview{}, Handler: s.getTenant},
		{Method: "POST", Path: base + "/:id/suspend", Operator: true, Tag: "tenants", Summary: "Suspend a tenant: its users get 403 tenant_suspended",
			Request: suspendRequest{}, Response: tenant.Tenant{}, Handler: s.suspendTenant},
		{Method: "POST", Path: base + "/:id/resume", Operator: true, Tag: "tenants", Summary: "Resume a suspended tenant",
			Response: tenant.Tenant{}, Handler: s.resumeTenant},
		{Method: "PUT", Path: base + "/:id/plan", Operator: true, Tag: "tenants", Summary: "Move a tenant to another plan (refused below current usage)",
			Request: planRequest{}, Response: tenant.Tenant{}, Handler: s.setTenantPlan},
		{Method: "PUT", Path: base + "/:id/time-zone", Operator: true, Tag: "tenants", Summary: "Set a tenant's time zone (IANA name such as Asia/Shanghai; empty restores the default): its \"today\", months and due dates",
			Request: timeZoneRequest{}, Response: tenant.Tenant{}, Handler: s.setTenantTimeZone},
		{Method: "DELETE", Path: base + "/:id", Operator: true, Tag: "tenants", Summary: "Close a tenant (soft delete; data kept, code reusable)",
			Status: http.StatusNoContent, Handler: s.deleteTenant},
		{Method: "POST", Path: base + "/apply", Operator: true, Tag: "tenants", Summary: "Apply a tenant manifest (YAML or JSON body); idempotent",
			Request: tenant.Manifest{}, Response: tenant.ApplyResult{}, Handler: s.applyManifest},
		{Method: "GET", Path: "/api/v1/operator/plans", Operator: true, Tag: "tenants", Summary: "List plans and their quotas",
			Response: []tenant.Plan{}, Handler: s.listPlans},
		{Method: "GET", Path: "/api/v1/tenant", Permission: "tenant.read", Tag: "tenants", Summary: "The caller's own tenant with plan, quotas and usage",
			Response: tenantSelf{}, Handler: s.ownTenant},
	}
}

type tenantListQuery struct {
	PageQuery
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

func (s *Server) createTenant(c *gin.Context) error {
	var in tenant.CreateInput
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.Tenants.Create(c.Request.Context(), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) listTenants(c *gin.Context) error {
	p, orderBy, err := pageQuery(c, "code", "name", "created_at")
	if err != nil {
		return err
	}
	items, total, err := s.Tenants.List(c.Request.Context(), tenant.ListFilter{
		Status: c.Query("status"), Plan: c.Query("plan"), Q: c.Query("q"),
		OrderBy: orderBy, Offset: p.offset(), Limit: p.PageSize,
	})
	if err != nil {
		return err
	}
	if items == nil {
		items = []tenant.Tenant{}
	}
	c.JSON(http.StatusOK, Page[tenant.Tenant]{Items: items, Total: total, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (s *Server) getTenant(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.Tenants.Overview(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, o)
	return nil
}

func (s *Server) suspendTenant(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in suspendRequest
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.Tenants.Suspend(c.Request.Context(), id, in.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (s *Server) resumeTenant(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.Tenants.Resume(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (s *Server) setTenantPlan(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in planRequest
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.Tenants.SetPlan(c.Request.Context(), id, in.Plan)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

type timeZoneRequest struct {
	TimeZone string `json:"time_zone"`
}

func (s *Server) setTenantTimeZone(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	var in timeZoneRequest
	if err := BindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.Tenants.SetTimeZone(c.Request.Context(), id, in.TimeZone)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (s *Server) deleteTenant(c *gin.Context) error {
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Tenants.Delete(c.Request.Context(), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// applyManifest takes the manifest as YAML (Content-Type containing "yaml")
// or JSON. password_file is refused here: a request may not read server files.
func (s *Server) applyManifest(c *gin.Context) error {
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
	res, err := s.Tenants.Apply(c.Request.Context(), m)
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

func (s *Server) listPlans(c *gin.Context) error {
	ps, err := s.Tenants.Plans(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ps)
	return nil
}

func (s *Server) ownTenant(c *gin.Context) error {
	a, _ := actor.From(c.Request.Context())
	o, err := s.Tenants.Overview(c.Request.Context(), a.TenantID)
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
