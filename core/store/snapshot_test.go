package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// TestSnapshot: every read inside InSnapshot sees the state of its first,
// whatever commits meanwhile; the tenant's InTenant calls join it; another
// tenant's rows stay out; a write inside is refused on Postgres (READ ONLY).
func TestSnapshot(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db, _ := openWithProbe(t, d)
			ctx := context.Background()
			tid, other := store.NewID(), store.NewID()
			add := func(tenant uuid.UUID, note string) {
				t.Helper()
				if err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error { return tx.Create(&probe{Note: note}).Error }); err != nil {
					t.Fatal(err)
				}
			}
			add(tid, "one")
			add(other, "other's")
			count := func(ctx context.Context) (n int64) {
				t.Helper()
				if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Model(&probe{}).Count(&n).Error }); err != nil {
					t.Fatal(err)
				}
				return n
			}
			err := db.InSnapshot(ctx, tid, func(sctx context.Context) error {
				if n := count(sctx); n != 1 {
					t.Fatalf("first read: %d rows, want 1", n)
				}
				add(tid, "committed during the snapshot") // another transaction, committed
				if n := count(ctx); n != 2 {
					t.Fatalf("outside the snapshot: %d rows, want 2", n)
				}
				if n := count(sctx); n != 1 {
					t.Fatalf("second read in the snapshot: %d rows, want still 1", n)
				}
				if d == store.Postgres {
					werr := db.InTenant(sctx, tid, func(tx *gorm.DB) error { return tx.Create(&probe{Note: "write"}).Error })
					if werr == nil {
						t.Fatal("a write inside the read-only snapshot succeeded")
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
