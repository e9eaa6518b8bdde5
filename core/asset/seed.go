package asset

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
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

// decodeSeed turns a manifest's decoded YAML value into T, strictly.
func decodeSeed[T any](raw any) (T, error) {
	var out T
	b, err := yaml.Marshal(raw)
	if err != nil {
		return out, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(&out)
	return out, err
}

// SeedDemo creates the assets (by code) and their plans that do not exist
// yet, in one tenant transaction (joining the caller's when ctx carries one).
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
	data, err := decodeSeed[SeedData](raw)
	if err != nil {
		return false, fmt.Errorf("asset seed: %w", err)
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		changed, err = s.seedDemo(ctx, tx, tenantID, data)
		return err
	})
	return changed, err
}

func (s *Service) seedDemo(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, data SeedData) (changed bool, err error) {
	jctx := store.Ctx(tx) // the property domain joins this transaction
	var communities map[string]uuid.UUID
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
		if communities == nil {
			names, err := s.places.CommunityNames(jctx, tenantID)
			if err != nil {
				return changed, err
			}
			communities = make(map[string]uuid.UUID, len(names))
			for id, name := range names {
				communities[name] = id
			}
		}
		cid, ok := communities[as.Community]
		if !ok {
			return changed, fmt.Errorf("asset seed: %s: no community %q", as.Code, as.Community)
		}
		inp := AssetInput{CommunityID: cid, Code: as.Code, Name: as.Name, Category: as.Category, Brand: as.Brand, Model: as.Model,
			Supplier: as.Supplier, InstallDate: date(as.InstallDate), WarrantyEnd: date(as.WarrantyEnd)}
		var loc *Place
		if as.Location != "" {
			id, ok, err := s.places.FindPlace(jctx, tenantID, cid, as.Location)
			if err != nil {
				return changed, err
			}
			var p Place
			if ok {
				p, ok, err = s.places.Place(jctx, tenantID, id)
			}
			if err != nil {
				return changed, err
			}
			if !ok {
				return changed, fmt.Errorf("asset seed: %s: no location %q", as.Code, as.Location)
			}
			inp.LocationID, loc = &p.ID, &p
		}
		if fe := inp.Validate(); len(fe) > 0 || err != nil {
			return changed, fmt.Errorf("asset seed: %s: %v %v", as.Code, fe, err)
		}
		a, err := createAsset(tx, tenantID, inp, loc)
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
