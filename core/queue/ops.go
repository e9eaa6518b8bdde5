package queue

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// Operator-facing errors.
var (
	ErrUnknownQueue = apperr.New(apperr.KindInvalid, "unknown_queue", "Unknown queue; use critical, default or low.", "未知队列,请使用 critical、default 或 low。")
)

// QueueStats is one queue's state in Redis plus its outbox backlog.
type QueueStats struct {
	Queue          string  `json:"queue"`
	Pending        int     `json:"pending"`
	Active         int     `json:"active"`
	Scheduled      int     `json:"scheduled"`
	Retry          int     `json:"retry"`
	Archived       int     `json:"archived"`
	LatencySeconds float64 `json:"latency_seconds"` // age of the oldest pending task in Redis
	ProcessedTotal int     `json:"processed_total"`
	FailedTotal    int     `json:"failed_total"`
	// Outbox rows by state: waiting for the relay, in Redis, dead.
	OutboxPending int64 `json:"outbox_pending"`
	OutboxSent    int64 `json:"outbox_sent"`
	OutboxDead    int64 `json:"outbox_dead"`
	// OutboxLatencySeconds is the age of the oldest due row the relay has not sent.
	OutboxLatencySeconds float64 `json:"outbox_latency_seconds"`
}

// Stats reports every queue.
func (q *Queue) Stats(ctx context.Context) ([]QueueStats, error) {
	type backlog struct {
		Queue  string
		State  string
		N      int64
		Oldest *string
	}
	var rows []backlog
	err := q.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT queue, state, count(*) AS n FROM outbox WHERE state IN ('pending', 'sent', 'dead') GROUP BY queue, state").Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	oldest, err := q.oldestDue(ctx)
	if err != nil {
		return nil, err
	}
	// GetQueueInfo does not wrap asynq.ErrQueueNotFound, so ask which queues exist first.
	known, err := q.inspect.Queues()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]QueueStats, 0, len(Queues))
	for _, name := range Queues {
		s := QueueStats{Queue: name}
		if slices.Contains(known, q.redisName(name)) {
			info, err := q.inspect.GetQueueInfo(q.redisName(name))
			if err != nil {
				return nil, err
			}
			s.Pending, s.Active, s.Scheduled, s.Retry, s.Archived = info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived
			s.LatencySeconds = info.Latency.Seconds()
			s.ProcessedTotal, s.FailedTotal = info.ProcessedTotal, info.FailedTotal
		}
		for _, r := range rows {
			if r.Queue != name {
				continue
			}
			switch r.State {
			case statePending:
				s.OutboxPending = r.N
			case stateSent:
				s.OutboxSent = r.N
			case stateDead:
				s.OutboxDead = r.N
			}
		}
		if t, ok := oldest[name]; ok {
			s.OutboxLatencySeconds = max(0, now.Sub(t).Seconds())
		}
		out = append(out, s)
	}
	return out, nil
}

// oldestDue is, per queue, the run_at of the oldest due pending row.
func (q *Queue) oldestDue(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	now := time.Now().UTC()
	for _, name := range Queues {
		var ts []time.Time
		err := q.db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Raw("SELECT run_at FROM outbox WHERE state = 'pending' AND queue = ? AND run_at <= ? ORDER BY run_at LIMIT 1", name, now).Scan(&ts).Error
		})
		if err != nil {
			return nil, err
		}
		if len(ts) > 0 {
			out[name] = ts[0]
		}
	}
	return out, nil
}

// ArchivedTask is a task that used up its retries.
type ArchivedTask struct {
	ID           string    `json:"id"`
	Queue        string    `json:"queue"`
	Type         string    `json:"type"`
	TenantID     string    `json:"tenant_id"`
	Payload      string    `json:"payload"`
	Retried      int       `json:"retried"`
	LastError    string    `json:"last_error"`
	LastFailedAt time.Time `json:"last_failed_at"`
}

// Archived lists a page (from 1) of a queue's archived tasks, newest first.
func (q *Queue) Archived(ctx context.Context, queue string, page, size int) ([]ArchivedTask, error) {
	if !slices.Contains(Queues, queue) {
		return nil, ErrUnknownQueue
	}
	ts, err := q.inspect.ListArchivedTasks(q.redisName(queue), asynq.Page(page), asynq.PageSize(size))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return []ArchivedTask{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]ArchivedTask, 0, len(ts))
	for _, t := range ts {
		out = append(out, ArchivedTask{
			ID: t.ID, Queue: queue, Type: t.Type, TenantID: t.Headers[hdrTenant], Payload: string(t.Payload),
			Retried: t.Retried, LastError: t.LastErr, LastFailedAt: t.LastFailedAt,
		})
	}
	return out, nil
}

// RetryArchived runs an archived task again now.
func (q *Queue) RetryArchived(ctx context.Context, queue, id string) error {
	if !slices.Contains(Queues, queue) {
		return ErrUnknownQueue
	}
	info, err := q.inspect.GetTaskInfo(q.redisName(queue), id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) || (err == nil && info.State != asynq.TaskStateArchived) {
		return apperr.NotFound
	}
	if err != nil {
		return err
	}
	// The row leaves "dead" first, so a quick success is not overwritten.
	err = q.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE outbox SET state = 'sent', updated_at = ? WHERE tenant_id = ? AND id = ? AND state = 'dead'", time.Now().UTC(), info.Headers[hdrTenant], id).Error
	})
	if err != nil {
		return err
	}
	if err := q.inspect.RunTask(q.redisName(queue), id); err != nil {
		if errors.Is(err, asynq.ErrTaskNotFound) {
			return apperr.NotFound
		}
		return err
	}
	return nil
}
