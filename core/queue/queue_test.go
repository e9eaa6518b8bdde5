package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outboxStates counts outbox rows by state.
func outboxStates(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	var rows []struct {
		State string
		N     int
	}
	err := db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Raw("SELECT state, count(*) AS n FROM outbox GROUP BY state").Scan(&rows).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.State] = r.N
	}
	return m
}

type seen struct {
	mu    sync.Mutex
	tasks []queue.Task
	at    []time.Time
}

func (s *seen) add(t queue.Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks = append(s.tasks, t)
	s.at = append(s.at, time.Now())
}

func (s *seen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks)
}

func TestDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := queuetest.Open(t, db, queuetest.Config(t))
		var got seen
		var badActor error
		q.Handle("note", func(ctx context.Context, tk queue.Task) error {
			if a, ok := actor.From(ctx); !ok || a.Kind != actor.System || a.TenantID != tk.TenantID {
				badActor = errors.New("handler context does not carry the task's tenant")
			}
			got.add(tk)
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		tenant := store.NewID()
		start := time.Now()
		var later uuid.UUID
		err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			id, err := queue.Enqueue(tx, queue.Task{Type: "note", Payload: json.RawMessage(`{"n":1}`), Key: "evt-1"})
			if err != nil || id == uuid.Nil {
				t.Fatalf("enqueue: id %v err %v", id, err)
			}
			if dup, err := queue.Enqueue(tx, queue.Task{Type: "note", Payload: json.RawMessage(`{"n":"dup"}`), Key: "evt-1"}); err != nil || dup != uuid.Nil {
				t.Fatalf("same key enqueued again: id %v err %v", dup, err)
			}
			later, err = queue.Enqueue(tx, queue.Task{Type: "note", Payload: json.RawMessage(`{"n":"later"}`), RunAt: start.Add(400 * time.Millisecond), Queue: queue.Low})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			if _, err := queue.Enqueue(tx, queue.Task{Type: "note", Payload: json.RawMessage(`{"n":"rolled back"}`)}); err != nil {
				return err
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("rollback did not happen")
		}
		err = db.Platform(ctx, func(tx *gorm.DB) error {
			_, err := queue.Enqueue(tx, queue.Task{Type: "note", Payload: json.RawMessage(`{"n":"platform"}`), Queue: queue.Critical})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Bad tasks are refused before anything is written.
		err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
			if _, err := queue.Enqueue(tx, queue.Task{Type: "note", Queue: "urgent"}); err == nil {
				t.Error("unknown queue accepted")
			}
			if _, err := queue.Enqueue(tx, queue.Task{Type: "note", Payload: json.RawMessage(`{nope`)}); err == nil {
				t.Error("non-JSON payload accepted")
			}
			if _, err := queue.Enqueue(tx, queue.Task{Type: "note", TenantID: store.NewID()}); err == nil {
				t.Error("task naming another tenant accepted")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		waitFor(t, 5*time.Second, "three tasks", func() bool { return got.len() == 3 })
		waitFor(t, 5*time.Second, "outbox rows done", func() bool { return outboxStates(t, db)["done"] == 3 })
		if badActor != nil {
			t.Fatal(badActor)
		}
		got.mu.Lock()
		payloads := map[string]queue.Task{}
		for i, tk := range got.tasks {
			payloads[string(tk.Payload)] = tk
			if tk.ID == later && got.at[i].Before(start.Add(400*time.Millisecond)) {
				t.Errorf("scheduled task ran %v early", start.Add(400*time.Millisecond).Sub(got.at[i]))
			}
		}
		got.mu.Unlock()
		if tk, ok := payloads[`{"n":1}`]; !ok || tk.TenantID != tenant || tk.Queue != queue.Default {
			t.Errorf("tenant task: %+v", tk)
		}
		if tk, ok := payloads[`{"n":"platform"}`]; !ok || tk.TenantID != uuid.Nil || tk.Queue != queue.Critical {
			t.Errorf("platform task: %+v", tk)
		}
		if _, ok := payloads[`{"n":"later"}`]; !ok {
			t.Error("scheduled task did not run")
		}

		// Stats and metrics see the processed tasks.
		st, err := q.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		processed := 0
		for _, s := range st {
			processed += s.ProcessedTotal
			if s.OutboxPending != 0 || s.OutboxSent != 0 {
				t.Errorf("queue %s backlog %+v", s.Queue, s)
			}
		}
		if processed != 3 {
			t.Errorf("stats count %d processed, want 3", processed)
		}
		reg := prometheus.NewRegistry()
		for _, c := range q.Collectors() {
			reg.MustRegister(c)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, mf := range mfs {
			names[mf.GetName()] = true
		}
		for _, n := range []string{"wuye_queue_tasks", "wuye_queue_latency_seconds", "wuye_queue_outbox_rows", "wuye_queue_processed_total", "wuye_queue_failed_total"} {
			if !names[n] {
				t.Errorf("metric %s missing", n)
			}
		}
		if err := q.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRetryArchiveAndOperatorRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := queuetest.Open(t, db, queuetest.Config(t))
		var mu sync.Mutex
		var runs []time.Time
		healthy := false
		q.Handle("flaky", func(ctx context.Context, tk queue.Task) error {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, time.Now())
			if !healthy {
				return errors.New("device offline")
			}
			return nil
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		tenant := store.NewID()
		var job queue.Job
		err := db.InTenant(ctx, tenant, func(tx *gorm.DB) (err error) {
			job, err = queue.StartJob(tx, "flaky", queue.Task{Type: "flaky", MaxRetry: 2})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var archived []queue.ArchivedTask
		waitFor(t, 10*time.Second, "the task in the archive", func() bool {
			archived, err = q.Archived(ctx, queue.Default, 1, 20)
			return err == nil && len(archived) == 1
		})
		mu.Lock()
		if len(runs) != 3 {
			t.Errorf("ran %d times, want 1 + 2 retries", len(runs))
		}
		healthy = true
		mu.Unlock()
		a := archived[0]
		if a.Type != "flaky" || a.TenantID != tenant.String() || a.LastError != "device offline" {
			t.Errorf("archived task %+v", a)
		}
		waitFor(t, 2*time.Second, "dead row and failed job", func() bool {
			j, err := q.Job(ctx, tenant, job.ID)
			return outboxStates(t, db)["dead"] == 1 && err == nil && j.State == "failed"
		})

		if err := q.RetryArchived(ctx, queue.Default, store.NewID().String()); !errors.Is(err, apperr.NotFound) {
			t.Errorf("retry of unknown task: %v", err)
		}
		if err := q.RetryArchived(ctx, "urgent", a.ID); !errors.Is(err, queue.ErrUnknownQueue) {
			t.Errorf("retry in unknown queue: %v", err)
		}
		if err := q.RetryArchived(ctx, queue.Default, a.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "retried task done and job succeeded", func() bool {
			j, err := q.Job(ctx, tenant, job.ID)
			return outboxStates(t, db)["done"] == 1 && err == nil && j.State == "succeeded"
		})
	})
}

func TestJobProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := queuetest.Open(t, db, queuetest.Config(t))
		q.Handle("import", func(ctx context.Context, tk queue.Task) error {
			if err := q.Progress(ctx, queue.JobID(ctx), 5, 10, "half way"); err != nil {
				return err
			}
			return q.Finish(ctx, queue.JobID(ctx), `{"rows":10}`, nil)
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		tenant, other := store.NewID(), store.NewID()
		var job queue.Job
		err := db.InTenant(ctx, tenant, func(tx *gorm.DB) (err error) {
			job, err = queue.StartJob(tx, "import", queue.Task{Type: "import"})
			return err
		})
		if err != nil || job.State != "queued" {
			t.Fatalf("start job: %+v %v", job, err)
		}
		waitFor(t, 5*time.Second, "job finished", func() bool {
			j, err := q.Job(ctx, tenant, job.ID)
			return err == nil && j.State == "succeeded"
		})
		j, _ := q.Job(ctx, tenant, job.ID)
		if j.Done != 5 || j.Total != 10 || j.Message != "half way" || j.Result != `{"rows":10}` {
			t.Errorf("job %+v", j)
		}
		if _, err := q.Job(ctx, other, job.ID); !errors.Is(err, apperr.NotFound) {
			t.Errorf("another tenant reads the job: %v", err)
		}
	})
}

func TestRetryDelayDoubles(t *testing.T) {
	q, err := queue.Open(context.Background(), queue.Config{RetryBase: time.Second}, storetest.SQLite(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if d := q.RetryDelay(n); d < want*8/10 || d > want*12/10 {
			t.Errorf("retry %d waits %v, want %v ± 20%%", n, d, want)
		}
	}
	if d := q.RetryDelay(40); d > time.Hour*12/10 {
		t.Errorf("retry 40 waits %v, want at most an hour (+ jitter)", d)
	}
}
