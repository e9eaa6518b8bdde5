package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/isapi-lpr/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// simConn opens a device on a simulated camera.
func simConn(t testing.TB, o sim.Options, cfg map[string]any, password string) (*sim.Camera, *conn, *testkit.Sink) {
	t.Helper()
	cam, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cam.Close() })
	cfg["address"] = cam.Addr()
	b, _ := json.Marshal(cfg)
	sink := testkit.NewSink()
	c, err := open(context.Background(), driver.Device{ID: "cam-1", Class: driver.LPRCamera, Config: b,
		Secrets: map[string]string{"password": password}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return cam, c.(*conn), sink
}

func TestGateOpenOnTheSimulator(t *testing.T) {
	for _, auth := range []string{"digest", "basic"} {
		t.Run(auth, func(t *testing.T) {
			gates := make(chan string, 4)
			cam, c, _ := simConn(t, sim.Options{Username: "admin", Password: "s3cret", Auth: auth,
				OnGate: func(cmd string, _ time.Time) { gates <- cmd }}, map[string]any{"username": "admin"}, "s3cret")
			for _, cmd := range []string{driver.GateOpen, driver.GateClose, driver.GateOpen} {
				res, err := c.Execute(context.Background(), driver.Command{Name: cmd})
				if err != nil || !res.OK {
					t.Fatalf("%s: %+v, %v", cmd, res, err)
				}
				if got := <-gates; got != cmd {
					t.Errorf("the camera did %s; want %s", got, cmd)
				}
			}
			if n := len(cam.Commands()); n != 3 {
				t.Errorf("%d commands recorded; want 3", n)
			}
		})
	}
}

func TestGateOpenOnTheIOOutput(t *testing.T) {
	cam, c, _ := simConn(t, sim.Options{Username: "admin", Password: "pw"}, map[string]any{"username": "admin", "gate_output": 1}, "pw")
	res, err := c.Execute(context.Background(), driver.Command{Name: driver.GateOpen})
	if err != nil || !res.OK {
		t.Fatalf("%+v, %v", res, err)
	}
	if cmds := cam.Commands(); len(cmds) != 1 || cmds[0].Path != "/ISAPI/System/IO/outputs/1/trigger" || cmds[0].Name != driver.GateOpen {
		t.Errorf("commands %+v", cmds)
	}
}

func TestGateRefusedAndWrongPassword(t *testing.T) {
	cam, c, _ := simConn(t, sim.Options{Username: "admin", Password: "pw", Gate: sim.GateRefuse}, map[string]any{"username": "admin"}, "pw")
	res, err := c.Execute(context.Background(), driver.Command{Name: driver.GateOpen})
	if err != nil || res.OK || res.Message != "the camera refused: Invalid Operation: barrierGateFault" {
		t.Fatalf("%+v, %v; want a refusal with the camera's reason", res, err)
	}
	cam.SetGate(sim.GateAck)

	_, bad, _ := simConn(t, sim.Options{Username: "admin", Password: "pw"}, map[string]any{"username": "admin"}, "wrong")
	res, err = bad.Execute(context.Background(), driver.Command{Name: driver.GateOpen})
	if err != nil || res.OK || res.Message != "the camera refused the username or password" {
		t.Fatalf("%+v, %v; want a refusal naming the credentials", res, err)
	}
}

func TestGateNoAckIsDeadlineExceeded(t *testing.T) {
	_, c, _ := simConn(t, sim.Options{Username: "admin", Password: "pw", Gate: sim.GateHang}, map[string]any{"username": "admin"}, "pw")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Execute(ctx, driver.Command{Name: driver.GateOpen})
	if !errors.Is(err, driver.ErrNoAck) {
		t.Fatalf("err %v; want ErrNoAck", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s past a 200 ms deadline", d)
	}
}

func TestUnreachableCamera(t *testing.T) {
	cam, c, _ := simConn(t, sim.Options{}, map[string]any{}, "")
	cam.Close()
	_, err := c.Execute(context.Background(), driver.Command{Name: driver.GateOpen})
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("err %v; want ErrUnreachable", err)
	}
	if err := c.Check(context.Background()); err == nil {
		t.Error("Check of a closed camera passed")
	}
	// A camera that just pushed is alive, whether or not the driver can
	// reach it.
	if _, _, err := c.Ingest(context.Background(), driver.Push{Method: "POST", ContentType: "application/xml", Body: fixture(t, "heartbeat.xml")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Errorf("Check right after a heartbeat: %v", err)
	}
}

func TestSnapshotAndCheck(t *testing.T) {
	cam, c, _ := simConn(t, sim.Options{Username: "admin", Password: "pw"}, map[string]any{"username": "admin"}, "pw")
	res, err := c.Execute(context.Background(), driver.Command{Name: driver.CameraSnapshot})
	if err != nil || !res.OK || res.BlobType != "image/jpeg" || !bytes.Equal(res.Blob, cam.Snapshot()) {
		t.Fatalf("%v, %v %q %d bytes", err, res.OK, res.BlobType, len(res.Blob))
	}
	if err := c.Check(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := c.Execute(context.Background(), driver.Command{Name: driver.DoorOpen}); !errors.Is(err, driver.ErrUnsupported) {
		t.Errorf("door.open: %v; want ErrUnsupported", err)
	}
}

func TestStreamMode(t *testing.T) {
	cam, _, sink := simConn(t, sim.Options{Username: "admin", Password: "pw", Heartbeat: 50 * time.Millisecond},
		map[string]any{"username": "admin", "mode": "stream"}, "pw")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cam.WaitStreamClient(ctx); err != nil {
		t.Fatal(err)
	}
	sink.WaitStatus(t, driver.StatusOnline, 2*time.Second)
	time.Sleep(120 * time.Millisecond) // heartbeats pass and make no events
	cam.Stream("粤B·8K3Q2", "enter", sim.PushOptions{Picture: true, Lane: 3, Color: "green"})
	cam.Stream("粤B·F67890", "exit", sim.PushOptions{})
	ev := sink.Wait(t, driver.PlateRecognized, 3*time.Second)
	want := driver.Plate{Plate: "粤B8K3Q2", Color: "green", Confidence: 96, Direction: "in", Lane: 3, Vehicle: "car"}
	if got := ev.Data.(driver.Plate); got != want || !bytes.Equal(ev.Picture, cam.Snapshot()) {
		t.Errorf("plate %+v (picture %d bytes); want %+v with the scene", got, len(ev.Picture), want)
	}
	ev = sink.Wait(t, driver.PlateRecognized, 3*time.Second)
	if got := ev.Data.(driver.Plate); got.Plate != "粤BF67890" || got.Direction != "out" || ev.Picture != nil {
		t.Errorf("second plate %+v", got)
	}
	if n := len(sink.Events()); n != 0 {
		t.Errorf("%d more events (heartbeats must make none)", n)
	}
}

func TestStreamReconnectsAndReportsOffline(t *testing.T) {
	cam, c, sink := simConn(t, sim.Options{}, map[string]any{"mode": "stream"}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cam.WaitStreamClient(ctx); err != nil {
		t.Fatal(err)
	}
	cam.Close()
	sink.WaitStatus(t, driver.StatusOffline, 3*time.Second)
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %s while the reader backed off", d)
	}
}

func TestStreamSilentIsCutAndReopened(t *testing.T) {
	old := streamIdle
	streamIdle = 150 * time.Millisecond
	t.Cleanup(func() { streamIdle = old })
	cam, _, sink := simConn(t, sim.Options{Heartbeat: time.Hour}, map[string]any{"mode": "stream"}, "")
	sink.WaitStatus(t, driver.StatusOffline, 3*time.Second) // silent past streamIdle: cut
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The alert may meet a link about to be cut; the camera then sends
	// it again, as one does on the next connection.
	for {
		if ctx.Err() != nil {
			t.Fatal("the driver did not read the stream again")
		}
		cam.Stream("粤B·D12345", "enter", sim.PushOptions{UUID: "once"})
		time.Sleep(20 * time.Millisecond)
		if evs := sink.Events(); len(evs) > 0 {
			if p := evs[0].Data.(driver.Plate); p.Plate != "粤BD12345" {
				t.Errorf("event %+v", evs[0])
			}
			return
		}
	}
}
