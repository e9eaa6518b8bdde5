package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func idleAt(floor int) state {
	return state{Floor: floor, Direction: "idle", Door: "closed", Level: true}
}

func types(evs []driver.Event) []string {
	var out []string
	for _, ev := range evs {
		s := ev.Type
		if f, ok := ev.Data.(driver.Fault); ok {
			switch {
			case f.Trapped && f.Cleared:
				s += ":trapped-cleared"
			case f.Trapped:
				s += ":trapped"
			case f.Cleared:
				s += ":cleared"
			}
		}
		out = append(out, s)
	}
	return out
}

func same(a []string, b ...string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStatusOnChangeNotHeartbeatAndKeepalive(t *testing.T) {
	w := newWatch("d1", 30*time.Second)
	s := idleAt(1)
	if got := types(w.observe(s, t0)); !same(got, driver.ElevatorStatus) {
		t.Fatalf("first reading: %v", got)
	}
	s.Heartbeat++
	if got := w.observe(s, t0.Add(time.Second)); len(got) != 0 {
		t.Fatalf("heartbeat alone: %v", types(got))
	}
	s.Floor = 2
	if got := types(w.observe(s, t0.Add(2*time.Second))); !same(got, driver.ElevatorStatus) {
		t.Fatalf("floor change: %v", got)
	}
	if got := types(w.observe(s, t0.Add(62*time.Second))); !same(got, driver.ElevatorStatus) {
		t.Fatalf("keepalive: %v", got)
	}
}

func TestFaultAndClearShareAStartKey(t *testing.T) {
	w := newWatch("d1", 30*time.Second)
	s := idleAt(4)
	w.observe(s, t0)
	s.Fault = 1
	evs := w.observe(s, t0.Add(time.Second))
	if got := types(evs); !same(got, driver.ElevatorStatus, driver.ElevatorFault) {
		t.Fatalf("fault: %v", got)
	}
	f := evs[1].Data.(driver.Fault)
	if f.Code != 1 || f.Severity != "major" || f.Floor != 4 || f.Description == "" {
		t.Fatalf("fault payload: %+v", f)
	}
	s.Fault = 0
	evs = w.observe(s, t0.Add(5*time.Second))
	if got := types(evs); !same(got, driver.ElevatorFault+":cleared", driver.ElevatorStatus) {
		t.Fatalf("clear: %v", got)
	}
	if want := "d1/fault/1/" + itoa(t0.Add(time.Second).UnixMilli()) + "/cleared"; evs[0].Key != want {
		t.Fatalf("cleared key %q, want %q", evs[0].Key, want)
	}
	// One fault replacing another: the first clears, the second begins.
	s.Fault = 2
	w.observe(s, t0.Add(6*time.Second))
	s.Fault = 5
	if got := types(w.observe(s, t0.Add(7*time.Second))); !same(got, driver.ElevatorFault+":cleared", driver.ElevatorStatus, driver.ElevatorFault) {
		t.Fatalf("replaced: %v", got)
	}
}

func TestTrappedBetweenFloorsWithAlarm(t *testing.T) {
	w := newWatch("d1", 30*time.Second)
	s := idleAt(3)
	w.observe(s, t0)
	// Stopped between floors, door closed, but nobody presses the alarm:
	// not trapped (the car may be empty).
	s.Level = false
	if got := types(w.observe(s, t0.Add(time.Second))); !same(got, driver.ElevatorStatus) {
		t.Fatalf("between floors: %v", got)
	}
	s.Alarm = true
	evs := w.observe(s, t0.Add(2*time.Second))
	if got := types(evs); !same(got, driver.ElevatorStatus, driver.ElevatorFault+":trapped") {
		t.Fatalf("alarm: %v", got)
	}
	f := evs[1].Data.(driver.Fault)
	if !f.Trapped || f.Severity != "critical" || f.Code != 3 {
		t.Fatalf("trapped payload: %+v", f)
	}
	// Releasing the button frees nobody.
	s.Alarm = false
	if got := types(w.observe(s, t0.Add(3*time.Second))); !same(got, driver.ElevatorStatus) {
		t.Fatalf("alarm released: %v", got)
	}
	s.Running = true
	if got := types(w.observe(s, t0.Add(4*time.Second))); !same(got, driver.ElevatorStatus, driver.ElevatorFault+":trapped-cleared") {
		t.Fatalf("moving again: %v", got)
	}
}

func TestTrappedWhenFault3OutlastsTheLimitAfterAnAlarm(t *testing.T) {
	w := newWatch("d1", 30*time.Second)
	// The box reports fault 3 with the door reading open (a stuck
	// contact): the first rule does not hold.
	s := idleAt(5)
	s.Door, s.Fault, s.Alarm = "open", 3, true
	if got := types(w.observe(s, t0)); !same(got, driver.ElevatorStatus, driver.ElevatorFault) {
		t.Fatalf("fault 3: %v", got)
	}
	s.Alarm = false
	w.observe(s, t0.Add(10*time.Second))
	if got := types(w.observe(s, t0.Add(29*time.Second))); len(got) != 0 {
		t.Fatalf("before the limit: %v", got)
	}
	evs := w.observe(s, t0.Add(31*time.Second))
	if got := types(evs); !same(got, driver.ElevatorFault+":trapped") {
		t.Fatalf("after the limit: %v", got)
	}
}

func TestDecodeRejectsNonsense(t *testing.T) {
	ok := []uint16{0xfffe, 1, 2, 1, 80, 0, 0, 9, 1, 0}
	s, err := decode(ok)
	if err != nil || s.Floor != -2 || s.Direction != "up" || s.Door != "open" || !s.Running || s.Load != 80 {
		t.Fatalf("decode: %+v %v", s, err)
	}
	for name, mod := range map[string]func(r []uint16){
		"floor 300":   func(r []uint16) { r[regFloor] = 300 },
		"direction 7": func(r []uint16) { r[regDirection] = 7 },
		"door 9":      func(r []uint16) { r[regDoor] = 9 },
		"running 2":   func(r []uint16) { r[regRunning] = 2 },
		"load 999":    func(r []uint16) { r[regLoad] = 999 },
		"alarm 5":     func(r []uint16) { r[regAlarm] = 5 },
	} {
		r := append([]uint16(nil), ok...)
		mod(r)
		if _, err := decode(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := decode(ok[:4]); err == nil {
		t.Error("short read accepted")
	}
}

func TestParseConfig(t *testing.T) {
	s, err := parseConfig([]byte(`{"address":"10.0.0.9:502"}`))
	if err != nil || s.unit != 1 || s.base != 0 || s.poll != time.Second || s.trappedAfter != 30*time.Second {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	s, err = parseConfig([]byte(`{"address":"box:1502","unit_id":0,"base":40000,"poll_ms":250,"timeout_ms":300}`))
	if err != nil || s.unit != 0 || s.base != 40000 || s.poll != 250*time.Millisecond || s.staleAfter != 10*time.Second {
		t.Fatalf("set: %+v %v", s, err)
	}
	for _, bad := range []string{`{}`, `{"address":"nohost"}`, `{"address":"h:0"}`, `{"address":"h:502","poll_ms":100}`,
		`{"address":"h:502","unit_id":300}`, `{"address":"h:502","base":65530}`, `{"address":"h:502","extra":1}`, `{"address":"h:502","stale_after_s":1}`, `[`} {
		if _, err := parseConfig([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	// Stale means at least three polls without a heartbeat.
	if s, _ := parseConfig([]byte(`{"address":"h:502","poll_ms":60000}`)); s.staleAfter != 3*time.Minute {
		t.Errorf("stale after %s with a minute's poll", s.staleAfter)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
