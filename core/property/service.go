package property

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// QuotaFunc refuses adding n of a limited resource ("communities", "rooms")
// beyond the tenant's plan; tenant.Service.CheckQuota has this shape.
type QuotaFunc func(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, resource string, adding int) error

// Unlimited is the QuotaFunc of a property service without plan limits
// (tests, tools): it refuses nothing.
func Unlimited(context.Context, *gorm.DB, uuid.UUID, string, int) error { return nil }

// OccupancyChecker reads the residents' records of rooms, which this package
// does not own: of the given rooms, how many someone lives in now (occupied)
// and how many have any residence record, current or past (recorded). It is
// called inside this package's tenant transaction with store.Ctx(tx), so an
// implementation's InTenant joins it.
type OccupancyChecker interface {
	RoomOccupancy(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (occupied, recorded int64, err error)
}

// NoResidents is the OccupancyChecker of a property service running without
// the resident domain (tests, tools): nobody has a residence record, so the
// room status is the only sign of occupancy. Deletes then refuse rooms whose
// status says occupied; status edits are free.
type NoResidents struct{}

func (NoResidents) RoomOccupancy(context.Context, uuid.UUID, []uuid.UUID) (int64, int64, error) {
	return 0, 0, nil
}

// Quota resources this package owns.
const (
	ResourceCommunities = "communities"
	ResourceRooms       = "rooms"
)

// Service manages properties.
type Service struct {
	db        *store.DB
	quota     QuotaFunc
	occupancy OccupancyChecker

	sectionsMu sync.RWMutex
	sections   map[string]RoomSection
}

// New returns a Service on db. quota refuses rooms and communities beyond
// the tenant's plan (Unlimited: none); occupancy answers whether rooms are
// lived in (NoResidents without the resident domain). Both are required: a
// forgotten one would silently skip a check.
func New(db *store.DB, quota QuotaFunc, occupancy OccupancyChecker) (*Service, error) {
	if db == nil || quota == nil || occupancy == nil {
		return nil, errors.New("property: New needs a database, a quota check and an occupancy checker")
	}
	return &Service{db: db, quota: quota, occupancy: occupancy, sections: map[string]RoomSection{}}, nil
}

// Errors of this package.
var (
	ErrDuplicateRoom      = apperr.New(apperr.KindConflict, "duplicate_room_number", "This unit already has a room with that number.", "该单元已有相同房号的房屋。")
	ErrDuplicateName      = apperr.New(apperr.KindConflict, "duplicate_name", "Another object here already has that name.", "此处已有同名对象。")
	ErrOccupied           = apperr.New(apperr.KindConflict, "building_has_occupied_rooms", "The building still has occupied rooms; move the residents out first.", "该楼栋仍有已入住的房屋,请先办理迁出。")
	ErrCommunityNotEmpty  = apperr.New(apperr.KindConflict, "community_not_empty", "The community still has buildings or common areas; delete them first.", "该小区下仍有楼栋或公共区域,请先删除。")
	ErrRoomOccupied       = apperr.New(apperr.KindConflict, "room_occupied", "The room is occupied; move the residents out first.", "该房屋已入住,请先办理迁出。")
	ErrRoomHasHistory     = apperr.New(apperr.KindConflict, "room_has_history", "The room has residence records (past residents); it is kept so that history stays whole.", "该房屋有住户记录(含已迁出),为保留历史不能删除。")
	ErrUnknownCommunity   = apperr.New(apperr.KindInvalid, "unknown_community", "No such community.", "小区不存在。")
	ErrUnknownBuilding    = apperr.New(apperr.KindInvalid, "unknown_building", "No such building.", "楼栋不存在。")
	ErrUnknownUnit        = apperr.New(apperr.KindInvalid, "unknown_unit", "No such unit.", "单元不存在。")
	ErrLocationNotFound   = apperr.New(apperr.KindInvalid, "unknown_location", "The location is neither a room nor a common area of this tenant.", "位置既不是本租户的房屋,也不是公共区域。")
	ErrInvalidNumbering   = apperr.New(apperr.KindInvalid, "invalid_numbering", "The numbering rule is invalid: %s.", "编号规则无效:%s。")
	ErrGenerateTooLarge   = apperr.New(apperr.KindInvalid, "generate_too_large", "A generated building may have at most 50 units, 200 floors, 50 rooms per floor and 20000 rooms.", "批量生成最多 50 个单元、200 层、每层 50 户、共 20000 户。")
	errNothingToUpdateAny = apperr.New(apperr.KindInvalid, "nothing_to_update", "The request changes nothing.", "请求没有修改任何内容。")
)

// notFound maps a missing row to apperr.NotFound.
var notFound = store.NotFound

// uniqueAs maps a unique violation to e.
func uniqueAs(err error, e *apperr.Error) error {
	if store.IsUniqueViolation(err) {
		return e
	}
	return err
}

// in scopes a query to the tenant explicitly, so the functions taking a tx
// work inside store.Platform as well as store.InTenant.
func in(tx *gorm.DB, tenantID uuid.UUID) *gorm.DB { return tx.Where("tenant_id = ?", tenantID) }

func required(field, v string) []apperr.FieldError {
	if strings.TrimSpace(v) == "" {
		return []apperr.FieldError{{Field: field, Code: "required", EN: field + " is required", ZH: field + " 不能为空"}}
	}
	if len(v) > 200 {
		return []apperr.FieldError{{Field: field, Code: "too_long", EN: field + " is longer than 200 bytes", ZH: field + " 超过 200 字节"}}
	}
	return nil
}

func invalid(fe []apperr.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return apperr.Invalid.WithDetails(fe)
}

func (s *Service) checkQuota(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, resource string, n int) error {
	if n <= 0 {
		return nil
	}
	return s.quota(ctx, tx, tenantID, resource, n)
}

// CountCommunities counts a tenant's communities (a tenant.Counter: the
// quota check runs inside the caller's transaction, platform or tenant).
func CountCommunities(tx *gorm.DB, tenantID uuid.UUID) (int64, error) {
	var n int64
	err := in(tx.Model(&Community{}), tenantID).Count(&n).Error
	return n, err
}

// CountRooms counts a tenant's rooms (a tenant.Counter, as CountCommunities).
func CountRooms(tx *gorm.DB, tenantID uuid.UUID) (int64, error) {
	var n int64
	err := in(tx.Model(&Room{}), tenantID).Count(&n).Error
	return n, err
}

// ---- communities

// CommunityInput creates or replaces a community's editable fields.
type CommunityInput struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Notes   string `json:"notes"`
}

func (in CommunityInput) Validate() []apperr.FieldError { return required("name", in.Name) }

func (s *Service) CreateCommunity(ctx context.Context, tenantID uuid.UUID, inp CommunityInput) (c Community, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return c, err
	}
	c = Community{TenantID: tenantID, Code: inp.Code, Name: strings.TrimSpace(inp.Name), Address: inp.Address, Notes: inp.Notes}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := s.checkQuota(ctx, tx, tenantID, ResourceCommunities, 1); err != nil {
			return err
		}
		return uniqueAs(tx.Create(&c).Error, ErrDuplicateName)
	})
	return c, err
}

func (s *Service) GetCommunity(ctx context.Context, tenantID, id uuid.UUID) (c Community, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return notFound(in(tx, tenantID).First(&c, "id = ?", id).Error)
	})
	return c, err
}

// CommunityFilter filters the community list.
type CommunityFilter struct {
	Q string `form:"q" json:"q"` // name contains
}

func (s *Service) ListCommunities(ctx context.Context, tenantID uuid.UUID, f CommunityFilter, p paging.Paging) (out []Community, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Community{}), tenantID)
		if f.Q != "" {
			q = q.Where("name LIKE ?", "%"+f.Q+"%")
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

func (s *Service) UpdateCommunity(ctx context.Context, tenantID, id uuid.UUID, inp CommunityInput) (c Community, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return c, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := notFound(in(tx, tenantID).First(&c, "id = ?", id).Error); err != nil {
			return err
		}
		c.Code, c.Name, c.Address, c.Notes = inp.Code, strings.TrimSpace(inp.Name), inp.Address, inp.Notes
		return uniqueAs(tx.Save(&c).Error, ErrDuplicateName)
	})
	return c, err
}

func (s *Service) DeleteCommunity(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var c Community
		if err := notFound(in(tx, tenantID).First(&c, "id = ?", id).Error); err != nil {
			return err
		}
		var n, m int64
		if err := in(tx.Model(&Building{}), tenantID).Where("community_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if err := in(tx.Model(&CommonArea{}), tenantID).Where("community_id = ?", id).Count(&m).Error; err != nil {
			return err
		}
		if n+m > 0 {
			return ErrCommunityNotEmpty.WithDetails(map[string]int64{"buildings": n, "common_areas": m})
		}
		return in(tx, tenantID).Delete(&Community{}, "id = ?", id).Error
	})
}

// ---- buildings

// BuildingInput creates or replaces a building's editable fields.
type BuildingInput struct {
	CommunityID uuid.UUID `json:"community_id"`
	Name        string    `json:"name"`
	Floors      int       `json:"floors"`
	Notes       string    `json:"notes"`
}

func (b BuildingInput) Validate() []apperr.FieldError {
	fe := required("name", b.Name)
	if b.Floors < 0 || b.Floors > 200 {
		fe = append(fe, apperr.FieldError{Field: "floors", Code: "out_of_range", EN: "floors must be between 0 and 200", ZH: "楼层数必须在 0 到 200 之间"})
	}
	return fe
}

func (s *Service) CreateBuilding(ctx context.Context, tenantID uuid.UUID, inp BuildingInput) (b Building, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return b, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		b, err = createBuilding(tx, tenantID, inp)
		return err
	})
	return b, err
}

func createBuilding(tx *gorm.DB, tenantID uuid.UUID, inp BuildingInput) (Building, error) {
	var n int64
	if err := in(tx.Model(&Community{}), tenantID).Where("id = ?", inp.CommunityID).Count(&n).Error; err != nil {
		return Building{}, err
	}
	if n == 0 {
		return Building{}, ErrUnknownCommunity
	}
	b := Building{TenantID: tenantID, CommunityID: inp.CommunityID, Name: strings.TrimSpace(inp.Name), Floors: inp.Floors, Notes: inp.Notes}
	return b, uniqueAs(tx.Create(&b).Error, ErrDuplicateName)
}

func (s *Service) GetBuilding(ctx context.Context, tenantID, id uuid.UUID) (b Building, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return notFound(in(tx, tenantID).First(&b, "id = ?", id).Error)
	})
	return b, err
}

// BuildingFilter filters the building list.
type BuildingFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	Q           string `form:"q" json:"q"`
}

func (s *Service) ListBuildings(ctx context.Context, tenantID uuid.UUID, f BuildingFilter, p paging.Paging) (out []Building, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Building{}), tenantID)
		if f.CommunityID != "" {
			q = q.Where("community_id = ?", parseOrNil(f.CommunityID))
		}
		if f.Q != "" {
			q = q.Where("name LIKE ?", "%"+f.Q+"%")
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// parseOrNil turns a filter id into a UUID; a malformed one matches nothing.
func parseOrNil(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

func (s *Service) UpdateBuilding(ctx context.Context, tenantID, id uuid.UUID, inp BuildingInput) (b Building, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return b, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := notFound(in(tx, tenantID).First(&b, "id = ?", id).Error); err != nil {
			return err
		}
		b.Name, b.Floors, b.Notes = strings.TrimSpace(inp.Name), inp.Floors, inp.Notes
		return uniqueAs(tx.Save(&b).Error, ErrDuplicateName)
	})
	return b, err
}

// DeleteBuilding removes a building with its units and rooms, refusing while
// any room is occupied or has residence records (see roomsFree).
func (s *Service) DeleteBuilding(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var b Building
		if err := notFound(in(tx, tenantID).First(&b, "id = ?", id).Error); err != nil {
			return err
		}
		if err := s.roomsFree(ctx, tx, tenantID, "building_id", id, ErrOccupied); err != nil {
			return err
		}
		if err := in(tx.Model(&CommonArea{}), tenantID).Where("building_id = ?", id).Update("building_id", nil).Error; err != nil {
			return err
		}
		if err := in(tx, tenantID).Where("building_id = ?", id).Delete(&Room{}).Error; err != nil {
			return historyAs(err)
		}
		if err := in(tx, tenantID).Where("building_id = ?", id).Delete(&Unit{}).Error; err != nil {
			return err
		}
		return in(tx, tenantID).Delete(&Building{}, "id = ?", id).Error
	})
}

// roomsFree refuses (409) deleting the rooms whose col equals id while anyone
// lives in one (occupied, answered as ErrOccupied or ErrRoomOccupied) or any
// has residence records (room_has_history): occupancies and households keep
// pointing at their room, and the database refuses the delete too (foreign
// keys, ON DELETE RESTRICT). Occupancy is read from the residents' records,
// not from the status a user may edit; with NoResidents the status is all
// there is.
func (s *Service) roomsFree(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, col string, id uuid.UUID, occupiedErr *apperr.Error) error {
	q := func() *gorm.DB { return in(tx.Model(&Room{}), tenantID).Where(col+" = ?", id) }
	var occupied, recorded int64
	if _, alone := s.occupancy.(NoResidents); alone {
		if err := q().Where("status = ?", Occupied).Count(&occupied).Error; err != nil {
			return err
		}
	} else {
		var ids []uuid.UUID
		if err := q().Pluck("id", &ids).Error; err != nil {
			return err
		}
		var err error
		if occupied, recorded, err = s.occupancy.RoomOccupancy(store.Ctx(tx), tenantID, ids); err != nil {
			return err
		}
	}
	if occupied > 0 {
		if occupiedErr == ErrRoomOccupied {
			return ErrRoomOccupied
		}
		return occupiedErr.WithDetails(map[string]int64{"occupied_rooms": occupied})
	}
	if recorded > 0 {
		return ErrRoomHasHistory.WithDetails(map[string]int64{"rooms_with_history": recorded})
	}
	return nil
}

// historyAs maps the database's foreign-key refusal of a room delete (the
// residents' records still point at it) to room_has_history.
func historyAs(err error) error {
	if err == nil {
		return nil
	}
	if m := err.Error(); strings.Contains(m, "SQLSTATE 23503") || strings.Contains(m, "FOREIGN KEY constraint failed") {
		return ErrRoomHasHistory
	}
	return err
}

// ---- units

// UnitInput creates a unit.
type UnitInput struct {
	BuildingID uuid.UUID `json:"building_id"`
	Name       string    `json:"name"`
}

func (u UnitInput) Validate() []apperr.FieldError { return required("name", u.Name) }

func (s *Service) CreateUnit(ctx context.Context, tenantID uuid.UUID, inp UnitInput) (u Unit, err error) {
	if err := invalid(inp.Validate()); err != nil {
		return u, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		if err := in(tx.Model(&Building{}), tenantID).Where("id = ?", inp.BuildingID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrUnknownBuilding
		}
		u = Unit{TenantID: tenantID, BuildingID: inp.BuildingID, Name: strings.TrimSpace(inp.Name)}
		return uniqueAs(tx.Create(&u).Error, ErrDuplicateName)
	})
	return u, err
}

func (s *Service) GetUnit(ctx context.Context, tenantID, id uuid.UUID) (u Unit, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return notFound(in(tx, tenantID).First(&u, "id = ?", id).Error)
	})
	return u, err
}

// UnitFilter filters the unit list.
type UnitFilter struct {
	BuildingID string `form:"building_id" json:"building_id"`
}

func (s *Service) ListUnits(ctx context.Context, tenantID uuid.UUID, f UnitFilter, p paging.Paging) (out []Unit, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Unit{}), tenantID)
		if f.BuildingID != "" {
			q = q.Where("building_id = ?", parseOrNil(f.BuildingID))
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

func (s *Service) DeleteUnit(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var u Unit
		if err := notFound(in(tx, tenantID).First(&u, "id = ?", id).Error); err != nil {
			return err
		}
		if err := s.roomsFree(ctx, tx, tenantID, "unit_id", id, ErrOccupied); err != nil {
			return err
		}
		if err := in(tx, tenantID).Where("unit_id = ?", id).Delete(&Room{}).Error; err != nil {
			return historyAs(err)
		}
		return in(tx, tenantID).Delete(&Unit{}, "id = ?", id).Error
	})
}
