package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/store"
)

// Task is one unit of background work.
type Task struct {
	Type    string          // handler name, e.g. "billing.monthly"
	Payload json.RawMessage // JSON; empty means {}
	// TenantID is whose work it is; uuid.Nil for platform tasks. Inside
	// InTenant it is taken from the transaction.
	TenantID uuid.UUID
	Queue    string    // Critical, Default (when empty) or Low
	RunAt    time.Time // not before; zero means now
	// Key de-duplicates: a second task of the same tenant, type and key is
	// dropped while the first is kept (Config.Retention). Use the event id.
	Key string
	// MaxRetry is the number of retries after the first failure; 0 means 10,
	// negative means none.
	MaxRetry int

	// ID is the outbox id, set on tasks handed to a handler.
	ID uuid.UUID
	// JobID is the job the task reports progress to, if any.
	JobID uuid.UUID
}

// Outbox row states.
const (
	statePending = "pending" // written, not in Redis
	stateSent    = "sent"    // in Redis (pending, active, scheduled for retry)
	stateDone    = "done"    // its handler succeeded
	stateDead    = "dead"    // retries exhausted; in asynq's archive
)

const defaultMaxRetry = 10

// outboxRow is a task written in the caller's transaction.
type outboxRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Type      string
	Payload   string
	Queue     string
	RunAt     time.Time
	UniqueKey *string
	JobID     *uuid.UUID
	MaxRetry  int
	State     string
	Sends     int
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
	SentAt    *time.Time
	DoneAt    *time.Time
}

func (outboxRow) TableName() string { return "outbox" }

// Enqueue writes t to the outbox in tx, the caller's transaction (InTenant or
// Platform), so the task exists exactly when the change that caused it
// commits. It returns the task id, or uuid.Nil when a task with the same
// Key already exists.
func Enqueue(tx *gorm.DB, t Task) (uuid.UUID, error) {
	row, err := newRow(tx, t)
	if err != nil {
		return uuid.Nil, err
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return uuid.Nil, fmt.Errorf("queue: enqueue %s: %w", t.Type, res.Error)
	}
	if res.RowsAffected == 0 {
		return uuid.Nil, nil
	}
	outboxWritten.poke()
	return row.ID, nil
}

// EnqueueMany writes many tasks with one statement per 500 (bulk producers).
// Duplicate keys are dropped silently.
func EnqueueMany(tx *gorm.DB, ts []Task) error {
	rows := make([]outboxRow, 0, len(ts))
	for _, t := range ts {
		r, err := newRow(tx, t)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 500).Error; err != nil {
		return err
	}
	outboxWritten.poke()
	return nil
}

var errBadTask = errors.New("queue: invalid task")

func newRow(tx *gorm.DB, t Task) (outboxRow, error) {
	if t.Type == "" {
		return outboxRow{}, fmt.Errorf("%w: empty type", errBadTask)
	}
	if t.Queue == "" {
		t.Queue = Default
	}
	if !slices.Contains(Queues, t.Queue) {
		return outboxRow{}, fmt.Errorf("%w: unknown queue %q", errBadTask, t.Queue)
	}
	if len(t.Payload) == 0 {
		t.Payload = json.RawMessage("{}")
	}
	if !json.Valid(t.Payload) {
		return outboxRow{}, fmt.Errorf("%w: %s payload is not JSON", errBadTask, t.Type)
	}
	if tid, ok := tenantOf(tx); ok {
		if t.TenantID != uuid.Nil && t.TenantID != tid {
			return outboxRow{}, fmt.Errorf("%w: task names tenant %v inside tenant %v", errBadTask, t.TenantID, tid)
		}
		t.TenantID = tid
	}
	switch {
	case t.MaxRetry == 0:
		t.MaxRetry = defaultMaxRetry
	case t.MaxRetry < 0:
		t.MaxRetry = 0
	}
	now := time.Now().UTC()
	if t.RunAt.IsZero() {
		t.RunAt = now
	}
	r := outboxRow{
		TenantID: t.TenantID, ID: store.NewID(), Type: t.Type, Payload: string(t.Payload), Queue: t.Queue,
		RunAt: t.RunAt.UTC(), MaxRetry: t.MaxRetry, State: statePending, CreatedAt: now, UpdatedAt: now,
	}
	if t.Key != "" {
		r.UniqueKey = &t.Key
	}
	if t.JobID != uuid.Nil {
		j := t.JobID
		r.JobID = &j
	}
	return r, nil
}

func tenantOf(tx *gorm.DB) (uuid.UUID, bool) {
	if tx == nil {
		return uuid.Nil, false
	}
	return store.TenantOf(tx)
}
