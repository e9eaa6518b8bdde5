package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// buildDriver builds the driver binary into a temporary directory.
func buildDriver(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "isapi-lpr")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestConformanceOfTheBinary builds the driver and runs the SDK's
// plugin-level conformance suite on it, started through go-plugin as the
// core starts it. A driver's Start lists its devices, so the suite needs a
// FakeHost that serves the driver calls (the drvkit work); until that is
// in the SDK the test says so and skips.
func TestConformanceOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	_, err := testkit.NewFakeHost(nil).ListDriverDevices(context.Background(), &wuyepb.ListDriverDevicesRequest{})
	if status.Code(err) == codes.Unimplemented {
		t.Skip("testkit.FakeHost does not serve ListDriverDevices yet; driver_conformance_test.go (build tag drvkit) runs testkit.DriverConformance once it does")
	}
	testkit.Conformance(t, buildDriver(t), testkit.Options{})
}
