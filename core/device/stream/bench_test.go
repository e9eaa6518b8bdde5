package stream

import (
	"context"
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// BenchmarkAcceptToHandled pushes b.N door events from 20 devices, 50 per
// Accept call (a driver's batch), through the log to an in-process
// recording plugin, and reports delivered/s (one sender: each call waits
// for its commit). Latency is on /metrics (wuye_device_event_delivery_seconds).
func BenchmarkAcceptToHandled(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			f := newFixture(b, storetest.Open(b, d))
			s, _ := f.start(b)
			devs := make([]Ref, 20)
			for i := range devs {
				devs[i] = f.reg.add(f.tenant, "acme")
			}
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i += 50 {
				var evs []*wuyepb.DeviceEvent
				for j := i; j < min(i+50, b.N); j++ {
					evs = append(evs, door(devs[j%len(devs)], j))
				}
				if _, _, err := s.Accept(ctx, f.tenant, "acme", evs); err != nil {
					b.Fatal(err)
				}
			}
			f.rec.waitN(b, b.N)
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "delivered/s")
		})
	}
}
