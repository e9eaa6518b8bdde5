package attachment

import (
	"context"
	"errors"
	"io"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// ErrChanged is returned by Copy when the file went away (or changed size)
// while it was being sent.
var ErrChanged = errors.New("attachment: file deleted while being read")

// Store reads stored bytes out.
type Store struct {
	DB *store.DB
	// Chunk is how many bytes one query reads. Each slice is read in its own
	// short transaction, so a slow client never holds a connection or a
	// snapshot. On Postgres the column is stored uncompressed out of line,
	// so a slice reads only its own pages; SQLite reads the whole value for
	// any slice, so there the default is the whole file in one query.
	Chunk int
}

// NewStore returns a Store on db.
func NewStore(db *store.DB) *Store { return &Store{DB: db} }

func (s *Store) chunk() int {
	switch {
	case s.Chunk > 0:
		return s.Chunk
	case s.DB.Dialect() == store.Postgres:
		return 1 << 20
	default:
		return MaxSize
	}
}

// Copy writes a's bytes to w. a comes from Get (or List) of the same tenant.
func (s *Store) Copy(ctx context.Context, w io.Writer, tenantID uuid.UUID, a Attachment) error {
	n := int64(s.chunk())
	for off := int64(0); off < a.Size; off += n {
		want := min(n, a.Size-off)
		var slice struct{ Data []byte }
		err := s.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			// substr counts from 1 and works on bytes for bytea and BLOB alike.
			return tx.Raw("SELECT substr(data, ?, ?) AS data FROM attachments WHERE tenant_id = ? AND id = ?",
				off+1, want, tenantID, a.ID).Scan(&slice).Error
		})
		if err != nil {
			return err
		}
		if int64(len(slice.Data)) != want {
			return ErrChanged
		}
		if _, err := w.Write(slice.Data); err != nil {
			return err
		}
	}
	return nil
}
