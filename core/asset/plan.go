package asset

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
)

// Plan is a maintenance plan of one asset.
type Plan struct {
	TenantID   uuid.UUID `gorm:"primaryKey" json:"-"`
	ID         uuid.UUID `gorm:"primaryKey" json:"id"`
	AssetID    uuid.UUID `json:"asset_id"`
	Name       string    `json:"name"`
	Checklist  string    `json:"-"`
	CycleKind  CycleKind `json:"-"`
	CycleEvery int       `json:"-"`
	FixedDates string    `json:"-"`
	StartDate  Date      `json:"start_date"`
	LastDone   Date      `json:"last_done"`
	NextDue    Date      `json:"next_due"`
	RemindDays int       `json:"remind_days"` // "due soon" this many days ahead
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (Plan) TableName() string { return "maintenance_plans" }

// Cycle decodes the plan's cycle.
func (p Plan) Cycle() Cycle {
	c := Cycle{Kind: p.CycleKind, Every: p.CycleEvery}
	_ = json.Unmarshal([]byte(p.FixedDates), &c.Dates)
	return c
}

// PlanView is a plan as the API shows it.
type PlanView struct {
	Plan
	Cycle     Cycle    `json:"cycle"`
	Checklist []string `json:"checklist"`
	State     string   `json:"state"` // scheduled, due_soon, overdue, inactive
}

func (s *Service) planView(p Plan, today Date) PlanView {
	v := PlanView{Plan: p, Cycle: p.Cycle(), Checklist: []string{}}
	_ = json.Unmarshal([]byte(p.Checklist), &v.Checklist)
	switch {
	case !p.Active:
		v.State = "inactive"
	case p.NextDue.Before(today):
		v.State = "overdue"
	case !p.NextDue.After(today.AddDays(p.RemindDays)):
		v.State = "due_soon"
	default:
		v.State = "scheduled"
	}
	return v
}

// PlanInput is a plan's editable fields.
type PlanInput struct {
	AssetID    uuid.UUID `json:"asset_id"`
	Name       string    `json:"name"`
	Checklist  []string  `json:"checklist"`
	Cycle      Cycle     `json:"cycle"`
	StartDate  Date      `json:"start_date"`
	RemindDays *int      `json:"remind_days,omitempty"` // 7 when absent
	Active     *bool     `json:"active,omitempty"`      // true when absent
}

func (p *PlanInput) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if strings.TrimSpace(p.Name) == "" || len(p.Name) > 200 {
		fe = append(fe, apperr.FieldError{Field: "name", Code: "required", EN: "name is required (at most 200 bytes)", ZH: "计划名称不能为空(最多 200 字节)"})
	}
	if p.StartDate.IsZero() {
		fe = append(fe, apperr.FieldError{Field: "start_date", Code: "required", EN: "start_date is required (YYYY-MM-DD)", ZH: "开始日期不能为空(YYYY-MM-DD)"})
	}
	if err := p.Cycle.Validate(); err != nil {
		e, _ := apperr.As(err)
		fe = append(fe, apperr.FieldError{Field: "cycle", Code: e.Code, EN: e.EN, ZH: e.ZH})
	}
	if p.RemindDays != nil && (*p.RemindDays < 0 || *p.RemindDays > 365) {
		fe = append(fe, apperr.FieldError{Field: "remind_days", Code: "out_of_range", EN: "remind_days must be 0 to 365", ZH: "提前提醒天数必须在 0 到 365 之间"})
	}
	if len(p.Checklist) > 200 || slices.ContainsFunc(p.Checklist, func(s string) bool { return strings.TrimSpace(s) == "" || len(s) > 500 }) {
		fe = append(fe, apperr.FieldError{Field: "checklist", Code: "invalid_checklist", EN: "checklist items must be non-empty (at most 200 items of 500 bytes)", ZH: "检查项不能为空(最多 200 项,每项 500 字节)"})
	}
	return fe
}

func (p PlanInput) apply(pl *Plan) {
	cl, _ := json.Marshal(append([]string{}, p.Checklist...))
	fd, _ := json.Marshal(append([]string{}, p.Cycle.Dates...))
	pl.AssetID, pl.Name, pl.Checklist = p.AssetID, strings.TrimSpace(p.Name), string(cl)
	pl.CycleKind, pl.CycleEvery, pl.FixedDates, pl.StartDate = p.Cycle.Kind, p.Cycle.Every, string(fd), p.StartDate
	pl.RemindDays, pl.Active = 7, true
	if p.RemindDays != nil {
		pl.RemindDays = *p.RemindDays
	}
	if p.Active != nil {
		pl.Active = *p.Active
	}
	// The next due day after the last time it was done (or the first one).
	pl.NextDue = p.Cycle.Next(pl.StartDate, pl.LastDone)
}

func assetExists(tx *gorm.DB, tenantID, id uuid.UUID) error {
	var n int64
	if err := in(tx.Model(&Asset{}), tenantID).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrUnknownAsset
	}
	return nil
}

// CreatePlan adds a maintenance plan; its next due date is computed.
func (s *Service) CreatePlan(ctx context.Context, tenantID uuid.UUID, inp PlanInput) (v PlanView, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return v, err
	}
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		p, err := createPlan(tx, tenantID, inp)
		v = s.planView(p, today)
		return err
	})
	return v, err
}

func createPlan(tx *gorm.DB, tenantID uuid.UUID, inp PlanInput) (Plan, error) {
	if err := assetExists(tx, tenantID, inp.AssetID); err != nil {
		return Plan{}, err
	}
	p := Plan{TenantID: tenantID}
	inp.apply(&p)
	return p, tx.Create(&p).Error
}

func (s *Service) GetPlan(ctx context.Context, tenantID, id uuid.UUID) (v PlanView, err error) {
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var p Plan
		err := notFound(in(tx, tenantID).First(&p, "id = ?", id).Error)
		v = s.planView(p, today)
		return err
	})
	return v, err
}

// UpdatePlan replaces a plan's fields (not its asset) and recomputes next due.
func (s *Service) UpdatePlan(ctx context.Context, tenantID, id uuid.UUID, inp PlanInput) (v PlanView, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return v, err
	}
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var p Plan
		if err := notFound(in(tx, tenantID).First(&p, "id = ?", id).Error); err != nil {
			return err
		}
		inp.AssetID = p.AssetID
		inp.apply(&p)
		v = s.planView(p, today)
		return tx.Save(&p).Error
	})
	return v, err
}

func (s *Service) DeletePlan(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := in(tx, tenantID).Delete(&Plan{}, "id = ?", id)
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.NotFound
		}
		return res.Error
	})
}

// PlanFilter filters the plan list; View picks the due-soon or overdue view.
type PlanFilter struct {
	AssetID     string `form:"asset_id" json:"asset_id"`
	CommunityID string `form:"community_id" json:"community_id"`
	View        string `form:"view" json:"view"` // "", due_soon, overdue
}

// ErrView answers an unknown plan view.
var ErrView = apperr.New(apperr.KindInvalid, "unknown_view", "view must be due_soon or overdue.", "view 只能是 due_soon 或 overdue。")

// ListPlans lists plans by next due date. due_soon: active plans due from
// today until their reminder window ends; overdue: active plans due before today.
func (s *Service) ListPlans(ctx context.Context, tenantID uuid.UUID, f PlanFilter, p paging.Paging) (out []PlanView, total int64, err error) {
	today := s.today(ctx, tenantID) // before the transaction: the zone may need a platform read
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Plan{}), tenantID)
		if f.AssetID != "" {
			q = q.Where("asset_id = ?", parse(f.AssetID))
		}
		if f.CommunityID != "" {
			q = q.Where("asset_id IN (?)", in(tx.Model(&Asset{}), tenantID).Select("id").Where("community_id = ?", parse(f.CommunityID)))
		}
		switch f.View {
		case "":
		case "overdue":
			q = q.Where("active = ? AND next_due < ?", true, today)
		case "due_soon":
			// next_due - remind_days <= today, written per dialect-neutral: filter in two steps.
			q = q.Where("active = ? AND next_due >= ? AND next_due <= ?", true, today, today.AddDays(365))
		default:
			return ErrView
		}
		if p.Order == "" {
			p.Order = "next_due"
		}
		var rows []Plan
		if f.View == "due_soon" {
			// The window differs per plan (remind_days), so the final cut is here.
			if err := q.Order("next_due").Find(&rows).Error; err != nil {
				return err
			}
			rows = slices.DeleteFunc(rows, func(pl Plan) bool { return pl.NextDue.After(today.AddDays(pl.RemindDays)) })
			total = int64(len(rows))
			if p.Limit > 0 {
				rows = rows[min(p.Offset, len(rows)):min(p.Offset+p.Limit, len(rows))]
			}
		} else {
			if err := q.Count(&total).Error; err != nil {
				return err
			}
			if err := p.Apply(q).Find(&rows).Error; err != nil {
				return err
			}
		}
		out = make([]PlanView, len(rows))
		for i, pl := range rows {
			out[i] = s.planView(pl, today)
		}
		return nil
	})
	return out, total, err
}

func parse(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// DuePlans returns the active plans due on or before the given day, oldest
// first: the hook that turns due maintenance into work orders and reminders.
func DuePlans(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, before Date) ([]Plan, error) {
	var out []Plan
	err := in(tx, tenantID).Where("active = ? AND next_due <= ?", true, before).Order("next_due, id").Find(&out).Error
	return out, err
}

// DuePlans is the service form of DuePlans for callers without a transaction.
func (s *Service) DuePlans(ctx context.Context, tenantID uuid.UUID, before Date) (out []Plan, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = DuePlans(ctx, tx, tenantID, before)
		return err
	})
	return out, err
}

// Record is one maintenance done on an asset.
type Record struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	AssetID     uuid.UUID  `json:"asset_id"`
	PlanID      *uuid.UUID `json:"plan_id"`
	DoneOn      Date       `json:"done_on"`
	PerformedBy string     `json:"performed_by"`
	Result      string     `json:"result"` // ok, fixed, needs_repair, failed
	CostMinor   int64      `json:"cost_minor"`
	Currency    string     `json:"currency"`
	Notes       string     `json:"notes"`
	CreatedAt   time.Time  `json:"created_at"`
}

func (Record) TableName() string { return "maintenance_records" }

// Results of a maintenance.
var Results = []string{"ok", "fixed", "needs_repair", "failed"}

// RecordInput logs a maintenance.
type RecordInput struct {
	PlanID      *uuid.UUID `json:"plan_id,omitempty"`
	DoneOn      Date       `json:"done_on"`
	PerformedBy string     `json:"performed_by"`
	Result      string     `json:"result"`
	CostMinor   int64      `json:"cost_minor"` // fen
	Currency    string     `json:"currency"`   // CNY when empty
	Notes       string     `json:"notes"`
}

func (r RecordInput) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if r.DoneOn.IsZero() {
		fe = append(fe, apperr.FieldError{Field: "done_on", Code: "required", EN: "done_on is required (YYYY-MM-DD)", ZH: "保养日期不能为空"})
	}
	if strings.TrimSpace(r.PerformedBy) == "" {
		fe = append(fe, apperr.FieldError{Field: "performed_by", Code: "required", EN: "performed_by is required", ZH: "执行人不能为空"})
	}
	if !slices.Contains(Results, r.Result) {
		fe = append(fe, apperr.FieldError{Field: "result", Code: "unknown_result", EN: "result must be one of " + strings.Join(Results, ", "), ZH: "结果必须是 " + strings.Join(Results, "、") + " 之一"})
	}
	if r.CostMinor < 0 || r.CostMinor > 1_000_000_000_00 {
		fe = append(fe, apperr.FieldError{Field: "cost_minor", Code: "out_of_range", EN: "cost_minor must be 0 or more fen", ZH: "费用(分)不能为负"})
	}
	if r.Currency != "" {
		if _, err := money.ParseCurrency("currency", r.Currency); err != nil {
			e, _ := apperr.As(err)
			fe = append(fe, e.Details.([]apperr.FieldError)...)
		}
	}
	return fe
}

// ErrFutureRecord refuses a maintenance dated in the future.
var ErrFutureRecord = apperr.New(apperr.KindInvalid, "done_in_future", "A maintenance cannot be recorded for a day that has not come yet.", "不能登记未来日期的保养。")

// AddRecord logs a maintenance of an asset. With a plan, the plan's due
// occurrence counts as done and its next due date moves on.
func (s *Service) AddRecord(ctx context.Context, tenantID, assetID uuid.UUID, inp RecordInput) (r Record, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return r, err
	}
	if inp.DoneOn.After(s.today(ctx, tenantID)) {
		return r, ErrFutureRecord
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var a Asset
		if err := notFound(in(tx, tenantID).First(&a, "id = ?", assetID).Error); err != nil {
			return err
		}
		if inp.Currency == "" {
			inp.Currency = "CNY"
		}
		r = Record{TenantID: tenantID, AssetID: assetID, PlanID: inp.PlanID, DoneOn: inp.DoneOn, PerformedBy: strings.TrimSpace(inp.PerformedBy),
			Result: inp.Result, CostMinor: inp.CostMinor, Currency: strings.ToUpper(inp.Currency), Notes: inp.Notes}
		if inp.PlanID != nil {
			var p Plan
			if err := in(tx, tenantID).Limit(1).Find(&p, "id = ? AND asset_id = ?", *inp.PlanID, assetID).Error; err != nil {
				return err
			}
			if p.ID == uuid.Nil {
				return ErrWrongPlan
			}
			// Doing it satisfies the occurrence that was due, even when early.
			after := inp.DoneOn
			if p.NextDue.After(after) {
				after = p.NextDue
			}
			if p.LastDone.IsZero() || inp.DoneOn.After(p.LastDone) {
				p.LastDone = inp.DoneOn
			}
			p.NextDue = p.Cycle().Next(p.StartDate, after)
			if err := tx.Save(&p).Error; err != nil {
				return err
			}
		}
		return tx.Create(&r).Error
	})
	return r, err
}

// ListRecords lists an asset's maintenance history, newest first.
func (s *Service) ListRecords(ctx context.Context, tenantID, assetID uuid.UUID, p paging.Paging) (out []Record, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := notFound(in(tx, tenantID).First(&Asset{}, "id = ?", assetID).Error); err != nil {
			return err
		}
		q := in(tx.Model(&Record{}), tenantID).Where("asset_id = ?", assetID)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "done_on DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}
