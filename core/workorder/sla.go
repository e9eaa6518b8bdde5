package workorder

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/civil"
)

// SweepSLA marks the open orders past their response target (not accepted
// yet) or their resolution target, records the breach on each timeline and
// escalates it to the managers. An order is marked once; the periodic task
// may run as often as it likes.
func (s *Service) SweepSLA(ctx context.Context, tenantID uuid.UUID) (n int, err error) {
	by := actor.Actor{Kind: actor.System, Name: "sla"}
	now := s.now().UTC()
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var late []Order
		err := tx.Where("tenant_id = ? AND sla_breached = ? AND status IN ?", tenantID, false, OpenStatuses).
			Where("(resolve_due < ? OR (accepted_at IS NULL AND response_due < ?))", now, now).
			Order("created_at, id").Limit(500).Find(&late).Error
		if err != nil {
			return err
		}
		for i := range late {
			o := &late[i]
			res := tx.Model(&Order{}).Where("tenant_id = ? AND id = ? AND sla_breached = ?", tenantID, o.ID, false).
				Updates(map[string]any{"sla_breached": true, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			o.SLABreached = true
			what := "resolution"
			if o.AcceptedAt == nil && o.ResponseDue.Before(now) && !o.ResolveDue.Before(now) {
				what = "response"
			}
			ev, err := s.event(tx, o, "sla_breached", "", "", what+" target missed", by)
			if err != nil {
				return err
			}
			var extra []uuid.UUID
			if o.AssigneeID != nil {
				extra = append(extra, *o.AssigneeID)
			}
			if err := s.notifyRoles(tx, o, ev, "workorder.sla_breached", true, extra, roleManager); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// AutoConfirm confirms the resolved orders the resident left unconfirmed
// for the tenant's AutoConfirmDays, counted in days of the tenant's zone:
// an order resolved on day D is confirmed from the start of day D+N.
// Complaints wait for the resident. Paid repairs are charged as they are
// confirmed.
func (s *Service) AutoConfirm(ctx context.Context, tenantID uuid.UUID) (n int, err error) {
	by := actor.Actor{Kind: actor.System, Name: "auto-confirm"}
	loc := s.d.Zone(ctx, tenantID)
	today := civil.On(s.now(), loc)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		st, err := settingsIn(tx, tenantID)
		if err != nil {
			return err
		}
		// Resolved before the start of day today-N+1, i.e. on day today-N or earlier.
		cutoff := today.AddDays(-st.AutoConfirmDays + 1).In(loc).UTC()
		var due []Order
		if err := tx.Where("tenant_id = ? AND status = ? AND type <> ? AND resolved_at < ?", tenantID, StatusResolved, TypeComplaint, cutoff).
			Order("resolved_at, id").Limit(500).Find(&due).Error; err != nil {
			return err
		}
		for i := range due {
			if err := s.apply(tx, &due[i], ActConfirm, ActionInput{Note: "auto-confirmed"}, by); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
