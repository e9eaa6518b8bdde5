package fee

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/store"
)

// Rule statuses: a version is a draft until activated; retiring takes it
// out of pricing for good.
const (
	StatusDraft   = "draft"
	StatusActive  = "active"
	StatusRetired = "retired"
)

// Tier is one step of a tiered (阶梯) rate: consumption up to UpTo (blank:
// without limit) at Rate per unit.
type Tier struct {
	UpTo string `json:"up_to" yaml:"up_to"`
	Rate string `json:"rate" yaml:"rate"`
}

// Rule is one version of an item's rule: effective from ValidFrom to ValidTo
// (inclusive; zero: open), with the rate(s).
type Rule struct {
	TenantID  uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID  `gorm:"primaryKey" json:"id"`
	ItemID    uuid.UUID  `json:"item_id"`
	Version   int        `json:"version"`
	ValidFrom civil.Date `json:"valid_from"`
	ValidTo   civil.Date `json:"valid_to"`
	Status    string     `json:"status"`
	Rate      string     `json:"rate"`
	Tiers     string     `json:"-"`
	Notes     string     `json:"notes"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`

	tierCache []Tier // decoded once per quote run (prepare)
}

func (Rule) TableName() string { return "fee_rules" }

// prepare decodes the tiers once, for a run that prices many rooms.
func (r *Rule) prepare() { r.tierCache = ruleTiers(*r) }

// RuleView is a rule as the API shows it.
type RuleView struct {
	Rule
	TierList []Tier `json:"tiers"`
}

func ruleView(r Rule) RuleView { return RuleView{Rule: r, TierList: r.tiers()} }

func (r Rule) tiers() []Tier {
	out := []Tier{}
	_ = json.Unmarshal([]byte(r.Tiers), &out)
	return out
}

// covers reports whether the rule applies on day d.
func (r Rule) covers(d civil.Date) bool {
	return !d.Before(r.ValidFrom) && (r.ValidTo.IsZero() || !d.After(r.ValidTo))
}

// overlaps reports whether two rules' date ranges share a day.
func (r Rule) overlaps(o Rule) bool {
	return (o.ValidTo.IsZero() || !r.ValidFrom.After(o.ValidTo)) && (r.ValidTo.IsZero() || !o.ValidFrom.After(r.ValidTo))
}

// RuleInput is a version's editable fields.
type RuleInput struct {
	ValidFrom civil.Date `json:"valid_from"`
	ValidTo   civil.Date `json:"valid_to"`
	Rate      string     `json:"rate"`
	Tiers     []Tier     `json:"tiers"`
	Notes     string     `json:"notes"`
}

// rateScale is the decimals a rate of the item may have: a fixed amount
// has the currency's; everything else four.
func rateScale(it Item) int {
	if it.Kind == KindFixed || it.Kind == KindOneOff {
		return max(it.Currency.Exponent(), 0)
	}
	return RateScale
}

// check validates in for item it.
func (in RuleInput) check(it Item) error {
	var fe []apperr.FieldError
	if in.ValidFrom.IsZero() {
		fe = append(fe, fieldErr("valid_from", "required", "valid_from is required (YYYY-MM-DD)", "生效日期不能为空(YYYY-MM-DD)"))
	}
	if !in.ValidTo.IsZero() && in.ValidTo.Before(in.ValidFrom) {
		fe = append(fe, fieldErr("valid_to", "before_valid_from", "valid_to is before valid_from", "失效日期早于生效日期"))
	}
	if len(in.Notes) > 2000 {
		fe = append(fe, fieldErr("notes", "too_long", "notes are longer than 2000 bytes", "备注超过 2000 字节"))
	}
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	scale := rateScale(it)
	if len(in.Tiers) == 0 {
		_, err := parseRate("rate", in.Rate, scale)
		return err
	}
	if it.Kind != KindMetered && it.Kind != KindShared {
		return apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("tiers", "tiers_not_metered", "only metered and shared items have tiers", "只有抄表类和公摊类项目可以设置阶梯")})
	}
	var prev int64 = -1
	for i, t := range in.Tiers {
		if _, err := parseRate("tiers.rate", t.Rate, scale); err != nil {
			return err
		}
		last := i == len(in.Tiers)-1
		if strings.TrimSpace(t.UpTo) == "" && last {
			break
		}
		up, err := parseRate("tiers.up_to", t.UpTo, ReadingScale)
		if err != nil {
			return err
		}
		if up <= prev || last {
			return apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("tiers", "invalid_tiers", "tier limits must increase and the last tier has no limit", "阶梯上限必须递增,且最后一档不设上限")})
		}
		prev = up
	}
	return nil
}

func (in RuleInput) apply(r *Rule, it Item) {
	scale := rateScale(it)
	tiers := make([]Tier, len(in.Tiers))
	for i, t := range in.Tiers {
		tiers[i] = Tier{Rate: decimal.Format(mustRate(t.Rate, scale), scale)}
		if strings.TrimSpace(t.UpTo) != "" {
			tiers[i].UpTo = decimal.Format(mustRate(t.UpTo, ReadingScale), ReadingScale)
		}
	}
	b, _ := json.Marshal(tiers)
	r.ValidFrom, r.ValidTo, r.Tiers, r.Notes = in.ValidFrom, in.ValidTo, string(b), in.Notes
	r.Rate = decimal.Format(mustRate(in.Rate, scale), scale)
	if len(tiers) > 0 {
		r.Rate = tiers[0].Rate
	}
}

// forUpdate locks the rows a query reads until the transaction ends, on
// Postgres (SQLite has one writer at a time anyway): two versions added at
// once cannot both pass the overlap check, two readings of a meter cannot
// both follow the same previous one.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

func itemRules(tx *gorm.DB, tenantID, itemID uuid.UUID) ([]Rule, error) {
	var out []Rule
	err := in(tx, tenantID).Where("item_id = ?", itemID).Order("version").Find(&out).Error
	return out, err
}

// checkOverlap refuses r when another live (draft or active) version of
// its item shares a day with it.
func checkOverlap(tx *gorm.DB, tenantID uuid.UUID, r Rule) error {
	rules, err := itemRules(tx, tenantID, r.ItemID)
	if err != nil {
		return err
	}
	for _, o := range rules {
		if o.ID != r.ID && o.Status != StatusRetired && r.overlaps(o) {
			return ErrOverlap.WithDetails(map[string]any{"version": o.Version, "valid_from": o.ValidFrom, "valid_to": o.ValidTo})
		}
	}
	return nil
}

// AddRule adds a draft version to an item.
func (s *Service) AddRule(ctx context.Context, tenantID, itemID uuid.UUID, inp RuleInput) (v RuleView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var it Item
		if err := store.NotFound(in(forUpdate(tx), tenantID).First(&it, "id = ?", itemID).Error); err != nil {
			return err
		}
		if err := inp.check(it); err != nil {
			return err
		}
		var last struct{ V int }
		if err := in(tx.Model(&Rule{}), tenantID).Select("COALESCE(MAX(version), 0) AS v").Where("item_id = ?", itemID).Scan(&last).Error; err != nil {
			return err
		}
		r := Rule{TenantID: tenantID, ItemID: itemID, Version: last.V + 1, Status: StatusDraft}
		inp.apply(&r, it)
		if err := checkOverlap(tx, tenantID, r); err != nil {
			return err
		}
		err := tx.Create(&r).Error
		v = ruleView(r)
		return err
	})
	return v, err
}

// withRule runs fn on a rule and its item, then saves the rule.
func (s *Service) withRule(ctx context.Context, tenantID, id uuid.UUID, fn func(tx *gorm.DB, r *Rule, it Item) error) (v RuleView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var r Rule
		if err := store.NotFound(in(tx, tenantID).First(&r, "id = ?", id).Error); err != nil {
			return err
		}
		var it Item
		if err := in(forUpdate(tx), tenantID).First(&it, "id = ?", r.ItemID).Error; err != nil {
			return err
		}
		if err := fn(tx, &r, it); err != nil {
			return err
		}
		v = ruleView(r)
		return tx.Save(&r).Error
	})
	return v, err
}

// UpdateRule changes a draft.
func (s *Service) UpdateRule(ctx context.Context, tenantID, id uuid.UUID, inp RuleInput) (RuleView, error) {
	return s.withRule(ctx, tenantID, id, func(tx *gorm.DB, r *Rule, it Item) error {
		if r.Status != StatusDraft {
			return ErrNotDraft
		}
		if err := inp.check(it); err != nil {
			return err
		}
		inp.apply(r, it)
		return checkOverlap(tx, tenantID, *r)
	})
}

// ActivateRule switches a draft on: quotes use it from now on.
func (s *Service) ActivateRule(ctx context.Context, tenantID, id uuid.UUID) (RuleView, error) {
	return s.withRule(ctx, tenantID, id, func(tx *gorm.DB, r *Rule, _ Item) error {
		if r.Status != StatusDraft {
			return ErrNotDraft
		}
		r.Status = StatusActive
		return checkOverlap(tx, tenantID, *r)
	})
}

// RetireRule takes an active version out of pricing.
func (s *Service) RetireRule(ctx context.Context, tenantID, id uuid.UUID) (RuleView, error) {
	return s.withRule(ctx, tenantID, id, func(_ *gorm.DB, r *Rule, _ Item) error {
		if r.Status != StatusActive {
			return ErrNotActive
		}
		r.Status = StatusRetired
		return nil
	})
}

// EndInput ends an open or later-ending active version on a day, so that a
// new version can take over from the next.
type EndInput struct {
	ValidTo civil.Date `json:"valid_to"`
}

// ErrEnd refuses an end date that does not shorten the version.
var ErrEnd = apperr.New(apperr.KindInvalid, "invalid_end", "valid_to must be on or after the version's start and before its current end.", "失效日期必须不早于生效日期,且早于原失效日期。")

// EndRule sets an active version's last day.
func (s *Service) EndRule(ctx context.Context, tenantID, id uuid.UUID, inp EndInput) (RuleView, error) {
	return s.withRule(ctx, tenantID, id, func(_ *gorm.DB, r *Rule, _ Item) error {
		if r.Status != StatusActive {
			return ErrNotActive
		}
		if inp.ValidTo.IsZero() || inp.ValidTo.Before(r.ValidFrom) || (!r.ValidTo.IsZero() && !inp.ValidTo.Before(r.ValidTo)) {
			return ErrEnd
		}
		r.ValidTo = inp.ValidTo
		return nil
	})
}

// DeleteRule removes a draft.
func (s *Service) DeleteRule(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var r Rule
		if err := store.NotFound(in(tx, tenantID).First(&r, "id = ?", id).Error); err != nil {
			return err
		}
		if r.Status != StatusDraft {
			return ErrNotDraft
		}
		return in(tx, tenantID).Delete(&Rule{}, "id = ?", id).Error
	})
}
