package workorder

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Settings are a tenant's work-order settings.
type Settings struct {
	TenantID uuid.UUID `gorm:"primaryKey" json:"-"`
	// AutoConfirmDays: a resolved order (not a complaint) the resident has
	// not confirmed is confirmed this many days later, counted in days of
	// the tenant's time zone.
	AutoConfirmDays int `json:"auto_confirm_days"`
	// ChaseMinutes: a resident may chase (催单) an order once per this many minutes.
	ChaseMinutes int `json:"chase_minutes"`
	// Categories are the tenant's own categories besides the fixed list.
	Categories []string  `gorm:"serializer:json" json:"categories"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (Settings) TableName() string { return "work_order_settings" }

func defaultSettings(tenantID uuid.UUID) Settings {
	return Settings{TenantID: tenantID, AutoConfirmDays: 3, ChaseMinutes: 30, Categories: []string{}}
}

func (st *Settings) check() error {
	var fe []apperr.FieldError
	if st.AutoConfirmDays < 1 || st.AutoConfirmDays > 60 {
		fe = append(fe, field("auto_confirm_days", "out_of_range", "auto_confirm_days must be 1 to 60", "自动确认天数必须在 1 到 60 之间"))
	}
	if st.ChaseMinutes < 1 || st.ChaseMinutes > 1440 {
		fe = append(fe, field("chase_minutes", "out_of_range", "chase_minutes must be 1 to 1440", "催单间隔必须在 1 到 1440 分钟之间"))
	}
	if st.Categories == nil {
		st.Categories = []string{}
	}
	for i, c := range st.Categories {
		c = strings.TrimSpace(c)
		st.Categories[i] = c
		if c == "" || len(c) > 50 || slices.Contains(Categories, c) {
			fe = append(fe, field("categories", "invalid_category", "own categories must be 1–50 bytes and not repeat a built-in one", "自定义类别须为 1–50 字节且不与内置类别重复"))
			break
		}
	}
	return invalid(fe)
}

func settingsIn(tx *gorm.DB, tenantID uuid.UUID) (Settings, error) {
	st := defaultSettings(tenantID)
	err := tx.Where("tenant_id = ?", tenantID).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return defaultSettings(tenantID), nil
	}
	return st, err
}

// GetSettings returns the tenant's settings (defaults until changed).
func (s *Service) GetSettings(ctx context.Context, tenantID uuid.UUID) (st Settings, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		st, err = settingsIn(tx, tenantID)
		return err
	})
	return st, err
}

// PutSettings replaces the tenant's settings.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, st Settings) (Settings, error) {
	if err := st.check(); err != nil {
		return st, err
	}
	st.TenantID, st.UpdatedAt = tenantID, s.now().UTC()
	return st, s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Save(&st).Error })
}

// categoryOK reports whether c is a fixed or a tenant category.
func categoryOK(st Settings, c string) bool {
	return slices.Contains(Categories, c) || slices.Contains(st.Categories, c)
}

// SLA is a response and a resolution target for a category (empty: any)
// and a priority.
type SLA struct {
	TenantID        uuid.UUID `gorm:"primaryKey" json:"-"`
	ID              uuid.UUID `gorm:"primaryKey" json:"-"`
	Category        string    `json:"category"`
	Priority        string    `json:"priority"`
	ResponseMinutes int       `json:"response_minutes"`
	ResolveMinutes  int       `json:"resolve_minutes"`
}

func (SLA) TableName() string { return "work_order_sla" }

// DefaultSLA holds until a tenant sets its own: minutes to accept and to resolve.
var DefaultSLA = map[string][2]int{
	"urgent": {15, 4 * 60},
	"high":   {30, 8 * 60},
	"normal": {2 * 60, 24 * 60},
	"low":    {8 * 60, 72 * 60},
}

// ListSLA returns the tenant's targets followed by the defaults it has not overridden.
func (s *Service) ListSLA(ctx context.Context, tenantID uuid.UUID) (out []SLA, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ?", tenantID).Order("category, priority").Find(&out).Error
	})
	have := map[string]bool{}
	for _, r := range out {
		if r.Category == "" {
			have[r.Priority] = true
		}
	}
	for _, p := range Priorities {
		if !have[p] {
			out = append(out, SLA{Priority: p, ResponseMinutes: DefaultSLA[p][0], ResolveMinutes: DefaultSLA[p][1]})
		}
	}
	return out, err
}

// PutSLA replaces the tenant's targets.
func (s *Service) PutSLA(ctx context.Context, tenantID uuid.UUID, rows []SLA) ([]SLA, error) {
	var fe []apperr.FieldError
	seen := map[[2]string]bool{}
	for i := range rows {
		r := &rows[i]
		k := [2]string{r.Category, r.Priority}
		if !slices.Contains(Priorities, r.Priority) || r.ResponseMinutes <= 0 || r.ResolveMinutes < r.ResponseMinutes || seen[k] || len(r.Category) > 50 {
			fe = append(fe, field("items", "invalid_sla", "each target needs a priority (low, normal, high, urgent), response_minutes > 0, resolve_minutes ≥ response_minutes, once per category and priority",
				"每条时限须有优先级(low/normal/high/urgent)、响应分钟数 > 0、解决分钟数 ≥ 响应分钟数,且类别与优先级不重复"))
			break
		}
		seen[k] = true
		r.TenantID, r.ID = tenantID, store.NewID()
	}
	if err := invalid(fe); err != nil {
		return nil, err
	}
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ?", tenantID).Delete(&SLA{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.Create(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	return s.ListSLA(ctx, tenantID)
}

// targets returns the response and resolution minutes of a category and priority.
func targets(tx *gorm.DB, tenantID uuid.UUID, category, priority string) (int, int, error) {
	var rows []SLA
	if err := tx.Where("tenant_id = ? AND priority = ? AND category IN ?", tenantID, priority, []string{category, ""}).Find(&rows).Error; err != nil {
		return 0, 0, err
	}
	slices.SortFunc(rows, func(a, b SLA) int { return strings.Compare(b.Category, a.Category) }) // the category's own first
	if len(rows) > 0 {
		return rows[0].ResponseMinutes, rows[0].ResolveMinutes, nil
	}
	d := DefaultSLA[priority]
	return d[0], d[1], nil
}

// Rule routes orders to a skill: the first rule (by position) whose
// category, community and building match (empty matches any) names the
// skill and whether the order is dispatched at once (auto) or waits in
// the pool for a technician to grab it. Without a match the skill is the
// category and the order goes to the pool.
type Rule struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	Position    int        `json:"position"`
	Category    string     `json:"category"`
	CommunityID *uuid.UUID `json:"community_id"`
	BuildingID  *uuid.UUID `json:"building_id"`
	Skill       string     `json:"skill"`
	Mode        string     `json:"mode"` // auto, pool
	CreatedAt   time.Time  `json:"created_at"`
}

func (Rule) TableName() string { return "dispatch_rules" }

// RuleInput is a rule's fields.
type RuleInput struct {
	Position    int        `json:"position"`
	Category    string     `json:"category"`
	CommunityID *uuid.UUID `json:"community_id"`
	BuildingID  *uuid.UUID `json:"building_id"`
	Skill       string     `json:"skill"`
	Mode        string     `json:"mode"`
}

// CreateRule adds a dispatch rule.
func (s *Service) CreateRule(ctx context.Context, tenantID uuid.UUID, in RuleInput) (r Rule, err error) {
	var fe []apperr.FieldError
	in.Skill = strings.TrimSpace(in.Skill)
	if in.Skill == "" || len(in.Skill) > 50 {
		fe = append(fe, field("skill", "required", "skill is required (at most 50 bytes)", "技能必填(最多 50 字节)"))
	}
	if in.Mode != "auto" && in.Mode != "pool" {
		fe = append(fe, field("mode", "invalid_mode", "mode must be auto or pool", "派单方式必须是 auto 或 pool"))
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		st, err := settingsIn(tx, tenantID)
		if err != nil {
			return err
		}
		if in.Category != "" && !categoryOK(st, in.Category) {
			fe = append(fe, field("category", "unknown_category", "unknown category", "类别不存在"))
		}
		if in.CommunityID != nil {
			ok, err := s.d.Places.CommunityExists(store.Ctx(tx), tenantID, *in.CommunityID)
			if err != nil {
				return err
			}
			if !ok {
				fe = append(fe, field("community_id", "unknown_community", "no such community", "小区不存在"))
			}
		}
		if err := invalid(fe); err != nil {
			return err
		}
		r = Rule{TenantID: tenantID, ID: store.NewID(), Position: in.Position, Category: in.Category, CommunityID: in.CommunityID,
			BuildingID: in.BuildingID, Skill: in.Skill, Mode: in.Mode, CreatedAt: s.now().UTC()}
		return tx.Create(&r).Error
	})
	return r, err
}

// ListRules lists the rules in the order they are tried.
func (s *Service) ListRules(ctx context.Context, tenantID uuid.UUID) (out []Rule, err error) {
	out = []Rule{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ?", tenantID).Order("position, created_at, id").Find(&out).Error
	})
	return out, err
}

// DeleteRule removes a rule.
func (s *Service) DeleteRule(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Rule{})
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.NotFound
		}
		return res.Error
	})
}

// route picks the skill and mode of an order.
func route(tx *gorm.DB, o *Order) (skill, mode string, err error) {
	var rules []Rule
	if err := tx.Where("tenant_id = ?", o.TenantID).Order("position, created_at, id").Find(&rules).Error; err != nil {
		return "", "", err
	}
	for _, r := range rules {
		if (r.Category == "" || r.Category == o.Category) &&
			(r.CommunityID == nil || *r.CommunityID == o.CommunityID) &&
			(r.BuildingID == nil || (o.BuildingID != nil && *r.BuildingID == *o.BuildingID)) {
			return r.Skill, r.Mode, nil
		}
	}
	return o.Category, "pool", nil
}
