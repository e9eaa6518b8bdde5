package finance

import (
	"context"
	"math/big"
	"sort"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
)

// Figures are one month's or one year's totals, in minor units of the
// report's currency.
type Figures struct {
	Income    int64 `json:"income"`
	Expenses  int64 `json:"expenses"`
	Profit    int64 `json:"profit"`
	Billed    int64 `json:"billed"`    // bills of the period(s)
	Collected int64 `json:"collected"` // paid of those bills so far
	// CollectionRate is Collected/Billed in percent with two decimals,
	// rounded half-up; empty when nothing was billed.
	CollectionRate string `json:"collection_rate"`
}

// Month is one month of the report.
type Month struct {
	Period civil.Period `json:"period"`
	Figures
}

// Line is one row of a breakdown with the previous year's amount and the
// change in percent (two decimals, half-up; empty when last year had none).
type Line struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	Amount       int64  `json:"amount"`
	PreviousYear int64  `json:"previous_year"`
	Change       string `json:"change"`
}

// Report is a year's income, expenses and profit (财务报表).
type Report struct {
	Year         int            `json:"year"`
	Currency     money.Currency `json:"currency"`
	Months       []Month        `json:"months"`
	Total        Figures        `json:"total"`
	PreviousYear Figures        `json:"previous_year"`
	// Change is the year-on-year change of each total, in percent.
	Change struct {
		Income   string `json:"income"`
		Expenses string `json:"expenses"`
		Profit   string `json:"profit"`
	} `json:"change"`
	IncomeByItem       []Line `json:"income_by_item"`
	IncomeByChannel    []Line `json:"income_by_channel"`
	ExpensesByCategory []Line `json:"expenses_by_category"`
}

// channelNames are the channels' Chinese names for the report's lines.
var channelNames = map[string]string{"cash": "现金", "bank_transfer": "银行转账", "pos": "POS 刷卡", "cheque": "支票",
	"alipay": "支付宝", "wechat": "微信支付", "sandbox": "模拟支付", "prepaid": "预存款抵扣"}

var categoryZH = map[string]string{"salaries": "人员工资", "repairs": "维修", "utilities": "公共能耗", "contractors": "外包服务", "other": "其他"}

// YearReport builds the report of year (and the year before, for the
// changes) in currency cur; amounts in other currencies are left out.
func (s *Service) YearReport(ctx context.Context, tenantID uuid.UUID, year int, cur money.Currency) (Report, error) {
	if year < 2000 || year > 2100 {
		return Report{}, ErrYear
	}
	r := Report{Year: year, Currency: cur}
	from, to := civil.Period{Year: year - 1, Month: time.January}, civil.Period{Year: year, Month: time.December}
	var income []IncomeRow
	var coll []CollectionRow
	var spent []Expense
	err := s.db.InSnapshot(ctx, tenantID, func(ctx context.Context) error {
		var err error
		if income, err = s.ledger.Income(ctx, tenantID, from, to); err != nil {
			return err
		}
		if coll, err = s.ledger.Collection(ctx, tenantID, from, to); err != nil {
			return err
		}
		return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			return tx.Where("tenant_id = ? AND currency = ? AND spent_on >= ? AND spent_on <= ?", tenantID, cur, from.Start(), to.End()).Find(&spent).Error
		})
	})
	if err != nil {
		return Report{}, err
	}
	months := map[civil.Period]*Figures{}
	fig := func(p civil.Period) *Figures {
		if months[p] == nil {
			months[p] = &Figures{}
		}
		return months[p]
	}
	items, channels, cats := breakdown{}, breakdown{}, breakdown{}
	for _, in := range income {
		if in.Currency != cur {
			continue
		}
		this := in.Period.Year == year
		switch in.By {
		case IncomeByChannel:
			fig(in.Period).Income += in.Amount
			channels.add(in.Key, channelNames[in.Key], this, in.Amount)
		case IncomeByItem:
			name := in.Name
			if in.Key == "prepaid" && name == "" {
				name = "预存款"
			}
			items.add(in.Key, name, this, in.Amount)
		}
	}
	for _, c := range coll {
		if c.Currency != cur {
			continue
		}
		f := fig(c.Period)
		f.Billed += c.Billed
		f.Collected += c.Collected
	}
	for _, e := range spent {
		p := civil.PeriodOf(e.SpentOn)
		fig(p).Expenses += e.AmountMinor
		cats.add(e.Category, categoryZH[e.Category], p.Year == year, e.AmountMinor)
	}
	for m := time.January; m <= time.December; m++ {
		p := civil.Period{Year: year, Month: m}
		f := *fig(p)
		f.finish()
		r.Months = append(r.Months, Month{Period: p, Figures: f})
		r.Total.sum(f)
		prev := *fig(civil.Period{Year: year - 1, Month: m})
		prev.finish()
		r.PreviousYear.sum(prev)
	}
	r.Total.finish()
	r.PreviousYear.finish()
	r.Change.Income = change(r.Total.Income, r.PreviousYear.Income)
	r.Change.Expenses = change(r.Total.Expenses, r.PreviousYear.Expenses)
	r.Change.Profit = change(r.Total.Profit, r.PreviousYear.Profit)
	r.IncomeByItem, r.IncomeByChannel, r.ExpensesByCategory = items.lines(), channels.lines(), cats.lines()
	return r, nil
}

func (f *Figures) sum(o Figures) {
	f.Income += o.Income
	f.Expenses += o.Expenses
	f.Billed += o.Billed
	f.Collected += o.Collected
}

func (f *Figures) finish() {
	f.Profit = f.Income - f.Expenses
	f.CollectionRate = ""
	if f.Billed > 0 {
		f.CollectionRate = percent(f.Collected, f.Billed)
	}
}

// breakdown sums amounts by key for this year and the previous one.
type breakdown map[string]*Line

func (b breakdown) add(key, name string, thisYear bool, amount int64) {
	l := b[key]
	if l == nil {
		l = &Line{Key: key, Name: name}
		if l.Name == "" {
			l.Name = key
		}
		b[key] = l
	}
	if thisYear {
		l.Amount += amount
	} else {
		l.PreviousYear += amount
	}
}

// lines returns the breakdown, largest amount first (then by key).
func (b breakdown) lines() []Line {
	out := make([]Line, 0, len(b))
	for _, l := range b {
		l.Change = change(l.Amount, l.PreviousYear)
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Amount != out[j].Amount {
			return out[i].Amount > out[j].Amount
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// change is (cur − prev) / |prev| in percent; empty without a previous amount.
func change(cur, prev int64) string {
	if prev == 0 {
		return ""
	}
	if prev < 0 {
		return percent(prev-cur, prev)
	}
	return percent(cur-prev, prev)
}

// percent is num/den × 100 with two decimals, rounded half away from zero,
// computed exactly (big integers: num × 10⁴ may not fit an int64).
func percent(num, den int64) string {
	n := new(big.Int).Mul(big.NewInt(num), big.NewInt(10000))
	d := big.NewInt(den)
	q, rem := new(big.Int).QuoRem(n, d, new(big.Int))
	// Round half away from zero: compare 2|rem| with |den|.
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(new(big.Int).Abs(d)) >= 0 {
		if (num < 0) != (den < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return formatHundredths(q.Int64())
}

func formatHundredths(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	frac := v % 100
	s := sign + big.NewInt(v/100).String() + "."
	if frac < 10 {
		s += "0"
	}
	return s + big.NewInt(frac).String()
}
