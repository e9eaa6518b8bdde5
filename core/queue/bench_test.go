package queue_test

import (
	"context"
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

// BenchmarkEndToEnd writes 100,000 no-op tasks of 10 tenants to the outbox
// (bulk, in transactions of 1,000) and waits until every handler ran and
// every row is recorded done: outbox → relay → Redis → worker → done.
func BenchmarkEndToEnd(b *testing.B) {
	const tasks, tenants = 100_000, 10
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := storetest.Postgres(b)
		cfg := queuetest.Config(b)
		cfg.Concurrency = 20
		cfg.PollInterval = 50 * time.Millisecond
		q := queuetest.Open(b, db, cfg)
		var ran atomic.Int64
		q.Handle("noop", func(context.Context, queue.Task) error { ran.Add(1); return nil })
		ids := make([]uuid.UUID, tenants)
		for j := range ids {
			ids[j] = store.NewID()
		}
		if err := q.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		batch := make([]queue.Task, 1000)
		for j := range batch {
			batch[j] = queue.Task{Type: "noop"}
		}
		for k := 0; k < tasks/len(batch); k++ {
			if err := db.InTenant(ctx, ids[k%tenants], func(tx *gorm.DB) error { return queue.EnqueueMany(tx, batch) }); err != nil {
				b.Fatal(err)
			}
		}
		enqueued := time.Since(start)
		for ran.Load() < tasks {
			time.Sleep(5 * time.Millisecond)
		}
		handled := time.Since(start)
		for {
			var pending int64
			db.Platform(ctx, func(tx *gorm.DB) error {
				return tx.Raw("SELECT count(*) FROM outbox WHERE state <> 'done'").Scan(&pending).Error
			})
			if pending == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		total := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(tasks)/total.Seconds(), "tasks/s")
		b.ReportMetric(enqueued.Seconds(), "enqueue-s")
		b.ReportMetric(handled.Seconds(), "handled-s")
		q.Close()
		b.StartTimer()
	}
}
