package stream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The end-to-end path with real processes: the emitter driver emits through
// the supervisor's Host (EmitDeviceEvents → Accept), the dispatcher hands
// the events to the sink plugin, which writes what it handled to a file.

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

func testBinary(tb testing.TB, name string) (string, string) {
	tb.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "wuye-stream-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-trimpath", "-o", binDir+string(os.PathSeparator), "./testdata/emitter", "./testdata/sink").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	path := filepath.Join(binDir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

type specs map[string]pluginhost.Spec

func (s specs) Resolve(_ context.Context, tenantID uuid.UUID, plugin string) (pluginhost.Spec, error) {
	sp, ok := s[plugin]
	if !ok || sp.TenantID != tenantID {
		return pluginhost.Spec{}, pluginhost.ErrNotEnabled
	}
	return sp, nil
}

// hostDevices is hostsvc.Devices over the fake registry and the stream.
type hostDevices struct {
	reg *fakeRegistry
	s   *Stream
}

func (h hostDevices) List(context.Context, uuid.UUID, string, uuid.UUID) ([]*wuyepb.DeviceInfo, error) {
	return nil, nil
}
func (h hostDevices) Get(context.Context, uuid.UUID, uuid.UUID) (*wuyepb.DeviceInfo, error) {
	return nil, apperr.NotFound
}
func (h hostDevices) Command(context.Context, uuid.UUID, *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	return nil, apperr.NotFound
}
func (h hostDevices) DriverDevices(_ context.Context, tenantID uuid.UUID, drv string) ([]*wuyepb.DeviceSpec, error) {
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	var out []*wuyepb.DeviceSpec
	for _, d := range h.reg.devs {
		if d.TenantID == tenantID && d.Driver == drv {
			out = append(out, &wuyepb.DeviceSpec{Id: d.ID.String(), Name: d.Name, Class: d.Class, Config: []byte("{}")})
		}
	}
	return out, nil
}
func (h hostDevices) Emit(ctx context.Context, tenantID uuid.UUID, drv string, evs []*wuyepb.DeviceEvent) (int, int, error) {
	return h.s.Accept(ctx, tenantID, drv, evs)
}
func (h hostDevices) ReportStatus(context.Context, uuid.UUID, string, *wuyepb.DeviceStatus) error {
	return nil
}

type e2e struct {
	tenant uuid.UUID
	devs   []Ref
	sup    *pluginhost.Supervisor
	file   string
}

func startE2E(tb testing.TB, db *store.DB) *e2e {
	tb.Helper()
	e := &e2e{tenant: store.NewID(), file: filepath.Join(tb.TempDir(), "handled.txt")}
	reg := &fakeRegistry{devs: map[uuid.UUID]Ref{}}
	for range 20 { // 2,000 events/s come from many devices: each device's are delivered in order
		e.devs = append(e.devs, reg.add(e.tenant, "emitter"))
	}
	sp := specs{}
	for _, name := range []string{"emitter", "sink"} {
		path, sum := testBinary(tb, name)
		s := pluginhost.Spec{TenantID: e.tenant, TenantCode: "t1", TimeZone: "Asia/Shanghai", Name: name, Version: "1.0.0", Path: path, SHA256: sum}
		if name == "sink" {
			s.Config = []byte(fmt.Sprintf(`{"file": %q}`, e.file))
		}
		if name == "emitter" {
			s.Manifest = &wuyepb.Manifest{Name: name, Kind: wuyepb.Kind_KIND_DRIVER}
		}
		sp[name] = s
	}
	devs := &hostDevices{reg: reg}
	log := slog.New(slog.NewTextHandler(logOut(), nil))
	hosts := hostsvc.New(hostsvc.Deps{Devices: devs, Log: log, Limits: hostsvc.Limits{Rate: 1e6, Burst: 1e6, Concurrent: 64}})
	sup, err := pluginhost.New(pluginhost.Options{Resolver: sp, Host: hosts.For, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	e.sup = sup
	s, err := New(db, reg, fakeDir{[]string{"sink"}}, sup, Options{Log: log})
	if err != nil {
		tb.Fatal(err)
	}
	devs.s = s
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		s.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = sup.Shutdown(sctx)
	})
	return e
}

// warm starts both processes, so the run does not time their start.
func (e *e2e) warm(tb testing.TB) {
	nop := func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error { return nil }
	for _, p := range []string{"emitter", "sink"} {
		if err := e.sup.Call(context.Background(), e.tenant, p, nop); err != nil {
			tb.Fatal(err)
		}
	}
}

// emit asks the emitter's devices for n events at rate a second in all.
func (e *e2e) emit(tb testing.TB, n, rate int) {
	tb.Helper()
	for _, d := range e.devs {
		e.emitOne(tb, d, n/len(e.devs), rate/len(e.devs))
	}
}

func (e *e2e) emitOne(tb testing.TB, dev Ref, n, rate int) {
	tb.Helper()
	err := e.sup.CallDriver(context.Background(), e.tenant, "emitter", func(ctx context.Context, c wuyepb.DriverClient, _ *wuyepb.Manifest) error {
		r, err := c.Execute(ctx, &wuyepb.CommandRequest{DeviceId: dev.ID.String(), Command: driver.GateOpen,
			Args: []byte(fmt.Sprintf(`{"n":%d,"rate":%d}`, n, rate))})
		if err == nil && !r.GetOk() {
			err = fmt.Errorf("emitter refused: %s", r.GetMessage())
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// handled waits until n distinct events reached the sink (or the deadline)
// and returns their latencies. It reads only what the sink appended since
// its last look: re-reading the whole file every 100 ms cost the measuring
// process more CPU than the stream it measures.
func (e *e2e) handled(tb testing.TB, n int, deadline time.Duration) (distinct int, lat []time.Duration) {
	tb.Helper()
	end := time.Now().Add(deadline)
	seen := map[string]bool{}
	var off int64
	var partial []byte
	for {
		if f, err := os.Open(e.file); err == nil {
			if _, err := f.Seek(off, io.SeekStart); err == nil {
				b, _ := io.ReadAll(f)
				off += int64(len(b))
				partial = append(partial, b...)
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					id, ns, _ := strings.Cut(string(partial[:i]), " ")
					partial = partial[i+1:]
					if !seen[id] {
						seen[id] = true
						v, _ := strconv.ParseInt(ns, 10, 64)
						lat = append(lat, time.Duration(v))
					}
				}
			}
			f.Close()
		}
		if len(seen) >= n || time.Now().After(end) {
			return len(seen), lat
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDriverToPluginEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := startE2E(t, db)
		e.emit(t, 500, 1000)
		if got, _ := e.handled(t, 500, 30*time.Second); got != 500 {
			t.Fatalf("the plugin handled %d of 500 events", got)
		}
	})
}

// BenchmarkDeviceEvents2000PerSecond runs the target: a driver
// process emitting 2,000 events/s (60 s; 3 s with -short; or
// WUYE_DEVICE_BENCH_SECONDS) through the supervisor, Accept and the
// dispatcher to a plugin process. It reports delivered/s, lost (must be 0)
// and p50/p99 emit→handled latency.
func BenchmarkDeviceEvents2000PerSecond(b *testing.B) {
	secs := 60
	if testing.Short() {
		secs = 3
	}
	if v, err := strconv.Atoi(os.Getenv("WUYE_DEVICE_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	const rate = 2000
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			for range b.N {
				e := startE2E(b, storetest.Open(b, d))
				e.warm(b)
				n := rate * secs
				start := time.Now()
				e.emit(b, n, rate)
				got, lat := e.handled(b, n, time.Duration(secs)*time.Second+30*time.Second)
				el := time.Since(start)
				slices.Sort(lat)
				pct := func(p float64) float64 {
					if len(lat) == 0 {
						return 0
					}
					return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
				}
				b.ReportMetric(float64(got)/el.Seconds(), "delivered/s")
				b.ReportMetric(float64(n-got), "lost")
				b.ReportMetric(pct(0.50), "p50_ms")
				b.ReportMetric(pct(0.99), "p99_ms")
				if got != n {
					b.Errorf("lost %d of %d events", n-got, n)
				}
			}
		})
	}
}

// logOut is where the end-to-end parts log: stderr with WUYE_TEST_LOG=1.
func logOut() io.Writer {
	if os.Getenv("WUYE_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
