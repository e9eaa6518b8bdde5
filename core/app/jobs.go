package app

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
)

// Task types the core itself handles.
const (
	taskRunJob           = "core.run_job"
	taskPurgeIdempotency = "core.purge_idempotency"
)

// jobBody is long work handed to the queue by an HTTP handler (a large import).
type jobBody func(ctx context.Context, progress func(done, total int)) (any, error)

type runJobPayload struct {
	Token uuid.UUID `json:"token"`
}

// startJob runs body as a queued job whose progress the caller polls at
// /api/v1/jobs/:id. The body (holding the parsed upload) stays in this
// process's memory under a token carried by the task: the job record and its
// progress are durable, the body is not, so a job whose process restarted
// before it ran ends failed with a message asking to upload again.
func (a *App) startJob(ctx context.Context, tenantID uuid.UUID, kind string, run func(ctx context.Context, progress func(done, total int)) (any, error)) (string, error) {
	token := store.NewID()
	a.jobs.Store(token, jobBody(run))
	payload, _ := json.Marshal(runJobPayload{Token: token})
	var job queue.Job
	err := a.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
		job, err = queue.StartJob(tx, kind, queue.Task{Type: taskRunJob, TenantID: tenantID, Queue: queue.Low, Payload: payload, MaxRetry: 0})
		return err
	})
	if err != nil {
		a.jobs.Delete(token)
		return "", err
	}
	return job.ID.String(), nil
}

var errJobLost = errors.New("the server restarted before this job ran; upload the file again (服务器在任务执行前重启,请重新上传文件)")

func (a *App) runJob(ctx context.Context, t queue.Task) error {
	var p runJobPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil {
		return err
	}
	jobID := queue.JobID(ctx)
	v, ok := a.jobs.LoadAndDelete(p.Token)
	if !ok {
		return a.Queue.Finish(ctx, jobID, "", errJobLost)
	}
	result, err := v.(jobBody)(ctx, func(done, total int) {
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
	return a.Queue.Schedule("purge-idempotency-keys", "@every 1h", queue.Task{Type: taskPurgeIdempotency, Queue: queue.Low})
}
