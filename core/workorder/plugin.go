package workorder

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// Comment adds a remark to an order's timeline without changing its status
// (a plugin's Host.UpdateWorkOrder "comment"; the actor in ctx signs it).
func (s *Service) Comment(ctx context.Context, tenantID, id uuid.UUID, note string) (o Order, err error) {
	note = strings.TrimSpace(note)
	if note == "" || len(note) > 2000 {
		return o, invalid([]apperr.FieldError{field("note", "required", "note is required (at most 2000 bytes)", "备注必填(最多 2000 字节)")})
	}
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = load(tx, tenantID, id); err != nil {
			return err
		}
		_, err = s.event(tx, &o, "comment", "", "", note, by)
		return err
	})
	return o, err
}
