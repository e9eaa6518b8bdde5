package queue

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Job states.
const (
	jobQueued    = "queued"
	jobRunning   = "running"
	jobSucceeded = "succeeded"
	jobFailed    = "failed"
)

// Job is background work whose progress the API can poll.
type Job struct {
	TenantID  uuid.UUID `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID `gorm:"primaryKey" json:"id"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"` // queued, running, succeeded, failed
	Done      int64     `json:"done"`
	Total     int64     `json:"total"`
	Message   string    `json:"message"`
	Result    string    `json:"result"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (Job) TableName() string { return "jobs" }

// StartJob records a queued job in tx (an InTenant transaction) and writes
// its task to the outbox; the task's handler reports with Progress/Finish.
func StartJob(tx *gorm.DB, kind string, t Task) (Job, error) {
	tenant, ok := store.TenantOf(tx)
	if !ok {
		return Job{}, errors.New("queue: StartJob needs an InTenant transaction")
	}
	now := time.Now().UTC()
	j := Job{TenantID: tenant, ID: store.NewID(), Kind: kind, State: jobQueued, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&j).Error; err != nil {
		return Job{}, err
	}
	t.JobID = j.ID
	if _, err := Enqueue(tx, t); err != nil {
		return Job{}, err
	}
	return j, nil
}

// Job returns one of a tenant's jobs; another tenant's job is apperr.NotFound.
// While it runs, its progress comes from Redis (see Progress).
func (q *Queue) Job(ctx context.Context, tenantID, id uuid.UUID) (Job, error) {
	var j Job
	err := q.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Take(&j, "id = ?", id).Error })
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Job{}, apperr.NotFound
	}
	if err != nil || (j.State != jobQueued && j.State != jobRunning) {
		return j, err
	}
	if p, ok := q.liveProgress(ctx, id); ok {
		j.Done, j.Total, j.Message = p.Done, p.Total, p.Message
	}
	return j, nil
}

// progress is a running job's latest report.
type progress struct {
	Done    int64  `json:"done"`
	Total   int64  `json:"total"`
	Message string `json:"message"`
}

func (q *Queue) progressKey(jobID uuid.UUID) string {
	return q.redisName("wuye:job-progress:" + jobID.String())
}

// Progress records how far the job is; call it from the job's handler. It
// goes to Redis, not the database: it changes often, must not wait for the
// job's own long transaction (SQLite has one writer), and only matters while
// the job runs. Finish copies the last report into the job's row.
func (q *Queue) Progress(ctx context.Context, jobID uuid.UUID, done, total int64, message string) error {
	b, _ := json.Marshal(progress{Done: done, Total: total, Message: message})
	return q.rc.Set(ctx, q.progressKey(jobID), b, 24*time.Hour).Err()
}

func (q *Queue) liveProgress(ctx context.Context, jobID uuid.UUID) (progress, bool) {
	var p progress
	b, err := q.rc.Get(ctx, q.progressKey(jobID)).Bytes()
	if err != nil || json.Unmarshal(b, &p) != nil {
		return p, false
	}
	return p, true
}

// Finish ends the job now with a result (or failure message when err is set).
// Without it, a job ends succeeded when its handler returns nil and failed
// when its task is archived.
func (q *Queue) Finish(ctx context.Context, jobID uuid.UUID, result string, err error) error {
	v := map[string]any{"state": jobSucceeded, "result": result}
	if err != nil {
		v["state"], v["message"] = jobFailed, err.Error()
	}
	if p, ok := q.liveProgress(ctx, jobID); ok {
		v["done"], v["total"] = p.Done, p.Total
		if err == nil {
			v["message"] = p.Message
		}
	}
	if uerr := q.updateJob(ctx, jobID, v); uerr != nil {
		return uerr
	}
	q.rc.Del(ctx, q.progressKey(jobID))
	return nil
}

func (q *Queue) updateJob(ctx context.Context, jobID uuid.UUID, v map[string]any) error {
	a, _ := actor.From(ctx)
	v["updated_at"] = time.Now().UTC()
	return q.db.InTenant(ctx, a.TenantID, func(tx *gorm.DB) error {
		res := tx.Model(&Job{}).Where("id = ?", jobID).Updates(v)
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.NotFound
		}
		if res.Error == nil && (v["state"] == jobSucceeded || v["state"] == jobFailed) {
			return dropPayload(tx, jobID) // the job ended: its input is no longer needed
		}
		return res.Error
	})
}

// setJobState moves a job along as its task runs; it never overrides an
// outcome the handler set with Finish.
func (q *Queue) setJobState(ctx context.Context, tenant, job uuid.UUID, state, message string) error {
	from := []string{jobQueued, jobFailed, jobRunning} // failed → running: an operator retried it
	v := map[string]any{"state": state, "updated_at": time.Now().UTC()}
	switch state {
	case jobSucceeded:
		from = []string{jobRunning}
	case jobFailed:
		from = []string{jobQueued, jobRunning}
		v["message"] = message
	}
	if state == jobSucceeded || state == jobFailed {
		if p, ok := q.liveProgress(ctx, job); ok {
			v["done"], v["total"] = p.Done, p.Total
			defer q.rc.Del(ctx, q.progressKey(job))
		}
	}
	return q.db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
		if err := tx.Model(&Job{}).Where("id = ? AND state IN ?", job, from).Updates(v).Error; err != nil {
			return err
		}
		if state == jobSucceeded || state == jobFailed {
			return dropPayload(tx, job)
		}
		return nil
	})
}
