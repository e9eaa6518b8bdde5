package queue

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// jobPayload is a job's input, kept in the database (not in the memory of
// the process that accepted it) so any node can run the job.
type jobPayload struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	JobID     uuid.UUID `gorm:"primaryKey"`
	Body      []byte
	CreatedAt time.Time
}

func (jobPayload) TableName() string { return "job_payloads" }

// ErrNoPayload means a job's input is gone: the job already ended (a
// redelivered task) or was started without one.
var ErrNoPayload = errors.New("queue: the job's input is gone")

// StartJobWith is StartJob with an input the task's handler reads back with
// JobPayload on whichever node runs it; it is deleted when the job ends.
func StartJobWith(tx *gorm.DB, kind string, t Task, body []byte) (Job, error) {
	j, err := StartJob(tx, kind, t)
	if err != nil {
		return j, err
	}
	return j, tx.Create(&jobPayload{TenantID: j.TenantID, JobID: j.ID, Body: body, CreatedAt: time.Now().UTC()}).Error
}

// JobPayload returns the input of a tenant's job (ErrNoPayload when there is none).
func (q *Queue) JobPayload(ctx context.Context, tenantID, jobID uuid.UUID) ([]byte, error) {
	var p jobPayload
	err := q.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Take(&p, "job_id = ?", jobID).Error })
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNoPayload
	}
	return p.Body, err
}

// dropPayload deletes an ended job's input, in tx (the job's tenant).
func dropPayload(tx *gorm.DB, jobID uuid.UUID) error {
	if _, ok := store.TenantOf(tx); !ok {
		return nil
	}
	return tx.Where("job_id = ?", jobID).Delete(&jobPayload{}).Error
}
