package sim

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthChallengesAndRefuses(t *testing.T) {
	for _, auth := range []string{"digest", "basic"} {
		cam, err := New(Options{Username: "admin", Password: "pw", Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		defer cam.Close()
		req, _ := http.NewRequest(http.MethodPut, cam.URL()+"/ISAPI/Parking/channels/1/barrierGate", strings.NewReader("<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(strings.ToLower(resp.Header.Get("WWW-Authenticate")), auth) {
			t.Errorf("%s: %d %q; want 401 with a %s challenge", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), auth)
		}
		req, _ = http.NewRequest(http.MethodGet, cam.URL()+"/ISAPI/System/deviceInfo", nil)
		req.SetBasicAuth("admin", "wrong")
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: a wrong password answered %d", auth, resp.StatusCode)
		}
		if len(cam.Commands()) != 0 {
			t.Errorf("%s: commands recorded without auth: %+v", auth, cam.Commands())
		}
	}
}

func TestSnapshotIsAJPEG(t *testing.T) {
	cam, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	resp, err := http.Get(cam.URL() + "/ISAPI/Streaming/channels/101/picture")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("%q: %v", resp.Header.Get("Content-Type"), err)
	}
	if resp, err := http.Get(cam.URL() + "/ISAPI/Streaming/channels/901/picture"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("another channel: %v %v", resp.StatusCode, err)
	}
}

func TestCloseEndsHungCommands(t *testing.T) {
	cam, err := New(Options{Gate: GateHang})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPut, cam.URL()+"/ISAPI/Parking/channels/1/barrierGate", strings.NewReader("<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>"))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(cam.Commands()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	cam.Close()
	<-done
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %s with a hung command", d)
	}
	if c := cam.Commands()[0]; c.Outcome != "hung" || c.Name != "gate.open" {
		t.Errorf("command %+v", c)
	}
}
