package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// mosquitto is the machine's broker; under CI its absence fails the test.
func mosquitto(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("WUYE_TEST_MQTT_ADDR")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("WUYE_TEST_MQTT_ADDR is not set (CI needs the MQTT broker)")
		}
		t.Skip("WUYE_TEST_MQTT_ADDR is not set")
	}
	return addr
}

// prefix is a topic prefix no other test run shares.
func prefix(t *testing.T) string { return "wuye-test/" + randomID() }

// device is a registered device's spec.
func device(t *testing.T, id, class string, cfg map[string]any) driver.Device {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return driver.Device{ID: id, Name: id, Class: class, Config: b}
}

// openConn opens dev with a recording sink, closed when the test ends.
func openConn(t *testing.T, dev driver.Device) (*conn, *testkit.Sink) {
	t.Helper()
	sink := testkit.NewSink()
	c, err := open(context.Background(), dev, sink)
	if err != nil {
		t.Fatalf("open %s: %v", dev.ID, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*conn), sink
}

// newDoor starts a simulated controller, closed when the test ends.
func newDoor(t *testing.T, o sim.Options) *sim.Door {
	t.Helper()
	d, err := sim.NewDoor(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
