package main

import (
	"fmt"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// watch turns successive readings of one lift into canonical events. It
// holds no connection and no clock of its own, so the rules are tested on
// their own.
//
// Trapped passengers: the car is trapped when it is stopped (running 0)
// with its door closed, not level with a landing (door zone 0, or fault 3
// "stopped between floors"), and the alarm button is pressed; or when fault
// 3 has lasted longer than trappedAfter (30 s) and the alarm was pressed at
// any time during it — people let go of the button, they are still inside.
// It is reported once as elevator.fault with Trapped true and severity
// critical, and as Cleared when the car moves, levels or opens its door.
type watch struct {
	device       string
	trappedAfter time.Duration
	keepalive    time.Duration

	seen     bool
	last     state
	lastSent time.Time

	fault      int       // the fault code in progress, 0 none
	faultStart time.Time // when it appeared
	alarmSeen  bool      // the alarm was pressed during fault 3

	trapped      bool
	trappedStart time.Time
	trappedCode  int
}

// keepalive is how often elevator.status repeats with nothing changed.
const keepalive = 60 * time.Second

func newWatch(device string, trappedAfter time.Duration) *watch {
	return &watch{device: device, trappedAfter: trappedAfter, keepalive: keepalive}
}

// observe takes one reading at now and returns the events it causes, in
// order: faults that ended, the status, faults that began, trapped.
func (w *watch) observe(s state, now time.Time) []driver.Event {
	var evs []driver.Event
	if w.fault != 0 && s.Fault != w.fault {
		evs = append(evs, w.faultEvent(w.fault, w.faultStart, now, s.Floor, false, true))
		w.fault = 0
	}
	if !w.seen || !s.same(w.last) || now.Sub(w.lastSent) >= w.keepalive {
		evs = append(evs, driver.Event{Type: driver.ElevatorStatus, At: now, Data: s.elevator()})
		w.lastSent = now
	}
	if s.Fault != 0 && w.fault == 0 {
		w.fault, w.faultStart, w.alarmSeen = s.Fault, now, false
		evs = append(evs, w.faultEvent(s.Fault, now, now, s.Floor, false, false))
	}
	if s.Fault == 3 && s.Alarm {
		w.alarmSeen = true
	}
	switch trapped := w.isTrapped(s, now); {
	case trapped && !w.trapped:
		w.trapped, w.trappedStart, w.trappedCode = true, now, trappedCode(s)
		evs = append(evs, w.faultEvent(w.trappedCode, now, now, s.Floor, true, false))
	case !trapped && w.trapped && w.freed(s):
		w.trapped = false
		evs = append(evs, w.faultEvent(w.trappedCode, w.trappedStart, now, s.Floor, true, true))
	}
	w.seen, w.last = true, s
	return evs
}

func (w *watch) isTrapped(s state, now time.Time) bool {
	stuck := !s.Running && s.Door == "closed" && (!s.Level || s.Fault == 3)
	if stuck && s.Alarm {
		return true
	}
	return s.Fault == 3 && w.fault == 3 && w.alarmSeen && now.Sub(w.faultStart) > w.trappedAfter
}

// freed: the car moves, is level with a landing out of fault 3, or its
// door opens. A released alarm button alone frees nobody.
func (w *watch) freed(s state) bool {
	return s.Running || s.Door != "closed" || (s.Level && s.Fault != 3)
}

// trappedCode is the fault code a trapped event carries: the box's own,
// or 3 when it reports none.
func trappedCode(s state) int {
	if s.Fault != 0 {
		return s.Fault
	}
	return 3
}

func (w *watch) faultEvent(code int, start, at time.Time, floor int, trapped, cleared bool) driver.Event {
	info := describeFault(code)
	f := driver.Fault{Code: code, Description: info.EN + " (" + info.ZH + ")", Severity: info.Severity,
		Floor: floor, Trapped: trapped, Cleared: cleared}
	key := fmt.Sprintf("%s/fault/%d/%d", w.device, code, start.UnixMilli())
	if trapped {
		f.Severity = "critical"
		f.Description = "passengers trapped: " + info.EN + " (困人:" + info.ZH + ")"
		key = fmt.Sprintf("%s/trapped/%d", w.device, start.UnixMilli())
	}
	if cleared {
		key += "/cleared"
	}
	return driver.Event{Type: driver.ElevatorFault, At: at, Key: key, Data: f}
}
