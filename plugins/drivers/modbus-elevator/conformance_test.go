package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/plugins/drivers/modbus-elevator/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestConformanceOfTheBinary builds the driver and runs the SDK's driver
// conformance suite on it, started through go-plugin as the core starts
// it, with one lift simulator registered as its device.
func TestConformanceOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	lift, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lift.Close() })
	bin := filepath.Join(t.TempDir(), "modbus-elevator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.DriverConformance(t, bin, testkit.DriverOptions{
		Devices: []testkit.Device{{ID: "lift-1", Class: driver.ElevatorController,
			Config: map[string]any{"address": lift.Addr(), "poll_ms": 200}}},
		BadConfig: map[string]any{"address": lift.Addr(), "poll_ms": 200, "trapped_after_s": -1},
	})
}
