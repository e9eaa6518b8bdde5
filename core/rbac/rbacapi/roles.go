// Package rbacapi is the HTTP face of core/rbac: the permission catalogue,
// custom roles and users' role assignments.
package rbacapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/rbac"
)

type createRoleRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

type patchRoleRequest struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
}

type userRolesRequest struct {
	Roles []string `json:"roles"`
}

type userRolesBody struct {
	UserID uuid.UUID `json:"user_id"`
	Roles  []string  `json:"roles"`
}

const (
	maxDescription = 200
	maxPermissions = 100
	maxUserRoles   = 20
)

func nameErr(name string) []apperr.FieldError {
	if rbac.ValidRoleName(name) {
		return nil
	}
	return []apperr.FieldError{{Field: "name", Code: "invalid_name",
		EN: "name must be 2-32 characters: lowercase letters, digits and _, starting with a letter",
		ZH: "name 须为 2-32 个字符:小写字母、数字和下划线,以字母开头"}}
}

func descErr(d string) []apperr.FieldError {
	if utf8.RuneCountInString(d) <= maxDescription {
		return nil
	}
	return []apperr.FieldError{{Field: "description", Code: "too_long", EN: "description is at most 200 characters", ZH: "description 最多 200 个字符"}}
}

func permsErr(ps []string) []apperr.FieldError {
	if len(ps) >= 1 && len(ps) <= maxPermissions {
		return nil
	}
	return []apperr.FieldError{{Field: "permissions", Code: "out_of_range", EN: "permissions must list 1 to 100 codes from the catalogue", ZH: "permissions 须包含 1 到 100 个权限目录中的权限"}}
}

func (r createRoleRequest) Validate() []apperr.FieldError {
	fe := append(nameErr(r.Name), descErr(r.Description)...)
	return append(fe, permsErr(r.Permissions)...)
}

func (r patchRoleRequest) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if r.Name == nil && r.Description == nil && r.Permissions == nil {
		return []apperr.FieldError{{Field: "", Code: "empty_patch", EN: "give at least one of name, description, permissions", ZH: "请至少提供 name、description、permissions 之一"}}
	}
	if r.Name != nil {
		fe = append(fe, nameErr(*r.Name)...)
	}
	if r.Description != nil {
		fe = append(fe, descErr(*r.Description)...)
	}
	if r.Permissions != nil {
		fe = append(fe, permsErr(*r.Permissions)...)
	}
	return fe
}

func (r userRolesRequest) Validate() []apperr.FieldError {
	if r.Roles == nil || len(r.Roles) > maxUserRoles {
		return []apperr.FieldError{{Field: "roles", Code: "out_of_range", EN: "roles must be a list of at most 20 role names ([] removes all)", ZH: "roles 须为最多 20 个角色名的列表([] 表示全部移除)"}}
	}
	for _, n := range r.Roles {
		if !rbac.ValidRoleName(n) {
			return []apperr.FieldError{{Field: "roles", Code: "invalid_name", EN: "each role must be a role name", ZH: "每一项都须为角色名"}}
		}
	}
	return nil
}

// UserExists answers nil when the tenant has the user, else an error
// (apperr.NotFound): roles are assigned to existing users only.
type UserExists func(ctx context.Context, tenantID, userID uuid.UUID) error

// api serves the role routes.
type api struct {
	svc        *rbac.Enforcer
	userExists UserExists
}

// Routes manage custom roles and who holds which role.
func Routes(svc *rbac.Enforcer, userExists UserExists) []httpapi.Route {
	if svc == nil || userExists == nil {
		panic("rbacapi: nil dependency")
	}
	h := &api{svc: svc, userExists: userExists}
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/permissions", Permission: "role.read", Tag: "roles",
			Summary: "The permission catalogue roles are built from", Response: httpapi.List[rbac.Permission]{},
			Handler: func(c *gin.Context) error {
				ps, err := svc.CatalogueOf(c.Request.Context())
				if err != nil {
					return err
				}
				httpapi.WriteList(c, ps)
				return nil
			}},
		{Method: "GET", Path: "/api/v1/roles", Permission: "role.read", Tag: "roles",
			Summary: "Built-in and custom roles of the tenant", Response: httpapi.List[rbac.Role]{}, Handler: h.listRoles},
		{Method: "POST", Path: "/api/v1/roles", Permission: "role.manage", Idempotent: true, Tag: "roles",
			Summary: "Create a custom role", Request: createRoleRequest{}, Response: rbac.Role{}, Status: http.StatusCreated,
			Handler: h.createRole},
		{Method: "PATCH", Path: "/api/v1/roles/:id", Permission: "role.manage", Object: true, Tag: "roles",
			Summary: "Change a custom role", Request: patchRoleRequest{}, Response: rbac.Role{}, Handler: h.patchRole},
		{Method: "DELETE", Path: "/api/v1/roles/:id", Permission: "role.manage", Object: true, Tag: "roles",
			Summary: "Delete a custom role nobody holds", Status: http.StatusNoContent, Handler: h.deleteRole},
		{Method: "GET", Path: "/api/v1/users/:id/roles", Permission: "role.read", Object: true, Tag: "roles",
			Summary: "Roles a user holds", Response: userRolesBody{}, Handler: h.userRoles},
		{Method: "PUT", Path: "/api/v1/users/:id/roles", Permission: "role.manage", Object: true, Tag: "roles",
			Summary: "Replace the roles a user holds", Request: userRolesRequest{}, Response: userRolesBody{}, Handler: h.setUserRoles},
		mineRoute(svc),
	}
}

func (h *api) listRoles(c *gin.Context) error {
	roles, err := h.svc.ListRoles(c.Request.Context(), httpapi.TenantOf(c.Request.Context()))
	if err != nil {
		return err
	}
	httpapi.WriteList(c, roles)
	return nil
}

func (h *api) createRole(c *gin.Context) error {
	var req createRoleRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	r, err := h.svc.CreateRole(ctx, httpapi.TenantOf(ctx), rbac.RoleInput{Name: req.Name, Description: req.Description, Permissions: req.Permissions})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, r)
	return nil
}

func (h *api) patchRole(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var req patchRoleRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	r, err := h.svc.UpdateRole(ctx, httpapi.TenantOf(ctx), id, rbac.RolePatch{Name: req.Name, Description: req.Description, Permissions: req.Permissions})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r)
	return nil
}

func (h *api) deleteRole(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := h.svc.DeleteRole(ctx, httpapi.TenantOf(ctx), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// userOf reads the :id of a user route and checks that the user exists in
// the caller's tenant (another tenant's user is 404).
func (h *api) userOf(c *gin.Context) (uuid.UUID, error) {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return id, err
	}
	ctx := c.Request.Context()
	if err := h.userExists(ctx, httpapi.TenantOf(ctx), id); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

func (h *api) userRoles(c *gin.Context) error {
	id, err := h.userOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	roles, err := h.svc.RolesOf(ctx, httpapi.TenantOf(ctx), id)
	if err != nil {
		return err
	}
	if roles == nil {
		roles = []string{}
	}
	c.JSON(http.StatusOK, userRolesBody{UserID: id, Roles: roles})
	return nil
}

func (h *api) setUserRoles(c *gin.Context) error {
	id, err := h.userOf(c)
	if err != nil {
		return err
	}
	var req userRolesRequest
	if err := httpapi.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	before, err := h.svc.RolesOf(ctx, httpapi.TenantOf(ctx), id)
	if err != nil {
		return err
	}
	roles, err := h.svc.SetUserRoles(ctx, httpapi.TenantOf(ctx), id, req.Roles)
	if err != nil {
		return err
	}
	noteRoles(ctx, before, roles)
	c.JSON(http.StatusOK, userRolesBody{UserID: id, Roles: roles})
	return nil
}

// noteRoles records which roles a user held before and after, and in the
// detail which were granted and which revoked.
func noteRoles(ctx context.Context, before, after []string) {
	granted, revoked := []string{}, []string{}
	for _, r := range after {
		if !slices.Contains(before, r) {
			granted = append(granted, r)
		}
	}
	for _, r := range before {
		if !slices.Contains(after, r) {
			revoked = append(revoked, r)
		}
	}
	if before == nil {
		before = []string{}
	}
	n := audit.From(ctx)
	n.Change(audit.Change{Field: "roles", Before: before, After: after})
	n.Detail("granted: " + strings.Join(granted, ",") + "; revoked: " + strings.Join(revoked, ","))
}
