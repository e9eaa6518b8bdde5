package fee

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Choices of an item's settings.
var (
	Kinds       = []string{KindArea, KindFixed, KindMetered, KindShared, KindOneOff}
	Cycles      = map[string]int{"monthly": 1, "quarterly": 3, "yearly": 12}
	Billings    = []string{"advance", "arrears"}
	Roundings   = []string{"half_up", "half_even", "down", "up"}
	Scopes      = []string{"line", "bill"}
	AreaBases   = []string{"built", "interior"}
	Pers        = []string{"room", "household"}
	MeterKinds  = []string{"water", "electricity", "gas"}
	Apportions  = []string{"area", "share"}
	itemStrings = 200
)

// PrepayTier is a prepayment discount: paying Months or more months ahead
// takes Percent off (e.g. 12 months → 5).
type PrepayTier struct {
	Months  int    `json:"months" yaml:"months"`
	Percent string `json:"percent" yaml:"percent"`
}

// Item is a fee item (收费项目) of a community.
type Item struct {
	TenantID       uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID             uuid.UUID      `gorm:"primaryKey" json:"id"`
	CommunityID    uuid.UUID      `json:"community_id"`
	Code           string         `json:"code"`
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	Unit           string         `json:"unit"`
	Currency       money.Currency `json:"currency"`
	Cycle          string         `json:"cycle"`
	Billing        string         `json:"billing"` // advance: the coming cycle; arrears: the past one
	DueDays        int            `json:"due_days"`
	Rounding       string         `json:"rounding"`
	RoundingScope  string         `json:"rounding_scope"` // line: each line; bill: the item's lines of a bill together
	AreaBasis      string         `json:"area_basis"`     // area items: built or interior
	Per            string         `json:"per"`            // fixed items: room or household
	MeterKind      string         `json:"meter_kind"`     // metered items
	CommonMeterID  *uuid.UUID     `json:"common_meter_id"`
	Apportion      string         `json:"apportion"` // shared items: by area or equal share
	VacancyPercent string         `json:"vacancy_percent"`
	LateGraceDays  int            `json:"-"`
	LateRate       string         `json:"-"`
	LateCapPercent string         `json:"-"`
	PrepayTiers    string         `json:"-"`
	Active         bool           `json:"active"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func (Item) TableName() string { return "fee_items" }

// ItemView is an item as the API shows it, with its rule versions.
type ItemView struct {
	Item
	Late     *LatePolicy  `json:"late_fee"`
	Prepay   []PrepayTier `json:"prepay_tiers"`
	Versions []RuleView   `json:"versions"`
}

// Late is the item's late-fee policy, nil when it has none.
func (it Item) Late() *LatePolicy {
	if it.LateRate == "" {
		return nil
	}
	return &LatePolicy{GraceDays: it.LateGraceDays, RatePerDay: it.LateRate, CapPercent: it.LateCapPercent}
}

// Prepay decodes the prepayment discount tiers.
func (it Item) Prepay() []PrepayTier {
	out := []PrepayTier{}
	_ = json.Unmarshal([]byte(it.PrepayTiers), &out)
	return out
}

func itemView(it Item, rules []Rule) ItemView {
	v := ItemView{Item: it, Late: it.Late(), Prepay: it.Prepay(), Versions: make([]RuleView, 0, len(rules))}
	for _, r := range rules {
		v.Versions = append(v.Versions, ruleView(r))
	}
	return v
}

// ItemInput is an item's editable fields; blanks take the defaults
// (CNY, monthly, advance, half_up per line, built area, per room, by area).
type ItemInput struct {
	CommunityID    uuid.UUID      `json:"community_id" yaml:"community_id"`
	Code           string         `json:"code" yaml:"code"`
	Name           string         `json:"name" yaml:"name"`
	Kind           string         `json:"kind" yaml:"kind"`
	Unit           string         `json:"unit" yaml:"unit"`
	Currency       money.Currency `json:"currency" yaml:"currency"`
	Cycle          string         `json:"cycle" yaml:"cycle"`
	Billing        string         `json:"billing" yaml:"billing"`
	DueDays        int            `json:"due_days" yaml:"due_days"`
	Rounding       string         `json:"rounding" yaml:"rounding"`
	RoundingScope  string         `json:"rounding_scope" yaml:"rounding_scope"`
	AreaBasis      string         `json:"area_basis" yaml:"area_basis"`
	Per            string         `json:"per" yaml:"per"`
	MeterKind      string         `json:"meter_kind" yaml:"meter_kind"`
	CommonMeterID  *uuid.UUID     `json:"common_meter_id,omitempty" yaml:"common_meter_id"`
	Apportion      string         `json:"apportion" yaml:"apportion"`
	VacancyPercent string         `json:"vacancy_percent" yaml:"vacancy_percent"`
	Late           *LatePolicy    `json:"late_fee,omitempty" yaml:"late_fee"`
	PrepayTiers    []PrepayTier   `json:"prepay_tiers" yaml:"prepay_tiers"`
	Active         *bool          `json:"active,omitempty" yaml:"active"`
}

func orDefault(v *string, def string) {
	if *v = strings.TrimSpace(*v); *v == "" {
		*v = def
	}
}

func (in *ItemInput) defaults() {
	if in.Currency == "" {
		in.Currency = money.CNY
	}
	orDefault(&in.Cycle, "monthly")
	orDefault(&in.Billing, "advance")
	orDefault(&in.Rounding, "half_up")
	orDefault(&in.RoundingScope, "line")
	orDefault(&in.AreaBasis, "built")
	orDefault(&in.Per, "room")
	orDefault(&in.Apportion, "area")
	orDefault(&in.VacancyPercent, "0")
	in.Code, in.Name, in.Unit = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Unit)
}

func fieldErr(field, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: code, EN: en, ZH: zh}
}

func oneOf(fe *[]apperr.FieldError, field, v string, allowed []string, zhName string) {
	if !slices.Contains(allowed, v) {
		*fe = append(*fe, fieldErr(field, "invalid_"+field, field+" must be one of "+strings.Join(allowed, ", "), zhName+"必须是 "+strings.Join(allowed, "、")+" 之一"))
	}
}

// Validate reports every problem of in (after defaults).
func (in ItemInput) Validate() error {
	in.defaults()
	var fe []apperr.FieldError
	if in.Code == "" || len(in.Code) > 64 {
		fe = append(fe, fieldErr("code", "required", "code is required (at most 64 bytes)", "收费项目编码不能为空(最多 64 字节)"))
	}
	if in.Name == "" || len(in.Name) > itemStrings {
		fe = append(fe, fieldErr("name", "required", "name is required (at most 200 bytes)", "收费项目名称不能为空(最多 200 字节)"))
	}
	if in.CommunityID == uuid.Nil {
		fe = append(fe, fieldErr("community_id", "required", "community_id is required", "小区不能为空"))
	}
	oneOf(&fe, "kind", in.Kind, Kinds, "类型")
	if _, ok := Cycles[in.Cycle]; !ok {
		fe = append(fe, fieldErr("cycle", "invalid_cycle", "cycle must be monthly, quarterly or yearly", "周期必须是 monthly、quarterly 或 yearly 之一"))
	}
	oneOf(&fe, "billing", in.Billing, Billings, "收费方式")
	oneOf(&fe, "rounding", in.Rounding, Roundings, "舍入方式")
	oneOf(&fe, "rounding_scope", in.RoundingScope, Scopes, "舍入范围")
	oneOf(&fe, "area_basis", in.AreaBasis, AreaBases, "面积口径")
	oneOf(&fe, "per", in.Per, Pers, "计费单位")
	oneOf(&fe, "apportion", in.Apportion, Apportions, "分摊方式")
	if in.Kind == KindMetered {
		oneOf(&fe, "meter_kind", in.MeterKind, MeterKinds, "表具类型")
	}
	if in.Kind == KindShared && in.CommonMeterID == nil {
		fe = append(fe, fieldErr("common_meter_id", "required", "a shared item needs its common meter", "公摊项目需要指定公共表具"))
	}
	if !in.Currency.Valid() {
		fe = append(fe, fieldErr("currency", "invalid_currency", "currency must be an ISO 4217 code such as CNY", "币种须为有效的 ISO 4217 代码,如 CNY"))
	}
	if in.DueDays < 0 || in.DueDays > 366 {
		fe = append(fe, fieldErr("due_days", "out_of_range", "due_days must be 0 to 366", "缴费期限天数必须在 0 到 366 之间"))
	}
	if err := in.checkDecimals(); err != nil {
		return err
	}
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	return nil
}

// checkDecimals refuses negative or too precise percents and rates.
func (in ItemInput) checkDecimals() error {
	if err := percent("vacancy_percent", in.VacancyPercent); err != nil {
		return err
	}
	for _, t := range in.PrepayTiers {
		if t.Months < 1 || t.Months > 120 {
			return apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("prepay_tiers", "out_of_range", "prepay months must be 1 to 120", "预缴月数必须在 1 到 120 之间")})
		}
		if err := percent("prepay_tiers.percent", t.Percent); err != nil {
			return err
		}
	}
	if l := in.Late; l != nil {
		if _, err := parseRate("late_fee.rate_per_day", l.RatePerDay, 6); err != nil {
			return err
		}
		if err := percent("late_fee.cap_percent", l.CapPercent); err != nil {
			return err
		}
		if l.GraceDays < 0 || l.GraceDays > 366 {
			return apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("late_fee.grace_days", "out_of_range", "grace_days must be 0 to 366", "宽限天数必须在 0 到 366 之间")})
		}
	}
	return nil
}

// percent parses a percent 0–100 with at most two decimals.
func percent(field, s string) error {
	n, err := parseRate(field, s, 2)
	if err == nil && n > 100_00 {
		return apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr(field, "out_of_range", field+" must be 0 to 100", field+" 必须在 0 到 100 之间")})
	}
	return err
}

func (in ItemInput) apply(it *Item) {
	in.defaults()
	it.CommunityID, it.Code, it.Name, it.Kind, it.Unit, it.Currency = in.CommunityID, in.Code, in.Name, in.Kind, in.Unit, in.Currency
	it.Cycle, it.Billing, it.DueDays, it.Rounding, it.RoundingScope = in.Cycle, in.Billing, in.DueDays, in.Rounding, in.RoundingScope
	it.AreaBasis, it.Per, it.MeterKind, it.CommonMeterID, it.Apportion = in.AreaBasis, in.Per, in.MeterKind, in.CommonMeterID, in.Apportion
	it.VacancyPercent = decimal.Format(mustRate(in.VacancyPercent, 2), 2)
	it.LateGraceDays, it.LateRate, it.LateCapPercent = 0, "", ""
	if l := in.Late; l != nil {
		it.LateGraceDays, it.LateRate, it.LateCapPercent = l.GraceDays, strings.TrimSpace(l.RatePerDay), strings.TrimSpace(l.CapPercent)
	}
	tiers, _ := json.Marshal(append([]PrepayTier{}, in.PrepayTiers...))
	it.PrepayTiers = string(tiers)
	it.Active = in.Active == nil || *in.Active
}

func (s *Service) checkRefs(tx *gorm.DB, tenantID uuid.UUID, in ItemInput) error {
	ok, err := s.rooms.CommunityExists(store.Ctx(tx), tenantID, in.CommunityID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrUnknownCommunity
	}
	if in.Kind == KindShared {
		var m Meter
		if err := in_(tx, tenantID).Limit(1).Find(&m, "id = ? AND room_id IS NULL", *in.CommonMeterID).Error; err != nil {
			return err
		}
		if m.ID == uuid.Nil || m.CommunityID != in.CommunityID {
			return ErrUnknownMeter.WithDetails(map[string]string{"field": "common_meter_id"})
		}
	}
	return nil
}

// in_ is in for call sites where a parameter named in shadows it.
var in_ = in

func unique(err error, e *apperr.Error) error {
	if store.IsUniqueViolation(err) {
		return e
	}
	return err
}

// CreateItem adds a fee item (without rules: add versions next).
func (s *Service) CreateItem(ctx context.Context, tenantID uuid.UUID, inp ItemInput) (v ItemView, err error) {
	if err := inp.Validate(); err != nil {
		return v, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := s.checkRefs(tx, tenantID, inp); err != nil {
			return err
		}
		it := Item{TenantID: tenantID}
		inp.apply(&it)
		err := unique(tx.Create(&it).Error, ErrDuplicateCode)
		v = itemView(it, nil)
		return err
	})
	return v, err
}

// UpdateItem replaces an item's settings (its rules stay).
// The item is looked up before the input is checked: another tenant's id
// answers 404 whatever the body.
func (s *Service) UpdateItem(ctx context.Context, tenantID, id uuid.UUID, inp ItemInput) (v ItemView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var it Item
		if err := store.NotFound(in(tx, tenantID).First(&it, "id = ?", id).Error); err != nil {
			return err
		}
		if err := inp.Validate(); err != nil {
			return err
		}
		if err := s.checkRefs(tx, tenantID, inp); err != nil {
			return err
		}
		rules, err := itemRules(tx, tenantID, it.ID)
		if err != nil {
			return err
		}
		if inp.Kind != it.Kind && len(rules) > 0 {
			return ErrKindChange // its versions' rates mean something else
		}
		inp.apply(&it)
		if err := unique(tx.Save(&it).Error, ErrDuplicateCode); err != nil {
			return err
		}
		v = itemView(it, rules)
		return nil
	})
	return v, err
}

// GetItem reads an item with its versions.
func (s *Service) GetItem(ctx context.Context, tenantID, id uuid.UUID) (v ItemView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var it Item
		if err := store.NotFound(in(tx, tenantID).First(&it, "id = ?", id).Error); err != nil {
			return err
		}
		rules, err := itemRules(tx, tenantID, it.ID)
		v = itemView(it, rules)
		return err
	})
	return v, err
}

// Item finds an item by its code (billing validates one-off codes with it).
func (s *Service) Item(ctx context.Context, tenantID uuid.UUID, code string) (it Item, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		err := in(tx, tenantID).Limit(1).Find(&it, "code = ?", strings.TrimSpace(code)).Error
		if err == nil && it.ID == uuid.Nil {
			return ErrUnknownItem
		}
		return err
	})
	return it, err
}

// DeleteItem removes an item with no active rule (drafts and retired go with it).
func (s *Service) DeleteItem(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var it Item
		if err := store.NotFound(in(tx, tenantID).First(&it, "id = ?", id).Error); err != nil {
			return err
		}
		var n int64
		if err := in(tx.Model(&Rule{}), tenantID).Where("item_id = ? AND status = ?", id, StatusActive).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrItemInUse
		}
		if err := in(tx, tenantID).Delete(&Rule{}, "item_id = ?", id).Error; err != nil {
			return err
		}
		return in(tx, tenantID).Delete(&Item{}, "id = ?", id).Error
	})
}

// ItemFilter filters the item list.
type ItemFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	Kind        string `form:"kind" json:"kind"`
	Q           string `form:"q" json:"q"` // code or name contains
}

// ListItems lists a page of items with their versions.
func (s *Service) ListItems(ctx context.Context, tenantID uuid.UUID, f ItemFilter, p paging.Paging) (out []ItemView, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Item{}), tenantID)
		if f.CommunityID != "" {
			q = q.Where("community_id = ?", parseID(f.CommunityID))
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if f.Q != "" {
			q = q.Where("(code LIKE ? OR name LIKE ?)", "%"+f.Q+"%", "%"+f.Q+"%")
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var rows []Item
		if err := p.Apply(q).Find(&rows).Error; err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(rows))
		for i, it := range rows {
			ids[i] = it.ID
		}
		var rules []Rule
		if err := in(tx, tenantID).Where("item_id IN ?", ids).Order("version").Find(&rules).Error; err != nil {
			return err
		}
		by := map[uuid.UUID][]Rule{}
		for _, r := range rules {
			by[r.ItemID] = append(by[r.ItemID], r)
		}
		out = make([]ItemView, len(rows))
		for i, it := range rows {
			out[i] = itemView(it, by[it.ID])
		}
		return nil
	})
	return out, total, err
}

func parseID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// PrepayPercent is the prepayment discount for paying months ahead: the
// percent (exact decimal text) of the largest tier whose months it reaches,
// "0" when none does. Billing applies it to a prepayment it takes.
func (it Item) PrepayPercent(months int) string {
	best, pct := 0, "0"
	for _, t := range it.Prepay() {
		if months >= t.Months && t.Months > best {
			best, pct = t.Months, t.Percent
		}
	}
	return pct
}
