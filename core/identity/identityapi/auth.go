// Package identityapi is the HTTP face of core/identity: sign-in, sessions,
// API keys, tenant users and platform operators, as rows of the route table.
package identityapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/identity"
)

// Permissions of the identity endpoints (the rbac catalogue lists them).
const (
	PermUserRead          = "user.read"
	PermUserCreate        = "user.create"
	PermUserUpdate        = "user.update"
	PermUserResetPassword = "user.reset_password"
	PermAPIKeyRead        = "api_key.read"
	PermAPIKeyCreate      = "api_key.create"
	PermAPIKeyRevoke      = "api_key.revoke"
)

// api serves the identity routes.
type api struct{ svc *identity.Service }

// Routes are sign-in, sessions, API keys, user management and the operators'
// own accounts. The self-service routes (me, password) need a signed-in
// principal but no permission: every user may see themselves and change
// their own password.
func Routes(svc *identity.Service) []httpapi.Route {
	if svc == nil {
		panic("identityapi: nil service")
	}
	h := &api{svc: svc}
	return append([]httpapi.Route{
		{Method: "POST", Path: "/api/v1/auth/login", Public: true, Tag: "auth", Summary: "Sign a tenant user in by username, phone or email",
			Request: identity.LoginInput{}, Response: identity.Session{}, Handler: h.login},
		{Method: "POST", Path: "/api/v1/operator/auth/login", Public: true, Tag: "auth", Summary: "Sign a platform operator in",
			Request: identity.LoginInput{}, Response: identity.Session{}, Handler: h.operatorLogin},
		{Method: "POST", Path: "/api/v1/auth/refresh", Public: true, Tag: "auth", Summary: "Exchange a refresh token for a new token pair",
			Request: refreshBody{}, Response: identity.Session{}, Handler: h.refresh},
		{Method: "POST", Path: "/api/v1/auth/logout", Public: true, Tag: "auth", Summary: "End the session of a refresh token",
			Request: refreshBody{}, Status: http.StatusNoContent, Handler: h.logout},
		{Method: "GET", Path: "/api/v1/auth/me", Self: true, Tag: "auth", Summary: "The signed-in user or API key",
			Response: meBody{}, Handler: h.me},
		{Method: "POST", Path: "/api/v1/auth/password", Self: true, Tag: "auth", Summary: "Change your own password (ends your other sessions)",
			Request: identity.PasswordChange{}, Response: identity.Session{}, Handler: h.changePassword},
		{Method: "GET", Path: "/api/v1/operator/auth/me", Operator: true, Tag: "auth", Summary: "The signed-in operator",
			Response: meBody{}, Handler: h.me},
		{Method: "POST", Path: "/api/v1/operator/auth/password", Operator: true, Tag: "auth", Summary: "Change your own operator password",
			Request: identity.PasswordChange{}, Response: identity.Session{}, Handler: h.changePassword},

		{Method: "POST", Path: "/api/v1/api-keys", Permission: PermAPIKeyCreate, Idempotent: true, ReplayRedacts: []string{"key"}, Tag: "api-keys",
			Summary: "Create an API key (the key is shown only in this response)", Request: identity.NewAPIKey{},
			Response: identity.CreatedAPIKey{}, Status: http.StatusCreated, Handler: h.createAPIKey},
		{Method: "GET", Path: "/api/v1/api-keys", Permission: PermAPIKeyRead, Tag: "api-keys", Summary: "List API keys",
			Query: httpapi.PageQuery{}, Response: httpapi.Page[identity.APIKey]{}, Handler: h.listAPIKeys},
		{Method: "DELETE", Path: "/api/v1/api-keys/:id", Permission: PermAPIKeyRevoke, Object: true, Tag: "api-keys",
			Summary: "Revoke an API key", Status: http.StatusNoContent, Handler: h.revokeAPIKey},
	}, append(h.userRoutes(), h.operatorRoutes()...)...)
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

func (b refreshBody) Validate() []apperr.FieldError {
	if b.RefreshToken == "" || len(b.RefreshToken) > 256 {
		return []apperr.FieldError{{Field: "refresh_token", Code: "required", EN: "refresh_token is required", ZH: "请提供 refresh_token"}}
	}
	return nil
}

// meBody describes the principal of the request.
type meBody struct {
	Kind     string             `json:"kind"` // user, operator or api_key
	ID       uuid.UUID          `json:"id"`
	TenantID uuid.UUID          `json:"tenant_id,omitzero"`
	Name     string             `json:"name"`
	Roles    []string           `json:"roles,omitempty"` // an API key's roles
	User     *identity.User     `json:"user,omitempty"`
	Operator *identity.Operator `json:"operator,omitempty"`
}

func (h *api) login(c *gin.Context) error {
	return h.doLogin(c, h.svc.Login)
}

func (h *api) operatorLogin(c *gin.Context) error {
	return h.doLogin(c, h.svc.OperatorLogin)
}

func (h *api) doLogin(c *gin.Context, login func(context.Context, identity.LoginInput) (identity.Session, error)) error {
	var in identity.LoginInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	in.IP = c.ClientIP()
	sess, err := login(c.Request.Context(), in)
	if err != nil {
		retryAfter(c, err)
		return err
	}
	c.JSON(http.StatusOK, sess)
	return nil
}

// retryAfter sets Retry-After on a rate-limited answer.
func retryAfter(c *gin.Context, err error) {
	if e, ok := apperr.As(err); ok && e.Code == apperr.RateLimited.Code {
		if d, ok := e.Details.(map[string]any); ok {
			if n, ok := d["retry_after_seconds"].(int); ok {
				c.Header("Retry-After", strconv.Itoa(n))
			}
		}
	}
}

func (h *api) refresh(c *gin.Context) error {
	var in refreshBody
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	sess, err := h.svc.Refresh(c.Request.Context(), in.RefreshToken)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sess)
	return nil
}

func (h *api) logout(c *gin.Context) error {
	var in refreshBody
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.Logout(c.Request.Context(), in.RefreshToken); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *api) me(c *gin.Context) error {
	a, _ := actor.From(c.Request.Context())
	out := meBody{Kind: string(a.Kind), ID: a.ID, TenantID: a.TenantID, Name: a.Name}
	if a.Kind == actor.APIKey {
		out.Roles = a.Roles
		c.JSON(http.StatusOK, out)
		return nil
	}
	who, err := h.svc.Me(c.Request.Context(), a)
	if err != nil {
		return err
	}
	switch v := who.(type) {
	case identity.User:
		out.User = &v
	case identity.Operator:
		out.Operator = &v
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h *api) changePassword(c *gin.Context) error {
	var in identity.PasswordChange
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	sess, err := h.svc.ChangePassword(c.Request.Context(), a, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sess)
	return nil
}

func (h *api) createAPIKey(c *gin.Context) error {
	var in identity.NewAPIKey
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	k, err := h.svc.CreateAPIKey(c.Request.Context(), a, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, k)
	return nil
}

func (h *api) listAPIKeys(c *gin.Context) error {
	p, _, err := httpapi.PageQueryOf(c)
	if err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	keys, total, err := h.svc.ListAPIKeys(c.Request.Context(), a.TenantID, p.PageSize, p.Offset())
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []identity.APIKey{}
	}
	c.JSON(http.StatusOK, httpapi.Page[identity.APIKey]{Items: keys, Total: total, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (h *api) revokeAPIKey(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	if err := h.svc.RevokeAPIKey(c.Request.Context(), a.TenantID, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
