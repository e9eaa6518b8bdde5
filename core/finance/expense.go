package finance

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Expense categories of the profit report.
var Categories = []string{"salaries", "repairs", "utilities", "contractors", "other"}

// categoryNames are the Chinese labels the API and the demo accept besides
// the codes (the stored value is always the code).
var categoryNames = map[string]string{"工资": "salaries", "人员工资": "salaries", "维修": "repairs", "维修费": "repairs",
	"水电": "utilities", "能耗": "utilities", "公共能耗": "utilities", "外包": "contractors", "外包服务": "contractors", "其他": "other"}

// CanonicalCategory returns the stored category for a code or its Chinese label.
func CanonicalCategory(s string) string {
	s = strings.TrimSpace(s)
	if v, ok := categoryNames[s]; ok {
		return v
	}
	return s
}

// Expense is money the company spent.
type Expense struct {
	TenantID    uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID      `gorm:"primaryKey" json:"id"`
	CommunityID *uuid.UUID     `json:"community_id"`
	Category    string         `json:"category"`
	AmountMinor int64          `json:"amount"`
	Currency    money.Currency `json:"currency"`
	SpentOn     civil.Date     `json:"spent_on"`
	Payee       string         `json:"payee"`
	Description string         `json:"description"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// ExpenseInput is an expense's editable fields. Amount is a decimal text in
// the currency's major unit ("12500.00"); the stored amount is minor units.
type ExpenseInput struct {
	CommunityID *uuid.UUID `json:"community_id"`
	Category    string     `json:"category"`
	Amount      string     `json:"amount"`
	Currency    string     `json:"currency"` // default CNY
	SpentOn     civil.Date `json:"spent_on"`
	Payee       string     `json:"payee"`
	Description string     `json:"description"`
}

// parse checks every field at once and returns the amount in minor units.
func (in *ExpenseInput) parse() (money.Money, error) {
	in.Category = CanonicalCategory(in.Category)
	var fe []apperrField
	if !slices.Contains(Categories, in.Category) {
		fe = append(fe, field("category", "unknown_category", "category must be one of "+strings.Join(Categories, ", "), "类别必须是 工资、维修、水电、外包、其他 之一"))
	}
	cur := money.CNY
	if in.Currency != "" {
		c, err := money.ParseCurrency("currency", in.Currency)
		if err != nil {
			fe = append(fe, fieldErrors("currency", err)...)
		}
		cur = c
	}
	var m money.Money
	if strings.TrimSpace(in.Amount) == "" {
		fe = append(fe, field("amount", "required", "amount is required, e.g. 12500.00", "金额必填,如 12500.00"))
	} else if cur != "" {
		v, err := money.Parse(in.Amount, cur)
		switch {
		case err != nil:
			fe = append(fe, fieldErrors("amount", err)...)
		case v.Amount <= 0:
			fe = append(fe, field("amount", "amount_not_positive", "amount must be greater than zero", "金额必须大于零"))
		}
		m = v
	}
	if in.SpentOn.IsZero() {
		fe = append(fe, field("spent_on", "required", "spent_on is required (YYYY-MM-DD)", "支出日期必填(YYYY-MM-DD)"))
	}
	if len(in.Payee) > 200 {
		fe = append(fe, field("payee", "too_long", "payee is at most 200 bytes", "收款方最多 200 字节"))
	}
	if len(in.Description) > 2000 {
		fe = append(fe, field("description", "too_long", "description is at most 2000 bytes", "说明最多 2000 字节"))
	}
	return m, invalid(fe)
}

// ExpenseFilter narrows the expense list.
type ExpenseFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	Category    string `form:"category" json:"category"`
	From        string `form:"from" json:"from"` // spent on or after, YYYY-MM-DD
	To          string `form:"to" json:"to"`     // spent on or before, YYYY-MM-DD
}

// CreateExpense records an expense; by names who recorded it.
func (s *Service) CreateExpense(ctx context.Context, tenantID uuid.UUID, by string, in ExpenseInput) (Expense, error) {
	m, err := in.parse()
	if err != nil {
		return Expense{}, err
	}
	e := Expense{TenantID: tenantID, ID: store.NewID(), CreatedBy: by}
	fillExpense(&e, in, m)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Create(&e).Error })
	return e, err
}

// UpdateExpense corrects an expense.
func (s *Service) UpdateExpense(ctx context.Context, tenantID, id uuid.UUID, in ExpenseInput) (Expense, error) {
	m, err := in.parse()
	if err != nil {
		return Expense{}, err
	}
	var e Expense
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&e).Error; err != nil {
			return store.NotFound(err)
		}
		fillExpense(&e, in, m)
		return tx.Save(&e).Error
	})
	return e, err
}

func fillExpense(e *Expense, in ExpenseInput, m money.Money) {
	e.CommunityID, e.Category, e.AmountMinor, e.Currency = in.CommunityID, in.Category, m.Amount, m.Currency
	e.SpentOn, e.Payee, e.Description = in.SpentOn, strings.TrimSpace(in.Payee), strings.TrimSpace(in.Description)
}

// GetExpense returns one expense.
func (s *Service) GetExpense(ctx context.Context, tenantID, id uuid.UUID) (e Expense, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&e).Error)
	})
	return e, err
}

// DeleteExpense removes an expense recorded by mistake (the audit log keeps
// the request).
func (s *Service) DeleteExpense(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Expense{})
		if res.Error == nil && res.RowsAffected == 0 {
			return store.NotFound(gorm.ErrRecordNotFound)
		}
		return res.Error
	})
}

// ListExpenses lists expenses matching f.
func (s *Service) ListExpenses(ctx context.Context, tenantID uuid.UUID, f ExpenseFilter, p paging.Paging) (out []Expense, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Expense{}).Where("tenant_id = ?", tenantID)
		if f.CommunityID != "" {
			id, err := uuid.Parse(f.CommunityID)
			if err != nil {
				return invalid([]apperrField{field("community_id", "invalid_id", "community_id must be a UUID", "小区编号格式不正确")})
			}
			q = q.Where("community_id = ?", id)
		}
		if f.Category != "" {
			q = q.Where("category = ?", CanonicalCategory(f.Category))
		}
		from, to, err := dateRange(f.From, f.To)
		if err != nil {
			return err
		}
		if !from.IsZero() {
			q = q.Where("spent_on >= ?", from)
		}
		if !to.IsZero() {
			q = q.Where("spent_on <= ?", to)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}
