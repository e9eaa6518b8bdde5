package testkit

import (
	"sync"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// Sink is a driver.Sink that keeps what a Conn emitted, for unit tests of a
// driver's protocol code without a host:
//
//	sink := testkit.NewSink()
//	conn, err := d.Open(ctx, dev, sink)
//	ev := sink.Wait(t, driver.ElevatorStatus, 2*time.Second)
type Sink struct {
	mu       sync.Mutex
	events   []driver.Event
	statuses []string
	changed  chan struct{}
}

// NewSink makes an empty Sink.
func NewSink() *Sink { return &Sink{changed: make(chan struct{}, 1)} }

// Emit implements driver.Sink.
func (s *Sink) Emit(ev driver.Event) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	s.poke()
}

// Status implements driver.Sink; every report is kept, repeats too.
func (s *Sink) Status(status, detail string) {
	s.mu.Lock()
	s.statuses = append(s.statuses, status)
	s.mu.Unlock()
	s.poke()
}

func (s *Sink) poke() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Events returns what was emitted so far.
func (s *Sink) Events() []driver.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]driver.Event(nil), s.events...)
}

// Statuses returns the statuses reported so far, in order.
func (s *Sink) Statuses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.statuses...)
}

// Wait returns the first event of type typ emitted after the events
// already taken by earlier Waits of that type, failing the test after
// timeout.
func (s *Sink) Wait(t testing.TB, typ string, timeout time.Duration) driver.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		for i, ev := range s.events {
			if ev.Type == typ {
				s.events = append(s.events[:i:i], s.events[i+1:]...)
				s.mu.Unlock()
				return ev
			}
		}
		s.mu.Unlock()
		select {
		case <-s.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s event within %s", typ, timeout)
			return driver.Event{}
		}
	}
}

// WaitStatus waits until status was reported, failing the test after timeout.
func (s *Sink) WaitStatus(t testing.TB, status string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, st := range s.Statuses() {
			if st == status {
				return
			}
		}
		select {
		case <-s.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("status %q not reported within %s (got %v)", status, timeout, s.Statuses())
		}
	}
}
