package bus

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/queue"
)

// Periodic tasks. The list comes from the catalogue (Directory.PeriodicTasks)
// every Refresh; every Tick each task's latest due slot is claimed in
// plugin_task_slots with its queue task in one transaction. The queue's own
// schedules are fixed at start, while a tenant enables plugins at any time,
// hence this loop of its own.

type periodicKey struct {
	tenant       uuid.UUID
	plugin, name string
}

type slotState struct {
	p    Periodic
	spec cron.Schedule
	last time.Time // the latest slot known to be claimed
}

type slotRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	Plugin    string    `gorm:"primaryKey"`
	Name      string    `gorm:"primaryKey"`
	SlotAt    time.Time
	UpdatedAt time.Time
}

func (slotRow) TableName() string { return "plugin_task_slots" }

// Run runs the periodic tasks and sweeps old published keys until ctx ends.
func (b *Bus) Run(ctx context.Context) {
	tick := time.NewTicker(b.opt.Tick)
	defer tick.Stop()
	var refreshed, swept time.Time
	for ctx.Err() == nil {
		now := b.now()
		if now.Sub(refreshed) >= b.opt.Refresh {
			if err := b.refresh(ctx); err != nil && ctx.Err() == nil {
				b.opt.Log.Warn("bus: read periodic tasks", "err", err)
			}
			refreshed = now
		}
		b.fireDue(ctx)
		if now.Sub(swept) >= time.Hour {
			if err := b.sweep(ctx); err != nil && ctx.Err() == nil {
				b.opt.Log.Warn("bus: sweep", "err", err)
			}
			swept = now
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// refresh reads the periodic tasks again: new ones start from their slot
// last claimed (or from now), changed schedules are parsed again, and tasks
// of plugins disabled or upgraded away are forgotten.
func (b *Bus) refresh(ctx context.Context) error {
	list, err := b.d.Directory.PeriodicTasks(ctx)
	if err != nil {
		return err
	}
	b.mu.Lock()
	old := b.periodic
	b.mu.Unlock()
	next := make(map[periodicKey]*slotState, len(list))
	var fresh []periodicKey
	for _, p := range list {
		k := periodicKey{p.TenantID, p.Plugin, p.Name}
		if s, ok := old[k]; ok && s.p.Schedule == p.Schedule {
			next[k] = s
			continue
		}
		spec, err := b.parse(ctx, p)
		if err != nil {
			b.opt.Log.Warn("bus: periodic task skipped", "tenant", p.TenantID, "plugin", p.Plugin, "task", p.Name, "schedule", p.Schedule, "err", err)
			continue
		}
		s := &slotState{p: p, spec: spec}
		if o, ok := old[k]; ok {
			s.last = o.last
		} else {
			fresh = append(fresh, k)
		}
		next[k] = s
	}
	if len(fresh) > 0 {
		last, err := b.claimedSlots(ctx)
		if err != nil {
			return err
		}
		now := b.now().UTC()
		for _, k := range fresh {
			if t, ok := last[k]; ok {
				next[k].last = t
			} else {
				next[k].last = now // a new task starts with its next slot
			}
		}
	}
	b.mu.Lock()
	b.periodic = next
	b.mu.Unlock()
	return nil
}

// parse reads a schedule: "@every d" (at least MinEvery), a descriptor or
// five cron fields in the tenant's zone. A plugin may not name a zone.
func (b *Bus) parse(ctx context.Context, p Periodic) (cron.Schedule, error) {
	spec := strings.TrimSpace(p.Schedule)
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return nil, errors.New("a plugin's schedule is read in the tenant's zone and may not name one")
	}
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur < b.opt.MinEvery {
			return nil, errors.New("@every needs a duration of at least " + b.opt.MinEvery.String())
		}
	}
	return queue.ParseSpecIn(spec, b.d.Zone(ctx, p.TenantID))
}

// claimedSlots reads every claimed slot (platform-wide, once per refresh that
// found new tasks).
func (b *Bus) claimedSlots(ctx context.Context) (map[periodicKey]time.Time, error) {
	var rows []slotRow
	err := b.db.Platform(ctx, func(tx *gorm.DB) error { return tx.Find(&rows).Error })
	out := make(map[periodicKey]time.Time, len(rows))
	for _, r := range rows {
		out[periodicKey{r.TenantID, r.Plugin, r.Name}] = r.SlotAt.UTC()
	}
	return out, err
}

// fireDue claims the latest due slot of every task that has one.
func (b *Bus) fireDue(ctx context.Context) {
	b.mu.Lock()
	states := make([]*slotState, 0, len(b.periodic))
	for _, s := range b.periodic {
		states = append(states, s)
	}
	b.mu.Unlock()
	now := b.now().UTC()
	for _, s := range states {
		slot := time.Time{}
		for n := s.spec.Next(s.last); !n.After(now); n = s.spec.Next(n) {
			slot = n
		}
		if slot.IsZero() {
			continue
		}
		if err := b.claim(ctx, s.p, slot.UTC(), now); err != nil {
			if ctx.Err() == nil {
				b.opt.Log.Warn("bus: periodic task", "tenant", s.p.TenantID, "plugin", s.p.Plugin, "task", s.p.Name, "err", err)
			}
			continue
		}
		s.last = slot
	}
}

// errTaken: another process claimed the slot (or a later one) first.
var errTaken = errors.New("bus: slot taken")

// claim moves the task's slot forward to slot and queues its run, in one
// transaction; a slot another process has is not run again.
func (b *Bus) claim(ctx context.Context, p Periodic, slot, now time.Time) error {
	body, _ := json.Marshal(runTask{Plugin: p.Plugin, Kind: kindPeriodic, Name: p.Name, Slot: slot.UnixMilli()})
	err := b.db.InTenant(ctx, p.TenantID, func(tx *gorm.DB) error {
		res := tx.Model(&slotRow{}).Where("tenant_id = ? AND plugin = ? AND name = ? AND slot_at < ?", p.TenantID, p.Plugin, p.Name, slot).
			Updates(map[string]any{"slot_at": slot, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&slotRow{TenantID: p.TenantID, Plugin: p.Plugin, Name: p.Name, SlotAt: slot, UpdatedAt: now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return errTaken
			}
		}
		_, err := queue.Enqueue(tx, queue.Task{Type: TaskRun, Payload: body, RunAt: slot,
			Key: "periodic:" + p.Plugin + ":" + p.Name + "@" + slot.Format(time.RFC3339Nano), MaxRetry: b.opt.MaxRetry})
		return err
	})
	if errors.Is(err, errTaken) {
		return nil
	}
	return err
}

// sweep forgets published events' keys past retention.
func (b *Bus) sweep(ctx context.Context) error {
	cut := b.now().UTC().Add(-b.opt.Retention)
	return b.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Where("created_at < ?", cut).Delete(&publishedRow{}).Error
	})
}
