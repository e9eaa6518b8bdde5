package asset

import (
	"context"
	"io"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/attachment"
)

// OwnerKind names assets as owners of attachments.
const OwnerKind = "asset"

func owner(id uuid.UUID) attachment.Owner { return attachment.Owner{Kind: OwnerKind, ID: id} }

// findAsset returns nil when the asset exists; lock holds its row until the
// transaction ends (Postgres; SQLite writers are serial anyway).
func findAsset(tx *gorm.DB, tenantID, id uuid.UUID, lock bool) error {
	q := in(tx, tenantID)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return notFound(q.Select("id").Take(&Asset{}, "id = ?", id).Error)
}

// CheckAsset answers not found unless the asset exists: asked before an
// upload is read, so a wrong id costs no 20 MiB read.
func (s *Service) CheckAsset(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return findAsset(tx, tenantID, id, false) })
}

// AddDocument stores an uploaded file of the asset, uploaded by the actor in ctx.
func (s *Service) AddDocument(ctx context.Context, tenantID, assetID uuid.UUID, f attachment.File) (out attachment.Attachment, err error) {
	by, _ := actor.From(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := findAsset(tx, tenantID, assetID, true); err != nil {
			return err
		}
		out, err = attachment.Put(tx, tenantID, owner(assetID), f, by)
		return err
	})
	return out, err
}

// ListDocuments lists the asset's uploaded files, oldest first.
func (s *Service) ListDocuments(ctx context.Context, tenantID, assetID uuid.UUID) (out []attachment.Attachment, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := findAsset(tx, tenantID, assetID, false); err != nil {
			return err
		}
		out, err = attachment.List(tx, tenantID, owner(assetID))
		return err
	})
	return out, err
}

// Document returns one uploaded file of the asset; its bytes come from CopyDocument.
func (s *Service) Document(ctx context.Context, tenantID, assetID, docID uuid.UUID) (out attachment.Attachment, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = attachment.Get(tx, tenantID, owner(assetID), docID)
		return err
	})
	return out, err
}

// DeleteDocument removes one uploaded file of the asset.
func (s *Service) DeleteDocument(ctx context.Context, tenantID, assetID, docID uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return attachment.Delete(tx, tenantID, owner(assetID), docID)
	})
}

// CopyDocument streams the bytes of a (already looked up) document to w.
func (s *Service) CopyDocument(ctx context.Context, w io.Writer, tenantID uuid.UUID, a attachment.Attachment) error {
	return s.files.Copy(ctx, w, tenantID, a)
}
