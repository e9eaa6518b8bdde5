package pluginhost

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// benchEnv is env for benchmarks (quiet logs, no alerts channel to drain).
func benchEnv(b *testing.B, opt Options) (*Supervisor, *resolver, string) {
	b.Helper()
	res := newResolver()
	opt.Resolver, opt.Host, opt.Registerer = res, hostFactory, prometheus.NewRegistry()
	opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sup, err := New(opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = sup.Shutdown(ctx)
	})
	return sup, res, b.TempDir()
}

func hello(ctx context.Context, sup *Supervisor, tenant uuid.UUID, plugin string) error {
	return sup.Call(ctx, tenant, plugin, func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
		_, err := c.HandleHTTP(ctx, &wuyepb.HTTPRequest{Method: "GET", Path: "/hello"})
		return err
	})
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkColdStart: from a Call with no process (checksum of the binary,
// exec, handshake with AutoMTLS, Describe, Start with the Host brokered) to
// its HandleHTTP answered. Target: p50 ≤ 30 ms.
func BenchmarkColdStart(b *testing.B) {
	sup, res, dir := benchEnv(b, Options{})
	path, sum := install(b, dir, "good", "good")
	tenant := uuid.New()
	res.set(Spec{TenantID: tenant, TenantCode: "bench", Name: "good", Version: "1.0.0", Path: path, SHA256: sum})
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := hello(context.Background(), sup, tenant, "good"); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		b.StopTimer()
		sup.Stop(tenant, "good")
		b.StartTimer()
	}
	b.ReportMetric(float64(percentile(took, .5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(took, .99).Microseconds())/1000, "p99-ms")
}

// BenchmarkWarmCall: one HandleHTTP round trip to a running process through
// Call, for comparison with the cold start.
func BenchmarkWarmCall(b *testing.B) {
	sup, res, dir := benchEnv(b, Options{})
	path, sum := install(b, dir, "good", "good")
	tenant := uuid.New()
	res.set(Spec{TenantID: tenant, TenantCode: "bench", Name: "good", Version: "1.0.0", Path: path, SHA256: sum})
	if err := hello(context.Background(), sup, tenant, "good"); err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := hello(context.Background(), sup, tenant, "good"); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.ReportMetric(float64(percentile(took, .5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(took, .99).Microseconds()), "p99-µs")
}

// BenchmarkIdlePSS: the proportional set size of an idle plugin process,
// alone and as one of ten copies of the same binary (which share its text).
// Target: ≤ 4 MB. It measures once, whatever b.N.
func BenchmarkIdlePSS(b *testing.B) {
	{
		sup, res, dir := benchEnv(b, Options{})
		path, sum := install(b, dir, "good", "good")
		var tenants []uuid.UUID
		for i := range 10 {
			t := uuid.New()
			tenants = append(tenants, t)
			res.set(Spec{TenantID: t, TenantCode: "bench" + strconv.Itoa(i), Name: "good", Version: "1.0.0", Path: path, SHA256: sum})
		}
		if err := hello(context.Background(), sup, tenants[0], "good"); err != nil {
			b.Fatal(err)
		}
		time.Sleep(2 * time.Second) // let it settle (GC, page faults of start-up)
		p, _ := procOf(sup, tenants[0])
		one := pss(p.PID)
		for _, t := range tenants[1:] {
			if err := hello(context.Background(), sup, t, "good"); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second)
		var total, rss int64
		for _, t := range tenants {
			p, _ := procOf(sup, t)
			total += pss(p.PID)
			rss += procRSS(p.PID)
		}
		b.ReportMetric(float64(one)/(1<<20), "pss-alone-MB")
		b.ReportMetric(float64(total)/10/(1<<20), "pss-of-10-MB")
		b.ReportMetric(float64(rss)/10/(1<<20), "rss-of-10-MB")
		_ = sup.Shutdown(context.Background())
	}
}

// BenchmarkManyTenants (WUYE_BENCH_PLUGIN_TENANTS=N, e.g. 1000) starts one
// live plugin process for each of N tenants and prints what the host holds:
// its RSS, its file descriptors, and the processes' total PSS. It measures
// once, whatever b.N.
func BenchmarkManyTenants(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("WUYE_BENCH_PLUGIN_TENANTS"))
	if n <= 0 {
		b.Skip("set WUYE_BENCH_PLUGIN_TENANTS=N to start N tenants' plugin processes")
	}
	{ // once, whatever b.N
		sup, res, dir := benchEnv(b, Options{IdleTimeout: -1, HealthInterval: 30 * time.Second})
		path, sum := install(b, dir, "good", "good")
		fds0, rss0 := fdCount(), procRSS(os.Getpid())
		tenants := make([]uuid.UUID, n)
		for i := range tenants {
			tenants[i] = uuid.New()
			res.set(Spec{TenantID: tenants[i], TenantCode: fmt.Sprintf("t%05d", i), Name: "good", Version: "1.0.0", Path: path, SHA256: sum})
		}
		start := time.Now()
		var wg sync.WaitGroup
		work := make(chan uuid.UUID)
		errs := make(chan error, n)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := range work {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					if err := hello(ctx, sup, t, "good"); err != nil {
						errs <- err
					}
					cancel()
				}
			}()
		}
		for _, t := range tenants {
			work <- t
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		startAll := time.Since(start)
		time.Sleep(3 * time.Second)
		var plugins int64
		live := 0
		for _, p := range sup.Processes() {
			if p.PID != 0 && p.State == StateRunning {
				live++
				plugins += pss(p.PID)
			}
		}
		// A warm call to every tenant, all live at once.
		start = time.Now()
		for _, t := range tenants {
			if err := hello(context.Background(), sup, t, "good"); err != nil {
				b.Fatal(err)
			}
		}
		round := time.Since(start)
		fds, rss := fdCount(), procRSS(os.Getpid())
		b.Logf("%d tenants, %d live plugin processes started in %s; host RSS %d MB (%d MB before), host fds %d (%d before, %.1f per process); plugins' total PSS %d MB (%.1f MB each); one call to each tenant in turn %s",
			n, live, startAll.Round(time.Millisecond), rss>>20, rss0>>20, fds, fds0, float64(fds-fds0)/float64(live),
			plugins>>20, float64(plugins)/float64(max(live, 1))/(1<<20), round.Round(time.Millisecond))
		b.ReportMetric(float64(live), "processes")
		b.ReportMetric(float64(rss)/(1<<20), "host-rss-MB")
		b.ReportMetric(float64(fds), "host-fds")
		b.ReportMetric(float64(plugins)/float64(max(live, 1))/(1<<20), "plugin-pss-MB")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_ = sup.Shutdown(ctx)
		cancel()
	}
}

func procOf(sup *Supervisor, tenant uuid.UUID) (ProcessInfo, bool) {
	for _, p := range sup.Processes() {
		if p.TenantID == tenant {
			return p, true
		}
	}
	return ProcessInfo{}, false
}

// procRSS is a process's resident set size (VmRSS) in bytes.
func procRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	return kbField(b, "VmRSS:")
}

func fdCount() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}
