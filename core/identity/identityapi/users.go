package identityapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/identity"
)

// userRoutes let tenant administrators manage their tenant's users.
func (h *api) userRoutes() []httpapi.Route {
	return []httpapi.Route{
		{Method: "POST", Path: "/api/v1/users", Permission: PermUserCreate, Idempotent: true, Tag: "users",
			Summary: "Create a staff or resident user with an initial password", Request: identity.NewUser{},
			Response: identity.User{}, Status: http.StatusCreated, Handler: h.createUser},
		{Method: "GET", Path: "/api/v1/users", Permission: PermUserRead, Tag: "users", Summary: "List users",
			Query: userQuery{}, Response: httpapi.Page[identity.User]{}, Handler: h.listUsers},
		{Method: "GET", Path: "/api/v1/users/:id", Permission: PermUserRead, Object: true, Tag: "users",
			Summary: "Get a user", Response: identity.User{}, Handler: h.getUser},
		{Method: "PATCH", Path: "/api/v1/users/:id", Permission: PermUserUpdate, Object: true, Tag: "users",
			Summary: "Change a user's name, phone, email or status (disabling ends their sessions)",
			Request: identity.UserPatch{}, Response: identity.User{}, Handler: h.updateUser},
		{Method: "POST", Path: "/api/v1/users/:id/reset-password", Permission: PermUserResetPassword, Object: true, Tag: "users",
			Summary: "Set a new password for a user (unlocks it and ends its sessions)",
			Request: resetPasswordBody{}, Status: http.StatusNoContent, Handler: h.resetPassword},
	}
}

// userQuery is the query string of the user list.
type userQuery struct {
	httpapi.PageQuery
	Q      string `form:"q" json:"q"`           // part of username, name, phone or email
	Status string `form:"status" json:"status"` // active or disabled
	Kind   string `form:"kind" json:"kind"`     // staff or resident
}

type resetPasswordBody struct {
	Password string `json:"password"`
}

func (b resetPasswordBody) Validate() []apperr.FieldError {
	if b.Password == "" {
		return []apperr.FieldError{{Field: "password", Code: "required", EN: "password is required", ZH: "请填写密码"}}
	}
	return nil
}

func (h *api) createUser(c *gin.Context) error {
	var in identity.NewUser
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	u, err := h.svc.CreateUser(c.Request.Context(), httpapi.Actor(c).TenantID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, u)
	return nil
}

func (h *api) listUsers(c *gin.Context) error {
	// Report bad paging and bad filters together.
	p, order, fe := httpapi.PageFields(c, "username", "name", "created_at")
	f := identity.UserFilter{Q: strings.TrimSpace(c.Query("q")), Status: c.Query("status"), Kind: c.Query("kind"),
		OrderBy: order, Limit: p.PageSize, Offset: p.Offset()}
	fe = append(fe, statusFilter(f.Status)...)
	if f.Kind != "" && f.Kind != identity.KindStaff && f.Kind != identity.KindResident {
		fe = append(fe, apperr.FieldError{Field: "kind", Code: "invalid", EN: "kind is staff or resident", ZH: "kind 只能是 staff 或 resident"})
	}
	if len(f.Q) > 100 {
		fe = append(fe, apperr.FieldError{Field: "q", Code: "too_long", EN: "q is at most 100 bytes", ZH: "q 最长 100 字节"})
	}
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	users, total, err := h.svc.ListUsers(c.Request.Context(), httpapi.Actor(c).TenantID, f)
	if err != nil {
		return err
	}
	if users == nil {
		users = []identity.User{}
	}
	c.JSON(http.StatusOK, httpapi.Page[identity.User]{Items: users, Total: total, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (h *api) getUser(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	u, err := h.svc.GetUser(c.Request.Context(), httpapi.Actor(c).TenantID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

func (h *api) updateUser(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in identity.UserPatch
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	u, err := h.svc.UpdateUser(c.Request.Context(), httpapi.Actor(c).TenantID, id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

func (h *api) resetPassword(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in resetPasswordBody
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.ResetPassword(c.Request.Context(), httpapi.Actor(c).TenantID, id, in.Password); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// statusFilter checks an account list's status filter (empty means any).
func statusFilter(status string) []apperr.FieldError {
	if status == "" || status == identity.StatusActive || status == identity.StatusDisabled {
		return nil
	}
	return []apperr.FieldError{{Field: "status", Code: "invalid", EN: "status is active or disabled", ZH: "status 只能是 active 或 disabled"}}
}
