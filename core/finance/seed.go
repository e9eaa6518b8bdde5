package finance

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// SeedData is the "finance" section of a tenant manifest's seed data.
type SeedData struct {
	// Monthly expenses are recorded on Day of each of the last Months
	// months; Summer (June–August) adds that percent (air conditioning,
	// pumps), so the report's months differ as real ones do.
	Monthly []struct {
		Category    string `yaml:"category"`
		Amount      string `yaml:"amount"`
		Day         int    `yaml:"day"`
		Summer      int    `yaml:"summer_percent"`
		Payee       string `yaml:"payee"`
		Description string `yaml:"description"`
	} `yaml:"monthly"`
	Months int `yaml:"months"`
	// Expenses are one-off, on a day relative to today ("-45d").
	Expenses []struct {
		Category    string `yaml:"category"`
		Amount      string `yaml:"amount"`
		SpentOn     string `yaml:"spent_on"`
		Payee       string `yaml:"payee"`
		Description string `yaml:"description"`
	} `yaml:"expenses"`
	Settings *Settings `yaml:"settings"`
}

// SeedDemo records the demo's expenses and collection schedule once: a
// tenant that already has expenses is left alone.
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
	var data SeedData
	b, err := yaml.Marshal(raw)
	if err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&data)
	}
	if err != nil {
		return false, fmt.Errorf("finance seed: %w", err)
	}
	today := civil.TodayOf(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Expense{}).Where("tenant_id = ?", tenantID).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		var rows []Expense
		add := func(cat, amount string, day civil.Date, payee, desc string, pct int) error {
			m, err := money.Parse(amount, money.CNY)
			if err != nil {
				return fmt.Errorf("finance seed: %s: %w", amount, err)
			}
			m.Amount += m.Amount * int64(pct) / 100
			rows = append(rows, Expense{TenantID: tenantID, ID: store.NewID(), Category: CanonicalCategory(cat), AmountMinor: m.Amount,
				Currency: money.CNY, SpentOn: day, Payee: payee, Description: desc, CreatedBy: "demo"})
			return nil
		}
		for i := data.Months; i >= 1; i-- {
			p := civil.PeriodOf(today).Add(-i)
			for _, m := range data.Monthly {
				pct := 0
				if p.Month >= time.June && p.Month <= time.August {
					pct = m.Summer
				}
				if err := add(m.Category, m.Amount, civil.New(p.Year, p.Month, m.Day), m.Payee, m.Description, pct); err != nil {
					return err
				}
			}
		}
		for _, e := range data.Expenses {
			d, err := civil.ParseRelative(e.SpentOn, today)
			if err != nil {
				return fmt.Errorf("finance seed: %q: %w", e.SpentOn, err)
			}
			if err := add(e.Category, e.Amount, d, e.Payee, e.Description, 0); err != nil {
				return err
			}
		}
		if data.Settings != nil {
			st := *data.Settings
			if err := st.check(); err != nil {
				return err
			}
			st.TenantID = tenantID
			if err := tx.Save(&st).Error; err != nil {
				return err
			}
		}
		changed = len(rows) > 0
		return tx.CreateInBatches(rows, 200).Error
	})
	return changed, err
}
