package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestDriverConformance runs the driver conformance suite on the built
// binary with one device on the simulator.
func TestDriverConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	cam := startCam(t, sim.Options{})
	bin := filepath.Join(t.TempDir(), "onvif-camera")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.DriverConformance(t, bin, testkit.DriverOptions{
		Devices: []testkit.Device{{ID: "cam-1", Name: "东门", Class: driver.Camera,
			Config:  map[string]any{"address": cam.Addr(), "username": "admin", "pull_timeout_s": 1},
			Secrets: map[string]string{"password": "s3cret!"}}},
		BadConfig: map[string]any{"address": "no-port"},
		Command:   driver.CameraSnapshot,
		Stall:     cam.Stall,
	})
}

// TestThroughTheHost runs the driver in process against the testkit's
// host: the device is opened from the host's list, an alarm reaches the
// host as a camera.alarm event, a snapshot comes back over gRPC.
func TestThroughTheHost(t *testing.T) {
	fast(t)
	cam := startCam(t, sim.Options{})
	h := testkit.StartDriver(t, newDriver(), testkit.Device{ID: "cam-1", Class: driver.Camera,
		Config:  map[string]any{"address": cam.Addr(), "username": "admin", "pull_timeout_s": 1},
		Secrets: map[string]string{"password": "s3cret!"}})
	eventually(t, "subscribed", func() bool { return cam.Stats().Subscriptions == 1 })
	_ = cam.Alarm(sim.Smoke, true)
	ev := h.WaitEvent(driver.CameraAlarm, 5*time.Second)
	t.Logf("event: %s", ev.Payload)
	res, err := h.Execute("cam-1", driver.CameraSnapshot, nil)
	if err != nil || !res.Ok || len(res.Blob) == 0 {
		t.Fatalf("snapshot: %v %v", res, err)
	}
}
