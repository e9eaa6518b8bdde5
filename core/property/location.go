package property

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
)

// CommonAreaInput creates or replaces a common area's editable fields.
type CommonAreaInput struct {
	CommunityID uuid.UUID  `json:"community_id"`
	BuildingID  *uuid.UUID `json:"building_id,omitempty"`
	Name        string     `json:"name"`
	Category    string     `json:"category"`
	Area        Area       `json:"area"`
	Notes       string     `json:"notes"`
}

func (c CommonAreaInput) Validate() []apperr.FieldError {
	fe := required("name", c.Name)
	if c.Category != "" && !slices.Contains(CommonAreaCategories, c.Category) {
		fe = append(fe, apperr.FieldError{Field: "category", Code: "unknown_category", EN: "category must be one of " + strings.Join(CommonAreaCategories, ", "), ZH: "类别必须是 " + strings.Join(CommonAreaCategories, "、") + " 之一"})
	}
	return fe
}

// CreateCommonArea adds a common area to a community.
func (s *Service) CreateCommonArea(ctx context.Context, tenantID uuid.UUID, inp CommonAreaInput) (a CommonArea, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return a, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		a, err = createCommonArea(tx, tenantID, inp)
		return err
	})
	return a, err
}

func createCommonArea(tx *gorm.DB, tenantID uuid.UUID, inp CommonAreaInput) (CommonArea, error) {
	var n int64
	if err := in(tx.Model(&Community{}), tenantID).Where("id = ?", inp.CommunityID).Count(&n).Error; err != nil {
		return CommonArea{}, err
	}
	if n == 0 {
		return CommonArea{}, ErrUnknownCommunity
	}
	if inp.BuildingID != nil {
		if err := in(tx.Model(&Building{}), tenantID).Where("id = ? AND community_id = ?", *inp.BuildingID, inp.CommunityID).Count(&n).Error; err != nil {
			return CommonArea{}, err
		}
		if n == 0 {
			return CommonArea{}, ErrUnknownBuilding
		}
	}
	if inp.Category == "" {
		inp.Category = "other"
	}
	a := CommonArea{TenantID: tenantID, CommunityID: inp.CommunityID, BuildingID: inp.BuildingID, Name: strings.TrimSpace(inp.Name), Category: inp.Category, Area: inp.Area, Notes: inp.Notes}
	return a, uniqueAs(tx.Create(&a).Error, ErrDuplicateName)
}

// CommonAreaFilter filters the common-area list.
type CommonAreaFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	Category    string `form:"category" json:"category"`
}

func (s *Service) ListCommonAreas(ctx context.Context, tenantID uuid.UUID, f CommonAreaFilter, p paging.Paging) (out []CommonArea, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&CommonArea{}), tenantID)
		if f.CommunityID != "" {
			q = q.Where("community_id = ?", parseOrNil(f.CommunityID))
		}
		if f.Category != "" {
			q = q.Where("category = ?", f.Category)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

func (s *Service) UpdateCommonArea(ctx context.Context, tenantID, id uuid.UUID, inp CommonAreaInput) (a CommonArea, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return a, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := notFound(in(tx, tenantID).First(&a, "id = ?", id).Error); err != nil {
			return err
		}
		if inp.Category == "" {
			inp.Category = a.Category
		}
		a.Name, a.Category, a.Area, a.Notes = strings.TrimSpace(inp.Name), inp.Category, inp.Area, inp.Notes
		return uniqueAs(tx.Save(&a).Error, ErrDuplicateName)
	})
	return a, err
}

func (s *Service) DeleteCommonArea(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := in(tx, tenantID).Delete(&CommonArea{}, "id = ?", id)
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.NotFound
		}
		return res.Error
	})
}

// Location resolves a location id for the API: 404 when the tenant has none.
func (s *Service) Location(ctx context.Context, tenantID, id uuid.UUID) (l Location, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		l, err = resolveLocation(tx, tenantID, id)
		if errors.Is(err, ErrLocationNotFound) {
			return apperr.NotFound
		}
		return err
	})
	return l, err
}

// ResolveLocation tells what a location id names (a room or a common area)
// and its full name; ErrLocationNotFound (400) when it is neither. Other
// domains call it (with store.Ctx(tx) to stay in their transaction) to check
// a location_id.
func (s *Service) ResolveLocation(ctx context.Context, tenantID, id uuid.UUID) (l Location, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		l, err = resolveLocation(tx, tenantID, id)
		return err
	})
	return l, err
}

// CommunityExists tells whether id is a community of the tenant.
func (s *Service) CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (ok bool, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		err := in(tx.Model(&Community{}), tenantID).Where("id = ?", id).Count(&n).Error
		ok = n > 0
		return err
	})
	return ok, err
}

// CommunityNames maps the tenant's community ids to their names (imports
// and exports of other domains name communities).
func (s *Service) CommunityNames(ctx context.Context, tenantID uuid.UUID) (out map[uuid.UUID]string, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var cs []Community
		if err := in(tx, tenantID).Select("id", "name").Find(&cs).Error; err != nil {
			return err
		}
		out = make(map[uuid.UUID]string, len(cs))
		for _, c := range cs {
			out[c.ID] = c.Name
		}
		return nil
	})
	return out, err
}

// FindLocation finds a location of a community by name, as imports write
// it: a common area's name, or "building unit number" ("1栋 1单元 101",
// slashes allowed) for a room.
func (s *Service) FindLocation(ctx context.Context, tenantID, communityID uuid.UUID, name string) (id uuid.UUID, ok bool, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		id, ok, err = findLocation(tx, tenantID, communityID, name)
		return err
	})
	return id, ok, err
}

func resolveLocation(tx *gorm.DB, tenantID, id uuid.UUID) (Location, error) {
	var r Room
	err := in(tx, tenantID).Limit(1).Find(&r, "id = ?", id).Error
	if err != nil {
		return Location{}, err
	}
	if r.ID != uuid.Nil {
		var c Community
		var b Building
		var u Unit
		in(tx, tenantID).Limit(1).Find(&c, "id = ?", r.CommunityID)
		in(tx, tenantID).Limit(1).Find(&b, "id = ?", r.BuildingID)
		if err := in(tx, tenantID).Limit(1).Find(&u, "id = ?", r.UnitID).Error; err != nil {
			return Location{}, err
		}
		bid := r.BuildingID
		return Location{ID: r.ID, Kind: LocationRoom, CommunityID: r.CommunityID, BuildingID: &bid,
			Name: strings.Join([]string{c.Name, b.Name, u.Name, r.Number}, " ")}, nil
	}
	var a CommonArea
	if err := in(tx, tenantID).Limit(1).Find(&a, "id = ?", id).Error; err != nil {
		return Location{}, err
	}
	if a.ID == uuid.Nil {
		return Location{}, ErrLocationNotFound
	}
	var c Community
	if err := in(tx, tenantID).Limit(1).Find(&c, "id = ?", a.CommunityID).Error; err != nil {
		return Location{}, err
	}
	return Location{ID: a.ID, Kind: LocationCommonArea, CommunityID: a.CommunityID, BuildingID: a.BuildingID, Name: c.Name + " " + a.Name}, nil
}
