package fee

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/store"
)

// SeedData is the "fees" section of a tenant manifest's seed data. It runs
// after "property" and "residents": communities are named, rooms exist.
type SeedData []SeedCommunity

// SeedCommunity is one community's fee items and meters.
type SeedCommunity struct {
	Community string     `yaml:"community"`
	Items     []SeedItem `yaml:"items"`
	Meters    SeedMeters `yaml:"meters"`
}

// SeedItem is an item with its first (active) version.
type SeedItem struct {
	ItemInput `yaml:",inline"`
	From      string `yaml:"from"` // the version's start, relative to today ("-1y")
	Rate      string `yaml:"rate"`
	Tiers     []Tier `yaml:"tiers"`
	Meter     string `yaml:"meter"` // shared items: the serial of a common meter
}

// SeedMeters asks for a water and an electricity meter for each of the
// community's first Rooms rooms, and common electricity meters, each with
// Months of readings up to last month.
type SeedMeters struct {
	Rooms  int      `yaml:"rooms"`
	Months int      `yaml:"months"`
	Common []string `yaml:"common"`
}

func decodeSeed(raw any) (SeedData, error) {
	var out SeedData
	b, err := yaml.Marshal(raw)
	if err != nil {
		return out, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(&out)
	return out, err
}

// SeedDemo creates the demo fee items, meters and readings that do not
// exist yet (by item code), in one tenant transaction.
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
	data, err := decodeSeed(raw)
	if err != nil {
		return false, fmt.Errorf("fee seed: %w", err)
	}
	today := civil.TodayOf(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		names, err := s.rooms.CommunityNames(store.Ctx(tx), tenantID)
		if err != nil {
			return err
		}
		for _, c := range data {
			cid := uuid.Nil
			for id, n := range names {
				if n == c.Community {
					cid = id
				}
			}
			if cid == uuid.Nil {
				return fmt.Errorf("fee seed: no community %q", c.Community)
			}
			var n int64
			if err := in(tx.Model(&Item{}), tenantID).Where("community_id = ?", cid).Count(&n).Error; err != nil || n > 0 {
				return err
			}
			if err := s.seedCommunity(tx, tenantID, cid, c, today); err != nil {
				return fmt.Errorf("fee seed: %w", err)
			}
			changed = true
		}
		return nil
	})
	return changed, err
}

func (s *Service) seedCommunity(tx *gorm.DB, tenantID, cid uuid.UUID, c SeedCommunity, today civil.Date) error {
	common, err := s.seedMeters(tx, tenantID, cid, c.Meters.Rooms, c.Meters.Months, c.Meters.Common, today)
	if err != nil {
		return err
	}
	for _, si := range c.Items {
		inp := si.ItemInput
		inp.CommunityID = cid
		if si.Meter != "" {
			id := common[si.Meter]
			inp.CommonMeterID = &id
		}
		if err := inp.Validate(); err != nil {
			return fmt.Errorf("%s: %w", inp.Code, err)
		}
		it := Item{TenantID: tenantID}
		inp.apply(&it)
		if err := tx.Create(&it).Error; err != nil {
			return err
		}
		if it.Kind == KindOneOff {
			continue
		}
		from, err := civil.ParseRelative(si.From, today)
		if err != nil {
			return err
		}
		ri := RuleInput{ValidFrom: civil.PeriodOf(from).Start(), Rate: si.Rate, Tiers: si.Tiers}
		if err := ri.check(it); err != nil {
			return fmt.Errorf("%s: %w", inp.Code, err)
		}
		r := Rule{TenantID: tenantID, ItemID: it.ID, Version: 1, Status: StatusActive}
		ri.apply(&r, it)
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
	}
	return nil
}

// seedMeters registers meters with months of plausible readings ending
// last month; it returns the common meters by serial.
func (s *Service) seedMeters(tx *gorm.DB, tenantID, cid uuid.UUID, rooms, months int, common []string, today civil.Date) (map[string]uuid.UUID, error) {
	list, err := s.rooms.FeeRooms(store.Ctx(tx), tenantID, cid, uuid.Nil, rooms)
	if err != nil {
		return nil, err
	}
	first := civil.PeriodOf(today).Add(-months)
	out := map[string]uuid.UUID{}
	type spec struct {
		room   *uuid.UUID
		kind   string
		serial string
		base   int64 // typical monthly use, whole units
	}
	var specs []spec
	for i, r := range list {
		id := r.ID
		specs = append(specs, spec{&id, "water", fmt.Sprintf("W-%04d", i+1), 8 + int64(i%5)},
			spec{&id, "electricity", fmt.Sprintf("E-%04d", i+1), 150 + int64(i%7)*20})
	}
	for _, c := range common {
		specs = append(specs, spec{nil, "electricity", c, 1200})
	}
	for i, sp := range specs {
		m := Meter{TenantID: tenantID, CommunityID: cid, RoomID: sp.room, Kind: sp.kind, Serial: sp.serial, Digits: 6,
			InstalledOn: first.Start().AddDays(-1), Status: MeterActive, StartReading: int64(i%10) * 1000}
		if err := tx.Create(&m).Error; err != nil {
			return nil, err
		}
		if sp.room == nil {
			out[sp.serial] = m.ID
		}
		value := m.StartReading
		for k := range months {
			p := first.Add(k)
			// Seasonal swing: more in summer and winter, deterministic per meter.
			used := (sp.base + int64((i*7+k*3)%9) + seasonal(p)*sp.base/10) * 1000
			value += used
			r := Reading{TenantID: tenantID, MeterID: m.ID, RoomID: sp.room, Period: p.String(), ReadOn: p.End(), Value: value, Consumption: used,
				Note: "demo " + decimal.Format(used, ReadingScale)}
			if err := tx.Create(&r).Error; err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func seasonal(p civil.Period) int64 {
	switch p.Month {
	case 6, 7, 8, 12, 1:
		return 3
	}
	return 0
}
