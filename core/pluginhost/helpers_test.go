package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The test plugins are built once per test binary, into a folder removed by
// TestMain.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

var testPlugins = []string{"good", "crasher", "hanger", "leaker", "apiv1"}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// pluginBin returns the path of a built test plugin.
func pluginBin(tb testing.TB, name string) string {
	tb.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "wuye-plugins-"); buildErr != nil {
			return
		}
		args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", buildDir + string(os.PathSeparator)}
		for _, p := range testPlugins {
			args = append(args, "./testdata/"+p)
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build test plugins: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(buildDir, name)
}

// install copies a built plugin into dir under name (a plugin names itself
// after its file) and returns its path and SHA-256.
func install(tb testing.TB, dir, plugin, name string) (string, string) {
	tb.Helper()
	b, err := os.ReadFile(pluginBin(tb, plugin))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// resolver is a catalogue in memory.
type resolver struct {
	mu    sync.Mutex
	specs map[uuid.UUID]map[string]Spec
}

func newResolver() *resolver { return &resolver{specs: map[uuid.UUID]map[string]Spec{}} }

func (r *resolver) set(s Spec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.specs[s.TenantID] == nil {
		r.specs[s.TenantID] = map[string]Spec{}
	}
	r.specs[s.TenantID][s.Name] = s
}

func (r *resolver) Resolve(_ context.Context, tenant uuid.UUID, plugin string) (Spec, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.specs[tenant][plugin]
	if !ok {
		return Spec{}, ErrNotEnabled
	}
	return s, nil
}

// hostServer is a real Host gRPC server bound to one spec: GetConfig answers
// the spec's configuration, the rest is unimplemented.
type hostServer struct {
	wuyepb.UnimplementedHostServer
	spec Spec
}

func (h *hostServer) GetConfig(context.Context, *wuyepb.GetConfigRequest) (*wuyepb.GetConfigResponse, error) {
	return &wuyepb.GetConfigResponse{Config: h.spec.Config}, nil
}

func hostFactory(spec Spec) wuyepb.HostServer { return &hostServer{spec: spec} }

// env is one supervisor with its catalogue, alerts and metrics.
type env struct {
	t      *testing.T
	dir    string
	res    *resolver
	sup    *Supervisor
	reg    *prometheus.Registry
	alerts chan Alert
}

func newEnv(t *testing.T, opt Options) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), res: newResolver(), reg: prometheus.NewRegistry(), alerts: make(chan Alert, 16)}
	opt.Resolver, opt.Host, opt.Registerer = e.res, hostFactory, e.reg
	opt.OnAlert = func(a Alert) { e.alerts <- a }
	if opt.Logger == nil {
		opt.Logger = testLogger(t)
	}
	sup, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	e.sup = sup
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sup.Shutdown(ctx)
	})
	return e
}

// testLogger writes to the test log at debug level when -v, else warnings.
func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // a log line after the test ended
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = tWriter{}

// enable registers plugin (a copy of a built test plugin named name) for a new
// tenant and returns the tenant.
func (e *env) enable(plugin, name string, config any) (uuid.UUID, Spec) {
	e.t.Helper()
	path, sum := install(e.t, e.dir, plugin, name)
	cfg, _ := json.Marshal(config)
	tenant := uuid.New()
	spec := Spec{TenantID: tenant, TenantCode: "t-" + tenant.String()[:8], TimeZone: "Asia/Shanghai",
		Name: name, Version: "1.0.0", Path: path, SHA256: sum, Config: cfg}
	e.res.set(spec)
	return tenant, spec
}

// http calls HandleHTTP on a tenant's plugin.
func (e *env) http(ctx context.Context, tenant uuid.UUID, plugin, path string) (string, error) {
	var body string
	err := e.sup.Call(ctx, tenant, plugin, func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
		p, q, _ := strings.Cut(path, "?")
		r, err := c.HandleHTTP(ctx, &wuyepb.HTTPRequest{Method: "GET", Path: p, Query: q})
		if err != nil {
			return err
		}
		body = string(r.Body)
		return nil
	})
	return body, err
}

func (e *env) mustHTTP(tenant uuid.UUID, plugin, path string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, err := e.http(ctx, tenant, plugin, path)
	if err != nil {
		e.t.Fatalf("%s %s: %v", plugin, path, err)
	}
	return body
}

// proc finds a tenant's plugin in Processes.
func (e *env) proc(tenant uuid.UUID, plugin string) (ProcessInfo, bool) {
	for _, p := range e.sup.Processes() {
		if p.TenantID == tenant && p.Plugin == plugin {
			return p, true
		}
	}
	return ProcessInfo{}, false
}

func (e *env) pid(tenant uuid.UUID, plugin string) int {
	e.t.Helper()
	p, ok := e.proc(tenant, plugin)
	if !ok || p.PID == 0 {
		e.t.Fatalf("%s has no process: %+v", plugin, p)
	}
	return p.PID
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive says whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

func needLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux (/proc, Pdeathsig)")
	}
}

// counter reads a counter or gauge from the registry by name and labels.
func (e *env) metric(name string, labels map[string]string) (float64, bool) {
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}
