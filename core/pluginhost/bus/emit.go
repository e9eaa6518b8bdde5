package bus

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
)

// delivery is the payload of a TaskEvent: the event and the one plugin it goes to.
type delivery struct {
	Plugin string `json:"plugin"`
	Event  Event  `json:"event"`
}

// Emit tells the tenant's subscribed plugins of ev. Call it with the context
// of the emitting transaction (store.Ctx(tx)): the deliveries are written to
// the outbox in it, so they exist exactly when it commits. Without one, Emit
// commits on its own. An empty ID, Source or OccurredAt is filled in (a new
// id, "core", now); ev's id is returned.
func (b *Bus) Emit(ctx context.Context, tenantID uuid.UUID, ev Event) (uuid.UUID, error) {
	if err := checkType(ev.Type); err != nil {
		return uuid.Nil, err
	}
	p, err := payloadOf(ev.Payload)
	if err != nil {
		return uuid.Nil, err
	}
	ev.Payload = p
	if ev.ID == uuid.Nil {
		ev.ID = store.NewID()
	}
	if ev.Source == "" {
		ev.Source = SourceCore
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = b.now()
	}
	ev.OccurredAt = ev.OccurredAt.UTC()
	subs, err := b.d.Directory.Subscribers(ctx, tenantID, ev.Type)
	if err != nil || len(subs) == 0 {
		return ev.ID, err
	}
	return ev.ID, b.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return b.enqueue(tx, ev, subs) })
}

// enqueue writes one delivery task per subscriber in tx. The task's key is
// the event id and the plugin, so the same event is never queued twice for
// one plugin (within the outbox's retention).
func (b *Bus) enqueue(tx *gorm.DB, ev Event, subs []string) error {
	ts := make([]queue.Task, 0, len(subs))
	seen := map[string]bool{}
	for _, p := range subs {
		if seen[p] || checkPlugin(p) != nil {
			continue
		}
		seen[p] = true
		body, err := json.Marshal(delivery{Plugin: p, Event: ev})
		if err != nil {
			return err
		}
		ts = append(ts, queue.Task{Type: TaskEvent, Payload: body, Key: ev.ID.String() + ":" + p, MaxRetry: b.opt.MaxRetry})
	}
	return queue.EnqueueMany(tx, ts)
}

// publishedRow is the key of an event a plugin published.
type publishedRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Plugin    string
	Key       string
	Type      string
	CreatedAt time.Time
}

func (publishedRow) TableName() string { return "plugin_events" }

// eventSpace names the ids of plugins' events: an id is derived from the
// tenant, the plugin and the key, so a repeated key has the same id even
// after its row is swept.
var eventSpace = uuid.MustParse("5d0e6a52-8c1f-4b0e-9a57-3f7c2d8e1b44")

// EventID is the id Publish gives the event of a plugin's key.
func EventID(tenantID uuid.UUID, plugin, key string) uuid.UUID {
	return uuid.NewSHA1(eventSpace, []byte(tenantID.String()+"\x00"+plugin+"\x00"+key))
}

// Publish is a plugin's event (Host.Publish): delivered as "<plugin>.<type>"
// with the plugin as source to the tenant's subscribers. It is idempotent on
// key per plugin: a repeated key returns the same event id and publishes
// nothing new.
func (b *Bus) Publish(ctx context.Context, tenantID uuid.UUID, plugin, typ string, payload json.RawMessage, key string) (uuid.UUID, error) {
	if err := checkPlugin(plugin); err != nil {
		return uuid.Nil, err
	}
	if err := checkType(typ); err != nil {
		return uuid.Nil, err
	}
	if err := checkKey(key); err != nil {
		return uuid.Nil, err
	}
	p, err := payloadOf(payload)
	if err != nil {
		return uuid.Nil, err
	}
	full := plugin + "." + typ
	if err := checkType(full); err != nil {
		return uuid.Nil, err
	}
	now := b.now().UTC()
	ev := Event{ID: EventID(tenantID, plugin, key), Type: full, Source: plugin, OccurredAt: now, Payload: p}
	err = b.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&publishedRow{TenantID: tenantID, ID: ev.ID, Plugin: plugin, Key: key, Type: full, CreatedAt: now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // published before: nothing new
		}
		subs, err := b.d.Directory.Subscribers(store.Ctx(tx), tenantID, full)
		if err != nil || len(subs) == 0 {
			return err
		}
		return b.enqueue(tx, ev, subs)
	})
	if err != nil {
		return uuid.Nil, err
	}
	return ev.ID, nil
}
