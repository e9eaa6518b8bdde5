package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Caller is who the host authenticated for a request; the host has already
// checked the route's permission.
type Caller struct {
	UserID      string
	Username    string
	Name        string
	Kind        string // "staff", "resident" or "api_key"
	Lang        string // "zh" or "en": the language of messages to this caller
	Permissions []string
	ResidentIDs []string // residents linked to the account (kind "resident")
	RoomIDs     []string // their rooms
}

// Has reports whether the caller holds a permission (local code or core code).
func (c Caller) Has(permission string) bool {
	for _, p := range c.Permissions {
		if p == permission {
			return true
		}
	}
	return false
}

// IsResident reports whether the caller is a resident using the app.
func (c Caller) IsResident() bool { return c.Kind == "resident" }

// Request is one HTTP request proxied by the host.
type Request struct {
	Method    string
	Path      string // below /api/v1/plugins/{name}
	Route     string // the matched pattern
	Params    map[string]string
	Query     url.Values
	Header    map[string]string // lower-case names; credentials are never passed
	Body      []byte
	Caller    Caller
	RequestID string
}

// Bind decodes the JSON body into v, refusing unknown fields, and answers
// with a 400 Error a person can act on.
func (r *Request) Bind(v any) error {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return Errorf(http.StatusBadRequest, "invalid_json", "The request needs a JSON body.", "请求需要 JSON 正文。")
	}
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return Errorf(http.StatusBadRequest, "invalid_json", "The body is not valid JSON for this request: "+err.Error(), "请求正文不是本接口要求的 JSON:"+err.Error())
	}
	return nil
}

// Response is what a handler answers.
type Response struct {
	Status int
	Header map[string]string
	Body   []byte
}

// JSON answers v as JSON with the given status.
func JSON(status int, v any) *Response {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(Errorf(http.StatusInternalServerError, "internal_error", "The plugin could not encode its answer.", "插件无法生成应答。"), "en", "")
	}
	return &Response{Status: status, Header: map[string]string{"content-type": "application/json; charset=utf-8"}, Body: b}
}

// NoContent answers 204.
func NoContent() *Response { return &Response{Status: http.StatusNoContent} }

// HandlerFunc serves one route. An error is answered in the API's error
// shape: an *Error keeps its status and code, a Host error keeps the core's
// code (404 for not_found, 409 for conflicts …), anything else is a 500.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// RouteOption changes a route's limits.
type RouteOption func(*wuyepb.Route)

// MaxBody caps the request body the host accepts for the route (413 above it).
func MaxBody(n int64) RouteOption { return func(r *wuyepb.Route) { r.MaxBodyBytes = n } }

// Timeout is how long the host waits for the route (504 after it).
func Timeout(d time.Duration) RouteOption {
	return func(r *wuyepb.Route) { r.TimeoutMs = uint32(d / time.Millisecond) }
}

// Idempotent makes the host require an Idempotency-Key and replay the first
// answer to a repeated key: use it on routes that charge or book.
func Idempotent() RouteOption { return func(r *wuyepb.Route) { r.Idempotent = true } }

// Summary is the route's one-line description in the API reference.
func Summary(s string) RouteOption { return func(r *wuyepb.Route) { r.Summary = s } }

type route struct {
	spec *wuyepb.Route
	h    HandlerFunc
}

// Handle adds a route: method, a path with ":param" segments, the permission
// the caller needs (declared with Permission, or a core one such as
// "self.read"), and the handler.
func (p *Plugin) Handle(method, path, permission string, h HandlerFunc, opts ...RouteOption) {
	spec := &wuyepb.Route{Method: strings.ToUpper(method), Path: path, Permission: permission}
	for _, o := range opts {
		o(spec)
	}
	p.routes = append(p.routes, &route{spec: spec, h: h})
}

// match finds the route of a request: the one the host matched (it sends
// its pattern and params), else by MatchRoute (the testkit, direct calls).
func (p *Plugin) match(r *Request) (*route, map[string]string) {
	specs := make([]*wuyepb.Route, len(p.routes))
	for i, rt := range p.routes {
		if r.Route != "" && rt.spec.Method == r.Method && rt.spec.Path == r.Route {
			return rt, r.Params
		}
		specs[i] = rt.spec
	}
	spec, params, ok := MatchRoute(specs, r.Method, r.Path)
	if !ok {
		return nil, nil
	}
	for _, rt := range p.routes {
		if rt.spec == spec {
			return rt, params
		}
	}
	return nil, nil
}

// serveHTTP runs the matching handler and turns its error into the API's
// error shape in the caller's language.
func (p *Plugin) serveHTTP(ctx context.Context, r *Request) *Response {
	rt, params := p.match(r)
	if rt == nil {
		return errorResponse(Errorf(http.StatusNotFound, "route_not_found", "No such endpoint.", "接口不存在。"), r.Caller.Lang, r.RequestID)
	}
	r.Route, r.Params = rt.spec.Path, params
	resp, err := rt.h(ctx, r)
	if err != nil {
		return errorResponse(err, r.Caller.Lang, r.RequestID)
	}
	if resp == nil {
		return NoContent()
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	return resp
}

func sortStrings(s []string) { sort.Strings(s) }
