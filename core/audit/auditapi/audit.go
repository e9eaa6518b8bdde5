// Package auditapi is the HTTP face of the audit log's queries.
package auditapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gin-gonic/gin"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
)

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

	Method     string         `json:"method"`      // HTTP method of the request
	Route      string         `json:"route"`       // route template, e.g. /api/v1/rooms/:id
	ObjectType string         `json:"object_type"` // e.g. room, person, user
	ObjectID   string         `json:"object_id"`   // the object's id; a create's new id
	Status     int            `json:"status"`      // HTTP status answered
	DryRun     bool           `json:"dry_run"`     // checked only, nothing written
	Changes    []audit.Change `json:"changes"`     // field before/after, personal data masked
}

// auditQuery documents the filters of the audit routes.
type auditQuery struct {
	Tenant     string `form:"tenant" json:"tenant,omitempty"` // operator route only (400 on the tenant's): a tenant id, or platform for the platform's own events
	Actor      string `form:"actor" json:"actor,omitempty"`
	ActorName  string `form:"actor_name" json:"actor_name,omitempty"` // prefix, case-insensitive
	Action     string `form:"action" json:"action,omitempty"`         // prefix
	Method     string `form:"method" json:"method,omitempty"`         // POST, PUT, PATCH, DELETE
	ObjectType string `form:"object_type" json:"object_type,omitempty"`
	ObjectID   string `form:"object_id" json:"object_id,omitempty"`
	DryRun     string `form:"dry_run" json:"dry_run,omitempty"` // true or false
	Result     string `form:"result" json:"result,omitempty"`
	From       string `form:"from" json:"from,omitempty"` // RFC 3339, inclusive
	To         string `form:"to" json:"to,omitempty"`     // RFC 3339, exclusive
	Page       int    `form:"page" json:"page,omitempty"`
	PageSize   int    `form:"page_size" json:"page_size,omitempty"`
}

// api serves the audit log queries.
type api struct{ log *audit.Log }

// Routes query the audit log: a tenant's own, and the operator's of all.
// (Recording is the httpapi middleware's job, through audit.Recorder.)
func Routes(log *audit.Log) []httpapi.Route {
	if log == nil {
		panic("auditapi: nil log")
	}
	h := &api{log: log}
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/audit", Permission: "audit.read", Tag: "audit",
			Summary: "The tenant's audit log, newest first", Query: auditQuery{}, Response: httpapi.Page[AuditItem]{},
			Handler: func(c *gin.Context) error {
				// A tenant reads its own log only; a tenant filter here would be
				// silently ignored, so it is refused instead.
				if _, ok := c.GetQuery("tenant"); ok {
					return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "tenant", Code: "invalid_filter", EN: "tenant is an operator filter; this log is your tenant's own", ZH: "tenant 仅供运营人员筛选;此日志只含本租户的记录"}})
				}
				tenant := httpapi.TenantOf(c.Request.Context())
				return h.listAudit(c, func(f audit.Filter, offset, limit int) ([]audit.Item, int64, error) {
					return log.List(c.Request.Context(), tenant, f, offset, limit)
				})
			}},
		{Method: "GET", Path: "/api/v1/operator/audit", Operator: true, Tag: "audit",
			Summary: "The audit log of every tenant and the platform, newest first", Query: auditQuery{}, Response: httpapi.Page[AuditItem]{},
			Handler: func(c *gin.Context) error {
				var pq audit.PlatformQuery
				switch v := c.Query("tenant"); v {
				case "":
				case "platform", uuid.Nil.String(): // the platform's own events (the nil id: the older spelling)
					pq.PlatformOnly = true
				default:
					t, err := uuid.Parse(v)
					if err != nil {
						return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "tenant", Code: "invalid_uuid", EN: "tenant must be a tenant id or platform", ZH: "tenant 须为租户编号或 platform"}})
					}
					pq.Tenant = &t
				}
				return h.listAudit(c, func(f audit.Filter, offset, limit int) ([]audit.Item, int64, error) {
					return log.ListPlatform(c.Request.Context(), pq, f, offset, limit)
				})
			}},
	}
}

// listAudit answers one page of the log, read by list.
func (h *api) listAudit(c *gin.Context, list func(f audit.Filter, offset, limit int) ([]audit.Item, int64, error)) error {
	p, _, err := httpapi.PageQueryOf(c)
	if err != nil {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	items, total, err := list(f, p.Offset(), p.PageSize)
	if err != nil {
		return err
	}
	out := httpapi.Page[AuditItem]{Items: make([]AuditItem, len(items)), Total: total, Page: p.Page, PageSize: p.PageSize}
	for i, it := range items {
		out.Items[i] = AuditItem{
			ID: it.ID, TenantID: it.TenantID, At: it.At, ActorKind: it.ActorKind, ActorID: it.ActorID,
			ActorName: it.ActorName, Action: it.Action, Object: it.Object, Result: it.Result,
			Detail: it.Detail, IP: it.IP, RequestID: it.RequestID, Method: it.Method, Route: it.Route,
			ObjectType: it.ObjectType, ObjectID: it.ObjectID, Status: it.Status, DryRun: it.DryRun, Changes: it.Changes,
		}
		if out.Items[i].Changes == nil {
			out.Items[i].Changes = []audit.Change{}
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
	for _, tf := range []struct {
		name string
		dst  *string
	}{{"actor_name", &f.ActorName}, {"object_type", &f.ObjectType}, {"object_id", &f.ObjectID}} {
		if v := c.Query(tf.name); len(v) > 200 {
			fe = append(fe, apperr.FieldError{Field: tf.name, Code: "too_long", EN: tf.name + " is at most 200 characters", ZH: tf.name + " 最多 200 个字符"})
		} else {
			*tf.dst = v
		}
	}
	switch v := strings.ToUpper(c.Query("method")); v {
	case "", http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		f.Method = v
	default:
		fe = append(fe, apperr.FieldError{Field: "method", Code: "unknown_value", EN: "method is one of POST, PUT, PATCH, DELETE", ZH: "method 只能是 POST、PUT、PATCH、DELETE 之一"})
	}
	switch v := c.Query("dry_run"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.DryRun = &b
	default:
		fe = append(fe, apperr.FieldError{Field: "dry_run", Code: "invalid", EN: "dry_run is true or false", ZH: "dry_run 只能是 true 或 false"})
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
