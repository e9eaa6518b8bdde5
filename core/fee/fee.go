package fee

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Room is what pricing needs to know of a room (the property domain owns
// rooms): areas in hundredths of a m², the fee coefficient in ten-thousandths.
type Room struct {
	ID           uuid.UUID
	CommunityID  uuid.UUID
	BuildingID   uuid.UUID
	BuiltArea    int64
	InteriorArea int64
	Coefficient  int64
	Status       string // vacant, occupied, renovating, sold_unoccupied
}

// Residence is one person's stay in a room (the resident domain owns them).
// MoveOut is zero while they still live there.
type Residence struct {
	RoomID      uuid.UUID
	HouseholdID uuid.UUID
	Owner       bool
	MoveIn      civil.Date
	MoveOut     civil.Date
}

// Rooms is what this package needs from the property domain. Methods join
// the caller's transaction when ctx carries one (store.Ctx).
type Rooms interface {
	CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error)
	CommunityNames(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID]string, error)
	// FeeRoom reads one room; ok is false when the tenant has none.
	FeeRoom(ctx context.Context, tenantID, roomID uuid.UUID) (r Room, ok bool, err error)
	// FeeRooms reads up to limit rooms of a community in id order, after
	// the given id (uuid.Nil: from the start).
	FeeRooms(ctx context.Context, tenantID, communityID, after uuid.UUID, limit int) ([]Room, error)
}

// Residents is what this package needs from the resident domain: every
// residence (current or past) of the given rooms.
type Residents interface {
	Residences(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) ([]Residence, error)
}

// Service manages fee items, their rules, meters and readings, and prices rooms.
type Service struct {
	db        *store.DB
	rooms     Rooms
	residents Residents
}

// New returns a Service on db; rooms and residents are required.
func New(db *store.DB, rooms Rooms, residents Residents) (*Service, error) {
	if db == nil || rooms == nil || residents == nil {
		return nil, errors.New("fee: New needs a database, the property domain's rooms and the resident domain's residences")
	}
	return &Service{db: db, rooms: rooms, residents: residents}, nil
}

func in(tx *gorm.DB, tenantID uuid.UUID) *gorm.DB { return tx.Where("tenant_id = ?", tenantID) }

// Errors of this package: stable codes, part of the API contract.
var (
	ErrDuplicateCode    = apperr.New(apperr.KindConflict, "duplicate_fee_code", "Another fee item already has this code.", "已有相同编码的收费项目。")
	ErrUnknownCommunity = apperr.New(apperr.KindInvalid, "unknown_community", "No such community.", "小区不存在。")
	ErrUnknownRoom      = apperr.New(apperr.KindInvalid, "unknown_room", "No such room.", "房屋不存在。")
	ErrRoomNotFound     = apperr.New(apperr.KindNotFound, "unknown_room", "No such room.", "房屋不存在。")
	ErrUnknownItem      = apperr.New(apperr.KindNotFound, "unknown_fee_item", "No fee item has this code.", "没有此编码的收费项目。")
	ErrOverlap          = apperr.New(apperr.KindConflict, "overlapping_rules", "The rule's dates overlap another version of the same fee item.", "该规则的生效期间与同一收费项目的其他版本重叠。")
	ErrTooPrecise       = apperr.New(apperr.KindInvalid, "rate_too_precise", "A rate has more decimals than allowed (%d).", "费率的小数位数超过允许的位数(%d 位)。")
	ErrNegative         = apperr.New(apperr.KindInvalid, "negative_rate", "Rates and amounts cannot be negative.", "费率和金额不能为负数。")
	ErrBadRate          = apperr.New(apperr.KindInvalid, "invalid_rate", "A rate must be a decimal number such as 2.50.", "费率须为十进制数,例如 2.50。")
	ErrNotDraft         = apperr.New(apperr.KindConflict, "rule_not_draft", "Only a draft rule can be changed or activated.", "只有草稿状态的规则可以修改或启用。")
	ErrNotActive        = apperr.New(apperr.KindConflict, "rule_not_active", "Only an active rule can be retired.", "只有已启用的规则可以停用。")
	ErrKindChange       = apperr.New(apperr.KindConflict, "fee_kind_change", "An item with rule versions cannot change its kind; create a new item.", "已有规则版本的收费项目不能更改类型,请新建收费项目。")
	ErrItemInUse        = apperr.New(apperr.KindConflict, "fee_item_in_use", "The fee item has active rules; retire them first.", "该收费项目仍有启用中的规则,请先停用。")
	ErrUnknownMeter     = apperr.New(apperr.KindInvalid, "unknown_meter", "No such meter.", "表具不存在。")
	ErrDuplicateMeter   = apperr.New(apperr.KindConflict, "duplicate_meter", "Another meter of this kind already has this serial number.", "已有相同类型和表号的表具。")
	ErrReadingLower     = apperr.New(apperr.KindInvalid, "reading_lower_than_previous", "The reading is lower than the previous one; say rollover=true if the counter wrapped, or replace the meter.", "读数小于上次读数;如表具走满归零请标明 rollover=true,如换表请办理换表。")
	ErrReadingOrder     = apperr.New(apperr.KindConflict, "reading_out_of_order", "A reading for this or a later period already exists.", "该账期或更晚账期已有读数。")
	ErrMeterReplaced    = apperr.New(apperr.KindConflict, "meter_replaced", "The meter has been replaced; enter readings on its successor.", "该表具已更换,请在新表上录入读数。")
	ErrRollover         = apperr.New(apperr.KindInvalid, "invalid_rollover", "A roll-over reading must be lower than the previous one and within the meter's digits.", "走满归零的读数必须小于上次读数,且不超过表具位数。")
)
