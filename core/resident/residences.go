package resident

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/chunk"
)

// Residence is one person's stay in a room: from MoveIn to MoveOut (nil
// while they still live there).
type Residence struct {
	RoomID      uuid.UUID
	HouseholdID uuid.UUID
	Role        string
	MoveIn      time.Time
	MoveOut     *time.Time
}

// Residences lists every stay, current or past, in the given rooms (fee
// proration and vacancy read them in batches of rooms).
func (s *Service) Residences(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (out []Residence, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return chunk.Unique(roomIDs, func(part []uuid.UUID) error {
			var rows []occupancyRow
			err := tx.Select("room_id", "household_id", "role", "move_in", "move_out").
				Where("tenant_id = ? AND room_id IN ?", tenantID, part).Find(&rows).Error
			for _, r := range rows {
				out = append(out, Residence{RoomID: r.RoomID, HouseholdID: r.HouseholdID, Role: r.Role, MoveIn: r.MoveIn, MoveOut: r.MoveOut})
			}
			return err
		})
	})
	return out, err
}
