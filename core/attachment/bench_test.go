package attachment_test

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkCopyMax streams a 20 MiB file out on each engine with whole-file
// and 1 MiB slices (the defaults are SQLite whole, Postgres 1 MiB).
func BenchmarkCopyMax(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.SQLite(b)
			if d == store.Postgres {
				db = storetest.Postgres(b)
			}
			ctx, tenant := context.Background(), store.NewID()
			data := bytes.Repeat([]byte("%PDF-1.4 "), attachment.MaxSize/9)
			f, err := attachment.Read("big.pdf", bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			var a attachment.Attachment
			if err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
				a, err = attachment.Put(tx, tenant, attachment.Owner{Kind: "asset", ID: store.NewID()}, f, actor.Actor{})
				return err
			}); err != nil {
				b.Fatal(err)
			}
			for _, chunk := range []int{attachment.MaxSize, 1 << 20} {
				b.Run("chunk="+strconv.Itoa(chunk>>10)+"KiB", func(b *testing.B) {
					s := &attachment.Store{DB: db, Chunk: chunk}
					b.SetBytes(a.Size)
					for b.Loop() {
						if err := s.Copy(ctx, io.Discard, tenant, a); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
