package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

func TestDiscoverFindsTheCamera(t *testing.T) {
	cam := startCam(t, sim.Options{Discovery: "127.0.0.1:0", Name: "东门 枪机"})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	params, _ := json.Marshal(map[string]any{"targets": []string{cam.DiscoveryAddr(), cam.DiscoveryAddr()}})
	found, err := discover(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("found %+v", found)
	}
	f := found[0]
	if f.Class != driver.Camera || f.Name != "东门 枪机" || f.Model != "SIM-2000" || f.Serial == "" ||
		f.Config.(map[string]any)["address"] != cam.Addr() {
		t.Errorf("found %+v", f)
	}
	// What it found opens.
	b, _ := json.Marshal(map[string]any{"address": cam.Addr(), "username": "admin"})
	c, _ := openCam(t, driver.Device{ID: "found", Config: b, Secrets: map[string]string{"password": "s3cret!"}})
	if res, err := c.Execute(context.Background(), driver.Command{Name: driver.CameraStream}); err != nil || !res.OK {
		t.Errorf("stream of the found camera: %+v %v", res, err)
	}
}

func TestDiscoverBadParams(t *testing.T) {
	var inv *driver.InvalidError
	for _, p := range []string{`{"targets": "x"}`, `{"targets": ["no port"]}`, `[`} {
		if _, err := discover(context.Background(), json.RawMessage(p)); !errors.As(err, &inv) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if got := probeMatches([]byte("<garbage uuid:1"), "uuid:1"); got != nil {
		t.Errorf("garbage: %+v", got)
	}
}
