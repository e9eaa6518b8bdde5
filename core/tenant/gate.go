package tenant

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// gateEntry is CheckActive's cached answer for one tenant. The cache is a
// sync.Map: it is read on every request and written every GateTTL, so
// lookups should take no lock (BenchmarkCheckActiveCached).
type gateEntry struct {
	err   error // nil, ErrSuspended or ErrDeleted
	until time.Time
}

// CheckActive answers nil for an active tenant, ErrSuspended or ErrDeleted
// otherwise. It runs on every tenant request, so answers are cached in memory
// for GateTTL; changes made through this Service drop the entry at once, and
// other processes see them within GateTTL.
func (s *Service) CheckActive(ctx context.Context, tenantID uuid.UUID) error {
	now := time.Now()
	if v, ok := s.gate.Load(tenantID); ok {
		if e := v.(*gateEntry); now.Before(e.until) {
			return e.err
		}
	}
	var t Tenant
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Select("id", "status", "deleted_at").Where("id = ?", tenantID).Take(&t).Error
	})
	var ans error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		// A verified credential of a tenant that never existed: treat it as closed.
		ans = ErrDeleted
	case err != nil:
		return err // not cached: the next request tries again
	case t.DeletedAt != nil || t.Status == StatusDeleted:
		ans = ErrDeleted
	case t.Status == StatusSuspended:
		ans = ErrSuspended
	case t.Status == StatusProvisioning:
		ans = ErrProvisioning
	}
	s.gate.Store(tenantID, &gateEntry{err: ans, until: now.Add(s.opt.GateTTL)})
	return ans
}

// forget drops the cached gate answer after a local change.
func (s *Service) forget(tenantID uuid.UUID) {
	s.gate.Delete(tenantID)
	s.zones.Delete(tenantID)
}
