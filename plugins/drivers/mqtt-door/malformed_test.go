package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

// Garbage on a device's topics is dropped and counted; the next good event
// still arrives.
func TestMalformedPayloadsAreDropped(t *testing.T) {
	t.Parallel()
	addr, p := mosquitto(t), prefix(t)
	door := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "M1", QoS: 1})
	c, sink := openConn(t, device(t, "dev-m", driver.DoorController, map[string]any{"broker": addr, "prefix": p, "serial": "M1"}))
	sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)

	bad := map[string][]string{
		"event": {
			``, `null`, `[]`, `{`, `"card"`, `{"id":"x","method":"card"}`, // no granted
			`{"id":"x","method":"teleport","granted":true}`,
			`{"id":"x","method":"card","granted":"yes"}`,
			`{"id":"x","method":"card","granted":true,"door":{"a":1}}`,
			`{"id":"x","method":"card","granted":true,"door":-3}`,
			`{"id":"x","method":"card","granted":true,"credential":"` + strings.Repeat("9", 1000) + `"}`,
			`{"id":"x","method":"card","granted":true,"credential":"` + strings.Repeat("9", 200<<10) + `"}`,
			"\xff\xfe\x00garbage",
			strings.Repeat("[", 5000),
		},
		"status": {"rebooting", ""},
		"ack":    {`{"ok":true}`, `nope`},
	}
	want := 0
	for suffix, payloads := range bad {
		for _, pl := range payloads {
			if err := door.Raw(suffix, []byte(pl)); err != nil {
				t.Fatal(err)
			}
			want++
		}
	}
	// A huge message, far beyond any event.
	if err := door.Raw("event", bytes.Repeat([]byte("x"), 1<<20)); err != nil {
		t.Fatal(err)
	}
	want++

	id, _ := door.Swipe("password", "******", true)
	if ev := sink.Wait(t, driver.DoorAccessed, 5*time.Second); ev.Key != id {
		t.Fatalf("got %q, want the good event %q", ev.Key, id)
	}
	eventually(t, 2*time.Second, "all dropped", func() bool { return c.Dropped() == uint64(want) })
	if n := len(sink.Events()); n != 0 {
		t.Fatalf("%d bad events emitted", n)
	}
}
