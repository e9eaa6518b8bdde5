package testkit_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestConformanceOfTheExample builds the example plugin and runs the suite
// against the binary, as a vendor runs it against theirs.
func TestConformanceOfTheExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "hello")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/hello").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testkit.Conformance(t, bin, testkit.Options{Config: `{"greeting": "您好"}`})
}
