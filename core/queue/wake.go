package queue

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// An idle relay sleeps instead of polling the outbox. It is woken by
// Enqueue in this process (at once, before the commit: the relay then polls
// at PollInterval for hotFor, which covers the commit) and, on Postgres, by
// the NOTIFY a trigger on outbox sends at commit from any process. A slow
// poll (IdlePoll) remains as a safety net, and a pending row due later
// (RunAt) sets the next wake-up.

// hotFor is how long the relay keeps polling at PollInterval after a wake-up
// or a round that moved tasks.
const hotFor = 2 * time.Second

// outboxChannel is the NOTIFY channel of migration 00014.
const outboxChannel = "wuye_outbox"

// wakeup is a broadcast: wait returns a channel closed by the next poke.
type wakeup struct {
	mu sync.Mutex
	ch chan struct{}
}

var outboxWritten = &wakeup{ch: make(chan struct{})}

func (w *wakeup) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *wakeup) poke() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}

// nextDue is the earliest run_at of a pending row (zero when there is none):
// one indexed query, the whole cost of an idle round.
func (q *Queue) nextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullTime
	err := q.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Raw("SELECT MIN(run_at) FROM outbox WHERE state = 'pending'").Row().Scan(&next)
	})
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return next.Time, nil
}

// listen pokes w on every NOTIFY of the outbox channel, on a connection of
// its own, until ctx ends (Postgres only). A lost connection is retried; the
// safety poll covers the gap.
func (q *Queue) listen(ctx context.Context, w *wakeup) {
	if q.db.Dialect() != store.Postgres {
		return
	}
	for ctx.Err() == nil {
		err := q.listenOnce(ctx, w)
		if ctx.Err() != nil {
			return
		}
		q.log.Warn("queue: outbox listener", "err", err)
		w.poke() // something may have been missed
		select {
		case <-ctx.Done():
		case <-time.After(q.cfg.IdlePoll):
		}
	}
}

func (q *Queue) listenOnce(ctx context.Context, w *wakeup) error {
	conn, err := q.db.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		pc := c.Conn()
		// However this ends, the connection is left listening (or mid-read):
		// drop it rather than hand it back to the pool.
		if _, err := pc.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
			return errors.Join(err, driver.ErrBadConn)
		}
		w.poke() // rows written before LISTEN took effect
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return errors.Join(err, driver.ErrBadConn)
			}
			w.poke()
		}
	})
}
