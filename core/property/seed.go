package property

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"
)

// SeedData is the "property" section of a tenant manifest's seed data.
type SeedData struct {
	Communities []struct {
		Name      string `yaml:"name"`
		Code      string `yaml:"code"`
		Address   string `yaml:"address"`
		Buildings []struct {
			Name          string `yaml:"name"`
			Units         int    `yaml:"units"`
			Floors        int    `yaml:"floors"`
			RoomsPerFloor int    `yaml:"rooms_per_floor"`
			Numbering     string `yaml:"numbering"`
			BuiltArea     string `yaml:"built_area"`
			InteriorArea  string `yaml:"interior_area"`
			Layout        string `yaml:"layout"`
		} `yaml:"buildings"`
		CommonAreas []struct {
			Name     string `yaml:"name"`
			Category string `yaml:"category"`
			Area     string `yaml:"area"`
		} `yaml:"common_areas"`
	} `yaml:"communities"`
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

// SeedDemo creates the communities, generated buildings and common areas of
// the manifest's "property" seed section that do not exist yet (by name), so
// applying a manifest again changes nothing. Like every method it runs in
// its own tenant transaction, joining the caller's (the manifest's seeding
// transaction) when ctx carries one.
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
	data, err := decodeSeed[SeedData](raw)
	if err != nil {
		return false, fmt.Errorf("property seed: %w", err)
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		changed, err = s.seedDemo(ctx, tx, tenantID, data)
		return err
	})
	return changed, err
}

func (s *Service) seedDemo(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, data SeedData) (changed bool, err error) {
	area := func(s string) (*Area, error) {
		if s == "" {
			return nil, nil
		}
		a, err := ParseArea(s)
		return &a, err
	}
	for _, cs := range data.Communities {
		var c Community
		if err := in(tx, tenantID).Limit(1).Find(&c, "name = ?", cs.Name).Error; err != nil {
			return changed, err
		}
		if c.ID == uuid.Nil {
			c = Community{TenantID: tenantID, Name: cs.Name, Code: cs.Code, Address: cs.Address}
			if err := tx.Create(&c).Error; err != nil {
				return changed, err
			}
			changed = true
		}
		for _, bs := range cs.Buildings {
			var n int64
			if err := in(tx.Model(&Building{}), tenantID).Where("community_id = ? AND name = ?", c.ID, bs.Name).Count(&n).Error; err != nil {
				return changed, err
			}
			if n > 0 {
				continue
			}
			g := GenerateSpec{CommunityID: c.ID, Name: bs.Name, Units: bs.Units, Floors: bs.Floors, RoomsPerFloor: bs.RoomsPerFloor, Numbering: bs.Numbering, Layout: bs.Layout}
			if g.BuiltArea, err = area(bs.BuiltArea); err != nil {
				return changed, err
			}
			if g.InteriorArea, err = area(bs.InteriorArea); err != nil {
				return changed, err
			}
			if _, err := s.generate(ctx, tx, tenantID, g); err != nil {
				return changed, fmt.Errorf("property seed: building %s: %w", bs.Name, err)
			}
			changed = true
		}
		for _, as := range cs.CommonAreas {
			var n int64
			if err := in(tx.Model(&CommonArea{}), tenantID).Where("community_id = ? AND name = ?", c.ID, as.Name).Count(&n).Error; err != nil {
				return changed, err
			}
			if n > 0 {
				continue
			}
			a, err := area(as.Area)
			if err != nil {
				return changed, err
			}
			inp := CommonAreaInput{CommunityID: c.ID, Name: as.Name, Category: as.Category}
			if a != nil {
				inp.Area = *a
			}
			if _, err := createCommonArea(tx, tenantID, inp); err != nil {
				return changed, fmt.Errorf("property seed: common area %s: %w", as.Name, err)
			}
			changed = true
		}
	}
	return changed, nil
}

// ResolveRoom finds a room by building, unit and number as people write them
// ("1", "1栋" or "1号楼"; "2" or "2单元"); the residents' seeder names rooms so.
func (s *Service) ResolveRoom(ctx context.Context, tenantID uuid.UUID, building, unit, room string) (uuid.UUID, error) {
	var r Room
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Model(&Room{}).
			Joins("JOIN buildings b ON b.tenant_id = rooms.tenant_id AND b.id = rooms.building_id").
			Joins("JOIN units u ON u.tenant_id = rooms.tenant_id AND u.id = rooms.unit_id").
			Where("rooms.tenant_id = ? AND rooms.number = ?", tenantID, room).
			Where("b.name IN ?", []string{building, building + "栋", building + "号楼"}).
			Where("u.name IN ?", []string{unit, unit + "单元"}).
			Order("rooms.id").Take(&r).Error
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("room %s-%s-%s: %w", building, unit, room, err)
	}
	return r.ID, nil
}

// findLocation finds a location by name: a common area's name, or
// "building/unit/number" for a room.
func findLocation(tx *gorm.DB, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error) {
	var a CommonArea
	if err := in(tx, tenantID).Limit(1).Find(&a, "community_id = ? AND name = ?", communityID, name).Error; err != nil {
		return uuid.Nil, false, err
	}
	if a.ID != uuid.Nil {
		return a.ID, true, nil
	}
	var b, u, num string
	if _, err := fmt.Sscanf(slashes(name), "%s %s %s", &b, &u, &num); err != nil {
		return uuid.Nil, false, nil
	}
	var r Room
	err := in(tx, tenantID).Limit(1).
		Where("community_id = ? AND number = ?", communityID, num).
		Where("building_id IN (?)", in(tx.Model(&Building{}), tenantID).Select("id").Where("community_id = ? AND name = ?", communityID, b)).
		Where("unit_id IN (?)", in(tx.Model(&Unit{}), tenantID).Select("id").Where("name = ?", u)).
		Find(&r).Error
	return r.ID, r.ID != uuid.Nil, err
}

func slashes(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == '/' {
			out[i] = ' '
		}
	}
	return string(out)
}
