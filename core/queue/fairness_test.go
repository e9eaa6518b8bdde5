package queue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// bulkOutbox writes n pending tasks of one tenant with a single statement.
func bulkOutbox(t testing.TB, db *store.DB, tenant uuid.UUID, typ string, n int) {
	t.Helper()
	now := time.Now().UTC()
	cols := `INSERT INTO outbox (tenant_id, id, type, payload, queue, run_at, max_retry, state, sends, last_error, created_at, updated_at) `
	q := cols + `SELECT ?, gen_random_uuid(), ?, '{}', 'default', ?, 10, 'pending', 0, '', ?, ? FROM generate_series(1, ?)`
	if db.Dialect() == store.SQLite {
		q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) ` + cols +
			`SELECT ?, lower(printf('%s-%s-%s-%s-%s', hex(randomblob(4)), hex(randomblob(2)), hex(randomblob(2)), hex(randomblob(2)), hex(randomblob(6)))), ?, '{}', 'default', ?, 10, 'pending', 0, '', ?, ? FROM n`
	}
	err := db.Platform(context.Background(), func(tx *gorm.DB) error {
		if db.Dialect() == store.SQLite {
			return tx.Exec(q, n, tenant, typ, now, now, now).Error
		}
		return tx.Exec(q, tenant, typ, now, now, now, n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTenantFairness: tenant A has 100,000 tasks waiting; tenant B's one task
// still runs long before A's backlog drains: most of A's tasks are still
// pending when it has run. How soon is logged, not asserted (a few ms here,
// seconds under the race detector on a busy machine); the queue benchmarks
// measure speed.
func TestTenantFairness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := store.NewID(), store.NewID()
		began := time.Now()
		bulkOutbox(t, db, a, "work", 100_000)
		t.Logf("100,000 outbox rows for tenant A in %v", time.Since(began))

		q := queuetest.Open(t, db, queuetest.Config(t))
		bDone := make(chan time.Time, 1)
		q.Handle("work", func(ctx context.Context, tk queue.Task) error {
			if tk.TenantID == b {
				bDone <- time.Now()
				return nil
			}
			time.Sleep(2 * time.Millisecond) // A's tasks do some work
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // A's backlog is being worked on
		enqueued := time.Now()
		err := db.InTenant(ctx, b, func(tx *gorm.DB) error {
			_, err := queue.Enqueue(tx, queue.Task{Type: "work", Payload: json.RawMessage(`{"from":"b"}`)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case at := <-bDone:
			t.Logf("tenant B's task ran %v after it was enqueued", at.Sub(enqueued))
		case <-time.After(time.Minute):
			t.Fatal("tenant B's task did not run within a minute of being enqueued behind 100,000 of tenant A's")
		}
		left := outboxStates(t, db)["pending"]
		if left < 50_000 {
			t.Fatalf("only %d of A's tasks still waiting; the test did not show fairness", left)
		}
	})
}
