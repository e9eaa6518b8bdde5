package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"google.golang.org/grpc"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/pluginhost/proxy"
	"github.com/wuye-project/wuye/core/pluginhost/testdata/ping/pingplugin"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// BenchmarkPluginProxy is the proxy-overhead target: what a plugin HTTP call
// costs through the core's proxy, the supervisor, gRPC and the plugin's own
// process, over the same handler (pingplugin, through the SDK's dispatch)
// served in the core's process. All three sub-benchmarks go through the same
// wired server middleware (request id, JWT check, tenant gate, casbin
// decision on ping.read, metrics), on SQLite, called in memory (no socket):
//
//   - in-process: a route of the core's table with the plugin's permission,
//     whose handler calls the plugin's SDK server directly;
//   - proxy-in-process: the proxy (route match, permission, caller with
//     its user record, answer filtering) with a Runner that calls the SDK
//     server directly: the proxy's own cost without the process hop;
//   - proxied: the app's router → proxy → supervisor → gRPC → process.
//
// Each reports p50 and p99 in µs; proxied also reports what it adds to the
// in-process p50 (target ≤ 1 ms).
func BenchmarkPluginProxy(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	dir := b.TempDir()
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "ping"), "../pluginhost/testdata/ping").CombinedOutput(); err != nil {
		b.Fatalf("go build ping: %v\n%s", err, out)
	}
	cfg := testConfig(b, store.SQLite)
	cfg.PluginDir = dir
	stderr := os.Stderr
	os.Stderr, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	r := startWith(b, cfg)
	os.Stderr = stderr
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	op := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "bench"})
	m, err := demoShort()
	if err != nil {
		b.Fatal(err)
	}
	m.Plugins = nil
	res, err := r.Tenants.Apply(op, m)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Plugins.Enable(op, res.Tenant.ID, "ping", catalogue.EnableInput{}); err != nil {
		b.Fatal(err)
	}
	tok := r.login(b, m.Code, "admin", password(res, "admin"))

	// The same plugin in the core's process: started as Serve would start it,
	// without a Host connection (the handler makes no Host call).
	p := pingplugin.New()
	srv := plugin.NewServer(p, func(context.Context, uint32) (*grpc.ClientConn, error) { return nil, nil })
	if _, err := srv.Start(context.Background(), &wuyepb.StartRequest{TenantId: res.Tenant.ID.String(), TenantCode: m.Code}); err != nil {
		// Start dials the host; a nil connection is enough for this handler.
		b.Fatal(err)
	}
	manifest, _ := srv.Describe(context.Background(), &wuyepb.DescribeRequest{})
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	inproc := httpapi.New(httpapi.Deps{Log: log, Auth: r.Identity, Authz: r.RBAC, Tenant: r.Tenants, Tx: r.DB, Audit: r.Audit,
		Idempotency: r.Idempotency, IsNotFound: store.IsNotFound, MetricsDisabled: true,
		Routes: []httpapi.Route{{Method: "GET", Path: "/api/v1/inproc/items", Permission: "ping.read", Handler: func(c *gin.Context) error {
			a, _ := actor.From(c.Request.Context())
			resp, err := srv.HandleHTTP(c.Request.Context(), &wuyepb.HTTPRequest{Method: "GET", Path: "/items",
				Caller: &wuyepb.Caller{UserId: a.ID.String(), Username: a.Name}})
			if err != nil {
				return err
			}
			c.Data(int(resp.Status), resp.Headers["Content-Type"], resp.Body)
			return nil
		}}}})
	pp := proxy.New(proxy.Config{Resolver: r.Plugins, Runner: inprocRunner{srv: srv, m: manifest}, Authz: r.RBAC, Log: log,
		Registered: r.Plugins.Registered, People: func(ctx context.Context, tenantID, userID uuid.UUID) (proxy.Person, error) {
			u, err := r.Identity.GetUser(ctx, tenantID, userID)
			return proxy.Person{Name: u.Name, Kind: u.Kind}, err
		}})
	proxyInproc := httpapi.New(httpapi.Deps{Log: log, Auth: r.Identity, Authz: r.RBAC, Tenant: r.Tenants, Tx: r.DB, Audit: r.Audit,
		Idempotency: r.Idempotency, IsNotFound: store.IsNotFound, MetricsDisabled: true, Routes: pp.Routes()})

	call := func(b *testing.B, h http.Handler, path string) time.Duration {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		took := time.Since(start)
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		return took
	}
	p50s := map[string]time.Duration{}
	run := func(name string, h http.Handler, path string) {
		b.Run(name, func(b *testing.B) {
			for range 50 { // warm: the process started, caches filled
				call(b, h, path)
			}
			var took []time.Duration
			for b.Loop() {
				took = append(took, call(b, h, path))
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			p50, p99 := took[len(took)/2], took[min(len(took)-1, len(took)*99/100)]
			p50s[name] = p50
			b.ReportMetric(float64(p50.Nanoseconds())/1000, "p50-µs")
			b.ReportMetric(float64(p99.Nanoseconds())/1000, "p99-µs")
			if base, ok := p50s["in-process"]; ok && name != "in-process" {
				b.ReportMetric(float64((p50-base).Nanoseconds())/1000, "added-p50-µs")
			}
		})
	}
	run("in-process", inproc.Handler(), "/api/v1/inproc/items")
	run("proxy-in-process", proxyInproc.Handler(), "/api/v1/plugins/ping/items")
	run("proxied", r.API.Handler(), "/api/v1/plugins/ping/items")
}

// inprocRunner runs a plugin's SDK server in the core's process: a Runner
// without supervisor, gRPC or process.
type inprocRunner struct {
	srv wuyepb.PluginServer
	m   *wuyepb.Manifest
}

func (r inprocRunner) Call(ctx context.Context, _ uuid.UUID, _ string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	return fn(ctx, inprocClient{srv: r.srv}, nil)
}

// inprocClient calls the server's HandleHTTP directly (the proxy's only RPC).
type inprocClient struct {
	wuyepb.PluginClient
	srv wuyepb.PluginServer
}

func (c inprocClient) HandleHTTP(ctx context.Context, in *wuyepb.HTTPRequest, _ ...grpc.CallOption) (*wuyepb.HTTPResponse, error) {
	return c.srv.HandleHTTP(ctx, in)
}
