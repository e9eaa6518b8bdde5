package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wuye-project/wuye/plugins/drivers/modbus-elevator/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// rig is a simulated box and the driver's Conn polling it over real TCP.
type rig struct {
	lift *sim.Lift
	sink *testkit.Sink
	conn *conn
}

func newRig(t *testing.T, o sim.Options, extra string) *rig {
	t.Helper()
	if o.FloorTime == 0 {
		o.FloorTime, o.DoorTime = 300*time.Millisecond, 150*time.Millisecond
	}
	if o.UnitID == 0 {
		o.UnitID = 3
	}
	l, err := sim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	cfg := fmt.Sprintf(`{"address":%q,"unit_id":%d,"base":%d,"poll_ms":200,"timeout_ms":1000%s}`, l.Addr(), o.UnitID, o.Base, extra)
	sink := testkit.NewSink()
	c, err := open(context.Background(), driver.Device{ID: "lift-1", Class: driver.ElevatorController, Config: json.RawMessage(cfg)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rig{lift: l, sink: sink, conn: c.(*conn)}
}

// waitStatus waits for an elevator.status matching ok.
func (r *rig) waitStatus(t *testing.T, what string, ok func(driver.Elevator) bool) driver.Elevator {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ev := r.sink.Wait(t, driver.ElevatorStatus, time.Until(deadline))
		if e := ev.Data.(driver.Elevator); ok(e) {
			return e
		}
	}
	t.Fatalf("no elevator.status with %s", what)
	return driver.Elevator{}
}

func (r *rig) waitFault(t *testing.T, what string, ok func(driver.Fault) bool) driver.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ev := r.sink.Wait(t, driver.ElevatorFault, time.Until(deadline))
		if f := ev.Data.(driver.Fault); ok(f) {
			return ev
		}
	}
	t.Fatalf("no elevator.fault with %s", what)
	return driver.Event{}
}

func TestStatusFollowsTheLift(t *testing.T) {
	// Each door phase lasts several polls, so none goes unseen.
	r := newRig(t, sim.Options{Base: 40000, Lowest: -1, Floors: 5, FloorTime: 300 * time.Millisecond, DoorTime: 700 * time.Millisecond}, "")
	r.sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	r.waitStatus(t, "the car at -1", func(e driver.Elevator) bool { return e.Floor == -1 && e.Door == "closed" })
	r.lift.Call(2)
	r.waitStatus(t, "moving up", func(e driver.Elevator) bool { return e.Running && e.Direction == "up" })
	r.waitStatus(t, "door open at 2", func(e driver.Elevator) bool { return e.Floor == 2 && e.Door == "open" && !e.Running })
	r.waitStatus(t, "door closed at 2", func(e driver.Elevator) bool { return e.Floor == 2 && e.Door == "closed" })
	// Idle: the heartbeat goes on, no more status.
	n := len(r.sink.Events())
	time.Sleep(1500 * time.Millisecond)
	if extra := len(r.sink.Events()) - n; extra != 0 {
		t.Fatalf("%d events from an idle lift", extra)
	}
}

func TestFaultAndClear(t *testing.T) {
	r := newRig(t, sim.Options{}, "")
	r.sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	r.lift.Fault(5)
	ev := r.waitFault(t, "code 5", func(f driver.Fault) bool { return f.Code == 5 && !f.Cleared })
	if f := ev.Data.(driver.Fault); f.Severity != "critical" || f.Trapped || f.Floor != 1 {
		t.Fatalf("fault: %+v", f)
	}
	r.lift.Clear()
	cl := r.waitFault(t, "code 5 cleared", func(f driver.Fault) bool { return f.Code == 5 && f.Cleared })
	if cl.Key != ev.Key+"/cleared" {
		t.Fatalf("keys: %q then %q", ev.Key, cl.Key)
	}
}

func TestTrappedPassengers(t *testing.T) {
	r := newRig(t, sim.Options{Floors: 8}, "")
	r.lift.Call(6)
	r.waitStatus(t, "moving", func(e driver.Elevator) bool { return e.Running })
	r.lift.Trap()
	ev := r.waitFault(t, "trapped", func(f driver.Fault) bool { return f.Trapped && !f.Cleared })
	if f := ev.Data.(driver.Fault); f.Severity != "critical" || f.Code != 3 {
		t.Fatalf("trapped: %+v", f)
	}
	r.lift.Clear() // a rescue: the car creeps to a landing
	r.waitFault(t, "trapped cleared", func(f driver.Fault) bool { return f.Trapped && f.Cleared })
}

func TestOfflineAfterTheBoxStopsAndOnlineWhenBack(t *testing.T) {
	r := newRig(t, sim.Options{}, "")
	r.sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	r.lift.Stop()
	r.sink.WaitStatus(t, driver.StatusOffline, 10*time.Second)
	if got := r.conn.stats.unreachable.Load(); got < offlineAfter {
		t.Fatalf("offline after %d failed polls", got)
	}
	if err := r.lift.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := r.sink.Statuses()
		if st[len(st)-1] == driver.StatusOnline {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not online again: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBadAnswersAreFaultsNotPanics(t *testing.T) {
	r := newRig(t, sim.Options{}, "")
	r.sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	cases := []struct {
		name  string
		spoil func()
		count func() int64
	}{
		{"exceptions", func() { r.lift.SetAnswer(sim.Exceptions) }, r.conn.stats.exceptions.Load},
		{"short reads", func() { r.lift.SetAnswer(sim.ShortReads) }, r.conn.stats.badFrames.Load},
		{"garbage", func() { r.lift.SetAnswer(sim.Garbage) }, r.conn.stats.badFrames.Load},
		{"floor 300", func() { r.lift.Poke(sim.RegFloor, 300) }, r.conn.stats.outOfRange.Load},
		{"direction 7", func() { r.lift.Poke(sim.RegDirection, 7) }, r.conn.stats.outOfRange.Load},
	}
	for _, c := range cases {
		before := c.count()
		c.spoil()
		deadline := time.Now().Add(5 * time.Second)
		for c.count() == before || last(r.sink.Statuses()) != driver.StatusFault {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reported at fault (%v)", c.name, r.sink.Statuses())
			}
			time.Sleep(20 * time.Millisecond)
		}
		r.lift.SetAnswer(sim.Normal)
		r.lift.Unpoke()
		deadline = time.Now().Add(5 * time.Second)
		for last(r.sink.Statuses()) != driver.StatusOnline {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not online after the box recovered (%v)", c.name, r.sink.Statuses())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func TestReadAndWritePoints(t *testing.T) {
	r := newRig(t, sim.Options{Base: 10}, "")
	ctx := context.Background()
	r.lift.Load(42)
	pts, err := r.conn.ReadPoints(ctx, []string{"floor", "load_percent", "door", "service_mode"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, p := range pts {
		got[p.Name] = p.Value
	}
	if got["floor"] != 1 || got["load_percent"] != 42 || got["door"] != "closed" || got["service_mode"] != false {
		t.Fatalf("points: %v", got)
	}
	all, err := r.conn.ReadPoints(ctx, nil)
	if err != nil || len(all) != len(points) {
		t.Fatalf("all points: %d %v", len(all), err)
	}
	if err := r.conn.WritePoints(ctx, []driver.Point{{Name: "service_mode", Value: true}}); err != nil {
		t.Fatal(err)
	}
	if r.lift.Registers()[sim.RegServiceMode] != 1 {
		t.Fatal("service mode not written")
	}
	var inv *driver.InvalidError
	for _, bad := range [][]driver.Point{
		{{Name: "floor", Value: 3}},
		{{Name: "nope", Value: 1}},
		{{Name: "service_mode", Value: "yes"}},
		{{Name: "service_mode", Value: 2.0}},
	} {
		if err := r.conn.WritePoints(ctx, bad); !errors.As(err, &inv) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := r.conn.ReadPoints(ctx, []string{"nope"}); !errors.As(err, &inv) {
		t.Errorf("unknown point read: %v", err)
	}
	r.lift.Stop()
	if _, err := r.conn.ReadPoints(ctx, []string{"floor"}); !errors.Is(err, driver.ErrUnreachable) {
		t.Errorf("stopped box: %v", err)
	}
}

func TestAStoppedHeartbeatIsAFault(t *testing.T) {
	r := newRig(t, sim.Options{}, `,"stale_after_s":2`)
	r.sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	r.lift.Poke(sim.RegHeartbeat, 77)
	deadline := time.Now().Add(10 * time.Second)
	for last(r.sink.Statuses()) != driver.StatusFault {
		if time.Now().After(deadline) {
			t.Fatalf("a frozen heartbeat not reported (%v)", r.sink.Statuses())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := r.conn.stats.stalled.Load(); n == 0 {
		t.Fatal("not counted")
	}
	r.lift.Unpoke()
	deadline = time.Now().Add(5 * time.Second)
	for last(r.sink.Statuses()) != driver.StatusOnline {
		if time.Now().After(deadline) {
			t.Fatalf("not online once the heartbeat moves (%v)", r.sink.Statuses())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCloseStopsPollingAndBadConfigIsInvalid(t *testing.T) {
	r := newRig(t, sim.Options{}, "")
	r.sink.WaitStatus(t, driver.StatusOnline, 5*time.Second)
	start := time.Now()
	if err := r.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %s", d)
	}
	polls := r.conn.stats.polls.Load()
	r.lift.Call(5)
	time.Sleep(600 * time.Millisecond)
	if r.conn.stats.polls.Load() != polls {
		t.Fatal("still polling after Close")
	}
	var inv *driver.InvalidError
	_, err := open(context.Background(), driver.Device{ID: "x", Config: json.RawMessage(`{"address":"box","poll_ms":5}`)}, testkit.NewSink())
	if !errors.As(err, &inv) {
		t.Fatalf("bad config: %v", err)
	}
}
