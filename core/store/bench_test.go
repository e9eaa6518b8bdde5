package store_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// BenchmarkRead compares a primary-key read through InTenant (transaction +
// tenant setting + RLS), the same in a GET request's context (ReadMostly) and
// the same read through Platform.
func BenchmarkRead(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db, _ := openWithProbeTB(b, d)
			ctx := context.Background()
			tid := store.NewID()
			row := probe{Note: "x"}
			if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Create(&row).Error }); err != nil {
				b.Fatal(err)
			}
			b.Run("in_tenant", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var p probe
					if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.First(&p, "id = ?", row.ID).Error }); err != nil {
						b.Fatal(err)
					}
				}
			})
			get := store.ReadMostly(ctx) // a GET: on Postgres the session-tenant read path
			b.Run("in_tenant_get", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var p probe
					if err := db.InTenant(get, tid, func(tx *gorm.DB) error { return tx.First(&p, "id = ?", row.ID).Error }); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("bare_platform", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var p probe
					if err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.First(&p, "id = ?", row.ID).Error }); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
