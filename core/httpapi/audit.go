package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
)

// errorCodeKey holds the code of the error writeError answered with, for the audit detail.
const errorCodeKey = "wuye.error_code"

// auditWrites records every non-GET request of route r once its handler has
// answered. Requests refused by access never get here: access records those
// itself (refuse), since it aborts the chain.
//
// A tenant's write runs in one request transaction (store.InRequest): the
// service calls of the handler join it, and so do the idempotency record and
// the audit entry, which are written before it commits. The answer is held
// back until then, so the client never sees a success that did not commit,
// and no write stands without its audit entry. A refused or failed write
// rolls back whole; its audit entry is then written on its own.
func (s *Server) auditWrites(r Route) gin.HandlerFunc {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return func(c *gin.Context) { c.Next() }
	}
	// Operator writes span tenants (creating one seeds it in its own scope):
	// they keep their transactions and are audited after the answer.
	atomic := s.DB != nil && !r.Public && !r.Operator
	return func(c *gin.Context) {
		ctx, _ := audit.WithNotes(c.Request.Context())
		c.Request = c.Request.WithContext(ctx)
		a, _ := actor.From(ctx)
		if atomic && a.TenantID != uuid.Nil {
			s.writeInTx(c, r, a.TenantID)
			return
		}
		w := &captureWriter{ResponseWriter: c.Writer}
		c.Writer = w
		c.Next()
		c.Writer = w.ResponseWriter
		s.audit(c, r, w.buf.Bytes())
	}
}

// errRollback ends a request transaction whose answer is not a success.
var errRollback = errors.New("httpapi: request answered with a failure; rolled back")

// rollbackHooksKey holds the funcs to run once a request transaction rolled back.
const rollbackHooksKey = "wuye.rollback_hooks"

// onRollback runs fn (with a context free of the request transaction) if the
// request's transaction rolls back because its answer is not a success.
func onRollback(c *gin.Context, fn func(ctx context.Context)) {
	hs, _ := c.Get(rollbackHooksKey)
	fns, _ := hs.([]func(context.Context))
	c.Set(rollbackHooksKey, append(fns, fn))
}

func (s *Server) writeInTx(c *gin.Context, r Route, tenant uuid.UUID) {
	outer := c.Request.Context()
	real := c.Writer
	bw := &bufferWriter{ResponseWriter: real}
	c.Writer = bw
	// On a panic the recoverer answers through the real writer; the
	// transaction has rolled back and the held answer is dropped.
	defer func() { c.Writer = real }()
	tr, inTx := s.Audit.(audit.TxRecorder)
	err := s.DB.InRequest(outer, tenant, func(ctx context.Context) error {
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		if st := bw.Status(); st < 200 || st >= 300 {
			return errRollback
		}
		if !inTx {
			return nil
		}
		e := s.entry(c, r, bw.Status(), bw.body.Bytes())
		return s.DB.InTenant(ctx, tenant, func(tx *gorm.DB) error { return tr.RecordTx(tx, e) })
	})
	c.Request = c.Request.WithContext(outer)
	c.Writer = real
	switch {
	case err == nil:
		bw.flush()
		if !inTx {
			s.audit(c, r, bw.body.Bytes())
		}
	case errors.Is(err, errRollback):
		if hs, ok := c.Get(rollbackHooksKey); ok {
			for _, fn := range hs.([]func(context.Context)) {
				fn(context.WithoutCancel(outer))
			}
		}
		bw.flush()
		s.audit(c, r, bw.body.Bytes())
	default:
		// The commit, or the audit entry, failed: nothing was written, and
		// the answer says so.
		for _, h := range []string{"Location", "Idempotent-Replayed", "Idempotent-Redacted", "Content-Disposition"} {
			real.Header().Del(h)
		}
		s.writeError(c, err)
		s.audit(c, r, nil)
	}
}

// refuse answers err and audits the refusal (denied for 401/403).
func (s *Server) refuse(c *gin.Context, r Route, err error) {
	s.writeError(c, err)
	s.audit(c, r, nil)
}

// audit writes one entry for the request as answered so far, in a
// transaction of its own. A failure to record is logged; the answer already
// sent stands.
func (s *Server) audit(c *gin.Context, r Route, body []byte) {
	if s.Audit == nil {
		return
	}
	e := s.entry(c, r, c.Writer.Status(), body)
	if err := s.Audit.Record(store.Detach(c.Request.Context()), e); err != nil {
		s.log.ErrorContext(c.Request.Context(), "audit record failed", slog.String("request_id", requestID(c)), slog.Any("err", err))
	}
}

// entry describes the request: who, the route and method, the object (by
// the route's :id, what the handler noted, or the id a create answered), the
// outcome, and what the handler noted changed.
func (s *Server) entry(c *gin.Context, r Route, status int, body []byte) audit.Entry {
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
		Action: action, Object: c.Request.URL.Path, Result: resultOf(status),
		Detail: c.GetString(errorCodeKey), IP: c.ClientIP(), RequestID: requestID(c),
		Method: r.Method, Route: r.Path, ObjectType: objectType(r.Path), ObjectID: c.Param("id"), Status: status,
	}
	if e.ObjectID == "" && status >= 200 && status < 300 && len(body) > 0 {
		var created struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(body, &created) == nil && len(created.ID) > 0 {
			var id string
			if json.Unmarshal(created.ID, &id) == nil {
				e.ObjectID = id
			}
		}
	}
	audit.From(c.Request.Context()).Apply(&e)
	return e
}

// objectType names what a route acts on: the collection before its :id, or
// else its first segment after /api/v1 (and /operator), singular:
// /api/v1/rooms/:id → room, /api/v1/persons/:id/vehicles → person,
// /api/v1/operator/tenants → tenant.
func objectType(path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	if len(segs) > 1 && segs[0] == "operator" {
		segs = segs[1:]
	}
	name := segs[0]
	for i := 1; i < len(segs); i++ {
		if segs[i] == ":id" {
			name = segs[i-1]
			break
		}
	}
	switch {
	case strings.HasSuffix(name, "ies"):
		return strings.TrimSuffix(name, "ies") + "y"
	case strings.HasSuffix(name, "s"):
		return strings.TrimSuffix(name, "s")
	}
	return name
}

// bufferWriter holds a request transaction's answer until it commits.
type bufferWriter struct {
	gin.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) WriteHeader(code int) {
	if code > 0 && w.status == 0 {
		w.status = code
	}
}
func (w *bufferWriter) WriteHeaderNow() {}
func (w *bufferWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
func (w *bufferWriter) WriteString(s string) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.WriteString(s)
}
func (w *bufferWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
func (w *bufferWriter) Size() int {
	if w.status == 0 && w.body.Len() == 0 {
		return -1
	}
	return w.body.Len()
}
func (w *bufferWriter) Written() bool { return w.status != 0 }
func (w *bufferWriter) Flush()        {}

// flush sends the held answer.
func (w *bufferWriter) flush() {
	w.ResponseWriter.WriteHeader(w.Status())
	if w.body.Len() > 0 {
		_, _ = w.ResponseWriter.Write(w.body.Bytes())
	} else {
		w.ResponseWriter.WriteHeaderNow()
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
	Tenant     string `form:"tenant" json:"tenant,omitempty"` // operator route only (400 on the tenant's); nil uuid = platform events
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

// auditRoutes query the audit log; nil AuditLog leaves them out.
func (s *Server) auditRoutes() []Route {
	if s.AuditLog == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/audit", Permission: "audit.read", Tag: "audit",
			Summary: "The tenant's audit log, newest first", Query: auditQuery{}, Response: Page[AuditItem]{},
			Handler: func(c *gin.Context) error {
				// A tenant reads its own log only; a tenant filter here would be
				// silently ignored, so it is refused instead.
				if _, ok := c.GetQuery("tenant"); ok {
					return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "tenant", Code: "invalid_filter", EN: "tenant is an operator filter; this log is your tenant's own", ZH: "tenant 仅供运营人员筛选;此日志只含本租户的记录"}})
				}
				t := TenantOf(c.Request.Context())
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
