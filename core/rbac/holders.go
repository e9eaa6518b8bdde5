package rbac

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Holders lists the users holding any of roles in tenantID (whom to tell
// about a missed patrol point, which guards a route may get), oldest
// assignment first, each user once.
func (e *Enforcer) Holders(ctx context.Context, tenantID uuid.UUID, roles ...string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var rows []userRole
		if err := tx.Select("user_id").Where("tenant_id = ? AND role IN ?", tenantID, roles).Order("created_at, id").Find(&rows).Error; err != nil {
			return err
		}
		seen := map[uuid.UUID]bool{}
		for _, r := range rows {
			if !seen[r.UserID] {
				seen[r.UserID] = true
				ids = append(ids, r.UserID)
			}
		}
		return nil
	})
	return ids, err
}
