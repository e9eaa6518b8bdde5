package billing

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Settings are a tenant's billing settings.
type Settings struct {
	// AutoPayPrepaid pays new bills from the room's prepaid money in the run.
	AutoPayPrepaid bool `json:"auto_pay_prepaid"`
	// AutoRunCommunities are billed by the monthly schedule.
	AutoRunCommunities []uuid.UUID `json:"auto_run_communities"`
}

// GetSettings returns the tenant's billing settings.
func (s *Service) GetSettings(ctx context.Context, tenantID uuid.UUID) (out Settings, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var rows []Setting
		if err := ofTenant(tx, tenantID).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		out.AutoRunCommunities = []uuid.UUID{}
		for _, r := range rows {
			switch {
			case r.ID == tenantID:
				out.AutoPayPrepaid = r.AutoPayPrepaid
			case r.AutoRun:
				out.AutoRunCommunities = append(out.AutoRunCommunities, r.ID)
			}
		}
		return nil
	})
	return out, err
}

// PutSettings replaces the tenant's billing settings.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, in Settings) (Settings, error) {
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		for _, c := range in.AutoRunCommunities {
			ok, err := s.rooms.CommunityExists(store.Ctx(tx), tenantID, c)
			if err != nil {
				return err
			}
			if !ok {
				return ErrCommunityUnknown
			}
		}
		if err := ofTenant(tx, tenantID).Delete(&Setting{}).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		rows := []Setting{{TenantID: tenantID, ID: tenantID, AutoPayPrepaid: in.AutoPayPrepaid, UpdatedAt: now}}
		for _, c := range uniqIDs(in.AutoRunCommunities) {
			rows = append(rows, Setting{TenantID: tenantID, ID: c, AutoRun: true, UpdatedAt: now})
		}
		return tx.Create(&rows).Error
	})
	if err != nil {
		return Settings{}, err
	}
	return s.GetSettings(ctx, tenantID)
}

func uniqIDs(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) autoPay(ctx context.Context, tenantID uuid.UUID) (on bool, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var row Setting
		err := ofTenant(tx, tenantID).Where("id = ?", tenantID).Take(&row).Error
		if store.IsNotFound(err) {
			return nil
		}
		on = row.AutoPayPrepaid
		return err
	})
	return on, err
}

// StartDueRuns starts this month's run (in the tenant's zone) of every
// community whose setting says so and which has no run for it yet. The
// scheduler calls it for every tenant; calling it again the same month
// starts nothing new.
func (s *Service) StartDueRuns(ctx context.Context, tenantID uuid.UUID) (started int, err error) {
	set, err := s.GetSettings(ctx, tenantID)
	if err != nil || len(set.AutoRunCommunities) == 0 {
		return 0, err
	}
	period := civil.PeriodOf(s.today(ctx, tenantID))
	for _, c := range set.AutoRunCommunities {
		var n int64
		err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			return ofTenant(tx.Model(&Run{}), tenantID).Where("community_id = ? AND period = ?", c, period.String()).Count(&n).Error
		})
		if err != nil {
			return started, err
		}
		if n > 0 {
			continue
		}
		if _, err := s.StartRun(ctx, tenantID, RunIn{CommunityID: c, Period: period}); err != nil {
			return started, err
		}
		started++
	}
	return started, nil
}
