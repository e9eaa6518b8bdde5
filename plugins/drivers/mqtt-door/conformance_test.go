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

// The built binary passes the SDK's conformance suite, as the operator's
// registration requires.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// A driver's Start lists its devices; the FakeHost answers that once
	// the SDK's driver harness is merged (drvkit).
	host := testkit.NewFakeHost(New().Plugin().Manifest())
	if _, err := host.ListDriverDevices(context.Background(), &wuyepb.ListDriverDevicesRequest{}); status.Code(err) == codes.Unimplemented {
		t.Skip("testkit.FakeHost does not implement ListDriverDevices yet: a driver cannot Start against it")
	}
	bin := filepath.Join(t.TempDir(), "mqtt-door")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.Conformance(t, bin, testkit.Options{})
}
