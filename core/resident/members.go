package resident

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/chunk"
)

// Member is a person living somewhere now, with their app account if
// linked (surveys and announcements address residents through it).
type Member struct {
	PersonID uuid.UUID
	UserID   *uuid.UUID
	RoomIDs  []uuid.UUID // the rooms they live in now
}

// MembersInRooms lists the people living now in any of the rooms.
func (s *Service) MembersInRooms(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (out []Member, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		rooms := map[uuid.UUID][]uuid.UUID{}
		var order []uuid.UUID
		err := chunk.Unique(roomIDs, func(part []uuid.UUID) error {
			var rows []occupancyRow
			if err := tx.Select("person_id", "room_id").Where("tenant_id = ? AND room_id IN ? AND move_out IS NULL", tenantID, part).Find(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				if _, ok := rooms[r.PersonID]; !ok {
					order = append(order, r.PersonID)
				}
				rooms[r.PersonID] = append(rooms[r.PersonID], r.RoomID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		out, err = members(tx, tenantID, order, rooms)
		return err
	})
	return out, err
}

// MembersTagged lists the people holding a care tag who live somewhere now.
func (s *Service) MembersTagged(ctx context.Context, tenantID uuid.UUID, tag string) (out []Member, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		t, _ := normaliseTag(tag)
		var ids []uuid.UUID
		if err := tx.Model(&tagRow{}).Where("tenant_id = ? AND tag = ?", tenantID, t).Order("person_id").Pluck("person_id", &ids).Error; err != nil {
			return err
		}
		rooms, err := currentRooms(tx, tenantID, ids)
		if err != nil {
			return err
		}
		var living []uuid.UUID
		for _, id := range ids {
			if len(rooms[id]) > 0 {
				living = append(living, id)
			}
		}
		out, err = members(tx, tenantID, living, rooms)
		return err
	})
	return out, err
}

func members(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID, rooms map[uuid.UUID][]uuid.UUID) ([]Member, error) {
	users := map[uuid.UUID]*uuid.UUID{}
	err := chunk.Unique(ids, func(part []uuid.UUID) error {
		var rows []personRow
		if err := tx.Select("id", "user_id").Where("tenant_id = ? AND id IN ?", tenantID, part).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			users[r.ID] = r.UserID
		}
		return nil
	})
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		out = append(out, Member{PersonID: id, UserID: users[id], RoomIDs: rooms[id]})
	}
	return out, err
}

// PersonOfUser returns the person a resident account is linked to.
func (s *Service) PersonOfUser(ctx context.Context, tenantID, userID uuid.UUID) (id uuid.UUID, ok bool, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		id, ok, err = linkedPerson(tx, tenantID, userID)
		return err
	})
	return id, ok, err
}
