package queue_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// counterHandler adds one to a job's done counter per task, with the task
// marked done in the same transaction (queue.Once), so redeliveries add nothing.
func counterHandler(db *store.DB, counter uuid.UUID, runs *atomic.Int64) queue.Handler {
	return func(ctx context.Context, t queue.Task) error {
		runs.Add(1)
		time.Sleep(5 * time.Millisecond)
		return db.InTenant(ctx, t.TenantID, func(tx *gorm.DB) error {
			if err := queue.Once(ctx, tx); err != nil {
				return err
			}
			return tx.Exec("UPDATE jobs SET done = done + 1 WHERE tenant_id = ? AND id = ?", t.TenantID, counter).Error
		})
	}
}

func counterValue(t *testing.T, db *store.DB, tenant, counter uuid.UUID) int64 {
	var j queue.Job
	if err := db.InTenant(context.Background(), tenant, func(tx *gorm.DB) error { return tx.Take(&j, "id = ?", counter).Error }); err != nil {
		t.Fatal(err)
	}
	return j.Done
}

// TestRestartLosesNothing runs the embedded default (in-process Redis): the
// queue is stopped with work half done, its Redis memory is gone, and a new
// queue on the same database finishes every task, each effect exactly once.
func TestRestartLosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant := store.NewID()
		counter := store.NewID()
		const n = 60
		err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			if err := tx.Create(&queue.Job{ID: counter, Kind: "counter", State: "running", CreatedAt: time.Now(), UpdatedAt: time.Now()}).Error; err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				if _, err := queue.Enqueue(tx, queue.Task{Type: "count", Payload: json.RawMessage(`{}`)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg := queuetest.Fast(queue.Config{Concurrency: 2}) // no RedisAddr: embedded
		var runs atomic.Int64
		q1, err := queue.Open(ctx, cfg, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !q1.Embedded() {
			t.Fatal("queue without a Redis address is not embedded")
		}
		q1.Handle("count", counterHandler(db, counter, &runs))
		if err := q1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "some tasks done", func() bool { return counterValue(t, db, tenant, counter) >= 10 })
		q1.Close()
		before := counterValue(t, db, tenant, counter)
		st := outboxStates(t, db)
		if before >= n || st["sent"]+st["pending"] == 0 {
			t.Fatalf("stopped too late to test a restart: %d done, states %v", before, st)
		}
		t.Logf("stopped with %d of %d done, outbox %v", before, n, st)

		q2, err := queue.Open(ctx, cfg, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer q2.Close()
		q2.Handle("count", counterHandler(db, counter, &runs))
		if err := q2.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "every task done", func() bool { return outboxStates(t, db)["done"] == n })
		if got := counterValue(t, db, tenant, counter); got != n {
			t.Fatalf("counter is %d after restart, want exactly %d", got, n)
		}

		// A redelivered task (crash after the handler's commit, before
		// Redis heard of it) runs no effect again, whether or not it is
		// recognised before the handler runs.
		var rows []struct {
			ID uuid.UUID
		}
		db.Platform(ctx, func(tx *gorm.DB) error { return tx.Raw("SELECT id FROM outbox LIMIT 2").Scan(&rows).Error })
		before2 := runs.Load()
		st0, err := q2.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			tk := queue.Task{TenantID: tenant, ID: r.ID, Type: "count", Payload: json.RawMessage(`{}`), Queue: queue.Default}
			if err := q2.Redeliver(ctx, tk, 1+i); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 5*time.Second, "redeliveries processed", func() bool {
			st, err := q2.Stats(ctx)
			return err == nil && st[1].ProcessedTotal >= st0[1].ProcessedTotal+2
		})
		if got := counterValue(t, db, tenant, counter); got != n {
			t.Fatalf("redelivery changed the counter to %d", got)
		}
		if d := runs.Load() - before2; d != 1 {
			t.Errorf("handler ran %d times for 2 redeliveries; want 1 (the second send is skipped before running)", d)
		}
	})
}

// TestLostTaskIsResent: a row marked sent whose task is not in Redis (Redis
// restarted without persistence) is sent again by the sweeper.
func TestLostTaskIsResent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := queuetest.Config(t)
		// Long enough that the re-sent task is run and its row marked done
		// before the sweeper could call it lost again (a loaded CI machine
		// took over 100 ms), short enough for a test: sweeps every 500 ms.
		cfg.StaleAfter = time.Second
		q := queuetest.Open(t, db, cfg)
		ran := make(chan struct{}, 1)
		q.Handle("lost", func(ctx context.Context, tk queue.Task) error { ran <- struct{}{}; return nil })
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		lostTenant := store.NewID()
		err := db.InTenant(ctx, lostTenant, func(tx *gorm.DB) error {
			id, err := queue.Enqueue(tx, queue.Task{Type: "lost"})
			if err != nil {
				return err
			}
			// As if a relay claimed it and died before Redis got it.
			return tx.Exec("UPDATE outbox SET state = 'sent', sends = 1, sent_at = ? WHERE tenant_id = ? AND id = ?", time.Now().UTC().Add(-time.Minute), lostTenant, id).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatal("lost task was not re-sent")
		}
		waitFor(t, 2*time.Second, "row done", func() bool { return outboxStates(t, db)["done"] == 1 })
		var sends []int
		db.Platform(ctx, func(tx *gorm.DB) error { return tx.Raw("SELECT sends FROM outbox").Scan(&sends).Error })
		if len(sends) != 1 || sends[0] != 2 {
			t.Errorf("sends = %v, want [2]", sends)
		}
	})
}
