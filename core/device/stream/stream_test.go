package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// clock is a test's time, safe to move while the stream reads it.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

type fixture struct {
	clock  clock
	db     *store.DB
	reg    *fakeRegistry
	rec    *recorder
	tenant uuid.UUID
	opt    Options
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	return &fixture{db: db, reg: &fakeRegistry{devs: map[uuid.UUID]Ref{}}, rec: newRecorder(), tenant: store.NewID(),
		opt: Options{RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond, Attempts: 3, Poll: 200 * time.Millisecond}}
}

// start runs a Stream until the test ends (or stop is called).
func (f *fixture) start(t testing.TB) (*Stream, func()) {
	s, err := New(f.db, f.reg, fakeDir{[]string{"parking"}}, fakeRunner{map[string]*recorder{"parking": f.rec}}, f.opt)
	if err != nil {
		t.Fatal(err)
	}
	s.now = f.clock.Now // before anything reads it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			s.Close()
		}
	}
	t.Cleanup(stop)
	time.Sleep(20 * time.Millisecond) // let Run resume the cursors
	return s, stop
}

func plate(dev Ref, p, key string) *wuyepb.DeviceEvent {
	b, _ := json.Marshal(driver.Plate{V: 1, Plate: p, Confidence: 90})
	return &wuyepb.DeviceEvent{DeviceId: dev.ID.String(), Type: driver.PlateRecognized, Key: key, Payload: b}
}

func door(dev Ref, n int) *wuyepb.DeviceEvent {
	b, _ := json.Marshal(driver.DoorAccess{V: 1, Method: "card", Credential: fmt.Sprint(n), Granted: true})
	return &wuyepb.DeviceEvent{DeviceId: dev.ID.String(), Type: driver.DoorAccessed, Payload: b}
}

func TestAcceptDeliversEnvelope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s, _ := f.start(t)
		cam := f.reg.add(f.tenant, "acme")
		acc, dup, err := s.Accept(context.Background(), f.tenant, "acme", []*wuyepb.DeviceEvent{plate(cam, "粤B·12345", "k1")})
		if err != nil || acc != 1 || dup != 0 {
			t.Fatalf("accept = %d, %d, %v", acc, dup, err)
		}
		f.rec.waitN(t, 1)
		ev := f.rec.events()[0]
		if ev.Type != driver.PlateRecognized || ev.Source != driver.SourceDevice || ev.Attempt != 1 {
			t.Fatalf("event = %+v", ev)
		}
		var p driver.Plate
		env, err := driver.Open(eventOf(ev), &p)
		if err != nil || env.Device.ID != cam.ID.String() || env.Device.Location.Place != "东门" || p.Plate != "粤B·12345" {
			t.Fatalf("envelope = %+v, plate %+v, %v", env, p, err)
		}
		if f.reg.seen != 1 {
			t.Fatalf("seen %d times", f.reg.seen)
		}
	})
}

func TestAcceptRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s, _ := f.start(t)
		ctx := context.Background()
		cam := f.reg.add(f.tenant, "acme")
		other := f.reg.add(store.NewID(), "acme")
		otherDriver := f.reg.add(f.tenant, "zeta")
		cases := []struct {
			name string
			ev   *wuyepb.DeviceEvent
			want *apperr.Error
		}{
			{"another tenant's device", plate(other, "A1", ""), apperr.NotFound},
			{"another driver's device", plate(otherDriver, "A1", ""), apperr.NotFound},
			{"not an id", &wuyepb.DeviceEvent{DeviceId: "x", Type: driver.PlateRecognized}, apperr.NotFound},
			{"unknown type", &wuyepb.DeviceEvent{DeviceId: cam.ID.String(), Type: "zeta.thing"}, ErrBadType},
			{"array payload", &wuyepb.DeviceEvent{DeviceId: cam.ID.String(), Type: "acme.thing", Payload: []byte("[1]")}, ErrBadPayload},
			{"bad picture", &wuyepb.DeviceEvent{DeviceId: cam.ID.String(), Type: "acme.thing", Picture: []byte("<script>")}, ErrBadPicture},
		}
		for _, c := range cases {
			// One bad event refuses the call: the good one beside it is not written.
			_, _, err := s.Accept(ctx, f.tenant, "acme", []*wuyepb.DeviceEvent{plate(cam, "OK1", ""), c.ev})
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != c.want.Code {
				t.Errorf("%s: err = %v, want %s", c.name, err, c.want.Code)
			}
		}
		if n := count(t, db, f.tenant); n != 0 {
			t.Fatalf("%d events written", n)
		}
	})
}

func TestDeduplication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s, _ := f.start(t)
		ctx := context.Background()
		cam := f.reg.add(f.tenant, "acme")
		gate := f.reg.add(f.tenant, "acme")
		steps := []struct {
			name     string
			evs      []*wuyepb.DeviceEvent
			acc, dup int
			advance  time.Duration
		}{
			{"keyed", []*wuyepb.DeviceEvent{door(gate, 1), {DeviceId: gate.ID.String(), Type: "acme.x", Key: "a", Payload: []byte(`{"n":1}`)}}, 2, 0, 0},
			{"same key again, later", []*wuyepb.DeviceEvent{{DeviceId: gate.ID.String(), Type: "acme.x", Key: "a", Payload: []byte(`{"n":2}`)}}, 0, 1, 5 * time.Second},
			{"same key in one call", []*wuyepb.DeviceEvent{{DeviceId: gate.ID.String(), Type: "acme.x", Key: "b"}, {DeviceId: gate.ID.String(), Type: "acme.x", Key: "b"}}, 1, 1, 0},
			{"keyless", []*wuyepb.DeviceEvent{door(gate, 7)}, 1, 0, 0},
			{"keyless same payload within 1s", []*wuyepb.DeviceEvent{door(gate, 7)}, 0, 1, 500 * time.Millisecond},
			{"keyless same payload after 1s", []*wuyepb.DeviceEvent{door(gate, 7)}, 1, 0, 1100 * time.Millisecond},
			{"camera fires twice", []*wuyepb.DeviceEvent{plate(cam, "粤B12345", "p1"), plate(cam, "粤B 12345", "p2")}, 1, 1, 0},
			{"same plate within 2s", []*wuyepb.DeviceEvent{plate(cam, "粤B12345", "p3")}, 0, 1, 1500 * time.Millisecond},
			{"same plate, other camera", []*wuyepb.DeviceEvent{plate(gate, "粤B12345", "p4")}, 1, 0, 0},
			{"same plate after 2s", []*wuyepb.DeviceEvent{plate(cam, "粤B12345", "p5")}, 1, 0, 2100 * time.Millisecond},
		}
		for _, st := range steps {
			f.clock.advance(st.advance)
			acc, dup, err := s.Accept(ctx, f.tenant, "acme", st.evs)
			if err != nil || acc != st.acc || dup != st.dup {
				t.Errorf("%s: accepted %d, dups %d, %v; want %d, %d", st.name, acc, dup, err, st.acc, st.dup)
			}
		}
		if n := count(t, db, f.tenant); n != 8 {
			t.Fatalf("%d events in the log, want 8", n)
		}
	})
}

func TestOrderPerDeviceAndRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s, stop := f.start(t)
		ctx := context.Background()
		devs := []Ref{f.reg.add(f.tenant, "acme"), f.reg.add(f.tenant, "acme"), f.reg.add(f.tenant, "acme")}
		send := func(s *Stream, from, to int) {
			for i := from; i < to; i++ {
				var evs []*wuyepb.DeviceEvent
				for _, d := range devs {
					evs = append(evs, door(d, i))
				}
				if _, _, err := s.Accept(ctx, f.tenant, "acme", evs); err != nil {
					t.Fatal(err)
				}
			}
		}
		send(s, 0, 50)
		f.rec.waitN(t, 150)
		stop()
		// Stopped: events are written by a stream whose dispatcher is not running.
		s2, err := New(db, f.reg, fakeDir{[]string{"parking"}}, fakeRunner{}, f.opt)
		if err != nil {
			t.Fatal(err)
		}
		send(s2, 50, 100)
		s2.Close()
		f.start(t)
		f.rec.waitN(t, 300)
		last := map[string]int{}
		for _, ev := range f.rec.events() {
			var d driver.DoorAccess
			env, err := driver.Open(eventOf(ev), &d)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			fmt.Sscan(d.Credential, &n)
			if prev, ok := last[env.Device.ID]; ok && n < prev {
				t.Fatalf("device %s: event %d after %d", env.Device.ID, n, prev)
			}
			last[env.Device.ID] = n
		}
	})
}

func TestPoisonEventSkipped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.rec.refuse = func(ev *wuyepb.Event) bool { return ev.Type == "acme.poison" }
		s, _ := f.start(t)
		dev := f.reg.add(f.tenant, "acme")
		evs := []*wuyepb.DeviceEvent{door(dev, 1), {DeviceId: dev.ID.String(), Type: "acme.poison"}, door(dev, 2)}
		if _, _, err := s.Accept(context.Background(), f.tenant, "acme", evs); err != nil {
			t.Fatal(err)
		}
		f.rec.waitN(t, 2)
		var fails []failureRow
		err := db.InTenant(context.Background(), f.tenant, func(tx *gorm.DB) error { return tx.Find(&fails).Error })
		if err != nil || len(fails) != 1 || fails[0].Type != "acme.poison" || fails[0].Attempts != 3 {
			t.Fatalf("failures = %+v, %v", fails, err)
		}
	})
}

func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s, _ := f.start(t)
		dev := f.reg.add(f.tenant, "acme")
		if _, _, err := s.Accept(context.Background(), f.tenant, "acme", []*wuyepb.DeviceEvent{door(dev, 1)}); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(8 * 24 * time.Hour)
		if n, err := s.Prune(context.Background()); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
	})
}

func eventOf(ev *wuyepb.Event) plugin.Event {
	return plugin.Event{ID: ev.Id, Type: ev.Type, Source: ev.Source, OccurredAt: time.UnixMilli(ev.OccurredAtUnixMs), Payload: ev.Payload, Attempt: int(ev.Attempt)}
}

func count(t *testing.T, db *store.DB, tenantID uuid.UUID) int64 {
	var n int64
	if err := db.InTenant(context.Background(), tenantID, func(tx *gorm.DB) error { return tx.Model(&eventRow{}).Count(&n).Error }); err != nil {
		t.Fatal(err)
	}
	return n
}
