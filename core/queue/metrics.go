package queue

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the queues when /metrics is scraped: nothing is counted
// twice across processes, since Redis and the outbox are the shared truth.
type collector struct {
	q                          *Queue
	size, latency, backlog     *prometheus.Desc
	outboxLatency              *prometheus.Desc
	processed, failed, scrapes *prometheus.Desc
}

// Collectors returns the queue's Prometheus collectors for the /metrics registry.
func (q *Queue) Collectors() []prometheus.Collector {
	return []prometheus.Collector{&collector{
		q:             q,
		size:          prometheus.NewDesc("wuye_queue_tasks", "Tasks in Redis by queue and state.", []string{"queue", "state"}, nil),
		latency:       prometheus.NewDesc("wuye_queue_latency_seconds", "Age of the oldest pending task in Redis.", []string{"queue"}, nil),
		backlog:       prometheus.NewDesc("wuye_queue_outbox_rows", "Outbox rows by queue and state (pending = not yet relayed).", []string{"queue", "state"}, nil),
		outboxLatency: prometheus.NewDesc("wuye_queue_outbox_latency_seconds", "Age of the oldest due outbox row not yet relayed.", []string{"queue"}, nil),
		processed:     prometheus.NewDesc("wuye_queue_processed_total", "Tasks processed (succeeded or failed) since the queue was created.", []string{"queue"}, nil),
		failed:        prometheus.NewDesc("wuye_queue_failed_total", "Task runs that failed since the queue was created.", []string{"queue"}, nil),
		scrapes:       prometheus.NewDesc("wuye_queue_scrape_error", "1 when reading the queue state failed.", nil, nil),
	}}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.latency, c.backlog, c.outboxLatency, c.processed, c.failed, c.scrapes} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := c.q.Stats(ctx)
	if err != nil {
		c.q.log.Warn("queue metrics", "err", err)
		ch <- prometheus.MustNewConstMetric(c.scrapes, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapes, prometheus.GaugeValue, 0)
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for _, s := range stats {
		g(c.size, float64(s.Pending), s.Queue, "pending")
		g(c.size, float64(s.Active), s.Queue, "active")
		g(c.size, float64(s.Scheduled), s.Queue, "scheduled")
		g(c.size, float64(s.Retry), s.Queue, "retry")
		g(c.size, float64(s.Archived), s.Queue, "archived")
		g(c.latency, s.LatencySeconds, s.Queue)
		g(c.backlog, float64(s.OutboxPending), s.Queue, "pending")
		g(c.backlog, float64(s.OutboxSent), s.Queue, "sent")
		g(c.backlog, float64(s.OutboxDead), s.Queue, "dead")
		g(c.outboxLatency, s.OutboxLatencySeconds, s.Queue)
		ch <- prometheus.MustNewConstMetric(c.processed, prometheus.CounterValue, float64(s.ProcessedTotal), s.Queue)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(s.FailedTotal), s.Queue)
	}
}
