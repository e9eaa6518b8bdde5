package pluginhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// secretEnv stands for what a host's environment may hold (a database URL).
const secretEnv = "postgres://owner:hunter2@db/wuye"

func TestLazyStartServesAndCallsHostBack(t *testing.T) {
	needLinux(t)
	t.Setenv("WUYE_DATABASE_URL", secretEnv)
	e := newEnv(t, Options{})
	tenant, spec := e.enable("good", "good", map[string]any{"greeting": "你好"})
	if ps := e.sup.Processes(); len(ps) != 0 {
		t.Fatalf("a process before the first call: %+v", ps)
	}
	if got := e.mustHTTP(tenant, "good", "/config"); got != `{"greeting":"你好"}` {
		t.Fatalf("config through the host = %q", got)
	}
	if got := e.mustHTTP(tenant, "good", "/env"); strings.Contains(got, "WUYE_DATABASE_URL") || strings.Contains(got, secretEnv) {
		t.Fatalf("the plugin inherited the host's environment:\n%s", got)
	}
	if got := e.mustHTTP(tenant, "good", "/hello"); got != "hello "+spec.TenantCode {
		t.Fatalf("hello = %q (Start must carry the tenant code)", got)
	}
	p, ok := e.proc(tenant, "good")
	if !ok || p.State != StateRunning || p.APIVersion != 2 || p.Calls != 3 || p.Version != "1.0.0" || p.TenantCode != spec.TenantCode {
		t.Fatalf("process info = %+v", p)
	}
	if !alive(p.PID) || p.MemoryBytes <= 0 {
		t.Fatalf("pid %d alive=%v memory=%d", p.PID, alive(p.PID), p.MemoryBytes)
	}
	// One process however many calls.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); e.mustHTTP(tenant, "good", "/hello") }()
	}
	wg.Wait()
	if got := e.pid(tenant, "good"); got != p.PID {
		t.Fatalf("a second process: %d then %d", p.PID, got)
	}
	// The manifest handed to calls is the one the binary described.
	_ = e.sup.Call(context.Background(), tenant, "good", func(_ context.Context, _ wuyepb.PluginClient, m *wuyepb.Manifest) error {
		if m.GetName() != "good" || m.GetApiVersion() != 2 {
			t.Errorf("manifest = %v", m)
		}
		return nil
	})
	// Not enabled: ErrNotEnabled, nothing started.
	for range 3 {
		if _, err := e.http(context.Background(), tenant, "other", "/hello"); !errors.Is(err, ErrNotEnabled) {
			t.Fatalf("not enabled: %v", err)
		}
	}
	// ... and not remembered, so calls naming any plugin do not grow the host.
	e.sup.mu.Lock()
	_, kept := e.sup.slots[slotKey{tenant, "other"}]
	e.sup.mu.Unlock()
	if kept {
		t.Fatal("a slot kept for a plugin the tenant does not have")
	}
}

func TestChecksumCheckedBeforeEveryStart(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{})
	// A "plugin" that would leave a mark if it ever ran.
	mark := filepath.Join(e.dir, "ran")
	script := filepath.Join(e.dir, "evil")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+mark+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tenant, spec := e.enable("good", "good", nil)
	spec.Path = script // the catalogue's checksum is the good binary's
	e.res.set(spec)
	for range 3 {
		if _, err := e.http(context.Background(), tenant, "good", "/hello"); !errors.Is(err, ErrChecksum) {
			t.Fatalf("mismatch: %v", err)
		}
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("a binary with the wrong checksum was run")
	}
	select {
	case a := <-e.alerts:
		if a.Kind != AlertChecksum || a.TenantID != tenant || a.Plugin != "good" || a.Path != script {
			t.Fatalf("alert = %+v", a)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no alert")
	}
	select {
	case a := <-e.alerts:
		t.Fatalf("the same mismatch alerted twice: %+v", a)
	case <-time.After(100 * time.Millisecond):
	}
	if n, _ := e.metric("wuye_plugin_start_duration_seconds", map[string]string{"plugin": "good", "outcome": "checksum"}); n != 3 {
		t.Fatalf("checksum refusals counted %v", n)
	}

	// The binary changed on disk after it was registered and started once:
	// the next start refuses it.
	tenant2, spec2 := e.enable("good", "good2", nil)
	e.mustHTTP(tenant2, "good2", "/hello")
	e.sup.Stop(tenant2, "good2") // a running executable cannot be written
	f, err := os.OpenFile(spec2.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("tampered"))
	_ = f.Close()
	if _, err := e.http(context.Background(), tenant2, "good2", "/hello"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("tampered binary: %v", err)
	}
	// A registered checksum that is not hex is refused the same way.
	tenant3, spec3 := e.enable("good", "good3", nil)
	spec3.SHA256 = "not-a-checksum"
	e.res.set(spec3)
	if _, err := e.http(context.Background(), tenant3, "good3", "/hello"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("bad checksum: %v", err)
	}
}

func TestIdleStop(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{IdleTimeout: 300 * time.Millisecond})
	tenant, _ := e.enable("good", "good", nil)
	e.mustHTTP(tenant, "good", "/hello")
	pid := e.pid(tenant, "good")

	// A call in flight longer than the idle time keeps the process.
	e.mustHTTP(tenant, "good", "/sleep?800")
	if got := e.pid(tenant, "good"); got != pid {
		t.Fatalf("restarted during a call: %d → %d", pid, got)
	}
	eventually(t, 3*time.Second, "idle process stopped", func() bool {
		_, ok := e.proc(tenant, "good")
		return !ok && !alive(pid)
	})
	// The next call starts it again.
	e.mustHTTP(tenant, "good", "/hello")
	if got := e.pid(tenant, "good"); got == pid {
		t.Fatal("same pid after an idle stop")
	}

	// A driver is never idle-stopped.
	dt, _ := e.enable("good", "driver-good", nil)
	e.mustHTTP(dt, "driver-good", "/hello")
	dpid := e.pid(dt, "driver-good")
	time.Sleep(time.Second)
	if p, ok := e.proc(dt, "driver-good"); !ok || p.PID != dpid || !alive(dpid) {
		t.Fatalf("driver stopped: %+v", p)
	}
}

func TestSIGKILLedPluginServesAgainWithin2s(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{})
	tenant, _ := e.enable("good", "good", nil)
	e.mustHTTP(tenant, "good", "/hello")
	pid := e.pid(tenant, "good")
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Restarted without any call (so events resume) ...
	eventually(t, 2*time.Second, "restarted proactively", func() bool {
		p, ok := e.proc(tenant, "good")
		return ok && p.State == StateRunning && p.PID != pid
	})
	// ... and serving.
	body := e.mustHTTP(tenant, "good", "/pid")
	took := time.Since(killed)
	if body == strconv.Itoa(pid) || took > 2*time.Second {
		t.Fatalf("served by %s after %s", body, took)
	}
	t.Logf("SIGKILL to serving again: %s", took.Round(time.Millisecond))
	if n, _ := e.metric("wuye_plugin_restarts_total", map[string]string{"plugin": "good", "reason": "exited"}); n != 1 {
		t.Fatalf("restarts counted %v", n)
	}
}

func TestCircuitOpensAfterRepeatedCrashes(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{CircuitCrashes: 3, CircuitWindow: time.Minute, RestartBackoff: 20 * time.Millisecond})
	tenant, _ := e.enable("crasher", "crasher", map[string]any{"exit_after_ms": 150})
	e.mustHTTP(tenant, "crasher", "/hello") // starts; exits by itself, is restarted, exits …
	select {
	case a := <-e.alerts:
		if a.Kind != AlertCircuitOpen || a.TenantID != tenant || a.Plugin != "crasher" {
			t.Fatalf("alert = %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("circuit never opened: %+v", e.sup.Processes())
	}
	p, ok := e.proc(tenant, "crasher")
	if !ok || p.State != StateCircuitOpen || p.PID != 0 || p.RecentCrashes != 3 {
		t.Fatalf("process info = %+v", p)
	}
	start := time.Now()
	if _, err := e.http(context.Background(), tenant, "crasher", "/hello"); !errors.Is(err, ErrUnavailable) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("open circuit: %v after %s", err, time.Since(start))
	}
	if v, _ := e.metric("wuye_plugin_circuit_open", map[string]string{"plugin": "crasher"}); v != 1 {
		t.Fatalf("circuit gauge %v", v)
	}
	// Stays open: nothing restarts it.
	time.Sleep(300 * time.Millisecond)
	if p, _ := e.proc(tenant, "crasher"); p.State != StateCircuitOpen {
		t.Fatalf("state %s", p.State)
	}

	// The operator resets it (after fixing the configuration).
	s, _ := e.res.Resolve(context.Background(), tenant, "crasher")
	s.Config = []byte(`{}`)
	e.res.set(s)
	e.sup.Reset(tenant, "crasher")
	if body := e.mustHTTP(tenant, "crasher", "/hello"); !strings.HasPrefix(body, "alive") {
		t.Fatalf("after reset: %q", body)
	}
	// A crash on demand: the call fails as unavailable, the process comes back.
	if _, err := e.http(context.Background(), tenant, "crasher", "/crash"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("crash: %v", err)
	}
	eventually(t, 2*time.Second, "back after a crash", func() bool {
		p, ok := e.proc(tenant, "crasher")
		return ok && p.State == StateRunning
	})
}

func TestHangingPluginHurtsOnlyItsTenant(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{MaxInFlight: 2})
	hung, _ := e.enable("hanger", "hanger", nil)
	other, _ := e.enable("good", "good", nil)
	e.mustHTTP(other, "good", "/hello")
	e.mustHTTP(hung, "hanger", "/hello")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := e.http(ctx, hung, "hanger", "/hang")
	cancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("hang: %v", err)
	}
	// Fill the hung process's calls in flight.
	var wg sync.WaitGroup
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = e.http(ctx, hung, "hanger", "/hang") }()
	}
	eventually(t, 2*time.Second, "two calls in flight", func() bool {
		p, _ := e.proc(hung, "hanger")
		return p.InFlight == 2
	})
	start := time.Now()
	if _, err := e.http(context.Background(), hung, "hanger", "/hello"); !errors.Is(err, ErrUnavailable) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("beyond MaxInFlight: %v after %s", err, time.Since(start))
	}
	// The other tenant does not notice.
	for range 20 {
		start := time.Now()
		e.mustHTTP(other, "good", "/hello")
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("other tenant slowed to %s", d)
		}
	}
	if n, _ := e.metric("wuye_plugin_rejected_calls_total", map[string]string{"plugin": "hanger", "reason": "in_flight"}); n != 1 {
		t.Fatalf("rejected %v", n)
	}
	cancel()
	wg.Wait()
}

func TestHealthCheckRestartsAHungPlugin(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{HealthInterval: 100 * time.Millisecond, HealthTimeout: 200 * time.Millisecond})
	tenant, _ := e.enable("hanger", "hanger", map[string]any{"hang_health": true})
	e.mustHTTP(tenant, "hanger", "/hello")
	pid := e.pid(tenant, "hanger")
	eventually(t, 3*time.Second, "restarted after a failed health check", func() bool {
		n, _ := e.metric("wuye_plugin_restarts_total", map[string]string{"plugin": "hanger", "reason": "health"})
		return n >= 1 && !alive(pid)
	})
}

func TestMemoryLeakKilled(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{MaxMemory: 96 << 20, MemoryInterval: 50 * time.Millisecond})
	tenant, _ := e.enable("leaker", "leaker", nil)
	other, _ := e.enable("good", "good", nil)
	e.mustHTTP(other, "good", "/hello")
	opid := e.pid(other, "good")
	e.mustHTTP(tenant, "leaker", "/grow?8")
	pid := e.pid(tenant, "leaker")
	_, _ = e.http(context.Background(), tenant, "leaker", "/grow?160") // may be killed before it answers
	eventually(t, 3*time.Second, "leaker killed and restarted", func() bool {
		p, ok := e.proc(tenant, "leaker")
		return ok && p.State == StateRunning && p.PID != pid && !alive(pid)
	})
	if n, _ := e.metric("wuye_plugin_restarts_total", map[string]string{"plugin": "leaker", "reason": "memory"}); n != 1 {
		t.Fatalf("memory restarts %v", n)
	}
	if got := e.pid(other, "good"); got != opid {
		t.Fatal("the other tenant's process was touched")
	}
	if body := e.mustHTTP(tenant, "leaker", "/grow?0"); !strings.HasPrefix(body, "0 MiB") {
		t.Fatalf("restarted leaker = %q", body)
	}
}

func TestAPIVersion1PluginRuns(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{})
	tenant, _ := e.enable("apiv1", "apiv1", map[string]any{"old": true})
	if got := e.mustHTTP(tenant, "apiv1", "/config"); got != `{"old":true}` {
		t.Fatalf("config = %q", got)
	}
	if got := e.mustHTTP(tenant, "apiv1", "/api"); got != "1" {
		t.Fatalf("Start carried api_version %s", got)
	}
	if p, _ := e.proc(tenant, "apiv1"); p.APIVersion != 1 {
		t.Fatalf("negotiated %d", p.APIVersion)
	}
	err := e.sup.Call(context.Background(), tenant, "apiv1", func(ctx context.Context, c wuyepb.PluginClient, m *wuyepb.Manifest) error {
		if m.GetApiVersion() != 1 || m.GetName() != "apiv1" {
			t.Errorf("manifest %v", m)
		}
		_, err := c.GetAsset(ctx, &wuyepb.AssetRequest{Path: "index.js"})
		return err
	})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetAsset on API 1: %v", err)
	}
	if got := e.mustHTTP(tenant, "apiv1", "/unknown"); got != "0" {
		t.Fatalf("the plugin received %s calls it does not know", got)
	}
	if n, ok := e.metric("wuye_plugin_calls_total", map[string]string{"plugin": "apiv1", "rpc": "GetAsset"}); ok || n != 0 {
		t.Fatal("GetAsset went over the wire")
	}
	// The same call on an API 2 plugin reaches it.
	t2, _ := e.enable("good", "good", nil)
	err = e.sup.Call(context.Background(), t2, "good", func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
		a, err := c.GetAsset(ctx, &wuyepb.AssetRequest{Path: "index.js"})
		if err == nil && !strings.Contains(string(a.Body), "index.js") {
			t.Errorf("asset %q", a.Body)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDescribe(t *testing.T) {
	needLinux(t)
	path, sum := install(t, t.TempDir(), "good", "good")
	m, err := Describe(context.Background(), path, sum)
	if err != nil || m.GetName() != "good" || m.GetVersion() != "1.0.0" || m.GetKind() != wuyepb.Kind_KIND_FEATURE {
		t.Fatalf("describe: %v %v", m, err)
	}
	if _, err := Describe(context.Background(), path, strings.Repeat("0", 64)); !errors.Is(err, ErrChecksum) {
		t.Fatalf("wrong checksum: %v", err)
	}
}

func TestStopAndShutdown(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{})
	a, _ := e.enable("good", "good", nil)
	b, _ := e.enable("good", "good", nil)
	e.mustHTTP(a, "good", "/hello")
	e.mustHTTP(b, "good", "/hello")
	pa, pb := e.pid(a, "good"), e.pid(b, "good")
	if pa == pb {
		t.Fatal("two tenants share a process")
	}
	// Stop waits for the call in flight.
	done := make(chan string)
	go func() { done <- e.mustHTTP(a, "good", "/sleep?300") }()
	eventually(t, time.Second, "call in flight", func() bool { p, _ := e.proc(a, "good"); return p.InFlight == 1 })
	e.sup.Stop(a, "good")
	if got := <-done; got != "slept" {
		t.Fatalf("call during Stop: %q", got)
	}
	if alive(pa) {
		t.Fatal("stopped process alive")
	}
	if _, ok := e.proc(a, "good"); ok {
		t.Fatal("stopped process listed")
	}
	e.mustHTTP(a, "good", "/hello") // started afresh
	pa2 := e.pid(a, "good")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.sup.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if alive(pa2) || alive(pb) {
		t.Fatal("a process survived Shutdown")
	}
	if _, err := e.http(context.Background(), a, "good", "/hello"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("after shutdown: %v", err)
	}
}

func TestMetricsPresent(t *testing.T) {
	needLinux(t)
	e := newEnv(t, Options{})
	tenant, spec := e.enable("good", "good", nil)
	e.mustHTTP(tenant, "good", "/hello")
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"wuye_plugin_start_duration_seconds", map[string]string{"plugin": "good", "outcome": "ok"}},
		{"wuye_plugin_calls_total", map[string]string{"plugin": "good", "rpc": "HandleHTTP", "code": "OK"}},
		{"wuye_plugin_calls_total", map[string]string{"plugin": "good", "rpc": "Start", "code": "OK"}},
		{"wuye_plugin_call_duration_seconds", map[string]string{"plugin": "good", "rpc": "Describe"}},
		{"wuye_plugin_process_memory_bytes", map[string]string{"plugin": "good", "tenant": spec.TenantCode}},
		{"wuye_plugin_process_calls", map[string]string{"plugin": "good", "tenant": spec.TenantCode}},
		{"wuye_plugin_processes", map[string]string{"state": "running"}},
		{"wuye_plugin_circuit_open", map[string]string{"plugin": "good", "tenant": spec.TenantCode}},
	} {
		v, ok := e.metric(c.name, c.labels)
		if !ok {
			t.Errorf("%s%v missing", c.name, c.labels)
		}
		if c.name == "wuye_plugin_process_memory_bytes" && v < 1<<20 {
			t.Errorf("memory %v", v)
		}
	}
}
