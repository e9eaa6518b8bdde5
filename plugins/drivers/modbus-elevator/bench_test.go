package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/modbus-elevator/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// BenchmarkPoll is one poll of a box over loopback TCP: the request, the
// library server's answer through the simulator's relay, and decoding.
func BenchmarkPoll(b *testing.B) {
	l, err := sim.New(sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	// A long poll interval keeps the conn's own loop out of the way.
	cfg := json.RawMessage(`{"address":"` + l.Addr() + `","poll_ms":3600000}`)
	c, err := open(context.Background(), driver.Device{ID: "b", Config: cfg}, testkit.NewSink())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cn := c.(*conn)
	b.ResetTimer()
	for b.Loop() {
		if _, err := cn.poll(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObserve is the rules on one unchanged reading, the common case.
func BenchmarkObserve(b *testing.B) {
	w := newWatch("b", 30*time.Second)
	s := idleAt(3)
	now := time.Now()
	w.observe(s, now)
	for b.Loop() {
		s.Heartbeat++
		if evs := w.observe(s, now); len(evs) != 0 {
			b.Fatal("events from an unchanged lift")
		}
	}
}
