package stream

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// logRow is a line of the log as read.
type logRow struct {
	Seq        int64
	TenantID   uuid.UUID
	ID         uuid.UUID
	DeviceID   uuid.UUID
	Type       string
	OccurredAt time.Time
	ReceivedAt time.Time
	DedupKey   string
	Payload    string
	PictureID  *uuid.UUID
}

func (logRow) TableName() string { return "device_events" }

type failureRow struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	Plugin   string    `gorm:"primaryKey"`
	EventID  uuid.UUID `gorm:"primaryKey"`
	Seq      int64
	Type     string
	Attempts int
	Error    string
	FailedAt time.Time
}

func (failureRow) TableName() string { return "device_event_failures" }

// readBatch bounds one read of the log by a consumer.
const readBatch = 500

// dispatcher holds one consumer per (tenant, subscribed plugin).
type dispatcher struct {
	s         *Stream
	mu        sync.Mutex
	ctx       context.Context // Run's; nil while not running
	consumers map[tenantPlugin]*consumer
	wg        sync.WaitGroup
}

// wake starts (if need be) and kicks the consumers of the tenant's plugins.
func (d *dispatcher) wake(tenantID uuid.UUID, plugins []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx == nil || d.ctx.Err() != nil {
		return
	}
	ctx := d.ctx // read under the lock: wait clears it
	for _, p := range plugins {
		k := tenantPlugin{tenantID, p}
		c := d.consumers[k]
		if c == nil {
			c = newConsumer(d, k)
			d.consumers[k] = c
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				c.run(ctx)
			}()
		}
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// start resumes every consumer that has a cursor.
func (d *dispatcher) start(ctx context.Context) error {
	var rows []cursorRow
	if err := d.s.db.Platform(ctx, func(tx *gorm.DB) error { return tx.Find(&rows).Error }); err != nil {
		return err
	}
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	for _, r := range rows {
		d.wake(r.TenantID, []string{r.Plugin})
	}
	return nil
}

// wait stops new consumers first, then waits for the running ones: a wake
// racing with shutdown either added its consumer before (waited for) or
// finds no context and starts none.
func (d *dispatcher) wait() {
	d.mu.Lock()
	d.ctx = nil
	d.mu.Unlock()
	d.wg.Wait()
	d.mu.Lock()
	clear(d.consumers)
	d.mu.Unlock()
}

// deliver hands one event to the plugin, retrying with backoff; after
// Attempts it records the event as failed and skips it. It reports false
// only when ctx ended first.
func (c *consumer) deliver(ctx context.Context, r *logRow) bool {
	s := c.d.s
	ref, err := s.refs.get(ctx, s.reg, c.key.tenant, r.DeviceID, s.now())
	if err != nil {
		ref = Ref{ID: r.DeviceID} // deleted since: the event still happened
	}
	env := driver.Envelope{
		Device: driver.DeviceRef{ID: ref.ID.String(), Name: ref.Name, Class: ref.Class, Driver: ref.Driver,
			Location: driver.Location{CommunityID: idString(ref.CommunityID), BuildingID: idString(ref.BuildingID), Place: ref.Place, Direction: ref.Direction}},
		OccurredAt: r.OccurredAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(), Data: json.RawMessage(r.Payload),
	}
	if r.PictureID != nil {
		env.Picture = r.PictureID.String()
	}
	body, err := json.Marshal(env)
	if err != nil {
		body = []byte("{}")
	}
	backoff := s.opt.RetryBase
	for attempt := 1; ; attempt++ {
		err := c.call(ctx, r, body, uint32(attempt))
		if err == nil {
			c.delivered.Inc()
			c.latency.Observe(s.now().Sub(r.ReceivedAt).Seconds())
			return true
		}
		if errors.Is(err, pluginhost.ErrNotEnabled) {
			return true // the plugin was disabled: nothing to deliver to
		}
		if ctx.Err() != nil {
			return false
		}
		if attempt >= s.opt.Attempts {
			c.fail(r, attempt, err)
			return true
		}
		s.opt.Log.Warn("device stream: delivery failed; retrying", "tenant", c.key.tenant, "plugin", c.key.plugin,
			"event", r.ID, "type", r.Type, "attempt", attempt, "retry_in", backoff, "err", err)
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, s.opt.RetryMax)
	}
}

func (c *consumer) call(ctx context.Context, r *logRow, body []byte, attempt uint32) error {
	s := c.d.s
	ctx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
	defer cancel()
	return s.run.Call(ctx, c.key.tenant, c.key.plugin, func(ctx context.Context, pc wuyepb.PluginClient, m *wuyepb.Manifest) error {
		if m != nil && !bus.Subscribed(m.GetSubscriptions(), r.Type) {
			return nil
		}
		_, err := pc.HandleEvent(ctx, &wuyepb.Event{Id: r.ID.String(), Type: r.Type, Source: driver.SourceDevice,
			OccurredAtUnixMs: r.OccurredAt.UnixMilli(), Payload: body, Attempt: attempt})
		return err
	})
}

// fail records a skipped event (once; a repeat after a restart keeps the first).
func (c *consumer) fail(r *logRow, attempts int, cause error) {
	s := c.d.s
	c.failed.Inc()
	s.opt.Log.Warn("device stream: event skipped after repeated failures", "tenant", c.key.tenant, "plugin", c.key.plugin,
		"event", r.ID, "type", r.Type, "attempts", attempts, "err", cause)
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.db.InTenant(ctx, c.key.tenant, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&failureRow{TenantID: c.key.tenant, Plugin: c.key.plugin,
			EventID: r.ID, Seq: r.Seq, Type: r.Type, Attempts: attempts, Error: msg, FailedAt: s.now().UTC()}).Error
	})
	if err != nil {
		s.opt.Log.Error("device stream: recording a failed event", "event", r.ID, "err", err)
	}
}

func idString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
