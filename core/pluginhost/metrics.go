package pluginhost

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// metrics are the supervisor's series. Per-call series are labelled by plugin
// and RPC, not by tenant, so their number does not grow with tenants; what is
// per process (memory, state) is read from the live processes at scrape time.
type metrics struct {
	starts   *prometheus.HistogramVec
	calls    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	restarts *prometheus.CounterVec
	rejected *prometheus.CounterVec
	procs    *procCollector
}

func newMetrics(s *Supervisor) *metrics {
	m := &metrics{
		starts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wuye_plugin_start_duration_seconds",
			Help:    "Time from launching a plugin process to its Start answered (checksum, exec, handshake, Describe, Start), by plugin and outcome.",
			Buckets: []float64{.005, .01, .02, .03, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"plugin", "outcome"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wuye_plugin_calls_total",
			Help: "Calls from the host to plugin processes, by plugin, RPC and gRPC status code.",
		}, []string{"plugin", "rpc", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wuye_plugin_call_duration_seconds",
			Help:    "Time a plugin process took to answer a call, by plugin and RPC.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"plugin", "rpc"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wuye_plugin_restarts_total",
			Help: "Plugin processes lost and restarted (or left down when the circuit opened), by plugin and reason: exited, health, memory, start_failed.",
		}, []string{"plugin", "reason"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wuye_plugin_rejected_calls_total",
			Help: "Calls refused without reaching a process, by plugin and reason: in_flight (the process's limit), circuit_open, checksum.",
		}, []string{"plugin", "reason"}),
		procs: &procCollector{s: s,
			memory:  prometheus.NewDesc("wuye_plugin_process_memory_bytes", "Proportional set size of a plugin process at its last sample.", []string{"tenant", "plugin"}, nil),
			calls:   prometheus.NewDesc("wuye_plugin_process_calls", "Calls a plugin process has served since it started.", []string{"tenant", "plugin"}, nil),
			uptime:  prometheus.NewDesc("wuye_plugin_process_start_time_seconds", "When a plugin process started (Unix time).", []string{"tenant", "plugin"}, nil),
			states:  prometheus.NewDesc("wuye_plugin_processes", "Tenant plugin slots by state: starting, running, restarting, circuit_open.", []string{"state"}, nil),
			circuit: prometheus.NewDesc("wuye_plugin_circuit_open", "1 while a tenant's plugin is not restarted because it kept crashing (until Reset).", []string{"tenant", "plugin"}, nil),
		},
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.starts, m.calls, m.latency, m.restarts, m.rejected, m.procs}
}

// pluginService prefixes the Plugin service's methods; the connection also
// carries go-plugin's own broker, stdio and controller calls, not counted.
const pluginService = "/wuye.plugin.v1.Plugin/"

// interceptor times every unary call to one plugin's processes.
func (m *metrics) interceptor(plugin string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		rpc, ok := strings.CutPrefix(method, pluginService)
		if !ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		start := time.Now()
		err := invoker(ctx, method, req, reply, cc, opts...)
		m.latency.WithLabelValues(plugin, rpc).Observe(time.Since(start).Seconds())
		m.calls.WithLabelValues(plugin, rpc, status.Code(err).String()).Inc()
		return err
	}
}

// procCollector reads the supervisor's processes when /metrics is scraped.
type procCollector struct {
	s                                      *Supervisor
	memory, calls, uptime, states, circuit *prometheus.Desc
}

func (c *procCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.memory, c.calls, c.uptime, c.states, c.circuit} {
		ch <- d
	}
}

func (c *procCollector) Collect(ch chan<- prometheus.Metric) {
	states := map[State]int{StateStarting: 0, StateRunning: 0, StateRestarting: 0, StateCircuitOpen: 0}
	for _, p := range c.s.Processes() {
		states[p.State]++
		tenant := p.TenantCode
		if tenant == "" {
			tenant = p.TenantID.String()
		}
		open := 0.0
		if p.State == StateCircuitOpen {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(c.circuit, prometheus.GaugeValue, open, tenant, p.Plugin)
		if p.PID == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.memory, prometheus.GaugeValue, float64(p.MemoryBytes), tenant, p.Plugin)
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(p.Calls), tenant, p.Plugin)
		ch <- prometheus.MustNewConstMetric(c.uptime, prometheus.GaugeValue, float64(p.StartedAt.UnixNano())/1e9, tenant, p.Plugin)
	}
	for st, n := range states {
		ch <- prometheus.MustNewConstMetric(c.states, prometheus.GaugeValue, float64(n), string(st))
	}
}
