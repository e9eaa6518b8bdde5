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
	"github.com/wuye-project/wuye/core/store"
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
	for _, p := range plugins {
		k := tenantPlugin{tenantID, p}
		c := d.consumers[k]
		if c == nil {
			c = &consumer{d: d, key: k, kick: make(chan struct{}, 1)}
			d.consumers[k] = c
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				c.run(d.ctx)
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

func (d *dispatcher) wait() {
	d.wg.Wait()
	d.mu.Lock()
	d.ctx = nil
	clear(d.consumers)
	d.mu.Unlock()
}

// consumer delivers one tenant's log to one plugin.
type consumer struct {
	d       *dispatcher
	key     tenantPlugin
	kick    chan struct{}
	cursor  int64 // everything up to it is delivered (or skipped)
	saved   int64
	savedAt time.Time
}

func (c *consumer) run(ctx context.Context) {
	s := c.d.s
	for ctx.Err() == nil {
		if err := c.load(ctx); err == nil {
			break
		} else if ctx.Err() == nil {
			s.opt.Log.Error("device stream: reading cursor", "tenant", c.key.tenant, "plugin", c.key.plugin, "err", err)
		}
		sleep(ctx, s.opt.Poll)
	}
	poll := time.NewTicker(s.opt.Poll)
	defer poll.Stop()
	var saveC <-chan time.Time
	for {
		for ctx.Err() == nil {
			n, err := c.round(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.opt.Log.Error("device stream: reading the log", "tenant", c.key.tenant, "plugin", c.key.plugin, "err", err)
				}
				break
			}
			if n < readBatch {
				break
			}
		}
		if c.cursor != c.saved {
			if wait := s.opt.SaveEvery - time.Since(c.savedAt); wait <= 0 {
				c.save()
			} else if saveC == nil {
				saveC = time.After(wait)
			}
		}
		select {
		case <-ctx.Done():
			c.save()
			return
		case <-c.kick:
		case <-poll.C:
		case <-saveC:
			saveC = nil
			c.save()
		}
	}
}

func (c *consumer) load(ctx context.Context) error {
	var r cursorRow
	err := c.d.s.db.InTenant(ctx, c.key.tenant, func(tx *gorm.DB) error {
		err := tx.Where("plugin = ?", c.key.plugin).Take(&r).Error
		if !store.IsNotFound(err) {
			return err
		}
		// No cursor (an event written by an older process): start at the end.
		var end int64
		if err := tx.Model(&eventRow{}).Select("COALESCE(MAX(seq), 0)").Scan(&end).Error; err != nil {
			return err
		}
		r = cursorRow{TenantID: c.key.tenant, Plugin: c.key.plugin, Seq: end, UpdatedAt: c.d.s.now().UTC()}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
	})
	c.cursor, c.saved, c.savedAt = r.Seq, r.Seq, time.Now()
	return err
}

// save writes the cursor; a failure is retried at the next save.
func (c *consumer) save() {
	if c.cursor == c.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seq := c.cursor
	err := c.d.s.db.InTenant(ctx, c.key.tenant, func(tx *gorm.DB) error {
		return tx.Model(&cursorRow{}).Where("plugin = ? AND seq < ?", c.key.plugin, seq).
			Updates(map[string]any{"seq": seq, "updated_at": c.d.s.now().UTC()}).Error
	})
	if err != nil {
		c.d.s.opt.Log.Error("device stream: saving cursor", "tenant", c.key.tenant, "plugin", c.key.plugin, "err", err)
		return
	}
	c.saved, c.savedAt = seq, time.Now()
}

// round reads the events after the cursor and delivers them: each device's
// in order, up to InFlight devices at once. The cursor moves past the batch
// once all of it is settled; on shutdown mid-batch it stays (at-least-once).
func (c *consumer) round(ctx context.Context) (int, error) {
	s := c.d.s
	var rows []logRow
	err := s.db.InTenant(store.ReadMostly(ctx), c.key.tenant, func(tx *gorm.DB) error {
		return tx.Where("seq > ?", c.cursor).Order("seq").Limit(readBatch).Find(&rows).Error
	})
	if err != nil || len(rows) == 0 {
		s.m.lag.WithLabelValues(c.key.plugin).Set(0)
		return 0, err
	}
	s.m.lag.WithLabelValues(c.key.plugin).Set(s.now().Sub(rows[0].ReceivedAt).Seconds())
	var order []uuid.UUID
	lanes := map[uuid.UUID][]*logRow{}
	for i := range rows {
		r := &rows[i]
		if _, ok := lanes[r.DeviceID]; !ok {
			order = append(order, r.DeviceID)
		}
		lanes[r.DeviceID] = append(lanes[r.DeviceID], r)
	}
	sem := make(chan struct{}, s.opt.InFlight)
	var wg sync.WaitGroup
	for _, dev := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(lane []*logRow) {
			defer func() { <-sem; wg.Done() }()
			for _, r := range lane {
				if !c.deliver(ctx, r) {
					return
				}
			}
		}(lanes[dev])
	}
	wg.Wait()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	c.cursor = rows[len(rows)-1].Seq
	return len(rows), nil
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
			s.m.delivered.WithLabelValues(c.key.plugin).Inc()
			s.m.latency.WithLabelValues(c.key.plugin).Observe(s.now().Sub(r.ReceivedAt).Seconds())
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
	s.m.failed.WithLabelValues(c.key.plugin).Inc()
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
