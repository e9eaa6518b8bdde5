// Package testkit tests Wuye plugins without the core.
//
// Start runs a plugin in process against FakeHost, an in-memory Host with
// the core's semantics, and lets a test call it as the core would:
//
//	func TestGreeting(t *testing.T) {
//		h := testkit.Start(t, hello.New(), testkit.Options{})
//		status, body := h.Do("GET", "/greetings/Ann", nil, h.Staff("greet"))
//		...
//		if n := len(h.Host.AuditEntries()); n != 1 { ... }
//	}
//
// Conformance runs the checks the core relies on against a built plugin
// binary, started through go-plugin exactly as the core starts it.
package testkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The host's defaults for a route that declares no limits.
const (
	DefaultMaxBody = 1 << 20
	DefaultTimeout = 10 * time.Second
)

// Options configure a harness (and the conformance suite's host).
type Options struct {
	// Config is the plugin's configuration: JSON bytes (json.RawMessage,
	// []byte, string) or a value encoded as JSON. Empty means {}.
	Config any
	// Secrets are the decrypted secret values Host.GetConfig returns.
	Secrets map[string]string
	// TimeZone is the tenant's IANA zone; "Asia/Shanghai" when empty.
	TimeZone   string
	TenantID   string // "tenant-test" when empty
	TenantCode string // "test" when empty
	// Now fixes the fake host's clock (records' and charges' timestamps).
	Now func() time.Time
	// Setup adjusts the fake host before the plugin starts: fixtures
	// (SetRooms, SetResidents ...), configuration.
	Setup func(*FakeHost)
}

func (o Options) config() ([]byte, error) {
	var b []byte
	switch c := o.Config.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		b = c
	case []byte:
		b = c
	case string:
		b = []byte(c)
	default:
		var err error
		if b, err = json.Marshal(c); err != nil {
			return nil, err
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("testkit: Options.Config is not JSON: %s", b)
	}
	return b, nil
}

func (o Options) start(apiVersion uint32, brokerID uint32, config []byte) *wuyepb.StartRequest {
	req := &wuyepb.StartRequest{TenantId: o.TenantID, TenantCode: o.TenantCode, TimeZone: o.TimeZone,
		HostBrokerId: brokerID, Config: config, ApiVersion: apiVersion}
	if req.TenantId == "" {
		req.TenantId = "tenant-test"
	}
	if req.TenantCode == "" {
		req.TenantCode = "test"
	}
	if req.TimeZone == "" {
		req.TimeZone = "Asia/Shanghai"
	}
	return req
}

// Harness is one plugin running in process against a FakeHost.
type Harness struct {
	// Host is the fake host: inspect what the plugin did, change fixtures.
	Host *FakeHost
	// Client is the plugin's raw gRPC client, for calls the helpers do not
	// cover (Health, GetAsset, unsubscribed events ...).
	Client wuyepb.PluginClient
	// Manifest is what the plugin described.
	Manifest *wuyepb.Manifest

	t      testing.TB
	mu     sync.Mutex
	events map[string]*wuyepb.Event
	idem   map[string]idemAnswer
	seq    int
}

type idemAnswer struct {
	fingerprint [32]byte
	status      int
	body        []byte
}

// Start serves a FakeHost on a real gRPC listener, runs p's Plugin service
// in process (plugin.NewServer, also over gRPC, so every message crosses
// the wire as in production), calls Describe and Start, and stops it all
// when the test ends. The manifest is checked as the conformance suite
// checks it; a mistake fails the test.
//
// p is changed by Start (its Host and Tenant are set): give every test a
// fresh *plugin.Plugin, e.g. from a constructor the plugin's main also uses.
func Start(t testing.TB, p *plugin.Plugin, o Options) *Harness {
	t.Helper()
	config, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest()
	if problems := CheckManifest(m); len(problems) > 0 {
		t.Fatalf("testkit: the plugin's manifest is not valid:\n  %s", strings.Join(problems, "\n  "))
	}
	fh := NewFakeHost(m)
	fh.SetConfig(config)
	fh.SetSecrets(o.Secrets)
	if o.Now != nil {
		fh.SetNow(o.Now)
	}
	if o.Setup != nil {
		o.Setup(fh)
	}

	hostAddr := serve(t, func(s *grpc.Server) { wuyepb.RegisterHostServer(s, fh) }, grpc.UnaryInterceptor(fh.UnaryInterceptor()))
	hostConn := dial(t, hostAddr, grpc.WithUnaryInterceptor(plugin.HostInterceptor))
	srv := plugin.NewServer(p, func(context.Context, uint32) (*grpc.ClientConn, error) { return hostConn, nil })
	pluginAddr := serve(t, func(s *grpc.Server) { wuyepb.RegisterPluginServer(s, srv) })
	client := wuyepb.NewPluginClient(dial(t, pluginAddr))

	h := &Harness{Host: fh, Client: client, t: t, events: map[string]*wuyepb.Event{}, idem: map[string]idemAnswer{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if h.Manifest, err = client.Describe(ctx, &wuyepb.DescribeRequest{ApiVersion: sdk.APIVersion}); err != nil {
		t.Fatalf("testkit: Describe: %v", err)
	}
	if _, err := client.Start(ctx, o.start(sdk.APIVersion, 1, config)); err != nil {
		t.Fatalf("testkit: Start: %v", err)
	}
	return h
}

func serve(t testing.TB, register func(*grpc.Server), opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: listen: %v", err)
	}
	s := grpc.NewServer(opts...)
	register(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func dial(t testing.TB, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	c, err := grpc.NewClient(addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatalf("testkit: dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ---- callers ----

// Staff is a staff member holding the given permissions (local codes such
// as "activity.manage", or core ones).
func Staff(permissions ...string) *wuyepb.Caller {
	return &wuyepb.Caller{UserId: "user-staff", Username: "staff", Name: "物业前台", Kind: "staff", Lang: "zh",
		Permissions: permissions}
}

// Admin is a staff member holding every permission the plugin declares.
func (h *Harness) Admin() *wuyepb.Caller {
	c := Staff()
	c.UserId, c.Username, c.Name = "user-admin", "admin", "管理员"
	for _, p := range h.Manifest.Permissions {
		c.Permissions = append(c.Permissions, p.Code)
	}
	return c
}

// Resident is the app account of a fixture resident, holding the core's
// resident permissions (self.read, self.pay, self.workorder, self.survey).
// The resident must have a UserId.
func (h *Harness) Resident(residentID string) *wuyepb.Caller {
	h.t.Helper()
	r, err := h.Host.GetResident(context.Background(), &wuyepb.GetResidentRequest{Id: residentID})
	if err != nil || r.UserId == "" {
		h.t.Fatalf("testkit: no resident %s with an account in the fixture", residentID)
	}
	return &wuyepb.Caller{UserId: r.UserId, Username: r.UserId, Name: r.Name, Kind: "resident", Lang: "zh",
		Permissions: []string{"self.read", "self.pay", "self.workorder", "self.survey"},
		ResidentIds: []string{r.Id}, RoomIds: r.RoomIds}
}

// ---- HTTP ----

// RequestOption adds to a request made with Do.
type RequestOption func(*wuyepb.HTTPRequest)

// Header sets a request header (names are lower-cased, as the host does).
func Header(name, value string) RequestOption {
	return func(r *wuyepb.HTTPRequest) { r.Headers[strings.ToLower(name)] = value }
}

// IdempotencyKey sets the Idempotency-Key header idempotent routes require.
func IdempotencyKey(key string) RequestOption { return Header("idempotency-key", key) }

func body(b any) ([]byte, error) {
	switch v := b.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	case string:
		return []byte(v), nil
	}
	return json.Marshal(b)
}

// hostError renders an error the host answers itself, in the core's shape.
func hostError(status int, code, msg string) (int, []byte) {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return status, b
}

func holds(c *wuyepb.Caller, plugin, permission string) bool {
	return slices.Contains(c.Permissions, permission) || slices.Contains(c.Permissions, plugin+"."+permission)
}

// Do makes an HTTP request to the plugin as the core's proxy would after
// authenticating caller: path is below /api/v1/plugins/{name} and may carry
// a query string; body is nil, JSON bytes or a value encoded as JSON. The
// host's own checks come first, with the core's answers: no route 404
// route_not_found, a caller without the route's permission 403 forbidden
// (nil caller: Admin), a body over the route's limit 413 body_too_large, an
// idempotent route without Idempotency-Key 400 idempotency_key_required (a
// repeated key replays the first answer; with another request 409
// idempotency_key_reused), and the route's timeout 504 plugin_timeout.
func (h *Harness) Do(method, path string, reqBody any, caller *wuyepb.Caller, opts ...RequestOption) (int, []byte) {
	h.t.Helper()
	b, err := body(reqBody)
	if err != nil {
		h.t.Fatalf("testkit: encode body: %v", err)
	}
	if caller == nil {
		caller = h.Admin()
	}
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	req := &wuyepb.HTTPRequest{Method: strings.ToUpper(method), Path: path, Query: query, Headers: map[string]string{},
		Body: b, Caller: caller}
	if len(b) > 0 {
		req.Headers["content-type"] = "application/json"
	}
	for _, o := range opts {
		o(req)
	}
	rt, params, _ := plugin.MatchRoute(h.Manifest.Routes, req.Method, path)
	if rt == nil {
		return hostError(http.StatusNotFound, "route_not_found", "No such endpoint.")
	}
	req.Route, req.Params = rt.Path, params
	if !holds(caller, h.Manifest.Name, rt.Permission) {
		return hostError(http.StatusForbidden, "forbidden", "Your roles do not allow this action. ("+h.Manifest.Name+"."+rt.Permission+")")
	}
	limit := rt.MaxBodyBytes
	if limit == 0 {
		limit = DefaultMaxBody
	}
	if int64(len(b)) > limit {
		return hostError(http.StatusRequestEntityTooLarge, "body_too_large", "The request body is too large.")
	}
	var idemKey string
	var fp [32]byte
	if rt.Idempotent {
		k := req.Headers["idempotency-key"]
		if k == "" {
			return hostError(http.StatusBadRequest, "idempotency_key_required", "This route needs an Idempotency-Key header.")
		}
		if len(k) > 200 || strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return hostError(http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1 to 200 printable ASCII characters.")
		}
		idemKey = caller.UserId + "\x00" + k
		fp = sha256.Sum256(append([]byte(req.Method+" "+path+"?"+query+"\x00"), b...))
		h.mu.Lock()
		prior, ok := h.idem[idemKey]
		h.mu.Unlock()
		if ok && prior.fingerprint != fp {
			return hostError(http.StatusConflict, "idempotency_key_reused", "This Idempotency-Key was already used for a different request.")
		}
		if ok {
			return prior.status, prior.body
		}
	}
	timeout := DefaultTimeout
	if rt.TimeoutMs > 0 {
		timeout = time.Duration(rt.TimeoutMs) * time.Millisecond
	}
	h.mu.Lock()
	h.seq++
	req.RequestId = "req-" + strconv.Itoa(h.seq)
	req.CallToken = "call-" + strconv.Itoa(h.seq)
	h.mu.Unlock()
	h.Host.bindCaller(req.CallToken, caller)
	defer h.Host.unbindCaller(req.CallToken)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := h.Client.HandleHTTP(ctx, req)
	switch status.Code(err) {
	case codes.OK:
	case codes.DeadlineExceeded:
		return hostError(http.StatusGatewayTimeout, "plugin_timeout", "The plugin did not answer in time.")
	default:
		h.t.Logf("testkit: HandleHTTP %s %s: %v", method, path, err)
		return hostError(http.StatusBadGateway, "plugin_error", "The plugin failed to answer.")
	}
	st := int(resp.Status)
	if st < 100 || st > 599 {
		h.t.Errorf("testkit: %s %s: the plugin answered status %d", method, path, st)
		return hostError(http.StatusBadGateway, "plugin_error", "The plugin answered an invalid status.")
	}
	if rt.Idempotent && st < 500 {
		h.mu.Lock()
		h.idem[idemKey] = idemAnswer{fingerprint: fp, status: st, body: resp.Body}
		h.mu.Unlock()
	}
	return st, resp.Body
}

// DoJSON is Do that decodes a 2xx answer's JSON into out (when not nil) and
// fails the test on another status.
func (h *Harness) DoJSON(method, path string, reqBody any, caller *wuyepb.Caller, out any, opts ...RequestOption) {
	h.t.Helper()
	st, b := h.Do(method, path, reqBody, caller, opts...)
	if st < 200 || st > 299 {
		h.t.Fatalf("%s %s: %d %s", method, path, st, b)
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// ---- events and tasks ----

func (h *Harness) newEventID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	return "event-" + strconv.Itoa(h.seq)
}

// Event delivers a core event the plugin subscribes to, with a fresh id,
// and returns the id (for Redeliver) and the plugin's answer: an error is
// what makes the host retry. An event type the plugin does not subscribe to
// is an error: the host would never deliver it.
func (h *Harness) Event(eventType string, payload any) (string, error) {
	return h.EventFrom("core", eventType, payload)
}

// EventFrom is Event with a source: "core" or the publishing plugin's name.
func (h *Harness) EventFrom(source, eventType string, payload any) (string, error) {
	if !slices.Contains(h.Manifest.Subscriptions, eventType) {
		return "", fmt.Errorf("testkit: the plugin does not subscribe to %q (it subscribes to %v)", eventType, h.Manifest.Subscriptions)
	}
	b, err := body(payload)
	if err != nil {
		return "", err
	}
	if b == nil {
		b = []byte("{}")
	}
	ev := &wuyepb.Event{Id: h.newEventID(), Type: eventType, Source: source, OccurredAtUnixMs: time.Now().UnixMilli(), Payload: b, Attempt: 1}
	h.mu.Lock()
	h.events[ev.Id] = ev
	h.mu.Unlock()
	return ev.Id, h.deliver(ev)
}

// Redeliver sends an event again with the same id (at-least-once delivery),
// its attempt counted up.
func (h *Harness) Redeliver(id string) error {
	h.mu.Lock()
	ev := h.events[id]
	if ev != nil {
		ev.Attempt++
	}
	h.mu.Unlock()
	if ev == nil {
		return fmt.Errorf("testkit: no event %s was delivered", id)
	}
	return h.deliver(ev)
}

func (h *Harness) deliver(ev *wuyepb.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	_, err := h.Client.HandleEvent(ctx, ev)
	return err
}

// RunTask runs a task by name (periodic or scheduled) with payload, as the
// host's queue would; an error is what makes the host retry.
func (h *Harness) RunTask(name string, payload any) error {
	b, err := body(payload)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.seq++
	id := "task-" + strconv.Itoa(h.seq)
	h.mu.Unlock()
	return h.runTask(&wuyepb.TaskRequest{Id: id, Name: name, Payload: b, Attempt: 1, ScheduledAtUnixMs: time.Now().UnixMilli()})
}

func (h *Harness) runTask(t *wuyepb.TaskRequest) error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	_, err := h.Client.RunTask(ctx, t)
	return err
}

// RunDue runs the tasks the plugin scheduled (Host.ScheduleTask) that are
// due at or before at, in run order, and removes them; it returns how many
// ran. A task that fails stays removed and its error is returned with the
// others'.
func (h *Harness) RunDue(at time.Time) (int, error) {
	due := h.Host.takeDue(at)
	var errs []error
	for _, s := range due {
		err := h.runTask(&wuyepb.TaskRequest{Id: s.ID, Name: s.Name, Payload: s.Payload, Attempt: 1, ScheduledAtUnixMs: s.RunAt.UnixMilli()})
		if err != nil {
			errs = append(errs, fmt.Errorf("task %s (%s): %w", s.Name, s.Key, err))
		}
	}
	return len(due), errors.Join(errs...)
}

// Configure delivers a new configuration as the host does after validating
// it; when the plugin accepts it, Host.GetConfig answers it too.
func (h *Harness) Configure(config any) error {
	b, err := Options{Config: config}.config()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	if _, err := h.Client.Configure(ctx, &wuyepb.ConfigureRequest{Config: b}); err != nil {
		return err
	}
	h.Host.SetConfig(b)
	return nil
}

// Health asks the plugin whether it can serve.
func (h *Harness) Health() (*wuyepb.HealthResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	return h.Client.Health(ctx, &wuyepb.HealthRequest{})
}
