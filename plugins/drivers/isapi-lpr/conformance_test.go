package main

import (
	"os/exec"
	"path/filepath"
	"testing"

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
// core starts it (driver_conformance_test.go runs the driver suite).
func TestConformanceOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	testkit.Conformance(t, buildDriver(t), testkit.Options{})
}
