package stream

import "github.com/prometheus/client_golang/prometheus"

// metrics are the stream's series, labelled by plugin (never tenant), so
// their number does not grow with tenants.
type metrics struct {
	accepted, duplicates prometheus.Counter
	delivered, failed    *prometheus.CounterVec
	latency              *prometheus.HistogramVec
	lag                  *prometheus.GaugeVec
}

func newMetrics() *metrics {
	return &metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "wuye_device_events_accepted_total",
			Help: "Device events written to the log."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "wuye_device_events_duplicates_total",
			Help: "Device events dropped as repeats (same key, same keyless payload within 1s, same plate within 2s)."}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wuye_device_events_delivered_total",
			Help: "Device events a feature plugin handled, by plugin."}, []string{"plugin"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wuye_device_events_failed_total",
			Help: "Device events skipped after every attempt failed, by plugin."}, []string{"plugin"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wuye_device_event_delivery_seconds",
			Help:    "Time from receiving a device event to a plugin having handled it, by plugin.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30}}, []string{"plugin"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wuye_device_event_lag_seconds",
			Help: "Age of the oldest event a plugin's consumer had still to deliver at its last read (0: caught up), by plugin."}, []string{"plugin"}),
	}
}

// Collectors are the stream's series, for the API's /metrics.
func (s *Stream) Collectors() []prometheus.Collector {
	m := s.m
	return []prometheus.Collector{m.accepted, m.duplicates, m.delivered, m.failed, m.latency, m.lag}
}
