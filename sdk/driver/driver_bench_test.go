package driver_test

import (
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// BenchmarkSinkToHost measures events a Conn emits reaching the host over
// gRPC (batched by the runtime): ns/op is per event.
func BenchmarkSinkToHost(b *testing.B) {
	l, d := newLab()
	h := testkit.StartDriver(b, d, gate("gate-1", "a"))
	s := l.sink("gate-1")
	data := driver.Plate{Plate: "粤B12345", Confidence: 90, Direction: "in"}
	b.ResetTimer()
	for i := range b.N {
		s.Emit(driver.Event{Type: driver.PlateRecognized, Key: itoa(i), Data: data})
	}
	deadline := time.Now().Add(time.Minute)
	for h.Host.EmitBatches() == 0 || h.Host.EmittedCount() < b.N {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d events arrived", h.Host.EmittedCount(), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/float64(h.Host.EmitBatches()), "events/batch")
}
