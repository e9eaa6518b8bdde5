package testkit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestDriverConformanceFailsABrokenDriver proves the suite catches what a
// broken driver (testdata/brokendriver) gets wrong: it runs the suite on
// it in a child test process and expects that to fail, naming each fault.
func TestDriverConformanceFailsABrokenDriver(t *testing.T) {
	if bin := os.Getenv("WUYE_TESTKIT_BROKEN_DRIVER"); bin != "" {
		testkit.DriverConformance(t, bin, testkit.DriverOptions{
			Devices: []testkit.Device{{ID: "dev-1", Class: "toaster", Config: `{}`}},
		})
		return
	}
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "brokendriver")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/brokendriver").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDriverConformanceFailsABrokenDriver$", "-test.v")
	cmd.Env = append(os.Environ(), "WUYE_TESTKIT_BROKEN_DRIVER="+bin)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a broken driver:\n%s", out)
	}
	for _, want := range []string{
		`device class "toaster" is not canonical`,
		`command "make.toast" is neither canonical nor the driver's own`,
		`device_schema: a device's config is an object`,
		"did not list its devices",
		"RemoveDevice of an unknown id",
		"on an unknown device: rpc error: code = Unknown",
		"the driver process died",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the suite's output does not say %q:\n%s", want, out)
		}
	}
}

// TestCheckDriverManifestTakesOwnNames: "<name>.<x>" is a driver's own.
func TestCheckDriverManifestTakesOwnNames(t *testing.T) {
	d := &driver.Driver{Name: "acme", Version: "1.0.0", TitleEN: "A", TitleZH: "甲", Classes: []string{driver.Camera},
		DeviceSchema: []byte(`{"type": "object"}`), Commands: []string{driver.CameraSnapshot, "acme.reboot"},
		Events: []string{"acme.tamper", "other.tamper"}}
	got := testkit.CheckDriverManifest(d.Plugin().Manifest())
	if len(got) != 1 || !strings.Contains(got[0], `"other.tamper"`) {
		t.Errorf("problems %v; want only other.tamper", got)
	}
}
