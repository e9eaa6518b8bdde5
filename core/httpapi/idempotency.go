package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/idempotency"
)

const (
	// IdempotencyTTL is how long an answer stays replayable.
	IdempotencyTTL = 24 * time.Hour
	// idempotencyStale is when an answer still "in flight" is taken to belong to
	// a process that died mid-request; it is far beyond the server's write timeout.
	idempotencyStale = 10 * time.Minute
	// maxReplayBytes bounds what is stored; a bigger answer is not replayable.
	maxReplayBytes = 1 << 20
)

var (
	errIdemKey = apperr.New(apperr.KindInvalid, "invalid_idempotency_key",
		"Idempotency-Key must be 1 to 200 printable ASCII characters.",
		"Idempotency-Key 必须是 1 到 200 个可打印的 ASCII 字符。")
	errIdemReused = apperr.New(apperr.KindConflict, "idempotency_key_reused",
		"This Idempotency-Key was already used for a different request; send a new key for a new request.",
		"此 Idempotency-Key 已用于另一个请求;新的请求请使用新的 key。")
	errIdemInProgress = apperr.New(apperr.KindConflict, "idempotency_in_progress",
		"A request with this Idempotency-Key is still being processed; retry in a moment.",
		"使用此 Idempotency-Key 的请求仍在处理中,请稍后重试。")
)

// IdempotencyStore keeps the answers of Idempotency-Key requests
// (*idempotency.Store): the middleware decides, the store holds the SQL.
type IdempotencyStore interface {
	Reserve(ctx context.Context, sc idempotency.Scope, r *idempotency.Record, stale time.Time) (prior *idempotency.Record, err error)
	Complete(ctx context.Context, sc idempotency.Scope, r idempotency.Record) error
	Insert(ctx context.Context, sc idempotency.Scope, r idempotency.Record) error
	Forget(ctx context.Context, sc idempotency.Scope, r idempotency.Record) error
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 200 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotency makes a creating POST safe to retry. It runs after access, so
// the key is scoped to a verified actor: (tenant, actor, key). Without the
// header the request passes through unchanged. Inside a tenant's request
// transaction (auditWrites) the record commits or rolls back with the write.
func (s *Server) idempotency(r Route) gin.HandlerFunc {
	return func(c *gin.Context) { s.idempotent(c, r) }
}

func (s *Server) idempotent(c *gin.Context, r Route) {
	vals, sent := c.Request.Header["Idempotency-Key"]
	if !sent || s.Idempotency == nil {
		c.Next()
		return
	}
	if len(vals) != 1 || !validIdempotencyKey(vals[0]) {
		s.writeError(c, errIdemKey)
		return
	}
	ctx := c.Request.Context()
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(c, apperr.TooLarge)
		} else {
			s.writeError(c, apperr.BadJSON.Wrap(err))
		}
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	a, _ := actor.From(ctx)
	now := time.Now().UTC()
	// An operator's keys are the platform's; anyone else's are their tenant's.
	scope := idempotency.Tenant(a.TenantID)
	if a.Kind == actor.Operator {
		scope = idempotency.Platform
	}
	row := idempotency.Record{TenantID: a.TenantID, ActorID: a.ID, Key: vals[0], Method: c.Request.Method,
		Path: c.Request.URL.Path, BodyHash: hex.EncodeToString(sum[:]), CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)}

	prior, err := s.Idempotency.Reserve(ctx, scope, &row, now.Add(-idempotencyStale))
	if err != nil {
		s.writeError(c, err)
		return
	}
	if prior != nil {
		switch {
		case prior.Method != row.Method || prior.Path != row.Path || prior.BodyHash != row.BodyHash:
			s.writeError(c, errIdemReused)
		case prior.Status == 0:
			s.writeError(c, errIdemInProgress)
		default:
			c.Header("Idempotent-Replayed", "true")
			if len(r.ReplayRedacts) > 0 && prior.Status < 300 {
				// The secret was shown once, in the first answer; see redactReplay.
				c.Header("Idempotent-Redacted", strings.Join(r.ReplayRedacts, ", "))
			}
			c.Data(prior.Status, prior.ContentType, []byte(prior.Response))
			c.Abort()
		}
		return
	}

	w := &captureWriter{ResponseWriter: c.Writer}
	c.Writer = w
	stored := false
	defer func() {
		// 5xx, panic or an answer too big to keep: forget the key so a retry runs again.
		if !stored {
			if err := s.Idempotency.Forget(context.WithoutCancel(ctx), scope, row); err != nil {
				s.log.ErrorContext(ctx, "idempotency: forget key", slog.Any("err", err))
			}
		}
	}()
	c.Next()
	st := w.Status()
	if w.overflow || !(st >= 200 && st < 300 || st >= 400 && st < 500) {
		return
	}
	answer := w.buf.String()
	if st < 300 && len(r.ReplayRedacts) > 0 {
		if answer, err = redactReplay(answer, r.ReplayRedacts); err != nil {
			// Not JSON as expected: better not replayable than replaying a secret.
			return
		}
	}
	if st >= 400 && s.Tx != nil && s.Tx.InRequestTx(c.Request.Context()) {
		// The request transaction rolls back on a 4xx, taking the reservation
		// with it; the answer is stored afterwards so a retry replays it.
		stored = true
		row.Status, row.Response, row.ContentType = st, answer, w.Header().Get("Content-Type")
		onRollback(c, func(ctx context.Context) {
			if err := s.Idempotency.Insert(ctx, scope, row); err != nil {
				s.log.ErrorContext(ctx, "idempotency: store answer", slog.String("request_id", requestID(c)), slog.Any("err", err))
			}
		})
		return
	}
	row.Status, row.Response, row.ContentType = st, answer, w.Header().Get("Content-Type")
	if err := s.Idempotency.Complete(context.WithoutCancel(c.Request.Context()), scope, row); err != nil {
		s.log.ErrorContext(ctx, "idempotency: store answer", slog.String("request_id", requestID(c)), slog.Any("err", err))
		return
	}
	stored = true
}

// redactReplay removes the named top-level fields from a JSON object answer,
// so the stored replay never holds
// a secret that must be shown once (an API key, generated passwords).
func redactReplay(answer string, fields []string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(answer), &obj); err != nil {
		return "", err
	}
	for _, f := range fields {
		delete(obj, f)
	}
	b, err := json.Marshal(obj)
	return string(b), err
}

// captureWriter keeps a copy of the body it writes, up to maxReplayBytes.
type captureWriter struct {
	gin.ResponseWriter
	buf      bytes.Buffer
	overflow bool
}

func (w *captureWriter) keep(p []byte) {
	if w.overflow || w.buf.Len()+len(p) > maxReplayBytes {
		w.overflow = true
		return
	}
	w.buf.Write(p)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.keep(p)
	return w.ResponseWriter.Write(p)
}

func (w *captureWriter) WriteString(s string) (int, error) {
	w.keep([]byte(s))
	return w.ResponseWriter.WriteString(s)
}
