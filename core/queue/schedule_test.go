package queue_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestScheduleTwoProcesses: two queues on one database and one Redis (two
// wuye processes) run each slot of a schedule exactly once.
func TestScheduleTwoProcesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := queuetest.Config(t)
		tenant := store.NewID()
		var mu sync.Mutex
		ran := map[uuid.UUID]int{}
		for range 2 {
			q := queuetest.Open(t, db, cfg)
			q.Handle("tick", func(ctx context.Context, tk queue.Task) error {
				mu.Lock()
				ran[tk.ID]++
				mu.Unlock()
				return nil
			})
			if err := q.Schedule("tick", "@every 1s", queue.Task{Type: "tick", TenantID: tenant}); err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(3200 * time.Millisecond)
		var slots []time.Time
		err := db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Raw("SELECT slot_at FROM schedule_runs WHERE name = 'tick' ORDER BY slot_at").Scan(&slots).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) < 2 || len(slots) > 4 {
			t.Fatalf("%d slots claimed in 3.2s of @every 1s: %v", len(slots), slots)
		}
		for i := 1; i < len(slots); i++ {
			if d := slots[i].Sub(slots[i-1]); d != time.Second {
				t.Errorf("slots %v and %v are %v apart", slots[i-1], slots[i], d)
			}
		}
		waitFor(t, 3*time.Second, "every slot's task run", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(ran) >= len(slots)
		})
		mu.Lock()
		defer mu.Unlock()
		if len(ran) != len(slots) {
			t.Errorf("%d tasks ran for %d slots", len(ran), len(slots))
		}
		for id, n := range ran {
			if n != 1 {
				t.Errorf("task %v ran %d times", id, n)
			}
		}
		var tenants []uuid.UUID
		db.Platform(ctx, func(tx *gorm.DB) error { return tx.Raw("SELECT DISTINCT tenant_id FROM outbox").Scan(&tenants).Error })
		if len(tenants) != 1 || tenants[0] != tenant {
			t.Errorf("schedule wrote tasks for tenants %v, want %v", tenants, tenant)
		}
	})
}

// TestScheduleCatchesUpOnce: a process that was down while slots passed runs
// the latest missed slot once after it starts, not every missed one.
func TestScheduleCatchesUpOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		lastRun := now.Truncate(time.Hour).Add(-5 * time.Hour) // five hourly slots missed
		err := db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO schedule_runs (name, slot_at, created_at) VALUES (?, ?, ?)", "hourly", lastRun, now).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		q := queuetest.Open(t, db, queuetest.Config(t))
		ran := make(chan queue.Task, 10)
		q.Handle("report", func(ctx context.Context, tk queue.Task) error { ran <- tk; return nil })
		if err := q.Schedule("hourly", "0 * * * *", queue.Task{Type: "report", Queue: queue.Low}); err != nil {
			t.Fatal(err)
		}
		if err := q.Schedule("bad", "every hour", queue.Task{Type: "report"}); err == nil {
			t.Error("a malformed spec was accepted")
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case tk := <-ran:
			if tk.TenantID != uuid.Nil {
				t.Errorf("platform schedule ran for tenant %v", tk.TenantID)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("missed slot did not run")
		}
		time.Sleep(300 * time.Millisecond)
		if len(ran) != 0 {
			t.Fatalf("%d more missed slots ran; want only the latest", len(ran))
		}
		var slots []time.Time
		db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Raw("SELECT slot_at FROM schedule_runs WHERE name = 'hourly' ORDER BY slot_at").Scan(&slots).Error
		})
		if len(slots) != 2 || !slots[1].Equal(now.Truncate(time.Hour)) {
			t.Fatalf("slots %v, want %v then %v", slots, lastRun, now.Truncate(time.Hour))
		}
	})
}
