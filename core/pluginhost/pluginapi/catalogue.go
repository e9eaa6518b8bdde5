// Package pluginapi is the HTTP face of the plugin host: the operator's
// catalogue (register, list, retire) and tenants' enablement, for the
// operator under /api/v1/operator and for a tenant's admin under
// /api/v1/tenant/plugins. (The proxy of /api/v1/plugins/{name}/... lives in
// core/pluginhost/proxy.)
package pluginapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
)

// Permissions of the tenant routes (core/rbac's catalogue).
const (
	PermUse    = "plugin.use"
	PermManage = "plugin.manage"
)

const (
	tag       = "plugins"
	nameParam = "a plugin name from the platform's catalogue; the enablement read or changed is always the caller's own tenant's"
)

type api struct{ cat *catalogue.Catalogue }

// CatalogueRoutes are the catalogue's and the enablement's routes.
func CatalogueRoutes(cat *catalogue.Catalogue) []httpapi.Route {
	if cat == nil {
		panic("pluginapi: nil catalogue")
	}
	h := &api{cat: cat}
	const op = "/api/v1/operator/plugins"
	const opTenant = "/api/v1/operator/tenants/:id/plugins"
	const own = "/api/v1/tenant/plugins"
	return []httpapi.Route{
		{Method: "POST", Path: op, Operator: true, Tag: tag, Summary: "Register a plugin binary on this server (path; the manifest is read from the binary); registering the same file again changes nothing",
			Request: catalogue.RegisterInput{}, Response: catalogue.RegisterResult{}, Handler: h.register},
		{Method: "GET", Path: op, Operator: true, Tag: tag, Summary: "List registered plugin versions (?name, ?retired=true includes retired ones), newest version first",
			Query: listQuery{}, Response: httpapi.List[catalogue.Version]{}, Handler: h.list},
		{Method: "GET", Path: op + "/:name/versions/:version", Operator: true, Tag: tag, Summary: "One registered version with the manifest it described",
			Response: catalogue.Version{}, Handler: h.get},
		{Method: "POST", Path: op + "/:name/versions/:version/retire", Operator: true, Tag: tag, Summary: "Retire a version: no tenant may enable it or move to it (refused while a tenant has it enabled)",
			Response: catalogue.Version{}, Handler: h.retire},
		{Method: "POST", Path: op + "/:name/versions/:version/restore", Operator: true, Tag: tag, Summary: "Put a retired version back in the catalogue",
			Response: catalogue.Version{}, Handler: h.restore},

		{Method: "GET", Path: opTenant, Operator: true, Tag: tag, Summary: "A tenant's plugins (enabled and disabled) with their configuration (secrets never shown)",
			Response: httpapi.List[catalogue.Enablement]{}, Handler: h.opList},
		{Method: "POST", Path: opTenant + "/sync", Operator: true, Tag: tag, Summary: "Apply the tenant manifest's plugins: section now (each declaration takes effect once)",
			Response: catalogue.SyncResult{}, Handler: h.opSync},
		{Method: "GET", Path: opTenant + "/:name", Operator: true, Tag: tag, Summary: "A tenant's enablement of one plugin",
			Response: catalogue.Enablement{}, Handler: h.opGet},
		{Method: "POST", Path: opTenant + "/:name/enable", Operator: true, Tag: tag, Summary: "Enable a plugin for a tenant (version: default the latest; config validated against its schema)",
			Request: catalogue.EnableInput{}, Response: catalogue.Enablement{}, Handler: h.opEnable},
		{Method: "PUT", Path: opTenant + "/:name/config", Operator: true, Tag: tag, Summary: "Replace a tenant's plugin configuration (a secret left out keeps its value)",
			Request: configRequest{}, Response: catalogue.Enablement{}, Handler: h.opConfigure},
		{Method: "POST", Path: opTenant + "/:name/upgrade", Operator: true, Tag: tag, Summary: "Move a tenant to another registered version (configuration revalidated)",
			Request: versionRequest{}, Response: catalogue.Enablement{}, Handler: h.opUpgrade},
		{Method: "POST", Path: opTenant + "/:name/rollback", Operator: true, Tag: tag, Summary: "Move a tenant back to the version it ran before",
			Response: catalogue.Enablement{}, Handler: h.opRollback},
		{Method: "POST", Path: opTenant + "/:name/disable", Operator: true, Tag: tag, Summary: "Disable a tenant's plugin (its configuration and data are kept)",
			Response: catalogue.Enablement{}, Handler: h.opDisable},

		{Method: "GET", Path: own, Permission: PermUse, Tag: tag, Summary: "Your organisation's enabled plugins and the pages they add to the menu",
			Response: httpapi.List[catalogue.Enablement]{}, Handler: h.ownList},
		{Method: "GET", Path: "/api/v1/tenant/plugin-catalogue", Permission: PermManage, Tag: tag, Summary: "The plugins your organisation may enable, and how many your plan allows",
			Response: catalogue.Available{}, Handler: h.available},
		{Method: "GET", Path: own + "/:name", Permission: PermManage, NotObject: nameParam, Tag: tag, Summary: "Your organisation's enablement of one plugin, with its configuration (secrets never shown)",
			Response: catalogue.Enablement{}, Handler: h.ownGet},
		{Method: "POST", Path: own + "/:name/enable", Permission: PermManage, NotObject: nameParam, Tag: tag, Summary: "Enable a plugin (version: default the latest; config validated against its schema)",
			Request: catalogue.EnableInput{}, Response: catalogue.Enablement{}, Handler: h.ownEnable},
		{Method: "PUT", Path: own + "/:name/config", Permission: PermManage, NotObject: nameParam, Tag: tag, Summary: "Replace a plugin's configuration (a secret left out keeps its value)",
			Request: configRequest{}, Response: catalogue.Enablement{}, Handler: h.ownConfigure},
		{Method: "POST", Path: own + "/:name/upgrade", Permission: PermManage, NotObject: nameParam, Tag: tag, Summary: "Move to another registered version of a plugin (configuration revalidated)",
			Request: versionRequest{}, Response: catalogue.Enablement{}, Handler: h.ownUpgrade},
		{Method: "POST", Path: own + "/:name/rollback", Permission: PermManage, NotObject: nameParam, Tag: tag, Summary: "Move back to the version of a plugin run before",
			Response: catalogue.Enablement{}, Handler: h.ownRollback},
		{Method: "POST", Path: own + "/:name/disable", Permission: PermManage, NotObject: nameParam, Tag: tag, Summary: "Disable a plugin (its configuration and data are kept)",
			Response: catalogue.Enablement{}, Handler: h.ownDisable},
	}
}

type listQuery struct {
	Name    string `form:"name" json:"name"`
	Retired bool   `form:"retired" json:"retired"`
}

type configRequest struct {
	Config json.RawMessage `json:"config"`
}

func (r configRequest) Validate() []apperr.FieldError {
	if len(r.Config) == 0 || !strings.HasPrefix(strings.TrimSpace(string(r.Config)), "{") {
		return []apperr.FieldError{{Field: "config", Code: "required", EN: "config must be a JSON object", ZH: "config 须为 JSON 对象"}}
	}
	return nil
}

type versionRequest struct {
	Version string `json:"version"`
}

func (r versionRequest) Validate() []apperr.FieldError {
	if r.Version == "" {
		return []apperr.FieldError{{Field: "version", Code: "required", EN: "version is required", ZH: "版本必填"}}
	}
	return nil
}

func (h *api) register(c *gin.Context) error {
	var in catalogue.RegisterInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	res, err := h.cat.Register(c.Request.Context(), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (h *api) list(c *gin.Context) error {
	vs, err := h.cat.List(c.Request.Context(), catalogue.ListFilter{Name: c.Query("name"), Retired: c.Query("retired") == "true"})
	if err != nil {
		return err
	}
	httpapi.WriteList(c, vs)
	return nil
}

func (h *api) get(c *gin.Context) error {
	v, err := h.cat.Get(c.Request.Context(), c.Param("name"), c.Param("version"))
	return reply(c, v, err)
}

func (h *api) retire(c *gin.Context) error {
	v, err := h.cat.Retire(c.Request.Context(), c.Param("name"), c.Param("version"))
	return reply(c, v, err)
}

func (h *api) restore(c *gin.Context) error {
	v, err := h.cat.Restore(c.Request.Context(), c.Param("name"), c.Param("version"))
	return reply(c, v, err)
}

func reply(c *gin.Context, v any, err error) error {
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// tenantOf is the path's tenant for the operator's routes, the caller's own
// for the tenant's: a tenant never names a tenant.
func tenantOf(c *gin.Context, operator bool) (uuid.UUID, error) {
	if operator {
		return httpapi.PathID(c, "id")
	}
	a, _ := actor.From(c.Request.Context())
	return a.TenantID, nil
}

func (h *api) listTenant(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	es, err := h.cat.ListTenant(c.Request.Context(), id, !operator, operator)
	if err != nil {
		return err
	}
	httpapi.WriteList(c, es)
	return nil
}

func (h *api) getTenant(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	e, err := h.cat.GetEnablement(c.Request.Context(), id, c.Param("name"))
	return reply(c, e, err)
}

func (h *api) enable(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	var in catalogue.EnableInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	e, err := h.cat.Enable(c.Request.Context(), id, c.Param("name"), in)
	return reply(c, e, err)
}

func (h *api) configure(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	var in configRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	e, err := h.cat.Configure(c.Request.Context(), id, c.Param("name"), in.Config)
	return reply(c, e, err)
}

func (h *api) upgrade(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	var in versionRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	e, err := h.cat.SetVersion(c.Request.Context(), id, c.Param("name"), in.Version)
	return reply(c, e, err)
}

func (h *api) rollback(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	e, err := h.cat.Rollback(c.Request.Context(), id, c.Param("name"))
	return reply(c, e, err)
}

func (h *api) disable(c *gin.Context, operator bool) error {
	id, err := tenantOf(c, operator)
	if err != nil {
		return err
	}
	e, err := h.cat.Disable(c.Request.Context(), id, c.Param("name"))
	return reply(c, e, err)
}

func (h *api) opList(c *gin.Context) error      { return h.listTenant(c, true) }
func (h *api) opGet(c *gin.Context) error       { return h.getTenant(c, true) }
func (h *api) opEnable(c *gin.Context) error    { return h.enable(c, true) }
func (h *api) opConfigure(c *gin.Context) error { return h.configure(c, true) }
func (h *api) opUpgrade(c *gin.Context) error   { return h.upgrade(c, true) }
func (h *api) opRollback(c *gin.Context) error  { return h.rollback(c, true) }
func (h *api) opDisable(c *gin.Context) error   { return h.disable(c, true) }

func (h *api) ownList(c *gin.Context) error      { return h.listTenant(c, false) }
func (h *api) ownGet(c *gin.Context) error       { return h.getTenant(c, false) }
func (h *api) ownEnable(c *gin.Context) error    { return h.enable(c, false) }
func (h *api) ownConfigure(c *gin.Context) error { return h.configure(c, false) }
func (h *api) ownUpgrade(c *gin.Context) error   { return h.upgrade(c, false) }
func (h *api) ownRollback(c *gin.Context) error  { return h.rollback(c, false) }
func (h *api) ownDisable(c *gin.Context) error   { return h.disable(c, false) }

func (h *api) opSync(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	res, err := h.cat.Sync(c.Request.Context(), id)
	return reply(c, res, err)
}

func (h *api) available(c *gin.Context) error {
	a, _ := actor.From(c.Request.Context())
	av, err := h.cat.Available(c.Request.Context(), a.TenantID)
	return reply(c, av, err)
}
