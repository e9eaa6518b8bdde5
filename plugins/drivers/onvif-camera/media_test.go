package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

func TestSnapshot(t *testing.T) {
	for _, auth := range []string{"digest", "basic", "none"} {
		t.Run(auth, func(t *testing.T) {
			cam := startCam(t, sim.Options{SnapshotAuth: auth})
			c, _ := openCam(t, device(cam, "s3cret!", nil))
			res, err := c.Execute(context.Background(), driver.Command{Name: driver.CameraSnapshot})
			if err != nil || !res.OK {
				t.Fatalf("%+v %v", res, err)
			}
			if !bytes.Equal(res.Blob, sim.Picture()) || res.BlobType != "image/jpeg" {
				t.Errorf("blob %d bytes of %s", len(res.Blob), res.BlobType)
			}
		})
	}
}

func TestStreamURIWithoutCredentials(t *testing.T) {
	cam := startCam(t, sim.Options{})
	for profile, ch := range map[string]string{"": "101", "Profile_2": "102"} {
		c, _ := openCam(t, device(cam, "s3cret!", map[string]any{"profile": profile}))
		res, err := c.Execute(context.Background(), driver.Command{Name: driver.CameraStream})
		if err != nil || !res.OK {
			t.Fatalf("%+v %v", res, err)
		}
		data := res.Data.(map[string]string)
		want := "rtsp://127.0.0.1:554/Streaming/Channels/" + ch + "?transportmode=unicast"
		if data["rtsp"] != want || !strings.HasPrefix(data["snapshot"], "http://"+cam.Addr()+"/onvif/snapshot") {
			t.Errorf("profile %q: %v", profile, data)
		}
		if strings.Contains(data["rtsp"], "s3cret") || strings.Contains(data["rtsp"], "admin") {
			t.Errorf("credentials handed on: %s", data["rtsp"])
		}
	}
	c, _ := openCam(t, device(cam, "s3cret!", map[string]any{"profile": "Nope"}))
	_, err := c.Execute(context.Background(), driver.Command{Name: driver.CameraStream})
	var inv *driver.InvalidError
	if !errors.As(err, &inv) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestCommandErrors(t *testing.T) {
	cam := startCam(t, sim.Options{})
	c, _ := openCam(t, device(cam, "s3cret!", nil))
	ctx := context.Background()
	if _, err := c.Execute(ctx, driver.Command{Name: driver.GateOpen}); !errors.Is(err, driver.ErrUnsupported) {
		t.Errorf("gate.open: %v", err)
	}
	for _, mode := range []string{sim.BreakGarbage, sim.BreakHuge, sim.BreakHTTP} {
		cam.Break(mode)
		c, _ := openCam(t, device(cam, "s3cret!", nil)) // a fresh one asks for the services again
		res, err := c.Execute(ctx, driver.Command{Name: driver.CameraSnapshot})
		if err == nil {
			t.Errorf("%s: no error, %+v", mode, res)
		}
		t.Logf("%s: %v", mode, err)
	}
	cam.Break(sim.BreakFault)
	res, err := c.Execute(ctx, driver.Command{Name: driver.CameraSnapshot})
	if err != nil || res.OK || !strings.Contains(res.Message, "busy") {
		t.Errorf("fault: %+v %v", res, err)
	}
	cam.Break(sim.BreakNone)

	bad, _ := openCam(t, device(cam, "wrong", nil))
	res, err = bad.Execute(ctx, driver.Command{Name: driver.CameraSnapshot})
	if err != nil || res.OK || !strings.Contains(res.Message, "authentication failed") {
		t.Errorf("bad password: %+v %v", res, err)
	}

	gone := startCam(t, sim.Options{})
	dead, _ := openCam(t, device(gone, "s3cret!", nil))
	_ = gone.Close()
	if _, err := dead.Execute(ctx, driver.Command{Name: driver.CameraStream}); !errors.Is(err, driver.ErrUnreachable) {
		t.Errorf("closed camera: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []string{`{}`, `{"address": "nohost"}`, `{"address": "h:99999"}`, `{"address": "h:80", "scheme": "ftp"}`,
		`{"address": "h:80", "pull_timeout_s": 600}`, `[1]`} {
		_, err := open(context.Background(), driver.Device{ID: "x", Config: []byte(cfg)}, newSink())
		var inv *driver.InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("%s: %v", cfg, err)
		}
	}
}

func TestPublicStripsCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"rtsp://u:p@10.0.0.2:554/s?x=1":             "rtsp://10.0.0.2:554/s?x=1",
		"http://10.0.0.2/snap?user=admin&pwd=1&c=2": "http://10.0.0.2/snap?c=2",
		"http://10.0.0.2/snap.jpg":                  "http://10.0.0.2/snap.jpg",
	} {
		if got := public(in); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}

func TestStalledCameraEndsAtTheDeadline(t *testing.T) {
	cam := startCam(t, sim.Options{})
	c, _ := openCam(t, device(cam, "s3cret!", nil))
	if _, err := c.Execute(context.Background(), driver.Command{Name: driver.CameraSnapshot}); err != nil {
		t.Fatal(err)
	}
	cam.Stall(true)
	defer cam.Stall(false)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Execute(ctx, driver.Command{Name: driver.CameraSnapshot})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("after %s: %v", time.Since(start), err)
	}
}

func TestSnapshotStaysOnTheConfiguredHost(t *testing.T) {
	cl := newClient(config{Scheme: "http", Address: "10.0.0.9:8000"}, "")
	for in, want := range map[string]string{
		"http://192.168.1.64/onvif/snap.jpg": "http://10.0.0.9:80/onvif/snap.jpg",
		"http://evil.example:8080/x?a=1":     "http://10.0.0.9:8080/x?a=1",
		"http://u:p@10.0.0.9:8000/s":         "http://10.0.0.9:8000/s",
		"https://192.168.1.64/snap":          "https://10.0.0.9:443/snap",
	} {
		if got, err := cl.pinned(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
}
