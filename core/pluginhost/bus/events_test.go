package bus_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		sub, typ string
		want     bool
	}{
		{"bill.overdue", "bill.overdue", true},
		{"bill.overdue", "bill.issued", false},
		{"bill.*", "bill.issued", true},
		{"bill.*", "billing.issued", false},
		{"bill.*", "bill", false},
		{"events.*", "events.activity.published", true},
		{"*", "bill.issued", false},
		{".*", "bill.issued", false},
	} {
		if got := bus.Matches(c.sub, c.typ); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.sub, c.typ, got, c.want)
		}
	}
}

// TestEmitDelivers: an event emitted in a committed transaction reaches
// every subscribed plugin (exact and family subscriptions) once, with its id,
// type, source, time and payload; one emitted in a rolled-back transaction
// reaches nobody; a plugin not subscribed hears nothing.
func TestEmitDelivers(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		ctx := context.Background()
		tenant, other := store.NewID(), store.NewID()
		dir := newDirectory()
		dir.subscribe(tenant, "parking", "resident.moved_in")
		dir.subscribe(tenant, "events", "resident.*")
		dir.subscribe(tenant, "cctv", "bill.overdue")
		dir.subscribe(other, "parking", "resident.moved_in")
		r := newRunner()
		b, _ := setup(t, db, cfg, dir, r, bus.Options{})

		at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		var id uuid.UUID
		err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			var err error
			id, err = b.Emit(store.Ctx(tx), tenant, bus.Event{Type: "resident.moved_in", OccurredAt: at, Payload: json.RawMessage(`{"room_id":"r1"}`)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			if _, err := b.Emit(store.Ctx(tx), tenant, bus.Event{Type: "resident.moved_out", Payload: json.RawMessage(`{"rolled":"back"}`)}); err != nil {
				return err
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("no rollback")
		}
		waitFor(t, 10*time.Second, "two deliveries", func() bool { return len(r.events()) >= 2 })
		// Whatever the rolled-back one would have done has had time to happen.
		time.Sleep(500 * time.Millisecond)
		got := r.events()
		if len(got) != 2 {
			for _, c := range got {
				t.Log(describe(c))
			}
			t.Fatalf("%d deliveries, want 2 (parking and events)", len(got))
		}
		var plugins []string
		for _, c := range got {
			plugins = append(plugins, c.Plugin)
			e := c.Event
			if c.Tenant != tenant || e.Id != id.String() || e.Type != "resident.moved_in" || e.Source != "core" ||
				e.OccurredAtUnixMs != at.UnixMilli() || string(e.Payload) != `{"room_id":"r1"}` || e.Attempt != 1 {
				t.Errorf("delivery %+v", e)
			}
		}
		slices.Sort(plugins)
		if !slices.Equal(plugins, []string{"events", "parking"}) {
			t.Errorf("delivered to %v", plugins)
		}
		if st := outboxStates(t, db, tenant, bus.TaskEvent); st["done"] != 2 || len(st) != 1 {
			t.Errorf("outbox %v, want 2 done", st)
		}
	})
}

// TestFailureRetried: a plugin's error is retried with backoff, with the
// same event id and a growing attempt, until the plugin takes it; a plugin
// that is not enabled any more drops its delivery without retrying.
func TestFailureRetried(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		ctx := context.Background()
		tenant := store.NewID()
		dir := newDirectory()
		dir.subscribe(tenant, "flaky", "payment.received")
		dir.subscribe(tenant, "gone", "payment.received")
		r := newRunner()
		r.disabled["gone"] = true
		r.fail = func(c call) error {
			if c.Plugin == "flaky" && c.Event.Attempt < 3 {
				return errPlugin
			}
			return nil
		}
		b, _ := setup(t, db, cfg, dir, r, bus.Options{})
		id, err := b.Emit(ctx, tenant, bus.Event{Type: "payment.received", Payload: json.RawMessage(`{"amount_fen":100}`)})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 15*time.Second, "the third attempt to succeed", func() bool { return len(r.events()) == 1 })
		all := r.snapshot()
		if len(all) != 3 {
			t.Fatalf("%d calls, want 3", len(all))
		}
		for i, c := range all {
			if c.Event.Id != id.String() || c.Event.Attempt != uint32(i+1) || c.Plugin != "flaky" {
				t.Errorf("call %d: %s", i, describe(c))
			}
			if i > 0 && c.At.Sub(all[i-1].At) < 30*time.Millisecond {
				t.Errorf("retry %d came %v after the last: no backoff", i, c.At.Sub(all[i-1].At))
			}
		}
		waitFor(t, 5*time.Second, "both tasks done", func() bool { return outboxStates(t, db, tenant, bus.TaskEvent)["done"] == 2 })
	})
}

// TestPublish: a plugin's event goes to subscribers as "<plugin>.<type>" with
// the plugin as source; a repeated key returns the same id and publishes
// nothing new; bad input is refused.
func TestPublish(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		ctx := context.Background()
		tenant, other := store.NewID(), store.NewID()
		dir := newDirectory()
		dir.subscribe(tenant, "parking", "events.*")
		dir.subscribe(other, "parking", "events.*")
		r := newRunner()
		b, _ := setup(t, db, cfg, dir, r, bus.Options{})
		id, err := b.Publish(ctx, tenant, "events", "activity_published", json.RawMessage(`{"activity":"a1"}`), "a1:published")
		if err != nil {
			t.Fatal(err)
		}
		again, err := b.Publish(ctx, tenant, "events", "activity_published", json.RawMessage(`{"activity":"changed"}`), "a1:published")
		if err != nil || again != id {
			t.Fatalf("repeat: id %v err %v, want %v", again, err, id)
		}
		// The same key of another tenant is another event.
		otherID, err := b.Publish(ctx, other, "events", "activity_published", nil, "a1:published")
		if err != nil || otherID == id {
			t.Fatalf("other tenant: id %v err %v", otherID, err)
		}
		waitFor(t, 10*time.Second, "deliveries", func() bool { return len(r.events()) >= 2 })
		time.Sleep(300 * time.Millisecond)
		got := r.events()
		if len(got) != 2 {
			t.Fatalf("%d deliveries, want 2", len(got))
		}
		for _, c := range got {
			if c.Tenant == tenant && (c.Event.Id != id.String() || c.Event.Type != "events.activity_published" || c.Event.Source != "events" || string(c.Event.Payload) != `{"activity":"a1"}`) {
				t.Errorf("delivery %s payload %s", describe(c), c.Event.Payload)
			}
		}
		for _, bad := range []struct {
			plugin, typ, payload, key string
		}{
			{"events", "Bad Type", `{}`, "k"},
			{"events", "ok", `[1]`, "k"},
			{"events", "ok", `{}`, ""},
			{"Events", "ok", `{}`, "k"},
		} {
			if _, err := b.Publish(ctx, tenant, bad.plugin, bad.typ, json.RawMessage(bad.payload), bad.key); err == nil {
				t.Errorf("Publish(%q, %q, %s, %q) accepted", bad.plugin, bad.typ, bad.payload, bad.key)
			}
		}
	})
}

// TestManifestNoLongerSubscribed: a delivery queued before an upgrade that
// dropped the subscription is not handed to the new version.
func TestManifestNoLongerSubscribed(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		if cfg.RedisAddr != "" {
			t.Skip("the check is the handler's; once is enough")
		}
		tenant := store.NewID()
		dir := newDirectory()
		dir.subscribe(tenant, "parking", "bill.issued")
		r := newRunner()
		r.manifest = &wuyepb.Manifest{Name: "parking", Subscriptions: []string{"bill.overdue"}}
		b, _ := setup(t, db, cfg, dir, r, bus.Options{})
		if _, err := b.Emit(context.Background(), tenant, bus.Event{Type: "bill.issued"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the task done", func() bool { return outboxStates(t, db, tenant, bus.TaskEvent)["done"] == 1 })
		if n := len(r.snapshot()); n != 0 {
			t.Errorf("%d calls to a plugin no longer subscribed", n)
		}
	})
}

// TestRestartLosesNothing: the consumer is stopped with deliveries half done
// (the embedded queue's Redis memory is gone with it, as after a SIGKILL),
// and a new one on the same database delivers every event; none is lost,
// and each redelivered one carries its id.
func TestRestartLosesNothing(t *testing.T) {
	eachQueue(t, func(t *testing.T, db *store.DB, cfg queue.Config) {
		ctx := context.Background()
		tenant := store.NewID()
		dir := newDirectory()
		dir.subscribe(tenant, "events", "workorder.changed")
		r := newRunner()
		r.delay = 20 * time.Millisecond
		cfg.Concurrency = 2
		b1, err := bus.New(db, bus.Deps{Directory: dir, Runner: r, Zone: shanghai}, bus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		want := map[string]bool{}
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			for i := 0; i < n; i++ {
				id, err := b1.Emit(store.Ctx(tx), tenant, bus.Event{Type: "workorder.changed", Payload: json.RawMessage(`{"status":"accepted"}`)})
				if err != nil {
					return err
				}
				want[id.String()] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		q1, err := queue.Open(ctx, cfg, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		b1.Register(q1)
		if err := q1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "some deliveries", func() bool { return len(r.events()) >= 5 })
		q1.Close()
		st := outboxStates(t, db, tenant, bus.TaskEvent)
		if st["done"] >= n {
			t.Fatalf("stopped too late to test a restart: %v", st)
		}
		t.Logf("stopped with outbox %v", st)

		b2, _ := setup(t, db, cfg, dir, r, bus.Options{})
		_ = b2
		waitFor(t, 20*time.Second, "every delivery done", func() bool { return outboxStates(t, db, tenant, bus.TaskEvent)["done"] == n })
		got := map[string]bool{}
		for _, c := range r.events() {
			if !want[c.Event.Id] {
				t.Errorf("unknown event id %s", c.Event.Id)
			}
			got[c.Event.Id] = true
		}
		if len(got) != n {
			t.Errorf("%d of %d events delivered", len(got), n)
		}
	})
}
