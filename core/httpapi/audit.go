package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
)

// errorCodeKey holds the code of the error writeError answered with, for the audit detail.
const errorCodeKey = "wuye.error_code"

// auditWrites records every non-GET request of route r once its handler has
// answered. Requests refused by access never get here: access records those
// itself (refuse), since it aborts the chain.
func (s *Server) auditWrites(r Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return
		}
		s.audit(c, r)
	}
}

// refuse answers err and audits the refusal (denied for 401/403).
func (s *Server) refuse(c *gin.Context, r Route, err error) {
	s.writeError(c, err)
	s.audit(c, r)
}

// audit writes one entry for the request as answered so far. A failure to
// record is logged; the answer already sent stands.
func (s *Server) audit(c *gin.Context, r Route) {
	if s.Audit == nil {
		return
	}
	a, _ := actor.From(c.Request.Context())
	kind := string(a.Kind)
	if kind == "" {
		kind = "anonymous"
	}
	action := r.Permission
	if action == "" {
		action = r.Method + " " + r.Path
	}
	e := audit.Entry{
		TenantID: a.TenantID, ActorKind: kind, ActorID: a.ID, ActorName: a.Name,
		Action: action, Object: c.Request.URL.Path, Result: resultOf(c.Writer.Status()),
		Detail: c.GetString(errorCodeKey), IP: c.ClientIP(), RequestID: requestID(c),
	}
	if err := s.Audit.Record(c.Request.Context(), e); err != nil {
		s.log.ErrorContext(c.Request.Context(), "audit record failed", slog.String("request_id", requestID(c)), slog.Any("err", err))
	}
}

// resultOf maps an HTTP status to an audit result.
func resultOf(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return audit.ResultDenied
	case status >= 500:
		return audit.ResultError
	case status >= 400:
		return audit.ResultFailed
	default:
		return audit.ResultOK
	}
}

// AuditItem is one audit entry in API answers.
type AuditItem struct {
	ID        uuid.UUID `json:"id"`
	TenantID  uuid.UUID `json:"tenant_id"`
	At        time.Time `json:"at"`
	ActorKind string    `json:"actor_kind"`
	ActorID   uuid.UUID `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Object    string    `json:"object"`
	Result    string    `json:"result"`
	Detail    string    `json:"detail"`
	IP        string    `json:"ip"`
	RequestID string    `json:"request_id"`
}

// auditQuery documents the filters of the audit routes.
type auditQuery struct {
	Tenant   string `form:"tenant" json:"tenant,omitempty"` // operator route only; nil uuid = platform events
	Actor    string `form:"actor" json:"actor,omitempty"`
	Action   string `form:"action" json:"action,omitempty"` // prefix
	Result   string `form:"result" json:"result,omitempty"`
	From     string `form:"from" json:"from,omitempty"` // RFC 3339, inclusive
	To       string `form:"to" json:"to,omitempty"`     // RFC 3339, exclusive
	Page     int    `form:"page" json:"page,omitempty"`
	PageSize int    `form:"page_size" json:"page_size,omitempty"`
}

// auditRoutes query the audit log; nil AuditLog leaves them out.
func (s *Server) auditRoutes() []Route {
	if s.AuditLog == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/audit", Permission: "audit.read", Tag: "audit",
			Summary: "The tenant's audit log, newest first", Query: auditQuery{}, Response: Page[AuditItem]{},
			Handler: func(c *gin.Context) error {
				t := tenantOf(c.Request.Context())
				return s.listAudit(c, &t)
			}},
		{Method: "GET", Path: "/api/v1/operator/audit", Operator: true, Tag: "audit",
			Summary: "The audit log of every tenant and the platform, newest first", Query: auditQuery{}, Response: Page[AuditItem]{},
			Handler: func(c *gin.Context) error {
				v := c.Query("tenant")
				if v == "" {
					return s.listAudit(c, nil)
				}
				t, err := uuid.Parse(v)
				if err != nil {
					return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "tenant", Code: "invalid_uuid", EN: "tenant must be a tenant id", ZH: "tenant 须为租户编号"}})
				}
				return s.listAudit(c, &t)
			}},
	}
}

// listAudit answers one page of the log of tenant (nil: everything).
func (s *Server) listAudit(c *gin.Context, tenant *uuid.UUID) error {
	p, _, err := pageQuery(c)
	if err != nil {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	f.Tenant = tenant
	items, total, err := s.AuditLog.List(c.Request.Context(), f, p.offset(), p.PageSize)
	if err != nil {
		return err
	}
	out := Page[AuditItem]{Items: make([]AuditItem, len(items)), Total: total, Page: p.Page, PageSize: p.PageSize}
	for i, it := range items {
		out.Items[i] = AuditItem{
			ID: it.ID, TenantID: it.TenantID, At: it.At, ActorKind: it.ActorKind, ActorID: it.ActorID,
			ActorName: it.ActorName, Action: it.Action, Object: it.Object, Result: it.Result,
			Detail: it.Detail, IP: it.IP, RequestID: it.RequestID,
		}
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// auditFilter reads the actor, action, result, from and to filters.
func auditFilter(c *gin.Context) (audit.Filter, error) {
	var (
		f  audit.Filter
		fe []apperr.FieldError
	)
	if v := c.Query("actor"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			fe = append(fe, apperr.FieldError{Field: "actor", Code: "invalid_uuid", EN: "actor must be a user, key or operator id", ZH: "actor 须为用户、密钥或运营人员编号"})
		}
		f.ActorID = id
	}
	if v := c.Query("action"); len(v) > 100 {
		fe = append(fe, apperr.FieldError{Field: "action", Code: "too_long", EN: "action is at most 100 characters", ZH: "action 最多 100 个字符"})
	} else {
		f.ActionPrefix = v
	}
	switch v := c.Query("result"); v {
	case "", audit.ResultOK, audit.ResultDenied, audit.ResultFailed, audit.ResultError:
		f.Result = v
	default:
		fe = append(fe, apperr.FieldError{Field: "result", Code: "unknown_value", EN: "result is one of ok, denied, failed, error", ZH: "result 只能是 ok、denied、failed、error 之一"})
	}
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := c.Query(tf.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fe = append(fe, apperr.FieldError{Field: tf.name, Code: "invalid_time", EN: tf.name + " must be an RFC 3339 time, e.g. 2025-01-31T08:00:00+08:00", ZH: tf.name + " 须为 RFC 3339 时间,例如 2025-01-31T08:00:00+08:00"})
			continue
		}
		*tf.dst = t
	}
	if len(fe) > 0 {
		return f, apperr.Invalid.WithDetails(fe)
	}
	return f, nil
}
