package main

import (
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/examples/driver/sim"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestConformance builds the driver and runs the suite against the binary
// with a simulated board, as the core would run it.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "acme-relay")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	board := sim.NewBoard("s3cret")
	srv := httptest.NewServer(board)
	defer srv.Close()
	defer board.Stall(false)
	testkit.DriverConformance(t, bin, testkit.DriverOptions{
		Devices:   []testkit.Device{gate("gate-1", srv.URL)},
		BadConfig: map[string]any{"url": "ftp://board"},
		Command:   driver.GateOpen,
		Args:      map[string]string{"reason": "conformance"},
		Push:      []byte(`{"seq": 1, "type": "card", "input": 1, "card": "0012345678", "granted": true, "ts": 1700000000}`),
		PushType:  "application/json",
		Stall:     board.Stall,
	})
	if len(board.Pulses()) == 0 {
		t.Error("the suite's gate.open never reached the board")
	}
}
