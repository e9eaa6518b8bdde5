package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// The built binary passes the SDK's driver conformance suite against a
// simulated controller: it lists and opens the device, opens the door,
// and a command the controller never acks ends at its deadline.
func TestDriverConformance(t *testing.T) {
	addr, p := mosquitto(t), prefix(t)
	door := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "C1"})
	bin := filepath.Join(t.TempDir(), "mqtt-door")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.DriverConformance(t, bin, testkit.DriverOptions{
		Devices: []testkit.Device{{ID: "door-1", Class: driver.DoorController,
			Config: map[string]any{"broker": addr, "prefix": p, "serial": "C1", "ack_timeout_ms": 1000}}},
		BadConfig: map[string]any{"broker": addr, "prefix": p, "serial": "x/y"},
		Command:   driver.DoorOpen,
		Stall:     door.SetNeverAck,
	})
}
