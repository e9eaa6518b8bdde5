package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestConformanceOfTheBinary builds the plugin and runs the SDK's
// conformance suite on it, started through go-plugin as the core starts it,
// with the demo manifest's configuration.
func TestConformanceOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "parking")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.Conformance(t, bin, testkit.Options{Config: demoConfig(t)})
}
