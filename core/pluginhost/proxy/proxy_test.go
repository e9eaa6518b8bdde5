package proxy_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/proxy"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// fakePlugin is a plugin process in Go: a wuyepb.PluginClient whose
// HandleHTTP and GetAsset the test writes. Other RPCs are not called by the
// proxy (the embedded nil interface would panic).
type fakePlugin struct {
	wuyepb.PluginClient
	handle func(ctx context.Context, r *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error)
	asset  func(ctx context.Context, r *wuyepb.AssetRequest) (*wuyepb.Asset, error)
	calls  atomic.Int64
	mu     sync.Mutex
	last   *wuyepb.HTTPRequest
}

func (f *fakePlugin) HandleHTTP(ctx context.Context, r *wuyepb.HTTPRequest, _ ...grpc.CallOption) (*wuyepb.HTTPResponse, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.last = r
	f.mu.Unlock()
	return f.handle(ctx, r)
}

func (f *fakePlugin) GetAsset(ctx context.Context, r *wuyepb.AssetRequest, _ ...grpc.CallOption) (*wuyepb.Asset, error) {
	return f.asset(ctx, r)
}

func (f *fakePlugin) lastRequest() *wuyepb.HTTPRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// host is the supervisor and catalogue as the proxy sees them: which tenant
// enabled which plugin, and its process.
type host struct {
	enabled     map[uuid.UUID]map[string]*wuyepb.Manifest
	plugin      *fakePlugin
	unavailable atomic.Bool
}

func (h *host) Resolve(_ context.Context, tenant uuid.UUID, name string) (pluginhost.Spec, error) {
	m, ok := h.enabled[tenant][name]
	if !ok {
		return pluginhost.Spec{}, pluginhost.ErrNotEnabled
	}
	return pluginhost.Spec{TenantID: tenant, Name: name, Version: m.Version, Manifest: m}, nil
}

func (h *host) Call(ctx context.Context, tenant uuid.UUID, name string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	m, ok := h.enabled[tenant][name]
	if !ok {
		return pluginhost.ErrNotEnabled
	}
	if h.unavailable.Load() {
		return pluginhost.ErrUnavailable
	}
	return fn(ctx, h.plugin, m)
}

// tokens authenticate a fixed set of bearer tokens.
type tokens map[string]actor.Actor

func (t tokens) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	a, ok := t[cred]
	if !ok {
		return actor.Actor{}, apperr.Unauthenticated
	}
	return a, nil
}

// grants holds each actor's permissions (the real decisions are rbac's, tested there).
type grants map[uuid.UUID][]string

func (g grants) Allowed(_ context.Context, a actor.Actor, perm string) (bool, error) {
	return slices.Contains(g[a.ID], perm), nil
}

type calls struct {
	mu    sync.Mutex
	open  map[string]*wuyepb.Caller
	begun int
}

func (c *calls) Begin(_ uuid.UUID, _ string, caller *wuyepb.Caller) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.begun++
	tok := uuid.NewString()
	c.open[tok] = caller
	return tok
}

func (c *calls) End(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, tok)
}

func manifest(api uint32) *wuyepb.Manifest {
	return &wuyepb.Manifest{Name: "events", Version: "1.2.0", ApiVersion: api,
		Permissions: []*wuyepb.Permission{
			{Code: "activity.read", TitleEn: "See activities", TitleZh: "查看活动"},
			{Code: "activity.manage", TitleEn: "Manage activities", TitleZh: "管理活动"},
		},
		Routes: []*wuyepb.Route{
			{Method: "GET", Path: "/activities", Permission: "activity.read", Summary: "List activities"},
			{Method: "GET", Path: "/activities/stats", Permission: "activity.manage"},
			{Method: "GET", Path: "/activities/:id", Permission: "activity.read"},
			{Method: "POST", Path: "/activities", Permission: "activity.manage", Idempotent: true, MaxBodyBytes: 64},
			{Method: "PUT", Path: "/activities/:id", Permission: "activity.manage"},
			{Method: "POST", Path: "/activities/:id/signups", Permission: "self.read"},
			{Method: "POST", Path: "/slow", Permission: "activity.manage", TimeoutMs: 50},
			{Method: "GET", Path: "/open", Permission: ""},
		}}
}

type env struct {
	toks    tokens
	grants  grants
	srv     *httpapi.Server
	host    *host
	calls   *calls
	proxy   *proxy.Proxy
	tenantA uuid.UUID
	people  map[uuid.UUID]proxy.Person
	ids     map[string]uuid.UUID
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ta, tb := store.NewID(), store.NewID()
	e := &env{tenantA: ta, calls: &calls{open: map[string]*wuyepb.Caller{}}, ids: map[string]uuid.UUID{}}
	e.host = &host{enabled: map[uuid.UUID]map[string]*wuyepb.Manifest{
		ta: {"events": manifest(2)}, tb: {"legacy": manifest(1)},
	}, plugin: &fakePlugin{}}
	toks := tokens{}
	g := grants{}
	add := func(name string, tenant uuid.UUID, kind actor.Kind, perms ...string) {
		id := store.NewID()
		e.ids[name] = id
		toks[name] = actor.Actor{Kind: kind, ID: id, Name: name, TenantID: tenant}
		g[id] = perms
	}
	add("organiser", ta, actor.User, "events.activity.read", "events.activity.manage")
	add("reader", ta, actor.User, "events.activity.read")
	add("resident", ta, actor.User, "self.read")
	add("outsider", tb, actor.User, "events.activity.read", "events.activity.manage")
	add("key", ta, actor.APIKey, "events.activity.read")
	e.people = map[uuid.UUID]proxy.Person{
		e.ids["organiser"]: {Name: "王小明", Kind: "staff"},
		e.ids["resident"]:  {Name: "李四", Kind: "resident", ResidentIDs: []string{"p1"}, RoomIDs: []string{"r1", "r2"}},
	}
	e.toks, e.grants = toks, g
	e.proxy = proxy.New(proxy.Config{Resolver: e.host, Runner: e.host, Authz: g, Calls: e.calls,
		People: func(_ context.Context, _, user uuid.UUID) (proxy.Person, error) { return e.people[user], nil },
		Registered: func(context.Context) ([]*wuyepb.Manifest, error) {
			return []*wuyepb.Manifest{manifest(2), {Name: "user", Permissions: []*wuyepb.Permission{{Code: "create"}}}}, nil
		},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	d := httpapi.Deps{Auth: toks, Authz: g, Routes: e.proxy.Routes(), Collectors: e.proxy.Collectors(),
		ExtraOpenAPI: e.proxy.OpenAPI, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if db != nil {
		d.Idempotency = idempotency.New(db)
	}
	e.srv = httpapi.New(d)
	return e
}

func (e *env) do(method, path, token, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

func errCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("not an error body (%d): %s", w.Code, w.Body)
	}
	return b.Error.Code
}

func expectError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if got := errCode(t, w); got != code {
		t.Fatalf("code %q, want %q: %s", got, code, w.Body)
	}
}

func ok(status int, body string, hdr map[string]string) func(context.Context, *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	return func(context.Context, *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
		return &wuyepb.HTTPResponse{Status: int32(status), Body: []byte(body), Headers: hdr}, nil
	}
}

func TestRequestAndResponseMapping(t *testing.T) {
	e := newEnv(t, nil)
	var during []*wuyepb.Caller
	e.host.plugin.handle = func(_ context.Context, r *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
		e.calls.mu.Lock()
		during = append(during, e.calls.open[r.CallToken])
		e.calls.mu.Unlock()
		return &wuyepb.HTTPResponse{Status: 201, Body: []byte(`{"id":"42"}`), Headers: map[string]string{
			"content-type": "application/json", "etag": `"v7"`, "Set-Cookie": "session=stolen",
			"Location": "https://evil.example/", "X-Powered-By": "plugin", "Content-Security-Policy": "default-src *",
			"Content-Disposition": "inline\r\nX-Injected: 1",
		}}, nil
	}
	w := e.do("PUT", "/api/v1/plugins/events/activities/42/?b=2&a=1", "organiser", `{"title":"x"}`,
		"Cookie", "c=1", "Accept-Language", "zh-CN", "X-Request-Id", "req-123", "X-Forwarded-For", "1.2.3.4",
		"Content-Type", "application/json", "If-Match", `"v6"`)
	if w.Code != 201 || w.Body.String() != `{"id":"42"}` {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	h := w.Header()
	if h.Get("ETag") != `"v7"` || h.Get("Set-Cookie") != "" || h.Get("Location") != "" || h.Get("X-Powered-By") != "" ||
		h.Get("Content-Disposition") != "" || h.Get("X-Injected") != "" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("headers not filtered: %v", h)
	}
	if h.Get("Content-Security-Policy") != "default-src 'self'; frame-ancestors 'none'; object-src 'none'" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("the core's own headers were replaced: %v", h)
	}
	r := e.host.plugin.lastRequest()
	if r.Method != "PUT" || r.Path != "/activities/42/" || r.Route != "/activities/:id" || r.Params["id"] != "42" || r.Query != "b=2&a=1" ||
		string(r.Body) != `{"title":"x"}` || r.RequestId != "req-123" || r.CallToken == "" {
		t.Fatalf("request = %+v", r)
	}
	for k := range r.Headers {
		if k != "Accept-Language" && k != "Content-Type" && k != "If-Match" && k != "User-Agent" {
			t.Errorf("header %s forwarded", k)
		}
	}
	if r.Headers["If-Match"] != `"v6"` || r.Headers["Accept-Language"] != "zh-CN" {
		t.Fatalf("headers = %v", r.Headers)
	}
	c := r.Caller
	if c.UserId != e.ids["organiser"].String() || c.Username != "organiser" || c.Name != "王小明" || c.Kind != "staff" || c.Lang != "zh" ||
		!slices.Equal(c.Permissions, []string{"activity.read", "activity.manage"}) || len(c.ResidentIds) != 0 {
		t.Fatalf("caller = %+v", c)
	}
	if len(during) != 1 || during[0] != c {
		t.Fatalf("the call token did not name the caller while the plugin served: %v", during)
	}
	if len(e.calls.open) != 0 || e.calls.begun != 1 {
		t.Fatalf("call tokens: %d open, %d begun", len(e.calls.open), e.calls.begun)
	}

	// A resident: core permissions as they are, their records and rooms.
	e.host.plugin.handle = ok(200, `[]`, nil)
	if w := e.do("POST", "/api/v1/plugins/events/activities/7/signups", "resident", `{}`); w.Code != 200 {
		t.Fatalf("resident signup: %d %s", w.Code, w.Body)
	}
	c = e.host.plugin.lastRequest().Caller
	if c.Kind != "resident" || c.Lang != "en" || !slices.Equal(c.Permissions, []string{"self.read"}) ||
		!slices.Equal(c.ResidentIds, []string{"p1"}) || !slices.Equal(c.RoomIds, []string{"r1", "r2"}) {
		t.Fatalf("resident caller = %+v", c)
	}
	// An API key.
	if w := e.do("GET", "/api/v1/plugins/events/activities", "key", ""); w.Code != 200 {
		t.Fatalf("key: %d %s", w.Code, w.Body)
	}
	if c := e.host.plugin.lastRequest().Caller; c.Kind != "api_key" || !slices.Equal(c.Permissions, []string{"activity.read"}) {
		t.Fatalf("key caller = %+v", c)
	}
	// The literal route wins over the parameter.
	if w := e.do("GET", "/api/v1/plugins/events/activities/stats", "organiser", ""); w.Code != 200 || e.host.plugin.lastRequest().Route != "/activities/stats" {
		t.Fatalf("stats: %d %v", w.Code, e.host.plugin.lastRequest().Route)
	}

	// Content types that could run in the API's origin go out as downloads.
	e.host.plugin.handle = ok(200, `<script>alert(1)</script>`, map[string]string{"Content-Type": "text/html"})
	w = e.do("GET", "/api/v1/plugins/events/activities", "organiser", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/octet-stream" || w.Header().Get("Content-Disposition") != "attachment" {
		t.Fatalf("html answer: %d %v", w.Code, w.Header())
	}
	// A relative Location stays; 204 has no body.
	e.host.plugin.handle = ok(204, "", map[string]string{"Location": "/api/v1/plugins/events/activities/9"})
	w = e.do("PUT", "/api/v1/plugins/events/activities/9", "organiser", "{}")
	if w.Code != 204 || w.Header().Get("Location") != "/api/v1/plugins/events/activities/9" || w.Body.Len() != 0 {
		t.Fatalf("204: %d %v %q", w.Code, w.Header(), w.Body)
	}
	// A plugin's 4xx passes as it is.
	e.host.plugin.handle = ok(409, `{"error":{"code":"full","message":"activity full"}}`, nil)
	if w := e.do("PUT", "/api/v1/plugins/events/activities/9", "organiser", "{}"); w.Code != 409 || errCode(t, w) != "full" {
		t.Fatalf("409: %d %s", w.Code, w.Body)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t, nil)
	e.host.plugin.handle = ok(200, `{}`, nil)
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities", "", ""), 401, "unauthenticated")
	// 403 without the route's permission (reader lacks activity.manage; the resident lacks everything of the plugin's).
	expectError(t, e.do("PUT", "/api/v1/plugins/events/activities/1", "reader", "{}"), 403, "forbidden")
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities/stats", "reader", ""), 403, "forbidden")
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities", "resident", ""), 403, "forbidden")
	// A route declaring no permission is never served.
	expectError(t, e.do("GET", "/api/v1/plugins/events/open", "organiser", ""), 403, "forbidden")
	// 404 for a route the manifest lacks (path or method).
	expectError(t, e.do("GET", "/api/v1/plugins/events/nope", "organiser", ""), 404, "route_not_found")
	expectError(t, e.do("DELETE", "/api/v1/plugins/events/activities/1", "organiser", ""), 404, "route_not_found")
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities//", "organiser", ""), 404, "route_not_found")
	// 404 for a plugin the tenant has not enabled: another tenant's, or none.
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities", "outsider", ""), 404, "plugin_not_enabled")
	expectError(t, e.do("GET", "/api/v1/plugins/legacy/activities", "organiser", ""), 404, "plugin_not_enabled")
	expectError(t, e.do("GET", "/api/v1/plugins/Bad_Name/activities", "organiser", ""), 404, "route_not_found")
	if n := e.host.plugin.calls.Load(); n != 0 {
		t.Fatalf("the plugin was called %d times for refused requests", n)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, nil)
	e.host.plugin.handle = ok(200, `{}`, nil)
	// Route's own cap (64 bytes), declared or streamed.
	big := `{"x":"` + strings.Repeat("a", 100) + `"}`
	expectError(t, e.do("POST", "/api/v1/plugins/events/activities", "organiser", big, "Idempotency-Key", "k1"), 413, "body_too_large")
	r := httptest.NewRequest("POST", "/api/v1/plugins/events/activities", io.NopCloser(strings.NewReader(big)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer organiser")
	r.Header.Set("Idempotency-Key", "k2")
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	expectError(t, w, 413, "body_too_large")
	// The default 1 MiB.
	expectError(t, e.do("PUT", "/api/v1/plugins/events/activities/1", "organiser", strings.Repeat("a", 1<<20+1)), 413, "body_too_large")
	if w := e.do("PUT", "/api/v1/plugins/events/activities/1", "organiser", strings.Repeat("a", 1<<20)); w.Code != 200 {
		t.Fatalf("1 MiB body: %d %s", w.Code, w.Body)
	}
	if n := e.host.plugin.calls.Load(); n != 1 {
		t.Fatalf("plugin called %d times, want 1", n)
	}

	// Time: the route's 50 ms.
	e.host.plugin.handle = func(ctx context.Context, _ *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	start := time.Now()
	expectError(t, e.do("POST", "/api/v1/plugins/events/slow", "organiser", "{}"), 504, "plugin_timeout")
	if took := time.Since(start); took > 2*time.Second || took < 50*time.Millisecond {
		t.Fatalf("timeout took %v", took)
	}

	// The answer's size.
	e.host.plugin.handle = ok(200, strings.Repeat("a", proxy.DefaultMaxResponse+1), nil)
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities", "organiser", ""), 502, "plugin_response_too_large")
}

func TestPluginFailures(t *testing.T) {
	e := newEnv(t, nil)
	e.host.plugin.handle = ok(500, `panic: secret stack trace at /home/vendor/db.go:42`, nil)
	w := e.do("GET", "/api/v1/plugins/events/activities", "organiser", "")
	expectError(t, w, 502, "plugin_error")
	if strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("the plugin's text leaked: %s", w.Body)
	}
	e.host.plugin.handle = ok(99, ``, nil)
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities", "organiser", ""), 502, "plugin_error")
	// A transport error (the process died mid-call).
	e.host.plugin.handle = func(context.Context, *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
		return nil, status.Error(codes.Unavailable, "connection reset by peer 10.0.0.7")
	}
	w = e.do("GET", "/api/v1/plugins/events/activities", "organiser", "")
	expectError(t, w, 502, "plugin_error")
	if strings.Contains(w.Body.String(), "10.0.0.7") {
		t.Fatalf("transport detail leaked: %s", w.Body)
	}
	// The supervisor cannot run it (circuit open).
	e.host.unavailable.Store(true)
	expectError(t, e.do("GET", "/api/v1/plugins/events/activities", "organiser", ""), 503, "plugin_unavailable")
	e.host.unavailable.Store(false)

	// Outcomes are counted per plugin route.
	n := testutil.CollectAndCount(e.proxy.Collectors()[0], "wuye_plugin_http_duration_seconds")
	if n < 2 {
		t.Fatalf("%d series of plugin latency", n)
	}
	mf, err := e.srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, f := range mf {
		if f.GetName() == "wuye_http_request_duration_seconds" {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" {
						labels = append(labels, l.GetValue())
					}
				}
			}
		}
		if f.GetName() == "wuye_plugin_http_duration_seconds" {
			for _, m := range f.GetMetric() {
				var out string
				for _, l := range m.GetLabel() {
					if l.GetName() == "outcome" {
						out = l.GetValue()
					}
				}
				labels = append(labels, "outcome:"+out)
			}
		}
	}
	for _, want := range []string{"/api/v1/plugins/events/activities", "outcome:5xx", "outcome:error", "outcome:unavailable"} {
		if !slices.Contains(labels, want) {
			t.Errorf("no series labelled %s in %v", want, labels)
		}
	}
}

func TestIdempotentRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var n atomic.Int64
		e.host.plugin.handle = func(_ context.Context, r *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
			if r.Headers["Idempotency-Key"] != "abc" {
				t.Errorf("the key did not reach the plugin: %v", r.Headers)
			}
			return &wuyepb.HTTPResponse{Status: 201, Body: []byte(`{"n":` + string(rune('0'+n.Add(1))) + `}`)}, nil
		}
		expectError(t, e.do("POST", "/api/v1/plugins/events/activities", "organiser", `{}`), 400, "idempotency_key_required")
		w1 := e.do("POST", "/api/v1/plugins/events/activities", "organiser", `{}`, "Idempotency-Key", "abc")
		w2 := e.do("POST", "/api/v1/plugins/events/activities", "organiser", `{}`, "Idempotency-Key", "abc")
		if w1.Code != 201 || w2.Code != 201 || w1.Body.String() != `{"n":1}` || w2.Body.String() != `{"n":1}` || w2.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s / %d %s %v", w1.Code, w1.Body, w2.Code, w2.Body, w2.Header())
		}
		expectError(t, e.do("POST", "/api/v1/plugins/events/activities", "organiser", `{"other":1}`, "Idempotency-Key", "abc"), 409, "idempotency_key_reused")
		if n.Load() != 1 {
			t.Fatalf("plugin ran %d times", n.Load())
		}
	})
}

func TestAssets(t *testing.T) {
	e := newEnv(t, nil)
	var asked []string
	e.host.plugin.asset = func(_ context.Context, r *wuyepb.AssetRequest) (*wuyepb.Asset, error) {
		asked = append(asked, r.Path)
		switch r.Path {
		case "pages/activities.js":
			return &wuyepb.Asset{ContentType: "text/javascript", Body: []byte("export default 1")}, nil
		case "evil.html":
			return &wuyepb.Asset{ContentType: "text/html", Body: []byte("<script>")}, nil
		}
		return nil, status.Error(codes.NotFound, "no such asset")
	}
	// Any signed-in caller of a tenant with the plugin (the resident holds none of its permissions).
	w := e.do("GET", "/api/v1/plugins/events/ui/pages/activities.js", "resident", "")
	if w.Code != 200 || w.Body.String() != "export default 1" || w.Header().Get("Content-Type") != "text/javascript" ||
		!strings.Contains(w.Header().Get("Cache-Control"), "max-age=300") || w.Header().Get("ETag") == "" {
		t.Fatalf("asset: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w2 := e.do("GET", "/api/v1/plugins/events/ui/pages/activities.js", "resident", "", "If-None-Match", w.Header().Get("ETag"))
	if w2.Code != 304 || w2.Body.Len() != 0 {
		t.Fatalf("revalidation: %d %s", w2.Code, w2.Body)
	}
	expectError(t, e.do("GET", "/api/v1/plugins/events/ui/missing.js", "resident", ""), 404, "not_found")
	expectError(t, e.do("GET", "/api/v1/plugins/events/ui/evil.html", "resident", ""), 502, "plugin_error")
	expectError(t, e.do("GET", "/api/v1/plugins/events/ui/a/../../secret", "resident", ""), 404, "route_not_found")
	expectError(t, e.do("GET", "/api/v1/plugins/events/ui/%2e%2e/x", "resident", ""), 404, "route_not_found")
	expectError(t, e.do("GET", "/api/v1/plugins/events/ui/x.js", "outsider", ""), 404, "plugin_not_enabled")
	// The ETag names the bytes, so a revalidation asks the plugin too.
	if len(asked) != 4 {
		t.Fatalf("plugin asked for %v", asked)
	}
	// A plugin built against API 1 has no GetAsset.
	e.host.enabled[e.tenantA]["legacy"] = manifest(1)
	expectError(t, e.do("GET", "/api/v1/plugins/legacy/ui/x.js", "organiser", ""), 404, "plugin_assets_unsupported")
}

func TestOpenAPIAndPermissions(t *testing.T) {
	e := newEnv(t, nil)
	w := e.do("GET", httpapi.OpenAPIPath, "", "")
	valid, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := valid.Validate(context.Background()); err != nil {
		t.Fatalf("document with plugin routes is invalid: %v", err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Permission string `json:"x-permission"`
			Summary    string `json:"summary"`
			Idempotent bool   `json:"x-idempotent"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if op := doc.Paths["/api/v1/plugins/events/activities/{id}"]["put"]; op.Permission != "events.activity.manage" {
		t.Fatalf("PUT activity: %+v (paths %v)", op, len(doc.Paths))
	}
	if op := doc.Paths["/api/v1/plugins/events/activities"]["post"]; op.Permission != "events.activity.manage" || !op.Idempotent {
		t.Fatalf("POST activities: %+v", op)
	}
	if op := doc.Paths["/api/v1/plugins/events/activities/{id}/signups"]["post"]; op.Permission != "self.read" {
		t.Fatalf("core permission: %+v", op)
	}
	if _, ok := doc.Paths["/api/v1/plugins/events/open"]; ok {
		t.Fatal("a route without permission is documented")
	}
	if _, ok := doc.Paths["/api/v1/plugins/user/create"]; ok {
		t.Fatal("a plugin named after a core module is documented")
	}
	if w := e.do("GET", "/api/docs", "", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "events.activity.manage") {
		t.Fatalf("docs page lacks plugin routes: %d", w.Code)
	}

	ps, err := e.proxy.Permissions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Code != "events.activity.read" || ps[0].Module != "events" || ps[0].ZH != "查看活动" {
		t.Fatalf("permissions = %+v", ps)
	}
}

func tokensOf(e *env) tokens { return e.toks }
func grantsOf(e *env) grants { return e.grants }
