package workorder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/store"
)

// Shift is a weekly working window in the tenant's time zone: Weekday 0 is
// Sunday; an End before Start runs past midnight into the next day.
type Shift struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"` // "08:00"
	End     string `json:"end"`   // "18:00"
}

func hhmm(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// covers reports whether the shift includes t (already in the tenant's zone).
func (sh Shift) covers(t time.Time) bool {
	start, _ := hhmm(sh.Start)
	end, _ := hhmm(sh.End)
	min := t.Hour()*60 + t.Minute()
	wd := int(t.Weekday())
	if start < end {
		return wd == sh.Weekday && min >= start && min < end
	}
	// Overnight: the evening of its day and the morning of the next.
	return (wd == sh.Weekday && min >= start) || (wd == (sh.Weekday+1)%7 && min < end)
}

// Technician is a staff user with the technician role, their skills, the
// communities they serve (empty: all) and their weekly shifts.
type Technician struct {
	TenantID    uuid.UUID   `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID   `gorm:"primaryKey" json:"id"` // the user's id
	Name        string      `json:"name"`
	Skills      []string    `gorm:"serializer:json" json:"skills"`
	Shifts      []Shift     `gorm:"serializer:json" json:"shifts"`
	Communities []uuid.UUID `gorm:"serializer:json" json:"communities"`
	Active      bool        `json:"active"`
	// Load is the number of orders assigned to them and not yet resolved.
	Load      int64     `gorm:"-" json:"load"`
	OnShift   bool      `gorm:"-" json:"on_shift"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (Technician) TableName() string { return "technicians" }

// OnShiftAt reports whether any shift covers t in loc.
func (t Technician) OnShiftAt(at time.Time, loc *time.Location) bool {
	at = at.In(loc)
	return slices.ContainsFunc(t.Shifts, func(s Shift) bool { return s.covers(at) })
}

func (t Technician) serves(o *Order) bool {
	return t.Active && slices.Contains(t.Skills, o.Skill) && (len(t.Communities) == 0 || slices.Contains(t.Communities, o.CommunityID))
}

// TechnicianInput sets a technician's profile.
type TechnicianInput struct {
	Skills      []string    `json:"skills"`
	Shifts      []Shift     `json:"shifts"`
	Communities []uuid.UUID `json:"communities"`
	Active      *bool       `json:"active,omitempty"` // true when absent
}

func (in *TechnicianInput) check() error {
	var fe []apperr.FieldError
	if len(in.Skills) == 0 || len(in.Skills) > 30 || slices.ContainsFunc(in.Skills, func(s string) bool { return strings.TrimSpace(s) == "" || len(s) > 50 }) {
		fe = append(fe, field("skills", "required", "1 to 30 skills of at most 50 bytes, e.g. [\"plumbing\",\"electrical\"]", "须有 1–30 项技能,每项最多 50 字节,如 [\"plumbing\",\"electrical\"]"))
	}
	for _, sh := range in.Shifts {
		s, ok1 := hhmm(sh.Start)
		e, ok2 := hhmm(sh.End)
		if sh.Weekday < 0 || sh.Weekday > 6 || !ok1 || !ok2 || s == e {
			fe = append(fe, field("shifts", "invalid_shift", "a shift is {weekday 0–6 (0 = Sunday), start \"HH:MM\", end \"HH:MM\"}, start ≠ end", "班次格式为 {weekday 0–6(0 为周日), start \"HH:MM\", end \"HH:MM\"},开始与结束不能相同"))
			break
		}
	}
	if len(in.Shifts) > 50 {
		fe = append(fe, field("shifts", "too_many", "at most 50 shifts", "最多 50 个班次"))
	}
	if in.Shifts == nil {
		in.Shifts = []Shift{}
	}
	if in.Communities == nil {
		in.Communities = []uuid.UUID{}
	}
	return invalid(fe)
}

// PutTechnician registers (or updates) user userID as a technician; the
// user must be an active staff member holding the technician role.
func (s *Service) PutTechnician(ctx context.Context, tenantID, userID uuid.UUID, in TechnicianInput) (t Technician, err error) {
	if err := in.check(); err != nil {
		return t, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		m, err := s.d.Staff.Member(store.Ctx(tx), tenantID, userID)
		if errors.Is(err, apperr.NotFound) || err == nil && (!m.Staff || !m.Active || !slices.Contains(m.Roles, rbac.Technician)) {
			return ErrNotTechnician
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		t = Technician{TenantID: tenantID, ID: userID, Name: m.Name, Skills: in.Skills, Shifts: in.Shifts, Communities: in.Communities,
			Active: in.Active == nil || *in.Active, CreatedAt: now, UpdatedAt: now}
		var old Technician
		if tx.Where("tenant_id = ? AND id = ?", tenantID, userID).Take(&old).Error == nil {
			t.CreatedAt = old.CreatedAt
		}
		return tx.Save(&t).Error
	})
	return t, err
}

// GetTechnician returns one technician with their load.
func (s *Service) GetTechnician(ctx context.Context, tenantID, id uuid.UUID) (t Technician, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&t).Error); err != nil {
			return err
		}
		ts := []Technician{t}
		if err := s.withLoad(ctx, tx, tenantID, ts); err != nil {
			return err
		}
		t = ts[0]
		return nil
	})
	return t, err
}

// ListTechnicians lists every technician with their load and whether they are on shift now.
func (s *Service) ListTechnicians(ctx context.Context, tenantID uuid.UUID) (out []Technician, err error) {
	out = []Technician{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
			return err
		}
		return s.withLoad(ctx, tx, tenantID, out)
	})
	return out, err
}

// DeleteTechnician removes a technician's profile (their orders keep their name).
func (s *Service) DeleteTechnician(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Technician{})
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.NotFound
		}
		return res.Error
	})
}

var workingStatuses = []string{StatusAssigned, StatusAccepted, StatusInProgress}

func (s *Service) withLoad(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, ts []Technician) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	load, err := loads(tx, tenantID, ids)
	if err != nil {
		return err
	}
	loc, now := s.d.Zone(ctx, tenantID), s.now()
	for i := range ts {
		ts[i].Load = load[ts[i].ID]
		ts[i].OnShift = ts[i].OnShiftAt(now, loc)
	}
	return nil
}

func loads(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	var rows []struct {
		AssigneeID uuid.UUID
		N          int64
	}
	err := tx.Model(&Order{}).Select("assignee_id, count(*) AS n").
		Where("tenant_id = ? AND status IN ? AND assignee_id IN ?", tenantID, workingStatuses, ids).
		Group("assignee_id").Scan(&rows).Error
	out := map[uuid.UUID]int64{}
	for _, r := range rows {
		out[r.AssigneeID] = r.N
	}
	return out, err
}

// autoDispatch assigns o to the least-loaded active technician with its
// skill, serving its community and on shift now; it leaves o in the pool
// when there is none. Ties go to the technician who registered first.
func (s *Service) autoDispatch(tx *gorm.DB, o *Order, by actor.Actor) error {
	var ts []Technician
	if err := tx.Where("tenant_id = ? AND active = ?", o.TenantID, true).Order("created_at, id").Find(&ts).Error; err != nil {
		return err
	}
	loc, now := s.d.Zone(store.Ctx(tx), o.TenantID), s.now()
	var cand []Technician
	var ids []uuid.UUID
	for _, t := range ts {
		if t.serves(o) && t.OnShiftAt(now, loc) {
			cand = append(cand, t)
			ids = append(ids, t.ID)
		}
	}
	if len(cand) == 0 {
		return nil
	}
	load, err := loads(tx, o.TenantID, ids)
	if err != nil {
		return err
	}
	best := cand[0]
	for _, t := range cand[1:] {
		if load[t.ID] < load[best.ID] {
			best = t
		}
	}
	return s.assignTo(tx, o, best, ActAssign, "automatic dispatch", by)
}

func (s *Service) assignTo(tx *gorm.DB, o *Order, t Technician, action, note string, by actor.Actor) error {
	now := s.now().UTC()
	ev, err := s.step(tx, o, action, note, by, map[string]any{"assignee_id": t.ID, "assignee_name": t.Name, "assigned_at": now,
		"accepted_at": nil, "expected_arrival": nil})
	if err != nil {
		return err
	}
	id := t.ID
	o.AssigneeID, o.AssigneeName, o.AssignedAt = &id, t.Name, &now
	o.AcceptedAt, o.ExpectedArrival = nil, nil
	to := []uuid.UUID{t.ID}
	if o.ReporterID != nil {
		to = append(to, *o.ReporterID)
	}
	return s.notify(tx, o, ev, "workorder.assigned", to, o.Priority == "urgent")
}

// AssignInput names the technician of a manual assignment.
type AssignInput struct {
	TechnicianID uuid.UUID `json:"technician_id"`
	Note         string    `json:"note"`
}

// Assign hands an order to a technician (a dispatcher's choice: their
// skill and shift are shown, not enforced; an inactive one is refused).
func (s *Service) Assign(ctx context.Context, tenantID, id uuid.UUID, in AssignInput) (o Order, err error) {
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = load(tx, tenantID, id); err != nil {
			return err
		}
		var t Technician
		if err := tx.Where("tenant_id = ? AND id = ? AND active = ?", tenantID, in.TechnicianID, true).Take(&t).Error; err != nil {
			if store.IsNotFound(err) {
				return ErrUnknownTechnician
			}
			return err
		}
		return s.assignTo(tx, &o, t, ActAssign, in.Note, by)
	})
	return o, err
}

// Grab lets the signed-in technician take an order from the open pool.
// Exactly one of concurrent grabs wins: the status change is conditional on
// the order still being submitted, and the others get ErrAlreadyTaken.
func (s *Service) Grab(ctx context.Context, tenantID, id uuid.UUID) (o Order, err error) {
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		// Read without a lock: the conditional update decides the race.
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&o).Error); err != nil {
			return err
		}
		var t Technician
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, by.ID).Take(&t).Error; err != nil {
			if store.IsNotFound(err) {
				return ErrNotEligible
			}
			return err
		}
		if o.Status != StatusSubmitted {
			if o.AssigneeID != nil {
				return ErrAlreadyTaken
			}
			return illegal(o.Status, ActGrab, StatusAssigned)
		}
		if !t.serves(&o) {
			return ErrNotEligible
		}
		return s.assignTo(tx, &o, t, ActGrab, "", by)
	})
	return o, err
}

// Pool lists the open orders the signed-in technician may grab: submitted,
// of one of their skills and communities, oldest first.
func (s *Service) Pool(ctx context.Context, tenantID uuid.UUID, p paging.Paging) (out []Order, total int64, err error) {
	by := who(ctx)
	out = []Order{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var t Technician
		if err := tx.Where("tenant_id = ? AND id = ? AND active = ?", tenantID, by.ID, true).Take(&t).Error; err != nil {
			if store.IsNotFound(err) {
				return nil // not a technician: an empty pool
			}
			return err
		}
		q := tx.Model(&Order{}).Where("tenant_id = ? AND status = ? AND skill IN ?", tenantID, StatusSubmitted, t.Skills)
		if len(t.Communities) > 0 {
			q = q.Where("community_id IN ?", t.Communities)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "created_at"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}
