package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// fast shortens the pull loop's timing for one test.
func fast(t *testing.T) {
	saved := timing
	timing.retry, timing.maxRetry, timing.failures = 20*time.Millisecond, 200*time.Millisecond, 2
	t.Cleanup(func() { timing = saved })
}

func startCam(t *testing.T, o sim.Options) *sim.Camera {
	t.Helper()
	if o.Username == "" {
		o.Username, o.Password = "admin", "s3cret!"
	}
	cam, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cam.Close() })
	return cam
}

// device is the camera as the host registers it; extra adds config.
func device(cam *sim.Camera, password string, extra map[string]any) driver.Device {
	cfg := map[string]any{"address": cam.Addr(), "username": "admin", "pull_timeout_s": 1}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	return driver.Device{ID: "cam-1", Name: "东门", Class: driver.Camera, Config: b, Secrets: map[string]string{"password": password}}
}

// sink records events (testkit.Sink) and statuses with their details.
type sink struct {
	*testkit.Sink
	mu       sync.Mutex
	statuses []report
}

type report struct{ status, detail string }

func newSink() *sink { return &sink{Sink: testkit.NewSink()} }

func (s *sink) Status(st, detail string) {
	s.mu.Lock()
	s.statuses = append(s.statuses, report{st, detail})
	s.mu.Unlock()
	s.Sink.Status(st, detail)
}

// waitStatus waits for st reported at index from or later, returning the
// index after it and its detail.
func (s *sink) waitStatus(t *testing.T, st string, from int, timeout time.Duration) (int, string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for i := from; i < len(s.statuses); i++ {
			if s.statuses[i].status == st {
				d := s.statuses[i].detail
				s.mu.Unlock()
				return i + 1, d
			}
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("status %q not reported within %s (got %v)", st, timeout, s.statuses)
	return 0, ""
}

func openCam(t *testing.T, dev driver.Device) (*conn, *sink) {
	t.Helper()
	s := newSink()
	c, err := open(context.Background(), dev, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*conn), s
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func alarm(t *testing.T, s *sink) driver.Alarm {
	t.Helper()
	ev := s.Wait(t, driver.CameraAlarm, 5*time.Second)
	a, ok := ev.Data.(driver.Alarm)
	if !ok {
		t.Fatalf("alarm data is %T", ev.Data)
	}
	if ev.Key == "" || ev.At.IsZero() {
		t.Errorf("alarm without key or time: %+v", ev)
	}
	return a
}
