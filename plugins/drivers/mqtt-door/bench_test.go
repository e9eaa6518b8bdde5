package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

// BenchmarkExecute is one door.open round trip through the broker: the
// command out, the simulator's ack back; on the machine's Mosquitto and on
// the embedded broker.
func BenchmarkExecute(b *testing.B) {
	b.Run("mosquitto", func(b *testing.B) { benchExecute(b, benchBroker(b)) })
	b.Run("embedded", func(b *testing.B) {
		srv, err := sim.Broker("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		benchExecute(b, srv.Addr())
	})
}

func benchExecute(b *testing.B, addr string) {
	p := "wuye-bench/" + randomID()
	door, err := sim.NewDoor(sim.Options{Broker: addr, Prefix: p, Serial: "B1", QoS: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer door.Close()
	c := benchConn(b, addr, p, "B1")
	defer c.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		res, err := c.Execute(ctx, driver.Command{Name: driver.DoorOpen, RequestID: fmt.Sprint("r", i)})
		if err != nil || !res.OK {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkEvents is access events from a controller to the sink through
// the broker at QoS 1, measured when the last arrives.
func BenchmarkEvents(b *testing.B) {
	addr, p := benchBroker(b), "wuye-bench/"+randomID()
	door, err := sim.NewDoor(sim.Options{Broker: addr, Prefix: p, Serial: "B2", QoS: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer door.Close()
	sink := &countSink{got: make(chan struct{}, 1)}
	c := benchConnSink(b, addr, p, "B2", sink)
	defer c.Close()
	b.ResetTimer()
	n := b.N
	sink.want.Store(int64(n))
	for range n {
		if _, err := door.Swipe("card", "3000012345", true); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-sink.got:
	case <-time.After(30 * time.Second):
		b.Fatalf("%d of %d events arrived", sink.n.Load(), n)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func benchBroker(b *testing.B) string {
	b.Helper()
	return mosquitto(b)
}

// countSink counts events and signals when want have arrived.
type countSink struct {
	n, want atomic.Int64
	got     chan struct{}
}

func (s *countSink) Emit(driver.Event) {
	if s.n.Add(1) == s.want.Load() {
		s.got <- struct{}{}
	}
}

func (s *countSink) Status(string, string) {}

func benchConn(b *testing.B, addr, p, serial string) *conn {
	return benchConnSink(b, addr, p, serial, &countSink{got: make(chan struct{}, 1)})
}

func benchConnSink(b *testing.B, addr, p, serial string, sink driver.Sink) *conn {
	b.Helper()
	cfg := fmt.Sprintf(`{"broker":%q,"prefix":%q,"serial":%q}`, addr, p, serial)
	c, err := open(context.Background(), driver.Device{ID: serial, Class: driver.DoorController, Config: []byte(cfg)}, sink)
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the subscription settles
	return c.(*conn)
}
