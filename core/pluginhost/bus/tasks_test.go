package bus_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// TestPeriodicTaskFires: an enabled plugin's periodic task runs at its slots
// with a new id per slot; a failed run is retried with the same id; a task
// the catalogue no longer lists stops.
func TestPeriodicTaskFires(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		tenant := store.NewID()
		dir := newDirectory()
		dir.setPeriodic(bus.Periodic{TenantID: tenant, Plugin: "events", Name: "close-signups", Schedule: "@every 1s"},
			bus.Periodic{TenantID: tenant, Plugin: "events", Name: "too-often", Schedule: "@every 500ms"},
			bus.Periodic{TenantID: tenant, Plugin: "events", Name: "bad", Schedule: "CRON_TZ=UTC * * * * *"})
		r := newRunner()
		r.manifest = &wuyepb.Manifest{Name: "events", Tasks: []*wuyepb.PeriodicTask{{Name: "close-signups", Schedule: "@every 1s"}}}
		var failed atomic.Bool
		r.fail = func(c call) error {
			if failed.CompareAndSwap(false, true) {
				return errPlugin
			}
			return nil
		}
		b, _ := setup(t, db, cfg, dir, r, bus.Options{Tick: 50 * time.Millisecond, Refresh: 200 * time.Millisecond, MinEvery: time.Second})
		runBus(t, b)
		waitFor(t, 10*time.Second, "three slots run", func() bool {
			ok := map[string]bool{}
			for _, c := range r.tasks() {
				if c.Err == nil {
					ok[c.Task.Id] = true
				}
			}
			return len(ok) >= 3
		})
		dir.setPeriodic()
		time.Sleep(1500 * time.Millisecond) // a refresh forgets it; a slot already queued may still run
		n := len(r.tasks())
		time.Sleep(1500 * time.Millisecond)
		if m := len(r.tasks()); m != n {
			t.Errorf("a task no longer listed ran %d more times", m-n)
		}
		calls := r.tasks()
		first := calls[0]
		if first.Err == nil || calls[1].Task.Id != first.Task.Id || calls[1].Task.Attempt != 2 {
			t.Errorf("the failed first run was not retried with its id: %s then %s", describe(first), describe(calls[1]))
		}
		slots := map[int64]string{}
		for _, c := range calls {
			if c.Task.Name != "close-signups" {
				t.Errorf("ran %s", describe(c))
			}
			if c.Task.ScheduledAtUnixMs%1000 != 0 {
				t.Errorf("slot %d is not on a second", c.Task.ScheduledAtUnixMs)
			}
			if id, ok := slots[c.Task.ScheduledAtUnixMs]; ok && id != c.Task.Id {
				t.Errorf("slot %d ran under two ids", c.Task.ScheduledAtUnixMs)
			}
			slots[c.Task.ScheduledAtUnixMs] = c.Task.Id
		}
	})
}

// TestPeriodicMissedSlot: a process that comes back after missing slots
// runs the latest of them once, not every one; two processes never run a
// slot twice.
func TestPeriodicMissedSlot(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		if cfg.RedisAddr != "" {
			t.Skip("slots are claimed in the database; the queue does not matter")
		}
		tenant := store.NewID()
		dir := newDirectory()
		dir.setPeriodic(bus.Periodic{TenantID: tenant, Plugin: "events", Name: "tick", Schedule: "@every 1s"})
		r := newRunner()
		opt := bus.Options{Tick: 50 * time.Millisecond, Refresh: 100 * time.Millisecond, MinEvery: time.Second}
		b1, _ := setup(t, db, cfg, dir, r, opt)
		b2, err := bus.New(db, bus.Deps{Directory: dir, Runner: r, Zone: shanghai}, opt)
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{}, 2)
		for _, b := range []*bus.Bus{b1, b2} {
			go func() { b.Run(ctx); done <- struct{}{} }()
		}
		waitFor(t, 10*time.Second, "two slots", func() bool { return len(r.tasks()) >= 2 })
		stop()
		<-done
		<-done
		time.Sleep(300 * time.Millisecond)
		seen := map[int64]int{}
		for _, c := range r.tasks() {
			seen[c.Task.ScheduledAtUnixMs]++
		}
		for slot, n := range seen {
			if n != 1 {
				t.Errorf("slot %d ran %d times with two processes", slot, n)
			}
		}
		before := len(r.tasks())
		time.Sleep(3 * time.Second) // three slots missed
		runBus(t, b1)
		waitFor(t, 5*time.Second, "the missed slot", func() bool { return len(r.tasks()) > before })
		time.Sleep(400 * time.Millisecond) // less than a slot: only the catch-up can have run
		if got := len(r.tasks()) - before; got != 1 {
			t.Errorf("%d runs on return after three missed slots, want 1 (the latest)", got)
		}
	})
}

// TestOneOffTasks: a one-off task runs once, not before its time, with its
// payload and the id Schedule returned; a cancelled one never runs;
// scheduling a key again replaces the waiting task.
func TestOneOffTasks(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		ctx := context.Background()
		tenant := store.NewID()
		r := newRunner()
		b, _ := setup(t, db, cfg, newDirectory(), r, bus.Options{})
		start := time.Now()
		at := start.Add(700 * time.Millisecond)
		id, err := b.Schedule(ctx, tenant, "events", "remind", json.RawMessage(`{"activity":"a1"}`), at, "remind:a1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Schedule(ctx, tenant, "events", "remind", nil, start.Add(400*time.Millisecond), "remind:a2"); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.Cancel(ctx, tenant, "events", "remind:a2"); err != nil || !ok {
			t.Fatalf("cancel: %v %v", ok, err)
		}
		if ok, err := b.Cancel(ctx, tenant, "events", "remind:a2"); err != nil || ok {
			t.Fatalf("second cancel: %v %v, want false", ok, err)
		}
		// Replaced: the first scheduling of a3 must not run, the second must, once.
		if _, err := b.Schedule(ctx, tenant, "events", "remind", json.RawMessage(`{"v":1}`), start.Add(300*time.Millisecond), "remind:a3"); err != nil {
			t.Fatal(err)
		}
		id3, err := b.Schedule(ctx, tenant, "events", "close", json.RawMessage(`{"v":2}`), start.Add(900*time.Millisecond), "remind:a3")
		if err != nil {
			t.Fatal(err)
		}
		// Another tenant cannot cancel this tenant's task.
		if ok, err := b.Cancel(ctx, store.NewID(), "events", "remind:a1"); err != nil || ok {
			t.Fatalf("another tenant cancelled: %v %v", ok, err)
		}
		waitFor(t, 10*time.Second, "two runs", func() bool { return len(r.tasks()) >= 2 })
		time.Sleep(1500 * time.Millisecond)
		calls := r.tasks()
		if len(calls) != 2 {
			for _, c := range calls {
				t.Log(describe(c), string(c.Task.Payload))
			}
			t.Fatalf("%d runs, want 2", len(calls))
		}
		byID := map[string]call{}
		for _, c := range calls {
			byID[c.Task.Id] = c
		}
		a1, ok := byID[id.String()]
		if !ok || a1.Task.Name != "remind" || string(a1.Task.Payload) != `{"activity":"a1"}` || a1.At.Before(at) || a1.Task.ScheduledAtUnixMs != at.UnixMilli() {
			t.Errorf("a1: %+v at %v (due %v)", a1.Task, a1.At, at)
		}
		a3, ok := byID[id3.String()]
		if !ok || a3.Task.Name != "close" || string(a3.Task.Payload) != `{"v":2}` || a3.At.Before(start.Add(900*time.Millisecond)) {
			t.Errorf("a3: %+v at %v", a3.Task, a3.At)
		}
		// A key that ran can be scheduled again and runs again.
		if _, err := b.Schedule(ctx, tenant, "events", "remind", nil, time.Time{}, "remind:a1"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the key's second run", func() bool { return len(r.tasks()) == 3 })
		if _, err := b.Schedule(ctx, tenant, "events", "Bad Name", nil, time.Time{}, "k"); err == nil {
			t.Error("a bad task name was accepted")
		}
	})
}

// TestTooManyTasks: a plugin's waiting one-off tasks are capped per tenant;
// replacing a waiting key still works at the cap.
func TestTooManyTasks(t *testing.T) {
	db := storeSQLite(t)
	ctx := context.Background()
	tenant := store.NewID()
	b, err := bus.New(db, bus.Deps{Directory: newDirectory(), Runner: newRunner(), Zone: shanghai}, bus.Options{MaxPending: 2})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	for _, k := range []string{"a", "b"} {
		if _, err := b.Schedule(ctx, tenant, "events", "x", nil, later, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Schedule(ctx, tenant, "events", "x", nil, later, "c"); err == nil {
		t.Error("a third waiting task was accepted")
	}
	if _, err := b.Schedule(ctx, tenant, "events", "x", nil, later, "a"); err != nil {
		t.Errorf("replacing at the cap: %v", err)
	}
	if _, err := b.Schedule(ctx, tenant, "parking", "x", nil, later, "c"); err != nil {
		t.Errorf("another plugin's first task: %v", err)
	}
}
