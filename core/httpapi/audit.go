package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
)

// errorCodeKey holds the code of the error writeError answered with, for the audit detail.
const errorCodeKey = "wuye.error_code"

// auditWrites records every non-GET request of route r once its handler has
// answered. Requests refused by access never get here: access records those
// itself (refuse), since it aborts the chain.
//
// A tenant's write runs in one request transaction (Deps.Tx.InRequest): the
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
	atomic := s.Tx != nil && !r.Public && !r.Operator && !r.NoRequestTx
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

// RequestRecorder is an audit recorder that can write inside the request
// transaction ctx carries (*audit.Log), so the entry commits with the write.
type RequestRecorder interface {
	audit.Recorder
	RecordInRequest(ctx context.Context, e audit.Entry) error
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
	tr, inTx := s.Audit.(RequestRecorder)
	err := s.Tx.InRequest(outer, tenant, func(ctx context.Context) error {
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		if st := bw.Status(); st < 200 || st >= 300 {
			return errRollback
		}
		if !inTx {
			return nil
		}
		e := s.entry(c, r, bw.Status(), bw.body.Bytes())
		return tr.RecordInRequest(ctx, e)
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
	ctx := c.Request.Context()
	if s.Tx != nil {
		ctx = s.Tx.Detach(ctx)
	}
	var err error
	if a, _ := actor.From(c.Request.Context()); a.Kind == actor.User || a.Kind == actor.APIKey {
		err = s.Audit.Record(ctx, e)
	} else { // an operator, or a request refused before anyone was known
		err = s.Audit.RecordPlatform(ctx, e)
	}
	if err != nil {
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
