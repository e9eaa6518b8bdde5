package resident

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Resident self-service: a resident user sees the rooms their linked person
// lives in now and the people living there, and nothing else.

// MyRoom is a room the signed-in resident lives in, with its occupants.
type MyRoom struct {
	RoomID uuid.UUID `json:"room_id"`
	// Where the room is, for the resident's screens: 小区, 楼栋, 单元, 房号.
	Community string     `json:"community"`
	Building  string     `json:"building"`
	Unit      string     `json:"unit"`
	Room      string     `json:"room"`
	Role      string     `json:"role"` // the resident's own role in the room
	Occupants []Occupant `json:"occupants"`
}

// linkedPerson returns the person linked to a user account; found is false when none is.
func linkedPerson(tx *gorm.DB, tenantID, userID uuid.UUID) (uuid.UUID, bool, error) {
	var row personRow
	err := tx.Select("id").Where("tenant_id = ? AND user_id = ?", tenantID, userID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return uuid.Nil, false, nil
	}
	return row.ID, err == nil, err
}

// MyRooms lists the rooms the user's person lives in now (empty when the
// account is linked to no person).
func (s *Service) MyRooms(ctx context.Context, tenantID, userID uuid.UUID) (out []MyRoom, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.myRooms(tx, tenantID, userID)
		return err
	})
	return out, err
}

func (s *Service) myRooms(tx *gorm.DB, tenantID, userID uuid.UUID) ([]MyRoom, error) {
	pid, ok, err := linkedPerson(tx, tenantID, userID)
	if err != nil || !ok {
		return []MyRoom{}, err
	}
	var occ []occupancyRow
	if err := tx.Where("tenant_id = ? AND person_id = ? AND move_out IS NULL", tenantID, pid).Order("move_in, id").Find(&occ).Error; err != nil {
		return nil, err
	}
	out := make([]MyRoom, 0, len(occ))
	for _, o := range occ {
		r, err := s.roomFor(tx, tenantID, o)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// MyRoomByID returns one of the user's rooms; any other room is not_found.
func (s *Service) MyRoomByID(ctx context.Context, tenantID, userID, roomID uuid.UUID) (out MyRoom, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.myRoomByID(tx, tenantID, userID, roomID)
		return err
	})
	return out, err
}

func (s *Service) myRoomByID(tx *gorm.DB, tenantID, userID, roomID uuid.UUID) (MyRoom, error) {
	pid, ok, err := linkedPerson(tx, tenantID, userID)
	if err != nil {
		return MyRoom{}, err
	}
	if !ok {
		return MyRoom{}, apperr.NotFound
	}
	var o occupancyRow
	err = tx.Where("tenant_id = ? AND person_id = ? AND room_id = ? AND move_out IS NULL", tenantID, pid, roomID).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return MyRoom{}, apperr.NotFound
	}
	if err != nil {
		return MyRoom{}, err
	}
	return s.roomFor(tx, tenantID, o)
}

func (s *Service) roomFor(tx *gorm.DB, tenantID uuid.UUID, o occupancyRow) (MyRoom, error) {
	occ, err := activeOccupants(tx, tenantID, o.RoomID)
	if err != nil {
		return MyRoom{}, err
	}
	if err := s.fillPhones(tx, tenantID, occ); err != nil {
		return MyRoom{}, err
	}
	paths, err := s.rooms.RoomPaths(store.Ctx(tx), tenantID, []uuid.UUID{o.RoomID})
	if err != nil {
		return MyRoom{}, err
	}
	p := paths[o.RoomID]
	return MyRoom{RoomID: o.RoomID, Community: p.Community, Building: p.Building, Unit: p.Unit, Room: p.Room,
		Role: o.Role, Occupants: occ}, nil
}
