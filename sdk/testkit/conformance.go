package testkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// ConformanceDeadline is the deadline of the calls that check a plugin
// honours deadlines; DeadlineSlack is how late past it an answer may come
// (scheduling on a busy machine).
const (
	ConformanceDeadline = 50 * time.Millisecond
	DeadlineSlack       = 150 * time.Millisecond
)

// Conformance starts the plugin binary at path the way the core does —
// go-plugin over gRPC with AutoMTLS, VersionedPlugins, the SDK's handshake
// and plugin key, and a SecureConfig holding the file's SHA-256 — serves a
// FakeHost on go-plugin's broker, calls Describe and Start, and checks in
// subtests what the core relies on:
//
//   - describes: a valid manifest (CheckManifest), its API version one the
//     host negotiated or older.
//   - health: Health answers ok.
//   - bad_input: unknown routes answer 404; garbage, empty, wrong-shaped
//     and oversized JSON bodies answer 4xx, never 5xx; events with garbage
//     payloads and of unknown types, unknown task names and bad asset paths
//     are answered (an unknown task with an error) and the process lives.
//   - deadlines: calls with a 50 ms deadline — while every host service
//     answers slowly — return by then; a cancelled call returns at once;
//     afterwards Health still answers.
//
// The process is killed when the test ends.
func Conformance(t *testing.T, binaryPath string, o Options) {
	t.Helper()
	c := startBinary(t, binaryPath, o)
	t.Run("describes", c.describes)
	t.Run("health", c.health)
	t.Run("bad_input", c.badInput)
	t.Run("deadlines", c.deadlines)
	if c.client.Exited() {
		t.Errorf("the plugin process exited during the suite")
	}
}

type conformance struct {
	client   *goplugin.Client
	conn     *grpc.ClientConn // the plugin's connection (a driver's Driver service too)
	rpc      wuyepb.PluginClient
	host     *FakeHost
	manifest *wuyepb.Manifest
	api      int
	stderr   *lockedBuffer
}

// lockedBuffer keeps the plugin's stderr for failure messages.
type lockedBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	if b.buf.Len() < 64<<10 {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// hostPlugin is the host's half of go-plugin's GRPCPlugin, as the core's
// supervisor has it: it serves the Host on a fresh broker id.
type hostPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	host *FakeHost
}

type dispensed struct {
	conn   *grpc.ClientConn
	rpc    wuyepb.PluginClient
	hostID uint32
}

func (p *hostPlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("testkit: the host does not serve plugins")
}

func (p *hostPlugin) GRPCClient(_ context.Context, broker *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	d := &dispensed{conn: cc, rpc: wuyepb.NewPluginClient(cc), hostID: broker.NextId()}
	go broker.AcceptAndServe(d.hostID, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(append(opts, grpc.UnaryInterceptor(p.host.UnaryInterceptor()))...)
		wuyepb.RegisterHostServer(s, p.host)
		return s
	})
	return d, nil
}

func startBinary(t *testing.T, path string, o Options) *conformance {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("conformance: read the binary: %v", err)
	}
	sum := sha256.Sum256(b)
	config, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	// Describe must not depend on configuration, so the manifest the
	// fake host needs (collections, templates) comes from the process
	// itself; the host is filled in before Start.
	fh := NewFakeHost(nil)
	fh.SetConfig(config)
	fh.SetSecrets(o.Secrets)
	if o.Now != nil {
		fh.SetNow(o.Now)
	}
	c := &conformance{host: fh, stderr: &lockedBuffer{mu: make(chan struct{}, 1)}}
	set := goplugin.PluginSet{plugin.PluginKey: &hostPlugin{host: fh}}
	versions := map[int]goplugin.PluginSet{}
	for v := 1; v <= sdk.APIVersion; v++ {
		versions[v] = set
	}
	c.client = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: versions,
		Cmd:              exec.Command(path),
		SecureConfig:     &goplugin.SecureConfig{Checksum: sum[:], Hash: sha256.New()},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     10 * time.Second,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off}),
		Stderr:           c.stderr,
	})
	t.Cleanup(c.client.Kill)
	fatal := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nplugin stderr:\n%s", append(args, c.stderr.String())...)
	}
	proto, err := c.client.Client()
	if err != nil {
		fatal("conformance: start %s: %v", path, err)
	}
	raw, err := proto.Dispense(plugin.PluginKey)
	if err != nil {
		fatal("conformance: dispense: %v", err)
	}
	d := raw.(*dispensed)
	c.conn, c.rpc, c.api = d.conn, d.rpc, c.client.NegotiatedVersion()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.manifest, err = c.rpc.Describe(ctx, &wuyepb.DescribeRequest{ApiVersion: uint32(c.api)}); err != nil {
		fatal("conformance: Describe: %v", err)
	}
	fh.mu.Lock()
	fh.manifest = c.manifest
	fh.mu.Unlock()
	if o.Setup != nil {
		o.Setup(fh)
	}
	if _, err := c.rpc.Start(ctx, o.start(uint32(c.api), d.hostID, config)); err != nil {
		fatal("conformance: Start: %v", err)
	}
	return c
}

func (c *conformance) alive(t *testing.T, after string) {
	t.Helper()
	if c.client.Exited() {
		t.Fatalf("the plugin process died after %s\nplugin stderr:\n%s", after, c.stderr.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.rpc.Health(ctx, &wuyepb.HealthRequest{}); err != nil {
		t.Fatalf("Health fails after %s: %v\nplugin stderr:\n%s", after, err, c.stderr.String())
	}
}

func (c *conformance) describes(t *testing.T) {
	for _, p := range CheckManifest(c.manifest) {
		t.Error(p)
	}
	if int(c.manifest.ApiVersion) > c.api {
		t.Errorf("api_version %d is newer than the negotiated %d", c.manifest.ApiVersion, c.api)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	again, err := c.rpc.Describe(ctx, &wuyepb.DescribeRequest{ApiVersion: uint32(c.api)})
	if err != nil || again.Name != c.manifest.Name || again.Version != c.manifest.Version {
		t.Errorf("Describe is not stable after Start: %v, %v", again, err)
	}
}

func (c *conformance) health(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	h, err := c.rpc.Health(ctx, &wuyepb.HealthRequest{})
	if err != nil || !h.Ok {
		t.Fatalf("Health: %v %v", h, err)
	}
}

// admin holds every permission the plugin declares and the core's.
func (c *conformance) admin() *wuyepb.Caller {
	caller := Staff(CorePermissions...)
	caller.UserId, caller.Username = "user-admin", "admin"
	for _, p := range c.manifest.Permissions {
		caller.Permissions = append(caller.Permissions, p.Code)
	}
	return caller
}

// request is what the host would send for route r with body b.
func (c *conformance) request(r *wuyepb.Route, b []byte, seq int) *wuyepb.HTTPRequest {
	params := map[string]string{}
	var parts []string
	for _, seg := range strings.Split(strings.Trim(r.Path, "/"), "/") {
		if strings.HasPrefix(seg, ":") {
			params[seg[1:]] = "conformance-x"
			seg = "conformance-x"
		}
		parts = append(parts, seg)
	}
	req := &wuyepb.HTTPRequest{Method: r.Method, Path: "/" + strings.Join(parts, "/"), Route: r.Path, Params: params,
		Headers: map[string]string{"content-type": "application/json"}, Body: b, Caller: c.admin(),
		RequestId: "conformance-" + itoa(seq)}
	if r.Idempotent {
		req.Headers["idempotency-key"] = "conformance-" + itoa(seq)
	}
	return req
}

func itoa(i int) string { return strconv.Itoa(i) }

func (c *conformance) http(t *testing.T, req *wuyepb.HTTPRequest) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.rpc.HandleHTTP(ctx, req)
	if err != nil {
		t.Errorf("%s %s: HandleHTTP failed instead of answering: %v", req.Method, req.Path, err)
		return 0
	}
	return int(resp.Status)
}

func (c *conformance) badInput(t *testing.T) {
	seq := 0
	t.Run("unknown_route", func(t *testing.T) {
		for _, m := range []string{"GET", "POST", "DELETE"} {
			seq++
			req := &wuyepb.HTTPRequest{Method: m, Path: "/conformance/no/such/route", Route: "/conformance/no/such/route",
				Headers: map[string]string{}, Caller: c.admin(), RequestId: "conformance-" + itoa(seq)}
			if st := c.http(t, req); st != 404 {
				t.Errorf("%s %s: %d, want 404", m, req.Path, st)
			}
		}
		c.alive(t, "unknown routes")
	})
	t.Run("bodies", func(t *testing.T) {
		bodies := map[string][]byte{
			"garbage":   []byte(`{"a": [1, 2`),
			"not_json":  []byte("\x00\xff<html>"),
			"empty":     nil,
			"null":      []byte("null"),
			"array":     []byte(`[1, "two", {"three": null}]`),
			"wrong":     []byte(`{"id": {"nested": [true]}, "name": 12345, "amount_fen": "lots", "at": -1e308}`),
			"deep":      []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
			"oversized": nil,
		}
		for _, r := range c.manifest.Routes {
			limit := r.MaxBodyBytes
			if limit == 0 {
				limit = DefaultMaxBody
			}
			bodies["oversized"] = []byte(`{"x": "` + strings.Repeat("x", int(limit)) + `"}`)
			for name, b := range bodies {
				if r.Method == "GET" || r.Method == "DELETE" {
					if name != "garbage" && name != "empty" {
						continue
					}
				}
				seq++
				if st := c.http(t, c.request(r, b, seq)); st >= 500 || st < 100 {
					t.Errorf("%s %s with a %s body: %d, want an answer below 500", r.Method, r.Path, name, st)
				}
			}
			c.alive(t, r.Method+" "+r.Path+" with bad bodies")
		}
	})
	t.Run("events", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		types := append([]string{"conformance.unknown_type"}, c.manifest.Subscriptions...)
		for _, typ := range types {
			for _, payload := range [][]byte{[]byte("garbage"), []byte("{}"), nil, []byte(`{"id": 1, "resident_id": ["x"]}`)} {
				seq++
				_, _ = c.rpc.HandleEvent(ctx, &wuyepb.Event{Id: "conformance-" + itoa(seq), Type: typ, Source: "core",
					OccurredAtUnixMs: time.Now().UnixMilli(), Payload: payload, Attempt: 1})
			}
			c.alive(t, "events of type "+typ)
		}
	})
	t.Run("tasks", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.rpc.RunTask(ctx, &wuyepb.TaskRequest{Id: "conformance-t", Name: "conformance-no-such-task", Attempt: 1}); err == nil {
			t.Error("an unknown task name succeeded; it must be an error")
		}
		for _, task := range c.manifest.Tasks {
			_, _ = c.rpc.RunTask(ctx, &wuyepb.TaskRequest{Id: "conformance-" + task.Name, Name: task.Name, Payload: []byte("garbage"), Attempt: 1})
			c.alive(t, "task "+task.Name+" with a garbage payload")
		}
		c.alive(t, "an unknown task")
	})
	t.Run("assets", func(t *testing.T) {
		if c.api < 2 {
			t.Skip("GetAsset needs API 2")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, p := range []string{"../../../../etc/passwd", "/etc/passwd", "conformance/none.js", ""} {
			if a, err := c.rpc.GetAsset(ctx, &wuyepb.AssetRequest{Path: p}); err == nil && p != "" {
				t.Errorf("GetAsset(%q) answered %d bytes; want NotFound", p, len(a.Body))
			} else if err != nil && status.Code(err) != codes.NotFound {
				t.Errorf("GetAsset(%q): %v, want NotFound", p, err)
			}
		}
		c.alive(t, "bad asset paths")
	})
}

func (c *conformance) deadlines(t *testing.T) {
	// Every host service answers after a second from now on, unless the
	// plugin's call is cancelled first.
	var slow atomic.Int64
	c.host.mu.Lock()
	c.host.delay = &slow
	c.host.mu.Unlock()
	slow.Store(int64(time.Second))
	defer slow.Store(0)

	timed := func(t *testing.T, what string, call func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), ConformanceDeadline)
		defer cancel()
		start := time.Now()
		err := call(ctx)
		if took := time.Since(start); took > ConformanceDeadline+DeadlineSlack {
			t.Errorf("%s with a %v deadline returned after %v", what, ConformanceDeadline, took)
		}
		_ = err // an answer or DeadlineExceeded are both fine; hanging is not
	}
	seq := 1000
	for _, r := range c.manifest.Routes {
		seq++
		req := c.request(r, []byte(`{}`), seq)
		timed(t, r.Method+" "+r.Path, func(ctx context.Context) error { _, err := c.rpc.HandleHTTP(ctx, req); return err })
	}
	for _, typ := range c.manifest.Subscriptions {
		seq++
		ev := &wuyepb.Event{Id: "conformance-" + itoa(seq), Type: typ, Source: "core", Payload: []byte(`{}`), Attempt: 1,
			OccurredAtUnixMs: time.Now().UnixMilli()}
		timed(t, "event "+typ, func(ctx context.Context) error { _, err := c.rpc.HandleEvent(ctx, ev); return err })
	}
	for _, task := range c.manifest.Tasks {
		req := &wuyepb.TaskRequest{Id: "conformance-deadline-" + task.Name, Name: task.Name, Payload: []byte(`{}`), Attempt: 1}
		timed(t, "task "+task.Name, func(ctx context.Context) error { _, err := c.rpc.RunTask(ctx, req); return err })
	}
	// A call cancelled before it is made returns at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := c.rpc.Health(ctx, &wuyepb.HealthRequest{}); status.Code(err) != codes.Canceled || time.Since(start) > DeadlineSlack {
		t.Errorf("a cancelled call: %v after %v", err, time.Since(start))
	}
	slow.Store(0)
	c.alive(t, "calls past their deadline")
}
