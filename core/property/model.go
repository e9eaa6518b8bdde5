// Package property holds the compound's master data: communities (小区),
// buildings (楼栋), units (单元), rooms (房屋) and common areas. Rooms and
// common areas are both locations that repairs and assets point at. A room's
// file gathers sections other features register (residents, work orders …).
package property

import (
	"time"

	"github.com/google/uuid"
)

// Community is a compound (小区).
type Community struct {
	TenantID  uuid.UUID `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID `gorm:"primaryKey" json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Address   string    `json:"address"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Building is a building (楼栋) of a community.
type Building struct {
	TenantID    uuid.UUID `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID `gorm:"primaryKey" json:"id"`
	CommunityID uuid.UUID `json:"community_id"`
	Name        string    `json:"name"`
	Floors      int       `json:"floors"`
	Notes       string    `json:"notes"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Unit is a stairwell unit (单元) of a building; every room belongs to one.
type Unit struct {
	TenantID   uuid.UUID `gorm:"primaryKey" json:"-"`
	ID         uuid.UUID `gorm:"primaryKey" json:"id"`
	BuildingID uuid.UUID `json:"building_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Usage is what a room is used for.
type Usage string

const (
	Residential Usage = "residential"
	Commercial  Usage = "commercial"
	Parking     Usage = "parking"
	Storage     Usage = "storage"
)

// Status is a room's occupancy state.
type Status string

const (
	Vacant         Status = "vacant"
	Occupied       Status = "occupied"
	Renovating     Status = "renovating"
	SoldUnoccupied Status = "sold_unoccupied"
)

// usageNames and statusNames map the stored value to its Chinese label; both
// are accepted on input (API and spreadsheets).
var (
	usageNames  = map[Usage]string{Residential: "住宅", Commercial: "商业", Parking: "车位", Storage: "储藏室"}
	statusNames = map[Status]string{Vacant: "空置", Occupied: "已入住", Renovating: "装修中", SoldUnoccupied: "已售未入住"}
)

// Room is a room (房屋): the unit of billing, occupancy and repairs.
type Room struct {
	TenantID       uuid.UUID   `gorm:"primaryKey" json:"-"`
	ID             uuid.UUID   `gorm:"primaryKey" json:"id"`
	CommunityID    uuid.UUID   `json:"community_id"`
	BuildingID     uuid.UUID   `json:"building_id"`
	UnitID         uuid.UUID   `json:"unit_id"`
	Number         string      `json:"number"`
	Floor          int         `json:"floor"`
	BuiltArea      Area        `json:"built_area"`    // 建筑面积
	InteriorArea   Area        `json:"interior_area"` // 套内面积
	SharedArea     Area        `json:"shared_area"`   // 公摊面积
	Layout         string      `json:"layout"`        // 户型, e.g. 3室2厅
	Orientation    string      `json:"orientation"`
	Structure      string      `json:"structure"`
	YearBuilt      int         `json:"year_built"`
	Usage          Usage       `json:"usage"`
	Status         Status      `json:"status"`
	FeeCoefficient Coefficient `json:"fee_coefficient"`
	Notes          string      `json:"notes"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// CommonArea is a shared place of a community (clubhouse, lobby, plant room …).
type CommonArea struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	CommunityID uuid.UUID  `json:"community_id"`
	BuildingID  *uuid.UUID `json:"building_id,omitempty"`
	Name        string     `json:"name"`
	Category    string     `json:"category"`
	Area        Area       `json:"area"`
	Notes       string     `json:"notes"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// CommonAreaCategories are the kinds of common area.
var CommonAreaCategories = []string{"clubhouse", "lobby", "plant_room", "garage", "garden", "gate", "corridor", "office", "other"}

// LocationKind says what a location id names.
type LocationKind string

const (
	LocationRoom       LocationKind = "room"
	LocationCommonArea LocationKind = "common_area"
)

// Location is anything a repair or an asset can point at: a room or a common
// area. Both are addressed by their own id (UUIDv7s never collide), so a
// reference elsewhere is one location_id column, resolved here.
type Location struct {
	ID          uuid.UUID    `json:"id"`
	Kind        LocationKind `json:"kind"`
	CommunityID uuid.UUID    `json:"community_id"`
	BuildingID  *uuid.UUID   `json:"building_id,omitempty"`
	Name        string       `json:"name"` // full path, e.g. 阳光花园 1栋 1单元 1201
}
