package property

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// RoomsAfter reads up to limit rooms of a community in id order, after the
// given id (uuid.Nil: from the start): the keyset walk a pricing run uses
// over a million rooms without a query per room.
func (s *Service) RoomsAfter(ctx context.Context, tenantID, communityID, after uuid.UUID, limit int) (out []Room, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return in(tx, tenantID).Select("id", "community_id", "building_id", "unit_id", "built_area", "interior_area", "fee_coefficient", "status", "usage").
			Where("community_id = ? AND id > ?", communityID, after).Order("id").Limit(limit).Find(&out).Error
	})
	return out, err
}
