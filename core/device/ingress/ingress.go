// Package ingress is the endpoint devices push to: POST
// /api/v1/ingress/:tenant/:device. Cameras and controllers can often be
// given only a URL, so the device's token comes in any of the ways they
// can send one. The body goes, as it came, to the device's driver (Ingest),
// whose events are accepted into the device stream and whose reply is
// what the device is answered.
package ingress

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/device/stream"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Path is the route template.
const Path = "/api/v1/ingress/:tenant/:device"

// MaxBody caps a device's request (a passage photo in a multipart body).
const MaxBody = 2 << 20

// Errors of this endpoint.
var (
	ErrBadToken = apperr.New(apperr.KindUnauthenticated, "bad_device_token",
		"The device token is missing or wrong.", "设备令牌缺失或错误。")
	ErrBadPayload = apperr.New(apperr.KindInvalid, "bad_device_payload",
		"The device's driver could not read this request.", "设备驱动无法解析此请求。")
	ErrDriverDown = apperr.New(apperr.KindUnavailable, "device_driver_unavailable",
		"The device's driver is not running; try again shortly.", "设备驱动未在运行,请稍后重试。")
)

// Deps are the endpoint's collaborators.
type Deps struct {
	// Tenant resolves a tenant code to its id (apperr.NotFound if none).
	Tenant   func(ctx context.Context, code string) (uuid.UUID, error)
	Registry stream.Registry
	Drivers  pluginhost.DriverRunner
	// Accept is the device stream's Accept.
	Accept func(ctx context.Context, tenantID uuid.UUID, driver string, evs []*wuyepb.DeviceEvent) (int, int, error)
	Audit  audit.Recorder
}

// headers a driver may see; cookies and credentials never reach it.
var headers = []string{"User-Agent", "X-Request-Id", "Date", "Content-Encoding", "X-Event-Type", "X-Device-Id", "X-Signature", "X-Timestamp"}

// Handler serves the endpoint.
type Handler struct {
	d       Deps
	limiter auditLimiter
}

// New returns the endpoint's handler.
func New(d Deps) *Handler { return &Handler{d: d, limiter: auditLimiter{last: map[string]time.Time{}}} }

// Routes is the endpoint's row of the route table.
func (h *Handler) Routes() []httpapi.Route {
	return []httpapi.Route{{Method: "POST", Path: Path, Public: true, Tag: "devices", MaxBody: MaxBody,
		Summary: "A device pushes an event (plate, door, alarm…) with its token; its driver reads the body and answers",
		Handler: h.ingest}}
}

// token finds the device's token: Bearer, Basic password, X-Device-Token or ?token=.
func token(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if t, ok := strings.CutPrefix(a, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		if _, p, ok := r.BasicAuth(); ok {
			return p
		}
	}
	if t := r.Header.Get("X-Device-Token"); t != "" {
		return t
	}
	return r.URL.Query().Get("token")
}

func (h *Handler) ingest(c *gin.Context) error {
	ctx := c.Request.Context()
	tenantID, err := h.d.Tenant(ctx, c.Param("tenant"))
	if err != nil {
		return err
	}
	deviceID, err := uuid.Parse(c.Param("device"))
	if err != nil {
		return apperr.NotFound
	}
	tok := token(c.Request)
	if tok == "" {
		h.audit(ctx, c, tenantID, deviceID, "device.ingress.token", audit.ResultDenied, "no token", http.StatusUnauthorized)
		return ErrBadToken
	}
	ref, err := h.d.Registry.CheckToken(ctx, tenantID, deviceID, tok)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind == apperr.KindUnauthenticated {
			h.audit(ctx, c, tenantID, deviceID, "device.ingress.token", audit.ResultDenied, "bad token", http.StatusUnauthorized)
			return ErrBadToken
		}
		return err
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apperr.TooLarge
		}
		return err
	}
	q := c.Request.URL.Query()
	q.Del("token")
	in := &wuyepb.IngestRequest{DeviceId: deviceID.String(), Method: c.Request.Method, ContentType: c.ContentType(),
		Query: q.Encode(), Headers: map[string]string{}, Body: body}
	if ct := c.Request.Header.Get("Content-Type"); ct != "" {
		in.ContentType = ct // with its boundary: the driver parses multipart itself
	}
	for _, k := range headers {
		if v := c.Request.Header.Get(k); v != "" {
			in.Headers[k] = v
		}
	}
	var out *wuyepb.IngestResponse
	err = h.d.Drivers.CallDriver(ctx, tenantID, ref.Driver, func(ctx context.Context, dc wuyepb.DriverClient, _ *wuyepb.Manifest) error {
		var err error
		out, err = dc.Ingest(ctx, in)
		return err
	})
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument {
			h.audit(ctx, c, tenantID, deviceID, "device.ingress.payload", audit.ResultFailed, st.Message(), http.StatusBadRequest)
			// The driver's reason is written for whoever sets the device up.
			return ErrBadPayload.WithDetails(map[string]string{"reason": truncate(st.Message(), 300)})
		}
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind != apperr.KindInternal {
			return err
		}
		return ErrDriverDown.Wrap(err)
	}
	if len(out.GetEvents()) > 0 {
		if _, _, err := h.d.Accept(ctx, tenantID, ref.Driver, out.GetEvents()); err != nil {
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Kind == apperr.KindInvalid {
				h.audit(ctx, c, tenantID, deviceID, "device.ingress.payload", audit.ResultFailed, ae.Code, http.StatusBadRequest)
			}
			return err
		}
	}
	code := int(out.GetStatus())
	if code == 0 {
		code = http.StatusOK
	}
	ct := out.GetContentType()
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	c.Data(code, ct, out.GetBody())
	return nil
}

// audit writes an entry unless the device had one in the last second: a
// flood of bad requests must not fill the log.
func (h *Handler) audit(ctx context.Context, c *gin.Context, tenantID, deviceID uuid.UUID, action, result, detail string, code int) {
	if h.d.Audit == nil || !h.limiter.allow(tenantID.String()+"/"+deviceID.String()+"/"+action) {
		return
	}
	_ = h.d.Audit.Record(context.WithoutCancel(ctx), audit.Entry{TenantID: tenantID, ActorKind: "anonymous", ActorName: "device",
		Action: action, Object: "device/" + deviceID.String(), ObjectType: "device", ObjectID: deviceID.String(),
		Result: result, Detail: detail, Method: c.Request.Method, Route: Path, Status: code, IP: c.ClientIP()})
}

type auditLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (l *auditLimiter) allow(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < time.Second {
		return false
	}
	if len(l.last) > 10_000 {
		clear(l.last)
	}
	l.last[key] = now
	return true
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
