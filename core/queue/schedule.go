package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A schedule writes a task to the outbox at every slot of its spec. Slots are
// claimed by inserting (name, slot) into schedule_runs in the same
// transaction as the outbox row, so among several processes exactly one runs
// each slot, and a process that was down runs the latest missed slot once
// when it comes back (older missed slots are skipped, not piled up).
type schedule struct {
	name string
	spec cron.Schedule
	task Task
	last time.Time // the latest slot known to be claimed
}

// every is an "@every d" spec aligned to multiples of d since the Unix epoch,
// so every process computes the same slots.
type every time.Duration

func (e every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	return t.Truncate(d).Add(d)
}

// ParseSpec reads "@every 10m" (aligned to the epoch) or a standard 5-field
// cron spec / descriptor ("0 3 1 * *", "@daily") in UTC, whatever the
// server's zone; a spec may name its own zone ("CRON_TZ=Asia/Shanghai 0 9 * * 1").
func ParseSpec(spec string) (cron.Schedule, error) { return ParseSpecIn(spec, time.UTC) }

// ParseSpecIn reads spec as ParseSpec does, with cron fields read in loc:
// "0 2 * * *" in Asia/Shanghai fires at 02:00 Shanghai time (18:00 UTC), and a
// monthly "0 0 1 * *" at the start of the month there. An "@every" spec is
// zone-free (aligned to the epoch).
func ParseSpecIn(spec string, loc *time.Location) (cron.Schedule, error) {
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur < time.Second {
			return nil, fmt.Errorf("queue: schedule %q: @every needs a duration of at least 1s", spec)
		}
		return every(dur), nil
	}
	if loc == nil {
		loc = time.UTC
	}
	full := spec
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		// Without a zone the cron library uses the server's local zone; say which.
		full = "CRON_TZ=" + loc.String() + " " + spec
	}
	s, err := cron.ParseStandard(full)
	if err != nil {
		return nil, fmt.Errorf("queue: schedule %q: %w", spec, err)
	}
	return s, nil
}

// Schedule registers periodic work under a unique name, its cron fields in
// UTC (see ScheduleIn). t.TenantID may be uuid.Nil for platform-wide work
// (whose handler fans out per tenant). Call it before Start.
func (q *Queue) Schedule(name, spec string, t Task) error {
	return q.ScheduleIn(name, spec, time.UTC, t)
}

// ScheduleIn registers periodic work whose cron fields are read in loc: a
// nightly job "at 02:00 Asia/Shanghai", or a tenant's monthly task in the
// tenant's zone (tenant.Service.Location). Slots are stored in UTC, so
// processes in different zones still agree on them. Call it before Start.
func (q *Queue) ScheduleIn(name, spec string, loc *time.Location, t Task) error {
	s, err := ParseSpecIn(spec, loc)
	if err != nil {
		return err
	}
	if _, err := newRow(nil, t); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return fmt.Errorf("queue: Schedule %q after Start", name)
	}
	for _, o := range q.schedules {
		if o.name == name {
			return fmt.Errorf("queue: schedule %q registered twice", name)
		}
	}
	q.schedules = append(q.schedules, &schedule{name: name, spec: s, task: t})
	return nil
}

type scheduleRun struct {
	Name      string `gorm:"primaryKey"`
	SlotAt    time.Time
	CreatedAt time.Time
}

func (scheduleRun) TableName() string { return "schedule_runs" }

func (q *Queue) runScheduler(ctx context.Context) {
	q.mu.Lock()
	ss := q.schedules
	q.mu.Unlock()
	if len(ss) == 0 {
		return
	}
	now := time.Now().UTC()
	for _, s := range ss {
		var last []time.Time
		err := q.db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Raw("SELECT slot_at FROM schedule_runs WHERE name = ? ORDER BY slot_at DESC LIMIT 1", s.name).Scan(&last).Error
		})
		switch {
		case err != nil:
			q.log.Error("queue: read schedule", "name", s.name, "err", err)
			s.last = now
		case len(last) == 0:
			s.last = now // a new schedule starts with its next slot
		default:
			s.last = last[0]
		}
	}
	t := time.NewTicker(q.cfg.Tick)
	defer t.Stop()
	for {
		for _, s := range ss {
			if err := q.fire(ctx, s, time.Now().UTC()); err != nil && ctx.Err() == nil {
				q.log.Error("queue: schedule", "name", s.name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fire claims the latest due slot of s, if any, and writes its task.
func (q *Queue) fire(ctx context.Context, s *schedule, now time.Time) error {
	slot := time.Time{}
	for n := s.spec.Next(s.last); !n.After(now); n = s.spec.Next(n) {
		slot = n
	}
	if slot.IsZero() {
		return nil
	}
	slot = slot.UTC()
	err := q.db.Platform(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&scheduleRun{Name: s.name, SlotAt: slot, CreatedAt: now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // another process has this slot
		}
		t := s.task
		t.RunAt = slot
		t.Key = "schedule:" + s.name + "@" + slot.Format(time.RFC3339Nano)
		_, err := Enqueue(tx, t)
		return err
	})
	if err != nil {
		return err
	}
	s.last = slot
	return nil
}
