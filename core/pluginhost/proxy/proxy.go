// Package proxy serves /api/v1/plugins/{name}/... from the tenant's plugin
// process. The core authenticates the caller (core/httpapi), resolves the
// tenant's plugin, matches the request against the routes its manifest
// declares, checks the route's permission, body cap and Idempotency-Key, and
// only then hands the request to the process (Plugin.HandleHTTP) with who
// the caller is; the plugin's answer is filtered on its way back.
package proxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Prefix is where plugins' routes live.
const Prefix = "/api/v1/plugins"

// Defaults and ceilings of a plugin route (Route.max_body_bytes and
// Route.timeout_ms of zero take the defaults; larger values are clamped).
const (
	DefaultMaxBody     = 1 << 20
	MaxBodyCeiling     = 32 << 20
	DefaultTimeout     = 10 * time.Second
	TimeoutCeiling     = 2 * time.Minute
	DefaultMaxResponse = 8 << 20
)

// Calls names the HTTP call a plugin is serving, so the Host calls it makes
// meanwhile (sent with the token) are attributed to the caller. hostsvc
// implements it; nil sends no token.
type Calls interface {
	Begin(tenantID uuid.UUID, plugin string, caller *wuyepb.Caller) (token string)
	End(token string)
}

// Person is what the core tells a plugin about a signed-in user beyond the
// credential: display name, kind, and for residents their resident records
// and rooms.
type Person struct {
	Name        string
	Kind        string // "staff" or "resident"
	ResidentIDs []string
	RoomIDs     []string
}

// People looks a tenant's user up (identity and resident services).
type People func(ctx context.Context, tenantID, userID uuid.UUID) (Person, error)

// Registered lists the manifests of the registered plugins (the operator's
// catalogue, latest version of each name first): their routes join the
// OpenAPI document and their permissions the RBAC catalogue.
type Registered func(ctx context.Context) ([]*wuyepb.Manifest, error)

// Config is what the proxy needs.
type Config struct {
	Resolver pluginhost.Resolver // the tenant's plugin and its manifest, without starting it
	Runner   pluginhost.Runner   // the tenant's process
	Authz    httpapi.Authorizer  // which of the plugin's permissions the caller holds
	Calls    Calls               // optional
	People   People              // optional: without it the caller is what the credential says
	// Registered feeds OpenAPI and Permissions; optional.
	Registered Registered
	Log        *slog.Logger
	// Limits; zero takes the defaults above.
	DefaultMaxBody int64
	DefaultTimeout time.Duration
	MaxResponse    int64
}

// Proxy serves plugin routes.
type Proxy struct {
	cfg     Config
	log     *slog.Logger
	latency *prometheus.HistogramVec
}

// New returns a proxy.
func New(cfg Config) *Proxy {
	if cfg.Resolver == nil || cfg.Runner == nil || cfg.Authz == nil {
		panic("proxy: nil Resolver, Runner or Authz")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.DefaultMaxBody <= 0 {
		cfg.DefaultMaxBody = DefaultMaxBody
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultTimeout
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	return &Proxy{cfg: cfg, log: cfg.Log, latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wuye_plugin_http_duration_seconds",
		Help:    "Time a plugin took to answer a proxied HTTP request, by plugin, route template, method and outcome (the status answered, or timeout, unavailable, error).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"plugin", "route", "method", "outcome"})}
}

// Collectors are the proxy's Prometheus series (httpapi.Deps.Collectors).
func (p *Proxy) Collectors() []prometheus.Collector { return []prometheus.Collector{p.latency} }

// Errors of the proxy. Plugin failures never show the plugin's own text.
var (
	ErrRouteNotFound = apperr.New(apperr.KindNotFound, "route_not_found", "No such endpoint.", "接口不存在。")
	ErrKeyRequired   = apperr.New(apperr.KindInvalid, "idempotency_key_required",
		"This endpoint needs an Idempotency-Key header (1 to 200 printable ASCII characters) so a retry is safe.",
		"此接口需要 Idempotency-Key 请求头(1 到 200 个可打印 ASCII 字符),以便安全重试。")
	ErrPlugin = apperr.New(apperr.KindInternal, "plugin_error",
		"The plugin failed to answer; the operator has been told. Try again later.",
		"插件处理失败,已通知平台运维,请稍后再试。")
	ErrPluginTimeout = apperr.New(apperr.KindUnavailable, "plugin_timeout",
		"The plugin did not answer in time. Try again later.",
		"插件未能及时响应,请稍后再试。")
	ErrResponseTooLarge = apperr.New(apperr.KindInternal, "plugin_response_too_large",
		"The plugin's answer is too large to be returned.",
		"插件的响应过大,无法返回。")
	ErrAssetsUnsupported = apperr.New(apperr.KindNotFound, "plugin_assets_unsupported",
		"This plugin version serves no console pages.",
		"该插件版本不提供控制台页面。")
)

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Routes are the wildcard rows of /api/v1/plugins/{name}/..., one per
// method; each request is resolved to the plugin's own route (httpapi's
// Route.Resolve).
func (p *Proxy) Routes() []httpapi.Route {
	rs := make([]httpapi.Route, 0, len(methods))
	for _, m := range methods {
		rs = append(rs, httpapi.Route{Method: m, Path: Prefix + "/:name/*path", Self: true, Tag: "plugins",
			Summary:   "A plugin's own endpoint (see its paths below /api/v1/plugins/{name}); GET …/ui/{path} serves its console pages",
			NotObject: "a plugin's name and path: each plugin route declares its own permission and the proxy answers 404 for another tenant's plugin",
			MaxBody:   MaxBodyCeiling, NoRequestTx: true, Resolve: p.resolve})
	}
	return rs
}

var pluginName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// resolve finds the plugin route of a request and how the core checks it.
func (p *Proxy) resolve(c *gin.Context) (httpapi.Route, error) {
	name, sub := c.Param("name"), c.Param("path")
	if !pluginName.MatchString(name) {
		return httpapi.Route{}, ErrRouteNotFound
	}
	ctx := c.Request.Context()
	a := httpapi.Actor(c)
	spec, err := p.cfg.Resolver.Resolve(ctx, a.TenantID, name)
	if err != nil {
		return httpapi.Route{}, err
	}
	m := spec.Manifest
	if m == nil {
		return httpapi.Route{}, pluginhost.ErrUnavailable
	}
	if after, ok := strings.CutPrefix(sub, "/ui/"); ok && c.Request.Method == http.MethodGet {
		return httpapi.Route{Method: http.MethodGet, Path: Prefix + "/" + name + "/ui/*path", Self: true,
			Handler: func(c *gin.Context) error { return p.asset(c, a.TenantID, name, after) }}, nil
	}
	rt, params, ok := plugin.MatchRoute(m.GetRoutes(), c.Request.Method, sub)
	if !ok {
		return httpapi.Route{}, ErrRouteNotFound
	}
	perm := permissionOf(m, rt.Permission)
	if perm == "" {
		// A route declaring no permission is never served: that would open
		// it to every signed-in account, residents included.
		return httpapi.Route{}, apperr.Forbidden
	}
	if _, sent := c.Request.Header["Idempotency-Key"]; rt.Idempotent && !sent {
		return httpapi.Route{}, ErrKeyRequired
	}
	// Path parameters join gin's, so the audit entry names the object (:id).
	for _, k := range sortedKeys(params) {
		c.Params = append(c.Params, gin.Param{Key: k, Value: params[k]})
	}
	maxBody := rt.MaxBodyBytes
	switch {
	case maxBody <= 0:
		maxBody = p.cfg.DefaultMaxBody
	case maxBody > MaxBodyCeiling:
		maxBody = MaxBodyCeiling
	}
	_, hasID := params["id"]
	return httpapi.Route{Method: c.Request.Method, Path: Prefix + "/" + name + rt.Path, Permission: perm,
		Summary: rt.Summary, Idempotent: rt.Idempotent, MaxBody: maxBody, NoRequestTx: true, Object: hasID,
		Handler: func(c *gin.Context) error { return p.serve(c, name, sub, m, rt, params) }}, nil
}

// permissionOf is the catalogue code of a route's permission: a code the
// manifest declares is the plugin's own, namespaced "<plugin>.<code>";
// any other is a core code used as it is (self.read for residents' routes).
func permissionOf(m *wuyepb.Manifest, code string) string {
	if code == "" {
		return ""
	}
	for _, p := range m.GetPermissions() {
		if p.GetCode() == code {
			return rbac.PluginCode(m.GetName(), code)
		}
	}
	return code
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// serve hands the request to the plugin and writes its answer.
func (p *Proxy) serve(c *gin.Context, name, sub string, m *wuyepb.Manifest, rt *wuyepb.Route, params map[string]string) error {
	ctx := c.Request.Context()
	a := httpapi.Actor(c)
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apperr.TooLarge
		}
		return apperr.BadJSON.Wrap(err)
	}
	caller, err := p.caller(ctx, a, m, langOf(c))
	if err != nil {
		return err
	}
	req := &wuyepb.HTTPRequest{
		Method: c.Request.Method, Path: sub, Route: rt.GetPath(), Params: params,
		Query: c.Request.URL.RawQuery, Headers: forwardHeaders(c.Request.Header), Body: body,
		Caller: caller, RequestId: a.RequestID,
	}
	if p.cfg.Calls != nil {
		req.CallToken = p.cfg.Calls.Begin(a.TenantID, name, caller)
		defer p.cfg.Calls.End(req.CallToken)
	}
	timeout := time.Duration(rt.GetTimeoutMs()) * time.Millisecond
	switch {
	case timeout <= 0:
		timeout = p.cfg.DefaultTimeout
	case timeout > TimeoutCeiling:
		timeout = TimeoutCeiling
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var resp *wuyepb.HTTPResponse
	start := time.Now()
	err = p.cfg.Runner.Call(cctx, a.TenantID, name, func(ctx context.Context, pc wuyepb.PluginClient, running *wuyepb.Manifest) error {
		if running != nil && running != m {
			// The process runs another version than the catalogue said (an
			// upgrade under way): its route must exist and need the same
			// permission that was checked.
			r2, _, ok := plugin.MatchRoute(running.GetRoutes(), req.Method, sub)
			if !ok {
				return ErrRouteNotFound
			}
			if permissionOf(running, r2.GetPermission()) != permissionOf(m, rt.GetPermission()) {
				return pluginhost.ErrUnavailable
			}
		}
		var err error
		resp, err = pc.HandleHTTP(ctx, req, grpc.MaxCallRecvMsgSize(int(p.cfg.MaxResponse)+64<<10))
		return err
	})
	outcome, err := p.outcome(cctx, name, rt, err, resp)
	p.latency.WithLabelValues(name, rt.GetPath(), req.Method, outcome).Observe(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	writeResponse(c, resp)
	return nil
}

// outcome maps the call's result to an answer: the plugin's own (4xx and
// 2xx as it said), or the core's error for a failure.
func (p *Proxy) outcome(ctx context.Context, name string, rt *wuyepb.Route, err error, resp *wuyepb.HTTPResponse) (string, error) {
	log := func(msg string, args ...any) {
		p.log.WarnContext(ctx, msg, append([]any{slog.String("plugin", name), slog.String("route", rt.GetPath())}, args...)...)
	}
	switch {
	case err == nil:
	case errors.Is(err, pluginhost.ErrNotEnabled), errors.Is(err, ErrRouteNotFound):
		return "not_found", err
	case errors.Is(err, pluginhost.ErrUnavailable), errors.Is(err, pluginhost.ErrChecksum):
		return "unavailable", err
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded:
		log("plugin: timed out", slog.Any("err", err))
		return "timeout", httpapi.WithStatus(http.StatusGatewayTimeout, ErrPluginTimeout)
	case status.Code(err) == codes.ResourceExhausted:
		log("plugin: answer too large", slog.Any("err", err))
		return "too_large", httpapi.WithStatus(http.StatusBadGateway, ErrResponseTooLarge)
	case errors.Is(ctx.Err(), context.Canceled):
		return "canceled", httpapi.WithStatus(http.StatusBadGateway, ErrPlugin)
	default:
		if _, ok := apperr.As(err); ok && status.Code(err) == codes.Unknown {
			return "error", err // the runner's own error (apperr), not the plugin's
		}
		log("plugin: call failed", slog.Any("err", err))
		return "error", httpapi.WithStatus(http.StatusBadGateway, ErrPlugin)
	}
	st := int(resp.GetStatus())
	if st == 0 {
		st = http.StatusOK
	}
	switch {
	case st < 200 || st > 599:
		log("plugin: answered an invalid status", slog.Int("status", st))
		return "error", httpapi.WithStatus(http.StatusBadGateway, ErrPlugin)
	case st >= 500:
		log("plugin: answered a server error", slog.Int("status", st), slog.String("body", clip(resp.GetBody(), 512)))
		return "5xx", httpapi.WithStatus(http.StatusBadGateway, ErrPlugin)
	case int64(len(resp.GetBody())) > p.cfg.MaxResponse:
		log("plugin: answer too large", slog.Int("bytes", len(resp.GetBody())))
		return "too_large", httpapi.WithStatus(http.StatusBadGateway, ErrResponseTooLarge)
	}
	resp.Status = int32(st)
	return http.StatusText(st), nil
}

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// caller says who the plugin serves: the credential's principal, the
// permissions it holds among the plugin's (local codes for the plugin's
// own, core codes as they are), and for a resident their records and rooms.
func (p *Proxy) caller(ctx context.Context, a actor.Actor, m *wuyepb.Manifest, lang string) (*wuyepb.Caller, error) {
	c := &wuyepb.Caller{UserId: a.ID.String(), Username: a.Name, Name: a.Name, Lang: lang}
	switch a.Kind {
	case actor.APIKey:
		c.Kind = "api_key"
	default:
		c.Kind = "staff"
		if p.cfg.People != nil {
			who, err := p.cfg.People(ctx, a.TenantID, a.ID)
			if err != nil {
				return nil, err
			}
			if who.Name != "" {
				c.Name = who.Name
			}
			if who.Kind != "" {
				c.Kind = who.Kind
			}
			c.ResidentIds, c.RoomIds = who.ResidentIDs, who.RoomIDs
		}
	}
	seen := map[string]bool{}
	check := func(local, code string) error {
		if seen[code] {
			return nil
		}
		seen[code] = true
		ok, err := p.cfg.Authz.Allowed(ctx, a, code)
		if ok {
			c.Permissions = append(c.Permissions, local)
		}
		return err
	}
	for _, perm := range m.GetPermissions() {
		if err := check(perm.GetCode(), rbac.PluginCode(m.GetName(), perm.GetCode())); err != nil {
			return nil, err
		}
	}
	for _, rt := range m.GetRoutes() {
		if code := permissionOf(m, rt.GetPermission()); code == rt.GetPermission() && code != "" {
			if err := check(code, code); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// langOf is the caller's language as httpapi picks it: zh when
// Accept-Language starts with it, else en.
func langOf(c *gin.Context) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.GetHeader("Accept-Language"))), "zh") {
		return "zh"
	}
	return "en"
}
