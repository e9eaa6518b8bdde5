package app

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/queue"
)

// Task types the core itself handles.
const (
	taskRunJob           = "core.run_job"
	taskPurgeIdempotency = "core.purge_idempotency"
)

type runJobPayload struct {
	Kind string `json:"kind"`
}

// startJob queues long work (a large import) as a job whose progress the
// caller polls at /api/v1/jobs/:id. Its input goes to the database with the
// job, in one transaction, so whichever node takes the task (a `wuye worker`,
// another server, this one after a restart) runs it; it is deleted when the
// job ends.
func (a *App) startJob(ctx context.Context, tenantID uuid.UUID, kind string, input []byte) (string, error) {
	payload, _ := json.Marshal(runJobPayload{Kind: kind})
	var job queue.Job
	err := a.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
		job, err = queue.StartJobWith(tx, kind, queue.Task{Type: taskRunJob, TenantID: tenantID, Queue: queue.Low, Payload: payload, MaxRetry: 0}, input)
		return err
	})
	if err != nil {
		return "", err
	}
	return job.ID.String(), nil
}

var errJobLost = errors.New("this job's input is gone; upload the file again (任务的输入已丢失,请重新上传文件)")

func (a *App) runJob(ctx context.Context, t queue.Task) error {
	var p runJobPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil {
		return err
	}
	jobID := queue.JobID(ctx)
	input, err := a.Queue.JobPayload(ctx, t.TenantID, jobID)
	if errors.Is(err, queue.ErrNoPayload) {
		return a.Queue.Finish(ctx, jobID, "", errJobLost)
	}
	if err != nil {
		return err
	}
	result, err := a.API.RunJob(ctx, t.TenantID, p.Kind, input, func(done, total int) {
		if perr := a.Queue.Progress(ctx, jobID, int64(done), int64(total), ""); perr != nil {
			a.Log.Warn("job progress", "job", jobID, "err", perr)
		}
	})
	out, _ := json.Marshal(result)
	return a.Queue.Finish(ctx, jobID, string(out), err)
}

// registerTasks installs the core's task handlers and periodic schedules.
func (a *App) registerTasks() error {
	a.Queue.Handle(taskRunJob, a.runJob)
	a.Queue.Handle(taskPurgeIdempotency, func(ctx context.Context, _ queue.Task) error {
		n, err := a.Idempotency.Purge(ctx, time.Now())
		if n > 0 {
			a.Log.Info("purged expired idempotency keys", "count", n)
		}
		return err
	})
	if err := a.registerFinanceTasks(); err != nil {
		return err
	}
	if err := a.registerPatrolTasks(); err != nil {
		return err
	}
	if err := a.registerSurveyTasks(); err != nil {
		return err
	}
	if err := a.registerBillingTasks(); err != nil {
		return err
	}
	if err := a.registerWorkOrderTasks(); err != nil {
		return err
	}
	return a.Queue.Schedule("purge-idempotency-keys", "@every 1h", queue.Task{Type: taskPurgeIdempotency, Queue: queue.Low})
}
