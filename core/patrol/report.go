package patrol

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// GetRound returns a round with its points in route order.
func (s *Service) GetRound(ctx context.Context, tenantID, id uuid.UUID) (rd Round, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&rd).Error); err != nil {
			return err
		}
		rd.Points = []RoundPoint{}
		return tx.Where("tenant_id = ? AND round_id = ?", tenantID, id).Order("position").Find(&rd.Points).Error
	})
	return rd, err
}

// RoundFilter narrows rounds (and exceptions, and the summary) to a route,
// a guard, a status and a range of days in the tenant's zone.
type RoundFilter struct {
	RouteID string `form:"route_id" json:"route_id"`
	GuardID string `form:"guard_id" json:"guard_id"` // who checked in first
	Status  string `form:"status" json:"status"`     // scheduled, complete, incomplete
	Open    bool   `form:"open" json:"open"`         // only rounds taking check-ins now
	From    string `form:"from" json:"from"`         // slot on or after this day, YYYY-MM-DD
	To      string `form:"to" json:"to"`             // slot on or before this day
}

func (s *Service) where(ctx context.Context, tenantID uuid.UUID, q *gorm.DB, f RoundFilter, prefix string) (*gorm.DB, error) {
	var fe []apperr.FieldError
	for _, v := range []struct{ name, val, col string }{{"route_id", f.RouteID, "route_id"}, {"guard_id", f.GuardID, "guard_id"}} {
		if v.val == "" {
			continue
		}
		id, err := uuid.Parse(v.val)
		if err != nil {
			fe = append(fe, field(v.name, "invalid_id", v.name+" must be a UUID", v.name+" 格式不正确"))
			continue
		}
		q = q.Where(prefix+v.col+" = ?", id)
	}
	switch f.Status {
	case "":
	case StatusScheduled, StatusComplete, StatusIncomplete:
		q = q.Where(prefix+"status = ?", f.Status)
	default:
		fe = append(fe, field("status", "unknown_status", "status must be scheduled, complete or incomplete", "状态须为 scheduled、complete 或 incomplete"))
	}
	loc := s.zone(ctx, tenantID)
	for _, d := range []struct {
		name, val, op string
		add           int
	}{{"from", f.From, ">=", 0}, {"to", f.To, "<", 1}} {
		if d.val == "" {
			continue
		}
		day, err := civil.Parse(d.val)
		if err != nil {
			fe = append(fe, field(d.name, "invalid_date", d.name+" must be a day such as 2026-01-31", d.name+" 须为日期,如 2026-01-31"))
			continue
		}
		q = q.Where(prefix+"slot_start "+d.op+" ?", day.AddDays(d.add).In(loc).UTC())
	}
	if f.Open {
		now := s.clock()
		q = q.Where(prefix+"status = ? AND "+prefix+"slot_start <= ? AND "+prefix+"late_until > ?", StatusScheduled, now, now)
	}
	return q, invalid(fe)
}

// ListRounds lists rounds, latest slot first unless p orders otherwise.
func (s *Service) ListRounds(ctx context.Context, tenantID uuid.UUID, f RoundFilter, p paging.Paging) (out []Round, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q, err := s.where(ctx, tenantID, tx.Model(&Round{}).Where("tenant_id = ?", tenantID), f, "")
		if err != nil {
			return err
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "slot_start DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// Exception is a point missed in a round.
type Exception struct {
	RoundPointID uuid.UUID `json:"round_point_id"`
	RoundID      uuid.UUID `json:"round_id"`
	RouteID      uuid.UUID `json:"route_id"`
	RouteName    string    `json:"route_name"`
	SlotStart    time.Time `json:"slot_start"`
	CheckpointID uuid.UUID `json:"checkpoint_id"`
	Position     int       `json:"position"`
	Name         string    `json:"name"`
}

// ListExceptions lists missed points (newest slot first) and counts them.
func (s *Service) ListExceptions(ctx context.Context, tenantID uuid.UUID, f RoundFilter, p paging.Paging) (out []Exception, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		// Both tables are named with their tenant: the scan type has no
		// TenantID, so the scope callback leaves this join alone.
		q := tx.Table("patrol_round_points p").
			Joins("JOIN patrol_rounds r ON r.tenant_id = p.tenant_id AND r.id = p.round_id").
			Joins("LEFT JOIN patrol_routes rt ON rt.tenant_id = r.tenant_id AND rt.id = r.route_id").
			Where("p.tenant_id = ? AND p.missed = ?", tenantID, true)
		q, err := s.where(ctx, tenantID, q, f, "r.")
		if err != nil {
			return err
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		q = q.Select("p.id AS round_point_id, p.round_id, r.route_id, COALESCE(rt.name, '') AS route_name, r.slot_start, p.checkpoint_id, p.position, p.name").
			Order("r.slot_start DESC, p.position")
		if p.Limit > 0 {
			q = q.Offset(p.Offset).Limit(p.Limit)
		}
		out = []Exception{}
		return q.Scan(&out).Error
	})
	return out, total, err
}

// SummaryRow is what one guard did on one route in the filter's range:
// rounds closed, complete or not, and their points checked, late, missed.
type SummaryRow struct {
	RouteID    uuid.UUID  `json:"route_id"`
	RouteName  string     `json:"route_name"`
	GuardID    *uuid.UUID `json:"guard_id"` // nil: rounds nobody started
	GuardName  string     `json:"guard_name"`
	Rounds     int        `json:"rounds"`
	Complete   int        `json:"complete"`
	Incomplete int        `json:"incomplete"`
	Points     int        `json:"points"`
	Checked    int        `json:"checked"`
	Late       int        `json:"late"`
	Missed     int        `json:"missed"`
}

// Summary sums the closed rounds by route and guard.
func (s *Service) Summary(ctx context.Context, tenantID uuid.UUID, f RoundFilter) (out []SummaryRow, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Table("patrol_rounds r").
			Joins("LEFT JOIN patrol_routes rt ON rt.tenant_id = r.tenant_id AND rt.id = r.route_id").
			Where("r.tenant_id = ? AND r.status <> ?", tenantID, StatusScheduled)
		q, err := s.where(ctx, tenantID, q, f, "r.")
		if err != nil {
			return err
		}
		out = []SummaryRow{}
		return q.Select(`r.route_id, COALESCE(MAX(rt.name), '') AS route_name, r.guard_id, COALESCE(MAX(r.guard_name), '') AS guard_name,
COUNT(*) AS rounds, SUM(CASE WHEN r.status = 'complete' THEN 1 ELSE 0 END) AS complete,
SUM(CASE WHEN r.status = 'incomplete' THEN 1 ELSE 0 END) AS incomplete,
SUM(r.points_total) AS points, SUM(r.points_checked) AS checked, SUM(r.points_late) AS late, SUM(r.points_missed) AS missed`).
			Group("r.route_id, r.guard_id").Order("route_name, guard_name").Scan(&out).Error
	})
	return out, err
}
