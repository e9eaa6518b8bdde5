package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	"github.com/wuye-project/wuye/sdk/driver"
)

func TestEventsReachTheSink(t *testing.T) {
	t.Parallel()
	addr, p := mosquitto(t), prefix(t)
	door := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "D1"})
	c, sink := openConn(t, device(t, "dev-1", driver.DoorController, map[string]any{"broker": addr, "prefix": p, "serial": "D1"}))
	sink.WaitStatus(t, driver.StatusOnline, 5*time.Second) // the retained status

	id, err := door.Swipe("card", "3000012345", true)
	if err != nil {
		t.Fatal(err)
	}
	ev := sink.Wait(t, driver.DoorAccessed, 5*time.Second)
	da, ok := ev.Data.(driver.DoorAccess)
	if !ok {
		t.Fatalf("data %T", ev.Data)
	}
	if ev.Key != id || da.Method != "card" || da.Credential != "3000012345" || !da.Granted || da.Door != "1" || da.Direction != "in" || da.V != 1 {
		t.Fatalf("event %+v %+v, want key %s", ev, da, id)
	}
	if time.Since(ev.At) > time.Minute {
		t.Fatalf("event time %v", ev.At)
	}

	if _, err := door.Swipe("qr", "QR0001", false); err != nil {
		t.Fatal(err)
	}
	da = sink.Wait(t, driver.DoorAccessed, 5*time.Second).Data.(driver.DoorAccess)
	if da.Granted || da.Reason == "" || da.Method != "qr" {
		t.Fatalf("refused event %+v", da)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("check: %v", err)
	}

	// The device going away without a word: the broker sends its last will.
	door.Kill()
	sink.WaitStatus(t, driver.StatusOffline, 5*time.Second)
	eventually(t, 2*time.Second, "check fails for an offline controller", func() bool {
		return errors.Is(c.Check(context.Background()), driver.ErrUnreachable)
	})
}

func TestDoorOpenIsAcked(t *testing.T) {
	t.Parallel()
	addr, p := mosquitto(t), prefix(t)
	door := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "D2", Doors: 2})
	c, sink := openConn(t, device(t, "dev-2", driver.DoorController,
		map[string]any{"broker": addr, "prefix": p, "serial": "D2", "open_duration_s": 8}))
	sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)

	ctx := context.Background()
	res, err := c.Execute(ctx, driver.Command{Name: driver.DoorOpen, Args: []byte(`{"door":"2"}`), RequestID: "req-1"})
	if err != nil || !res.OK {
		t.Fatalf("execute: %+v %v", res, err)
	}
	cmds := door.Commands()
	if len(cmds) == 0 || cmds[0].ID != "req-1" || cmds[0].Cmd != "open" || cmds[0].Door != 2 || cmds[0].DurationS != 8 {
		t.Fatalf("commands %+v", cmds)
	}
	// The host retries with the same request id: acked, not opened again.
	res, err = c.Execute(ctx, driver.Command{Name: driver.DoorOpen, RequestID: "req-1"})
	if err != nil || !res.OK {
		t.Fatalf("retry: %+v %v", res, err)
	}
	if n := door.Executed(); n != 1 {
		t.Fatalf("executed %d times, want 1", n)
	}

	door.SetRefuse(true)
	res, err = c.Execute(ctx, driver.Command{Name: driver.DoorOpen, RequestID: "req-2"})
	if err != nil || res.OK || res.Message != "refused" {
		t.Fatalf("refused: %+v %v", res, err)
	}

	// A barrier command on a door, and bad arguments.
	if _, err := c.Execute(ctx, driver.Command{Name: driver.GateOpen, RequestID: "req-3"}); !errors.Is(err, driver.ErrUnsupported) {
		t.Fatalf("gate.open on a door: %v", err)
	}
	var inv *driver.InvalidError
	for _, args := range []string{`{"door":"x"}`, `{"door":[1]}`, `[1]`, `{"duration_s":-1}`} {
		if _, err := c.Execute(ctx, driver.Command{Name: driver.DoorOpen, Args: []byte(args), RequestID: "req-4"}); !errors.As(err, &inv) {
			t.Fatalf("args %s: %v, want invalid", args, err)
		}
	}
}

func TestGateOpenAndClose(t *testing.T) {
	t.Parallel()
	addr, p := mosquitto(t), prefix(t)
	door := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "G1"})
	c, sink := openConn(t, device(t, "gate-1", driver.BarrierGate, map[string]any{"broker": addr, "prefix": p, "serial": "G1", "qos": 0}))
	sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	for i, name := range []string{driver.GateOpen, driver.GateClose} {
		res, err := c.Execute(context.Background(), driver.Command{Name: name, RequestID: "g-" + name})
		if err != nil || !res.OK {
			t.Fatalf("%s: %+v %v", name, res, err)
		}
		if got := door.Commands()[i].Cmd; got != []string{"open", "close"}[i] {
			t.Fatalf("%s sent %q", name, got)
		}
	}
	if _, err := c.Execute(context.Background(), driver.Command{Name: driver.DoorOpen}); !errors.Is(err, driver.ErrUnsupported) {
		t.Fatalf("door.open on a gate: %v", err)
	}
}

func TestNoAckIsDeadlineExceeded(t *testing.T) {
	t.Parallel()
	addr, p := mosquitto(t), prefix(t)
	door := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "D3", NeverAck: true})

	c, _ := openConn(t, device(t, "dev-3", driver.DoorController,
		map[string]any{"broker": addr, "prefix": p, "serial": "D3", "ack_timeout_ms": 1500}))
	eventually(t, 5*time.Second, "the controller connected", door.Connected)

	ctx := context.Background()
	start := time.Now()
	_, err := c.Execute(ctx, driver.Command{Name: driver.DoorOpen, RequestID: "req-na"})
	took := time.Since(start)
	// The runtime answers the host DeadlineExceeded for either.
	if !errors.Is(err, driver.ErrNoAck) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("execute: %v, want ErrNoAck and DeadlineExceeded", err)
	}
	// Generous bounds: the machine running the suite is loaded.
	if took < 1500*time.Millisecond || took > 6*time.Second {
		t.Fatalf("no-ack took %s, want about the 1.5 s ack timeout", took)
	}
	// It republished the same id while waiting, and the device, executing
	// it once, would open once.
	cmds := door.Commands()
	if len(cmds) < 2 {
		t.Fatalf("commands %+v: want the command republished", cmds)
	}
	for _, c := range cmds {
		if c.ID != "req-na" {
			t.Fatalf("republished with id %q", c.ID)
		}
	}
	if door.Executed() != 1 {
		t.Fatalf("executed %d", door.Executed())
	}

	// A caller's shorter deadline wins, and a cancelled call returns at once.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c.Execute(short, driver.Command{Name: driver.DoorOpen, RequestID: "req-s"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("short deadline: %v", err)
	}
	if took := time.Since(start); took > 300*time.Millisecond {
		t.Fatalf("a 100 ms deadline took %s", took)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Execute(gone, driver.Command{Name: driver.DoorOpen, RequestID: "req-c"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestTwoDevicesOnOneBrokerAreIsolated(t *testing.T) {
	t.Parallel()
	addr, p := mosquitto(t), prefix(t)
	doorA := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "A"})
	doorB := newDoor(t, sim.Options{Broker: addr, Prefix: p, Serial: "B"})
	ca, sinkA := openConn(t, device(t, "dev-a", driver.DoorController, map[string]any{"broker": addr, "prefix": p, "serial": "A"}))
	cb, sinkB := openConn(t, device(t, "dev-b", driver.DoorController, map[string]any{"broker": addr, "prefix": p, "serial": "B"}))
	if ca.bc != cb.bc {
		t.Fatal("two devices on one broker got two clients")
	}
	sinkA.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	sinkB.WaitStatus(t, driver.StatusOnline, 5*time.Second)

	idA, _ := doorA.Swipe("face", "face-0001", true)
	if ev := sinkA.Wait(t, driver.DoorAccessed, 5*time.Second); ev.Key != idA {
		t.Fatalf("A got %s", ev.Key)
	}
	res, err := cb.Execute(context.Background(), driver.Command{Name: driver.DoorOpen, RequestID: "only-b"})
	if err != nil || !res.OK {
		t.Fatalf("execute on B: %+v %v", res, err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(sinkB.Events()); n != 0 {
		t.Fatalf("B received %d of A's events", n)
	}
	if n := len(doorA.Commands()); n != 0 {
		t.Fatalf("A received %d of B's commands", n)
	}

	// Closing A keeps B's client and subscriptions.
	_ = ca.Close()
	idB, _ := doorB.Swipe("card", "3000000007", true)
	if ev := sinkB.Wait(t, driver.DoorAccessed, 5*time.Second); ev.Key != idB {
		t.Fatalf("B got %s", ev.Key)
	}
}
