package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
)

// ErrDuplicate is returned by Once when the task already took effect; a
// handler returns it (or any error wrapping it) and the delivery counts as done.
var ErrDuplicate = errors.New("queue: task already done")

type taskKey struct{}

// current is the task a handler context belongs to.
type current struct {
	tenant, id, job uuid.UUID
}

// JobID returns the job the running task reports to (uuid.Nil if none).
func JobID(ctx context.Context) uuid.UUID {
	c, _ := ctx.Value(taskKey{}).(current)
	return c.job
}

// Once marks the running task done inside the handler's own transaction tx,
// so the handler's writes and "done" commit together: a redelivered task then
// finds ErrDuplicate and its effect happens once. Handlers whose effects are
// naturally idempotent need not call it.
func Once(ctx context.Context, tx *gorm.DB) error {
	c, ok := ctx.Value(taskKey{}).(current)
	if !ok {
		return errors.New("queue: Once outside a task handler")
	}
	now := time.Now().UTC()
	res := tx.Exec("UPDATE outbox SET state = 'done', done_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND state <> 'done'", now, now, c.tenant, c.id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrDuplicate
	}
	return nil
}

// process is the one asynq handler: it finds our handler, skips a delivery
// whose task is already done, runs it with the tenant in ctx, and records success.
func (q *Queue) process(ctx context.Context, at *asynq.Task) error {
	idText, _ := asynq.GetTaskID(ctx)
	id, err := uuid.Parse(idText)
	if err != nil {
		return fmt.Errorf("queue: task id %q is not an outbox id: %w", idText, asynq.SkipRetry)
	}
	hd := at.Headers()
	tenant, err := uuid.Parse(hd[hdrTenant])
	if err != nil {
		return fmt.Errorf("queue: task %s has no tenant header: %w", id, asynq.SkipRetry)
	}
	q.mu.Lock()
	h := q.handlers[at.Type()]
	q.mu.Unlock()
	if h == nil {
		return fmt.Errorf("queue: no handler for task type %q", at.Type())
	}
	job, _ := uuid.Parse(hd[hdrJob])
	// Only a second send or a retry can be a duplicate; the first delivery of
	// the first send skips the look-up.
	sends, _ := strconv.Atoi(hd[hdrSends])
	retried, _ := asynq.GetRetryCount(ctx)
	if sends > 1 || retried > 0 {
		state, err := q.rowState(ctx, tenant, id)
		if err != nil {
			return err
		}
		if state == "" || state == stateDone {
			return nil
		}
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "queue:" + at.Type(), TenantID: tenant})
	ctx = context.WithValue(ctx, taskKey{}, current{tenant: tenant, id: id, job: job})
	if job != uuid.Nil {
		if err := q.setJobState(ctx, tenant, job, jobRunning, ""); err != nil {
			return err
		}
	}
	qname, _ := asynq.GetQueueName(ctx)
	err = h(ctx, Task{
		Type: at.Type(), Payload: at.Payload(), TenantID: tenant, Queue: q.localName(qname),
		ID: id, JobID: job,
	})
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return err
	}
	if job != uuid.Nil {
		if err := q.setJobState(ctx, tenant, job, jobSucceeded, ""); err != nil {
			q.log.Warn("queue: finish job", "job", job, "err", err)
		}
	}
	q.done.add(taskRef{tenant: tenant, id: id})
	return nil
}

func (q *Queue) rowState(ctx context.Context, tenant, id uuid.UUID) (string, error) {
	var states []string
	err := q.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT state FROM outbox WHERE tenant_id = ? AND id = ?", tenant, id).Scan(&states).Error
	})
	if err != nil || len(states) == 0 {
		return "", err
	}
	return states[0], nil
}

// localName strips the namespace from an asynq queue name.
func (q *Queue) localName(redisQueue string) string {
	for _, n := range Queues {
		if q.redisName(n) == redisQueue {
			return n
		}
	}
	return redisQueue
}

// handleError records the failure on the outbox row; when asynq archives the
// task (retries exhausted or SkipRetry) the row and its job become dead/failed.
func (q *Queue) handleError(ctx context.Context, at *asynq.Task, err error) {
	idText, _ := asynq.GetTaskID(ctx)
	id, e1 := uuid.Parse(idText)
	tenant, e2 := uuid.Parse(at.Headers()[hdrTenant])
	if e1 != nil || e2 != nil {
		return
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	archived := retried >= maxRetry || errors.Is(err, asynq.SkipRetry)
	msg := err.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	q.log.Warn("queue: task failed", "type", at.Type(), "id", id, "tenant", tenant, "retried", retried, "archived", archived, "err", msg)
	state := stateSent
	if archived {
		state = stateDead
	}
	now := time.Now().UTC()
	bg := context.WithoutCancel(ctx)
	dbErr := q.db.Platform(bg, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND state <> 'done'", state, msg, now, tenant, id).Error
	})
	if dbErr != nil {
		q.log.Error("queue: record task failure", "id", id, "err", dbErr)
	}
	if job, err := uuid.Parse(at.Headers()[hdrJob]); err == nil && archived {
		if err := q.setJobState(bg, tenant, job, jobFailed, msg); err != nil {
			q.log.Error("queue: fail job", "job", job, "err", err)
		}
	}
}
