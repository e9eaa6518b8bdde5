package workorder

import (
	"context"
	"io"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
)

// OwnerKind names work orders as owners of attachments (photos of the
// fault, a complaint's evidence, the finished job).
const OwnerKind = "workorder"

func owner(id uuid.UUID) attachment.Owner { return attachment.Owner{Kind: OwnerKind, ID: id} }

// Who may reach an order's files: staff reach every order, a resident only
// their own (Resident names them; uuid.Nil means staff).

// CheckOrder answers not found unless the caller may see the order: asked
// before an upload is read, so a wrong id costs no 20 MiB read.
func (s *Service) CheckOrder(ctx context.Context, tenantID, resident, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		_, err := s.visible(tx, tenantID, resident, id, false)
		return err
	})
}

func (s *Service) visible(tx *gorm.DB, tenantID, resident, id uuid.UUID, lock bool) (Order, error) {
	if resident != uuid.Nil {
		return s.mine(tx, tenantID, resident, id, lock)
	}
	if lock {
		return load(tx, tenantID, id)
	}
	var o Order
	return o, store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&o).Error)
}

// AddFile stores an upload (already read and sniffed by attachment.Read) on the order.
func (s *Service) AddFile(ctx context.Context, tenantID, resident, id uuid.UUID, f attachment.File) (out attachment.Attachment, err error) {
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		o, err := s.visible(tx, tenantID, resident, id, true)
		if err != nil {
			return err
		}
		if out, err = attachment.Put(tx, tenantID, owner(id), f, by); err != nil {
			return err
		}
		_, err = s.event(tx, &o, "file_added", "", "", out.Name, by)
		return err
	})
	return out, err
}

// File returns one file of an order the caller may see.
func (s *Service) File(ctx context.Context, tenantID, resident, id, fileID uuid.UUID) (out attachment.Attachment, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := s.visible(tx, tenantID, resident, id, false); err != nil {
			return err
		}
		out, err = attachment.Get(tx, tenantID, owner(id), fileID)
		return err
	})
	return out, err
}

// DeleteFile removes a file of an order (staff).
func (s *Service) DeleteFile(ctx context.Context, tenantID, id, fileID uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := s.visible(tx, tenantID, uuid.Nil, id, true); err != nil {
			return err
		}
		return attachment.Delete(tx, tenantID, owner(id), fileID)
	})
}

// CopyFile streams a (looked up) file's bytes to w.
func (s *Service) CopyFile(ctx context.Context, w io.Writer, tenantID uuid.UUID, a attachment.Attachment) error {
	if a.OwnerKind != OwnerKind {
		return apperr.NotFound
	}
	return s.files.Copy(ctx, w, tenantID, a)
}
