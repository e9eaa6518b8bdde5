package fee

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// PrepayPercent is an item's prepayment discount for paying months ahead
// (Item.PrepayPercent), read for billing; an unknown item is not found.
func (s *Service) PrepayPercent(ctx context.Context, tenantID, itemID uuid.UUID, months int) (pct string, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var it Item
		if err := store.NotFound(in(tx, tenantID).First(&it, "id = ?", itemID).Error); err != nil {
			return err
		}
		pct = it.PrepayPercent(months)
		return nil
	})
	return pct, err
}
