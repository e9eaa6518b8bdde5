package workorder

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// View is one order with its timeline, its paid-repair lines and its files.
type View struct {
	Order
	Timeline []Event                 `json:"timeline"`
	Lines    []Line                  `json:"lines"`
	Files    []attachment.Attachment `json:"files"`
}

func viewIn(tx *gorm.DB, o Order) (View, error) {
	v := View{Order: o, Timeline: []Event{}, Lines: []Line{}}
	if err := tx.Where("tenant_id = ? AND order_id = ?", o.TenantID, o.ID).Order("at, id").Find(&v.Timeline).Error; err != nil {
		return v, err
	}
	if err := tx.Where("tenant_id = ? AND order_id = ?", o.TenantID, o.ID).Order("created_at, id").Find(&v.Lines).Error; err != nil {
		return v, err
	}
	var err error
	v.Files, err = attachment.List(tx, o.TenantID, owner(o.ID))
	return v, err
}

// Get returns one order with its timeline (staff).
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (v View, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var o Order
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&o).Error); err != nil {
			return err
		}
		v, err = viewIn(tx, o)
		return err
	})
	return v, err
}

// mine reads an order the resident may see: one they reported, or one of a
// room they live in. Any other is not found.
func (s *Service) mine(tx *gorm.DB, tenantID, userID, id uuid.UUID, lock bool) (Order, error) {
	var o Order
	var err error
	if lock {
		o, err = load(tx, tenantID, id)
	} else {
		err = store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&o).Error)
	}
	if err != nil {
		return o, err
	}
	if o.ReporterID != nil && *o.ReporterID == userID {
		return o, nil
	}
	if o.RoomID != nil {
		rooms, err := s.d.Residents.MyRoomIDs(store.Ctx(tx), tenantID, userID)
		if err != nil {
			return o, err
		}
		if slices.Contains(rooms, *o.RoomID) {
			return o, nil
		}
	}
	return Order{}, apperr.NotFound
}

// GetMine returns one of the resident's orders with its timeline.
func (s *Service) GetMine(ctx context.Context, tenantID, userID, id uuid.UUID) (v View, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		o, err := s.mine(tx, tenantID, userID, id, false)
		if err != nil {
			return err
		}
		v, err = viewIn(tx, o)
		return err
	})
	return v, err
}

// Filter narrows a list of orders.
type Filter struct {
	Status      string `form:"status" json:"status"`
	Type        string `form:"type" json:"type"`
	Category    string `form:"category" json:"category"`
	Priority    string `form:"priority" json:"priority"`
	CommunityID string `form:"community_id" json:"community_id"`
	AssigneeID  string `form:"assignee_id" json:"assignee_id"` // "me": the signed-in technician
	RoomID      string `form:"room_id" json:"room_id"`
	SLABreached string `form:"sla_breached" json:"sla_breached"` // true or false
	From        string `form:"from" json:"from"`                 // created on or after this day (tenant's zone)
	To          string `form:"to" json:"to"`                     // created on or before this day
}

func parseID(name, v string) (uuid.UUID, error) {
	id, err := uuid.Parse(v)
	if err != nil {
		return id, invalid([]apperr.FieldError{field(name, "invalid_id", name+" must be a UUID", name+" 格式不正确")})
	}
	return id, nil
}

// dayRange turns from/to days into instants of the tenant's zone.
func dayRange(from, to string, loc *time.Location) (f, t time.Time, err error) {
	var fe []apperr.FieldError
	if from != "" {
		d, e := civil.Parse(from)
		if e != nil {
			fe = append(fe, field("from", "invalid_date", "from must be a day such as 2026-01-31", "from 须为日期,如 2026-01-31"))
		}
		f = d.In(loc)
	}
	if to != "" {
		d, e := civil.Parse(to)
		if e != nil {
			fe = append(fe, field("to", "invalid_date", "to must be a day such as 2026-01-31", "to 须为日期,如 2026-01-31"))
		}
		t = d.AddDays(1).In(loc)
	}
	if len(fe) == 0 && !f.IsZero() && !t.IsZero() && !t.After(f) {
		fe = append(fe, field("to", "range_reversed", "to is before from", "结束日期早于开始日期"))
	}
	return f, t, invalid(fe)
}

func (s *Service) filter(ctx context.Context, q *gorm.DB, tenantID uuid.UUID, f Filter) (*gorm.DB, error) {
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"type", f.Type}, {"category", f.Category}, {"priority", f.Priority}} {
		if c.v != "" {
			q = q.Where(c.col+" = ?", c.v)
		}
	}
	for _, c := range []struct{ col, name, v string }{{"community_id", "community_id", f.CommunityID}, {"room_id", "room_id", f.RoomID}, {"assignee_id", "assignee_id", f.AssigneeID}} {
		if c.v == "" {
			continue
		}
		if c.v == "me" && c.col == "assignee_id" {
			q = q.Where("assignee_id = ?", who(ctx).ID)
			continue
		}
		id, err := parseID(c.name, c.v)
		if err != nil {
			return nil, err
		}
		q = q.Where(c.col+" = ?", id)
	}
	switch f.SLABreached {
	case "":
	case "true", "1":
		q = q.Where("sla_breached = ?", true)
	case "false", "0":
		q = q.Where("sla_breached = ?", false)
	default:
		return nil, invalid([]apperr.FieldError{field("sla_breached", "invalid_bool", "sla_breached must be true or false", "sla_breached 只能是 true 或 false")})
	}
	from, to, err := dayRange(f.From, f.To, s.d.Zone(ctx, tenantID))
	if err != nil {
		return nil, err
	}
	if !from.IsZero() {
		q = q.Where("created_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("created_at < ?", to.UTC())
	}
	return q, nil
}

// List lists orders matching f (staff), newest first unless p orders otherwise.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID, f Filter, p paging.Paging) (out []Order, total int64, err error) {
	out = []Order{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q, err := s.filter(ctx, tx.Model(&Order{}).Where("tenant_id = ?", tenantID), tenantID, f)
		if err != nil {
			return err
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "created_at DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// ListMine lists the resident's orders: those they filed and those of the
// rooms they live in, newest first.
func (s *Service) ListMine(ctx context.Context, tenantID, userID uuid.UUID, p paging.Paging) (out []Order, total int64, err error) {
	out = []Order{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		rooms, err := s.d.Residents.MyRoomIDs(store.Ctx(tx), tenantID, userID)
		if err != nil {
			return err
		}
		q := tx.Model(&Order{}).Where("tenant_id = ?", tenantID)
		if len(rooms) > 0 {
			q = q.Where("(reporter_id = ? OR room_id IN ?)", userID, rooms)
		} else {
			q = q.Where("reporter_id = ?", userID)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "created_at DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// RoomSection is the room file's work-order section.
type RoomSection struct {
	Open        int64   `json:"open"`
	Total       int64   `json:"total"`
	SLABreached int64   `json:"sla_breached"`
	Recent      []Order `json:"recent"` // the last ten
}

// RoomSection returns a room's orders for its file (called inside the
// file's transaction through ctx).
func (s *Service) RoomSection(ctx context.Context, tenantID, roomID uuid.UUID) (r RoomSection, err error) {
	r.Recent = []Order{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var rows []struct {
			Status      string
			SLABreached bool `gorm:"column:sla_breached"`
			N           int64
		}
		if err := tx.Model(&Order{}).Select("status, sla_breached, count(*) AS n").Where("tenant_id = ? AND room_id = ?", tenantID, roomID).
			Group("status, sla_breached").Scan(&rows).Error; err != nil {
			return err
		}
		for _, row := range rows {
			r.Total += row.N
			if slices.Contains(OpenStatuses, row.Status) {
				r.Open += row.N
			}
			if row.SLABreached {
				r.SLABreached += row.N
			}
		}
		return tx.Where("tenant_id = ? AND room_id = ?", tenantID, roomID).Order("created_at DESC, id").Limit(10).Find(&r.Recent).Error
	})
	return r, err
}
