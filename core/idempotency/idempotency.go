// Package idempotency keeps the answers of creating requests sent with an
// Idempotency-Key (table idempotency_keys), so a retry replays the first
// answer instead of creating twice. The HTTP middleware (core/httpapi) decides
// when; this package is the storage, so the HTTP layer holds no SQL.
package idempotency

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/store"
)

// Record is one remembered answer. Status 0 means the first request is
// still running.
type Record struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	ActorID     uuid.UUID
	Key         string
	Method      string
	Path        string
	BodyHash    string
	Status      int
	Response    string
	ContentType string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// TableName is the table of the records.
func (Record) TableName() string { return "idempotency_keys" }

// Scope says whose keys a call touches: a tenant's (in its scope, joining the
// request transaction) or the platform operators' (Platform).
type Scope struct {
	Tenant   uuid.UUID
	Platform bool
}

// Tenant is the scope of a tenant principal's keys.
func Tenant(id uuid.UUID) Scope { return Scope{Tenant: id} }

// Platform is the scope of the platform operators' keys (their rows carry
// the nil tenant id).
var Platform = Scope{Platform: true}

// Store keeps the records in the database.
type Store struct{ db *store.DB }

// New returns the store kept in db.
func New(db *store.DB) *Store {
	if db == nil {
		panic("idempotency: nil db")
	}
	return &Store{db: db}
}

func (s *Store) tx(ctx context.Context, sc Scope, fn func(tx *gorm.DB) error) error {
	if sc.Platform {
		return s.db.Platform(ctx, fn)
	}
	return s.db.InTenant(ctx, sc.Tenant, fn)
}

// Reserve stores r as running, unless the actor already used its key: then
// an expired answer, or one still "running" since before stale (its process
// died), is taken over (r.ID becomes its id), and any other is returned as
// prior for the caller to replay or refuse.
func (s *Store) Reserve(ctx context.Context, sc Scope, r *Record, stale time.Time) (prior *Record, err error) {
	if r.ID == uuid.Nil {
		r.ID = uuid.Must(uuid.NewV7())
	}
	err = s.tx(ctx, sc, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(r)
		if res.Error != nil || res.RowsAffected == 1 {
			return res.Error
		}
		var old Record
		if err := tx.Where("tenant_id = ? AND actor_id = ? AND key = ?", r.TenantID, r.ActorID, r.Key).Take(&old).Error; err != nil {
			return err
		}
		// The condition is re-checked by the UPDATE so two takers cannot both win.
		res = tx.Model(&Record{}).
			Where("tenant_id = ? AND id = ? AND (expires_at < ? OR (status = 0 AND created_at < ?))", old.TenantID, old.ID, r.CreatedAt, stale).
			Updates(map[string]any{"method": r.Method, "path": r.Path, "body_hash": r.BodyHash, "status": 0,
				"response": "", "content_type": "", "created_at": r.CreatedAt, "expires_at": r.ExpiresAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			r.ID = old.ID
			return nil
		}
		prior = &old
		return nil
	})
	return prior, err
}

// Complete stores the answer of the reserved record r.
func (s *Store) Complete(ctx context.Context, sc Scope, r Record) error {
	return s.tx(ctx, sc, func(tx *gorm.DB) error {
		return tx.Model(&Record{}).Where("tenant_id = ? AND id = ?", r.TenantID, r.ID).
			Updates(map[string]any{"status": r.Status, "response": r.Response, "content_type": r.ContentType}).Error
	})
}

// Insert stores r with its answer unless its id exists (after the request
// transaction that held its reservation rolled back).
func (s *Store) Insert(ctx context.Context, sc Scope, r Record) error {
	return s.tx(ctx, sc, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
	})
}

// Forget deletes the record r, so a retry runs again.
func (s *Store) Forget(ctx context.Context, sc Scope, r Record) error {
	return s.tx(ctx, sc, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND id = ?", r.TenantID, r.ID).Delete(&Record{}).Error
	})
}

// Purge deletes the answers that expired before the given time, across all
// tenants; the queue's scheduler calls it periodically. It returns how many
// it deleted.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		res := tx.Where("expires_at < ?", before.UTC()).Delete(&Record{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}
