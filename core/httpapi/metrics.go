package httpapi

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where Prometheus scrapes the process.
const MetricsPath = "/metrics"

// PromText marks a route answering the Prometheus text format.
type PromText string

func (PromText) ContentType() string { return "text/plain" }

// metrics are the API's own series, kept in a registry the Server owns (not
// the global default) so that many servers can live in one test binary.
type metrics struct {
	reg      *prometheus.Registry
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newMetrics(d Deps) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wuye_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route template and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wuye_http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
	}
	m.reg.MustRegister(m.latency, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(d.Collectors...)
	return m
}

// observe times every request. The route label is the template (/users/:id),
// never the raw path, so the number of series stays bounded.
func (m *metrics) observe(c *gin.Context) {
	start := time.Now()
	m.inFlight.Inc()
	defer m.inFlight.Dec()
	c.Next()
	route := routeLabel(c)
	if route == "" {
		route = "unmatched"
	}
	m.latency.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
}

func (s *Server) metricsRoutes() []Route {
	if s.MetricsDisabled {
		return nil
	}
	h := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
	return []Route{{Method: "GET", Path: MetricsPath, Public: true, Tag: "meta", Summary: "Prometheus metrics",
		Response: PromText(""), Handler: func(c *gin.Context) error {
			h.ServeHTTP(c.Writer, c.Request)
			return nil
		}}}
}

// Registry is the Server's Prometheus registry (to add collectors after New,
// or to gather in tests).
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }
