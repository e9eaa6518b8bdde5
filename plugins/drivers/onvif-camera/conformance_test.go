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

// TestConformanceOfTheBinary builds the driver and runs the SDK's
// conformance suite on it, started through go-plugin as the core starts it.
func TestConformanceOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	// A driver's Start lists its devices; a FakeHost without the driver
	// calls (before the testkit's driver support lands) cannot start one.
	_, err := testkit.NewFakeHost(nil).ListDriverDevices(context.Background(), &wuyepb.ListDriverDevicesRequest{})
	if status.Code(err) == codes.Unimplemented {
		t.Skip("this testkit's FakeHost has no driver calls yet")
	}
	bin := filepath.Join(t.TempDir(), "onvif-camera")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.Conformance(t, bin, testkit.Options{})
}
