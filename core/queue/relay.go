package queue

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/poll"
)

// The relay moves due outbox rows into Redis. It keeps at most Window tasks
// of each queue waiting in Redis and refills the window round-robin across
// tenants (every tenant's oldest row first, then every tenant's second …), so
// a tenant with a huge backlog cannot push another tenant's task far back:
// the outbox, not Redis, is where work waits its turn.

// asynqKey names one of asynq's Redis keys for a queue. asynq documents this
// layout ("asynq:{queue}:…"); we read it only to count the window and to see
// whether a task still exists, which the Inspector can do only expensively.
func asynqKey(redisQueue, suffix string) string { return "asynq:{" + redisQueue + "}:" + suffix }

// claimBatch caps one relay round per queue; maxTenants caps the tenants
// served in one round (the next round continues after the last one).
const (
	claimBatch = 1000
	maxTenants = 200
)

// tenantsSQL lists tenants with pending rows in a queue, from a starting
// tenant on, by hopping along the pending index (a loose index scan): its
// cost grows with the number of tenants, not with the size of a backlog.
const tenantsSQL = `WITH RECURSIVE t(tenant_id, n) AS (
  SELECT (SELECT tenant_id FROM outbox WHERE state = 'pending' AND queue = ? AND tenant_id >= ? ORDER BY tenant_id LIMIT 1), 1
  UNION ALL
  SELECT (SELECT o.tenant_id FROM outbox o WHERE o.state = 'pending' AND o.queue = ? AND o.tenant_id > t.tenant_id ORDER BY o.tenant_id LIMIT 1), t.n + 1
  FROM t WHERE t.tenant_id IS NOT NULL AND t.n <= ?
)
SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`

// claim marks up to n due pending rows of a queue as sent, an equal share
// from each tenant's oldest, and returns them. Several relays (processes)
// never claim a row twice: the UPDATE re-checks state = 'pending'.
func (q *Queue) claim(ctx context.Context, name string, n int) ([]claimed, error) {
	var rows []claimed
	err := q.db.Platform(ctx, func(tx *gorm.DB) error {
		var tenants []uuid.UUID
		if err := tx.Raw(tenantsSQL, name, q.cursor[name], name, maxTenants).Scan(&tenants).Error; err != nil {
			return err
		}
		q.cursor[name] = uuid.Nil
		if len(tenants) > maxTenants {
			q.cursor[name] = tenants[maxTenants]
			tenants = tenants[:maxTenants]
		}
		if len(tenants) == 0 {
			return nil
		}
		now := time.Now().UTC()
		share := max(1, n/len(tenants))
		picks := make([]string, len(tenants))
		args := []any{now, now}
		for i, t := range tenants {
			picks[i] = "SELECT * FROM (SELECT tenant_id, id FROM outbox WHERE state = 'pending' AND queue = ? AND tenant_id = ? AND run_at <= ? ORDER BY id LIMIT ?) p" + strconv.Itoa(i)
			args = append(args, name, t, now, share)
		}
		sql := `UPDATE outbox SET state = 'sent', sends = sends + 1, sent_at = ?, updated_at = ?
WHERE state = 'pending' AND (tenant_id, id) IN (` + strings.Join(picks, " UNION ALL ") + `)
RETURNING tenant_id, id, type, payload, queue, max_retry, sends, job_id`
		return tx.Raw(sql, args...).Scan(&rows).Error
	})
	return rows, err
}

type claimed struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	Type     string
	Payload  string
	Queue    string
	MaxRetry int
	Sends    int
	JobID    *uuid.UUID
}

// relay runs relay rounds: every PollInterval while hot (just woken, or
// tasks moved recently), otherwise only when woken (wake.go), when a pending
// row falls due, or every IdlePoll; an idle round is one query (nextDue).
func (q *Queue) relay(ctx context.Context) {
	go q.listen(ctx, outboxWritten)
	hot := time.Now().Add(hotFor) // rows may have waited while no relay ran
	for ctx.Err() == nil {
		woken := outboxWritten.wait()
		now := time.Now()
		wait := q.cfg.PollInterval
		n, err := 0, error(nil)
		if now.Before(hot) {
			n, err = q.relayOnce(ctx)
		} else {
			var next time.Time
			if next, err = q.nextDue(ctx); err == nil && !next.IsZero() && !next.After(now) {
				n, err = q.relayOnce(ctx)
			} else if err == nil {
				wait = q.cfg.IdlePoll
				if !next.IsZero() {
					wait = min(wait, max(next.Sub(now), q.cfg.PollInterval))
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			q.log.Warn("queue relay", "err", err)
			wait = q.cfg.PollInterval
		}
		if n > 0 {
			wait = 5 * time.Millisecond // more may be waiting; just let the window drain a little
			hot = time.Now().Add(hotFor)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		case <-woken:
			hot = time.Now().Add(hotFor)
		}
	}
}

// relayOnce fills each queue's window once and reports how many tasks it sent.
func (q *Queue) relayOnce(ctx context.Context) (int, error) {
	free, err := q.windowFree(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, name := range Queues {
		n := min(free[name], claimBatch)
		if n <= 0 {
			continue
		}
		rows, err := q.claim(ctx, name, n)
		if err != nil {
			return total, err
		}
		if err := q.push(ctx, rows); err != nil {
			return total, err
		}
		total += len(rows)
	}
	return total, nil
}

// windowFree is, per queue, how many more tasks may wait in Redis.
func (q *Queue) windowFree(ctx context.Context) (map[string]int, error) {
	pipe := q.rc.Pipeline()
	lens := map[string][2]interface{ Val() int64 }{}
	for _, name := range Queues {
		rq := q.redisName(name)
		lens[name] = [2]interface{ Val() int64 }{pipe.LLen(ctx, asynqKey(rq, "pending")), pipe.LLen(ctx, asynqKey(rq, "active"))}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	free := map[string]int{}
	for name, l := range lens {
		free[name] = q.cfg.Window - int(l[0].Val()+l[1].Val())
	}
	return free, nil
}

// push enqueues claimed rows into asynq, several at a time. The asynq task id
// is the outbox id, so a row sent twice is refused by Redis while the first
// copy exists. A row that could not be sent goes back to pending.
func (q *Queue) push(ctx context.Context, rows []claimed) error {
	if len(rows) == 0 {
		return nil
	}
	const workers = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []claimed
		first  error
		next   = make(chan claimed)
	)
	for range min(workers, len(rows)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if err := q.enqueueRedis(ctx, r); err != nil {
					mu.Lock()
					failed = append(failed, r)
					first = cmpErr(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, r := range rows {
		next <- r
	}
	close(next)
	wg.Wait()
	if len(failed) > 0 {
		keys := make([][]any, len(failed))
		for i, r := range failed {
			keys[i] = []any{r.TenantID, r.ID}
		}
		q.db.Platform(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
			return tx.Exec("UPDATE outbox SET state = 'pending' WHERE state = 'sent' AND (tenant_id, id) IN ?", keys).Error
		})
	}
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Task headers carry what the handler wrapper needs besides the payload.
const (
	hdrTenant = "wuye-tenant"
	hdrSends  = "wuye-sends"
	hdrJob    = "wuye-job"
)

func (q *Queue) enqueueRedis(ctx context.Context, r claimed) error {
	h := map[string]string{hdrTenant: r.TenantID.String(), hdrSends: strconv.Itoa(r.Sends)}
	if r.JobID != nil {
		h[hdrJob] = r.JobID.String()
	}
	t := asynq.NewTaskWithHeaders(r.Type, []byte(r.Payload), h)
	_, err := q.client.EnqueueContext(ctx, t, asynq.TaskID(r.ID.String()), asynq.Queue(q.redisName(r.Queue)), asynq.MaxRetry(r.MaxRetry))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // already there
	}
	return err
}

// resendAllSent puts every sent row back to pending (the in-process Redis
// starts empty after a restart).
func (q *Queue) resendAllSent(ctx context.Context) error {
	return q.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'sent'", time.Now().UTC()).Error
	})
}

// sweep periodically re-drives sent rows whose task vanished from Redis (a
// Redis restart without persistence, a crash between claim and enqueue) and
// deletes finished rows past retention.
func (q *Queue) sweep(ctx context.Context) {
	every := min(q.cfg.StaleAfter/2, time.Minute)
	poll.Every(ctx, every, q.sweepOnce, func(err error) { q.log.Warn("queue sweep", "err", err) })
}

func (q *Queue) sweepOnce(ctx context.Context) error {
	now := time.Now().UTC()
	var rows []struct {
		TenantID uuid.UUID
		ID       uuid.UUID
		Queue    string
	}
	err := q.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT tenant_id, id, queue FROM outbox WHERE state = 'sent' AND sent_at < ? ORDER BY sent_at LIMIT 1000", now.Add(-q.cfg.StaleAfter)).Scan(&rows).Error
	})
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		pipe := q.rc.Pipeline()
		exists := make([]interface{ Val() int64 }, len(rows))
		for i, r := range rows {
			exists[i] = pipe.Exists(ctx, asynqKey(q.redisName(r.Queue), "t:"+r.ID.String()))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		var lost [][]any
		for i, r := range rows {
			if exists[i].Val() == 0 {
				lost = append(lost, []any{r.TenantID, r.ID})
			}
		}
		if len(lost) > 0 {
			q.log.Warn("queue: re-sending tasks missing from redis", "count", len(lost))
			err := q.db.Platform(ctx, func(tx *gorm.DB) error {
				return tx.Exec("UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'sent' AND sent_at < ? AND (tenant_id, id) IN ?", now, now.Add(-q.cfg.StaleAfter), lost).Error
			})
			if err != nil {
				return err
			}
			outboxWritten.poke()
		}
	}
	return q.db.Platform(ctx, func(tx *gorm.DB) error {
		cut := now.Add(-q.cfg.Retention)
		if err := tx.Exec("DELETE FROM outbox WHERE state IN ('done', 'dead') AND updated_at < ?", cut).Error; err != nil {
			return err
		}
		return tx.Exec(`DELETE FROM schedule_runs WHERE slot_at < ? AND slot_at < (SELECT MAX(r.slot_at) FROM schedule_runs r WHERE r.name = schedule_runs.name)`, cut).Error
	})
}

// doneBatch records finished tasks in batches: one UPDATE for many handlers.
type doneBatch struct {
	q    *Queue
	in   chan taskRef
	mu   sync.Mutex
	refs []taskRef
}

type taskRef struct{ tenant, id uuid.UUID }

func newDoneBatch(q *Queue) *doneBatch { return &doneBatch{q: q, in: make(chan taskRef, 4096)} }

func (b *doneBatch) add(r taskRef) { b.in <- r }

func (b *doneBatch) run(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case r := <-b.in:
			b.mu.Lock()
			b.refs = append(b.refs, r)
			full := len(b.refs) >= 500
			b.mu.Unlock()
			if full {
				b.flush(ctx)
			}
		case <-t.C:
			b.flush(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// flush writes what was collected (and whatever still sits in the channel).
func (b *doneBatch) flush(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for more := true; more; {
		select {
		case r := <-b.in:
			b.refs = append(b.refs, r)
		default:
			more = false
		}
	}
	if len(b.refs) == 0 {
		return
	}
	keys := make([][]any, len(b.refs))
	for i, r := range b.refs {
		keys[i] = []any{r.tenant, r.id}
	}
	now := time.Now().UTC()
	err := b.q.db.Platform(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
		return tx.Exec("UPDATE outbox SET state = 'done', done_at = ?, updated_at = ? WHERE state <> 'done' AND (tenant_id, id) IN ?", now, now, keys).Error
	})
	if err != nil {
		b.q.log.Error("queue: record finished tasks", "count", len(keys), "err", err)
		return // keep them; the next flush retries
	}
	b.refs = b.refs[:0]
}
