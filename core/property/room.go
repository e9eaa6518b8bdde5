package property

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// RoomInput is a room's editable fields. On create, nil means the default
// (usage residential, status vacant, fee coefficient 1.0000); on PATCH, nil
// leaves the field as it is.
type RoomInput struct {
	UnitID         *uuid.UUID   `json:"unit_id,omitempty"`
	Number         *string      `json:"number,omitempty"`
	Floor          *int         `json:"floor,omitempty"`
	BuiltArea      *Area        `json:"built_area,omitempty"`
	InteriorArea   *Area        `json:"interior_area,omitempty"`
	SharedArea     *Area        `json:"shared_area,omitempty"`
	Layout         *string      `json:"layout,omitempty"`
	Orientation    *string      `json:"orientation,omitempty"`
	Structure      *string      `json:"structure,omitempty"`
	YearBuilt      *int         `json:"year_built,omitempty"`
	Usage          *Usage       `json:"usage,omitempty"`
	Status         *Status      `json:"status,omitempty"`
	FeeCoefficient *Coefficient `json:"fee_coefficient,omitempty"`
	Notes          *string      `json:"notes,omitempty"`
}

// apply copies the set fields onto r.
func (p RoomInput) apply(r *Room) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&r.Number, p.Number)
	set(&r.Layout, p.Layout)
	set(&r.Orientation, p.Orientation)
	set(&r.Structure, p.Structure)
	if p.Notes != nil {
		r.Notes = *p.Notes
	}
	if p.Floor != nil {
		r.Floor = *p.Floor
	}
	if p.YearBuilt != nil {
		r.YearBuilt = *p.YearBuilt
	}
	if p.Usage != nil {
		r.Usage = *p.Usage
	}
	if p.Status != nil {
		r.Status = *p.Status
	}
	if p.FeeCoefficient != nil {
		r.FeeCoefficient = *p.FeeCoefficient
	}
	sharedGiven := p.SharedArea != nil
	if p.BuiltArea != nil {
		r.BuiltArea = *p.BuiltArea
	}
	if p.InteriorArea != nil {
		r.InteriorArea = *p.InteriorArea
	}
	if sharedGiven {
		r.SharedArea = *p.SharedArea
	} else if (p.BuiltArea != nil || p.InteriorArea != nil) && r.InteriorArea > 0 && r.BuiltArea >= r.InteriorArea {
		// 公摊 = 建筑面积 − 套内面积 when not stated.
		r.SharedArea = r.BuiltArea - r.InteriorArea
	}
}

// ParseUsage accepts the stored value or its Chinese label.
func ParseUsage(s string) (Usage, bool) {
	s = strings.TrimSpace(s)
	for u, zh := range usageNames {
		if s == string(u) || s == zh {
			return u, true
		}
	}
	return "", false
}

// ParseStatus accepts the stored value or its Chinese label.
func ParseStatus(s string) (Status, bool) {
	s = strings.TrimSpace(s)
	for st, zh := range statusNames {
		if s == string(st) || s == zh {
			return st, true
		}
	}
	return "", false
}

// UnmarshalText makes JSON accept a Chinese label too; unknown values stay as
// given and checkRoom reports them with the field name.
func (u *Usage) UnmarshalText(b []byte) error {
	if v, ok := ParseUsage(string(b)); ok {
		*u = v
	} else {
		*u = Usage(b)
	}
	return nil
}

func (s *Status) UnmarshalText(b []byte) error {
	if v, ok := ParseStatus(string(b)); ok {
		*s = v
	} else {
		*s = Status(b)
	}
	return nil
}

// checkRoom reports every problem of r, each naming its field.
func checkRoom(r Room) []apperr.FieldError {
	var fe []apperr.FieldError
	add := func(field, code, en, zh string) {
		fe = append(fe, apperr.FieldError{Field: field, Code: code, EN: en, ZH: zh})
	}
	switch {
	case r.Number == "":
		add("number", "required", "number is required", "房号不能为空")
	case len(r.Number) > 32:
		add("number", "too_long", "number is longer than 32 bytes", "房号超过 32 字节")
	}
	if r.Floor < -10 || r.Floor > 200 {
		add("floor", "out_of_range", "floor must be between -10 and 200", "楼层必须在 -10 到 200 之间")
	}
	if r.InteriorArea > r.BuiltArea && r.BuiltArea > 0 {
		add("interior_area", "area_mismatch", "interior area is larger than built-up area", "套内面积大于建筑面积")
	}
	if r.BuiltArea > 0 && r.InteriorArea > 0 && r.InteriorArea+r.SharedArea != r.BuiltArea {
		add("shared_area", "area_mismatch", "interior area plus shared area must equal built-up area", "套内面积加公摊面积必须等于建筑面积")
	}
	if r.YearBuilt != 0 && (r.YearBuilt < 1900 || r.YearBuilt > time.Now().Year()+5) {
		add("year_built", "out_of_range", "year built must be between 1900 and five years from now", "建成年份必须在 1900 年到五年后之间")
	}
	if _, ok := usageNames[r.Usage]; !ok {
		add("usage", "unknown_usage", "usage must be residential, commercial, parking or storage", "用途必须是 住宅、商业、车位 或 储藏室")
	}
	if _, ok := statusNames[r.Status]; !ok {
		add("status", "unknown_status", "status must be vacant, occupied, renovating or sold_unoccupied", "状态必须是 空置、已入住、装修中 或 已售未入住")
	}
	for _, f := range []struct{ name, v string }{{"layout", r.Layout}, {"orientation", r.Orientation}, {"structure", r.Structure}} {
		if len(f.v) > 64 {
			add(f.name, "too_long", f.name+" is longer than 64 bytes", f.name+" 超过 64 字节")
		}
	}
	if len(r.Notes) > 2000 {
		add("notes", "too_long", "notes are longer than 2000 bytes", "备注超过 2000 字节")
	}
	return fe
}

func newRoom(tenantID uuid.UUID) Room {
	return Room{TenantID: tenantID, Usage: Residential, Status: Vacant, FeeCoefficient: 10000}
}

// CreateRoom adds a room to a unit.
func (s *Service) CreateRoom(ctx context.Context, tenantID uuid.UUID, inp RoomInput) (r Room, err error) {
	if inp.UnitID == nil {
		return r, apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "unit_id", Code: "required", EN: "unit_id is required", ZH: "单元不能为空"}})
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var u Unit
		if err := in(tx, tenantID).First(&u, "id = ?", *inp.UnitID).Error; err != nil {
			return notFoundAs(err, ErrUnknownUnit)
		}
		var b Building
		if err := in(tx, tenantID).First(&b, "id = ?", u.BuildingID).Error; err != nil {
			return err
		}
		r = newRoom(tenantID)
		r.CommunityID, r.BuildingID, r.UnitID = b.CommunityID, b.ID, u.ID
		inp.apply(&r)
		if err := invalid(checkRoom(r)); err != nil {
			return err
		}
		if err := s.checkQuota(ctx, tx, tenantID, ResourceRooms, 1); err != nil {
			return err
		}
		return uniqueAs(tx.Create(&r).Error, ErrDuplicateRoom)
	})
	return r, err
}

func notFoundAs(err error, e *apperr.Error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return e
	}
	return err
}

func (s *Service) GetRoom(ctx context.Context, tenantID, id uuid.UUID) (r Room, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return notFound(in(tx, tenantID).First(&r, "id = ?", id).Error)
	})
	return r, err
}

// UpdateRoom changes the set fields of a room (moving it to another unit included).
func (s *Service) UpdateRoom(ctx context.Context, tenantID, id uuid.UUID, inp RoomInput) (r Room, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := notFound(in(tx, tenantID).First(&r, "id = ?", id).Error); err != nil {
			return err
		}
		if inp.UnitID != nil && *inp.UnitID != r.UnitID {
			var u Unit
			if err := in(tx, tenantID).First(&u, "id = ?", *inp.UnitID).Error; err != nil {
				return notFoundAs(err, ErrUnknownUnit)
			}
			var b Building
			if err := in(tx, tenantID).First(&b, "id = ?", u.BuildingID).Error; err != nil {
				return err
			}
			r.CommunityID, r.BuildingID, r.UnitID = b.CommunityID, b.ID, u.ID
		}
		was := r.Status
		inp.apply(&r)
		if err := invalid(checkRoom(r)); err != nil {
			return err
		}
		// Residents live here: the status may not say it is empty (their
		// move-out sets it vacant). Renovating while lived in is allowed.
		if r.Status != was && (r.Status == Vacant || r.Status == SoldUnoccupied) {
			occupied, _, err := s.occupancy.RoomOccupancy(store.Ctx(tx), tenantID, []uuid.UUID{r.ID})
			if err != nil {
				return err
			}
			if occupied > 0 {
				return ErrRoomOccupied.WithDetails(map[string]string{"field": "status"})
			}
		}
		return uniqueAs(tx.Save(&r).Error, ErrDuplicateRoom)
	})
	return r, err
}

// DeleteRoom removes a room nobody lives in and nobody ever did (409
// room_occupied or room_has_history otherwise, see roomsFree).
func (s *Service) DeleteRoom(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var r Room
		if err := notFound(in(tx, tenantID).First(&r, "id = ?", id).Error); err != nil {
			return err
		}
		if err := s.roomsFree(ctx, tx, tenantID, "id", id, ErrRoomOccupied); err != nil {
			return err
		}
		return historyAs(in(tx, tenantID).Delete(&Room{}, "id = ?", id).Error)
	})
}

// RoomFilter filters the room list and the room export.
type RoomFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	BuildingID  string `form:"building_id" json:"building_id"`
	UnitID      string `form:"unit_id" json:"unit_id"`
	Number      string `form:"number" json:"number"` // prefix
	Floor       *int   `form:"floor" json:"floor"`
	Usage       string `form:"usage" json:"usage"`
	Status      string `form:"status" json:"status"`
}

func (f RoomFilter) apply(q *gorm.DB) *gorm.DB {
	for col, v := range map[string]string{"community_id": f.CommunityID, "building_id": f.BuildingID, "unit_id": f.UnitID} {
		if v != "" {
			q = q.Where(col+" = ?", parseOrNil(v))
		}
	}
	if f.Number != "" {
		q = q.Where("number LIKE ?", f.Number+"%")
	}
	if f.Floor != nil {
		q = q.Where("floor = ?", *f.Floor)
	}
	if f.Usage != "" {
		u, _ := ParseUsage(f.Usage)
		q = q.Where("usage = ?", u)
	}
	if f.Status != "" {
		st, _ := ParseStatus(f.Status)
		q = q.Where("status = ?", st)
	}
	return q
}

// ListRooms lists a page of rooms matching f.
func (s *Service) ListRooms(ctx context.Context, tenantID uuid.UUID, f RoomFilter, p paging.Paging) (out []Room, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := f.apply(in(tx.Model(&Room{}), tenantID))
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}
