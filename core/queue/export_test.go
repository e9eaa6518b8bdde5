package queue

import (
	"context"
	"time"
)

// Internals the external tests drive directly.

// Redeliver pushes an outbox row into Redis again, as a crash between a
// handler's commit and asynq's acknowledgement would.
func (q *Queue) Redeliver(ctx context.Context, r Task, sends int) error {
	return q.enqueueRedis(ctx, claimed{TenantID: r.TenantID, ID: r.ID, Type: r.Type, Payload: string(r.Payload), Queue: r.Queue, Sends: sends})
}

func (q *Queue) RetryDelay(n int) time.Duration { return q.retryDelay(n, nil, nil) }
