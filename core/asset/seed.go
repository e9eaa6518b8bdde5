package asset

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/property"
)

// SeedData is the "assets" section of a tenant manifest's seed data. It runs
// after the "property" section: communities and locations are named.
type SeedData []struct {
	Community   string `yaml:"community"`
	Code        string `yaml:"code"`
	Name        string `yaml:"name"`
	Category    string `yaml:"category"`
	Brand       string `yaml:"brand"`
	Model       string `yaml:"model"`
	Supplier    string `yaml:"supplier"`
	InstallDate string `yaml:"install_date"`
	WarrantyEnd string `yaml:"warranty_end"`
	Location    string `yaml:"location"` // common area name, or building/unit/number
	Plans       []struct {
		Name       string   `yaml:"name"`
		Checklist  []string `yaml:"checklist"`
		Cycle      Cycle    `yaml:"cycle"`
		StartDate  string   `yaml:"start_date"`
		RemindDays *int     `yaml:"remind_days"`
	} `yaml:"plans"`
}

// SeedDemo creates the assets (by code) and their plans that do not exist yet.
func SeedDemo(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, raw any) (changed bool, err error) {
	data, err := property.DecodeSeed[SeedData](raw)
	if err != nil {
		return false, fmt.Errorf("asset seed: %w", err)
	}
	date := func(s string) Date {
		if s == "" {
			return Date{}
		}
		// "2024-01-01", or relative to the tenant's today ("-30d", "+2m"):
		// a fresh install's plans then fall due around now, not years ago.
		d, e := civil.ParseRelative(s, civil.TodayOf(ctx))
		if e != nil && err == nil {
			err = e
		}
		return NewDate(d.Year, d.Month, d.Day)
	}
	for _, as := range data {
		var n int64
		if err := in(tx.Model(&Asset{}), tenantID).Where("code = ?", as.Code).Count(&n).Error; err != nil {
			return changed, err
		}
		if n > 0 {
			continue
		}
		var c property.Community
		if err := in(tx, tenantID).Limit(1).Find(&c, "name = ?", as.Community).Error; err != nil {
			return changed, err
		}
		if c.ID == uuid.Nil {
			return changed, fmt.Errorf("asset seed: %s: no community %q", as.Code, as.Community)
		}
		inp := AssetInput{CommunityID: c.ID, Code: as.Code, Name: as.Name, Category: as.Category, Brand: as.Brand, Model: as.Model,
			Supplier: as.Supplier, InstallDate: date(as.InstallDate), WarrantyEnd: date(as.WarrantyEnd)}
		if as.Location != "" {
			id, ok, err := property.FindLocation(tx, tenantID, c.ID, as.Location)
			if err != nil {
				return changed, err
			}
			if !ok {
				return changed, fmt.Errorf("asset seed: %s: no location %q", as.Code, as.Location)
			}
			inp.LocationID = &id
		}
		if fe := inp.Validate(); len(fe) > 0 || err != nil {
			return changed, fmt.Errorf("asset seed: %s: %v %v", as.Code, fe, err)
		}
		a, err := createAsset(tx, tenantID, inp)
		if err != nil {
			return changed, fmt.Errorf("asset seed: %s: %w", as.Code, err)
		}
		for _, ps := range as.Plans {
			pi := PlanInput{AssetID: a.ID, Name: ps.Name, Checklist: ps.Checklist, Cycle: ps.Cycle, StartDate: date(ps.StartDate), RemindDays: ps.RemindDays}
			if fe := pi.Validate(); len(fe) > 0 {
				return changed, fmt.Errorf("asset seed: %s plan %s: %v", as.Code, ps.Name, fe)
			}
			if _, err := createPlan(tx, tenantID, pi); err != nil {
				return changed, err
			}
		}
		changed = true
	}
	return changed, err
}
