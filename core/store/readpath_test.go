package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestReadPathTenant checks the Postgres read path of GET requests (session
// tenant, no transaction for plain SELECTs) on a pool of one connection, so
// every call below reuses the connection the previous one left: a read never
// sees the previous user's tenant, the tenant pool without a tenant sees no
// row, writes on the read path stay atomic, and a failed or panicking call
// leaves nothing open behind.
func TestReadPathTenant(t *testing.T) {
	ctx := context.Background()
	cfg := storetest.PostgresConfig(t)
	cfg.MaxOpenConns = 1
	if _, err := store.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ownerExec(t, cfg, probePostgres)

	a, b := store.NewID(), store.NewID()
	for tid, n := range map[uuid.UUID]int{a: 2, b: 1} {
		for range n {
			if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Create(&probe{Note: "x"}).Error }); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := store.ReadMostly(ctx)
	look := func(tid uuid.UUID) (n int64, setting string) {
		t.Helper()
		err := db.InTenant(get, tid, func(tx *gorm.DB) error {
			// Raw, so only RLS (not gorm's tenant scope) decides what is seen.
			if err := tx.Raw("SELECT count(*) FROM rls_probe").Scan(&n).Error; err != nil {
				return err
			}
			return tx.Raw("SELECT current_setting('app.tenant_id', true)").Scan(&setting).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, setting
	}
	for _, step := range []struct {
		tid  uuid.UUID
		want int64
	}{{a, 2}, {b, 1}, {b, 1}, {a, 2}} {
		if n, s := look(step.tid); n != step.want || s != step.tid.String() {
			t.Fatalf("read as %v: %d rows, setting %q; want %d rows", step.tid, n, s, step.want)
		}
	}

	// The tenant pool used outside InTenant holds no tenant: RLS shows nothing.
	var raw int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM rls_probe").Scan(&raw); err != nil || raw != 0 {
		t.Fatalf("no-tenant read of the tenant pool: %d rows, %v", raw, err)
	}

	// A write on the read path is a transaction: a failure undoes it all.
	boom := errors.New("boom")
	err = db.InTenant(get, a, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&probe{}).Count(&n).Error; err != nil {
			return err
		}
		if err := tx.Create(&[]probe{{Note: "1"}, {Note: "2"}}).Error; err != nil {
			return err
		}
		return boom
	})
	if n, _ := look(a); !errors.Is(err, boom) || n != 2 {
		t.Fatalf("failed write on the read path: err=%v, %d rows (want 2)", err, n)
	}
	func() {
		defer func() { recover() }()
		db.InTenant(get, a, func(tx *gorm.DB) error {
			tx.Create(&probe{Note: "panic"})
			panic("handler bug")
		})
	}()
	if n, _ := look(a); n != 2 {
		t.Fatalf("panic on the read path kept its write: %d rows", n)
	}
	// A failing statement leaves the connection usable, under the right tenant.
	if err := db.InTenant(get, b, func(tx *gorm.DB) error { return tx.Exec("SELECT no_such_column FROM rls_probe").Error }); err == nil {
		t.Fatal("bad statement succeeded")
	}
	if n, s := look(b); n != 1 || s != b.String() {
		t.Fatalf("after an error: %d rows, setting %q", n, s)
	}
	if err := db.InTenant(get, a, func(tx *gorm.DB) error { return tx.Create(&probe{Note: "kept"}).Error }); err != nil {
		t.Fatal(err)
	}
	if n, _ := look(a); n != 3 {
		t.Fatalf("write on the read path: %d rows, want 3", n)
	}
}

// TestReadPathSQLite checks the SQLite read path of GET requests (plain
// SELECTs without a transaction): the tenant scope still hides other
// tenants' rows, a write on it is a transaction (a failure or a panic undoes
// it all, nested calls are savepoints), and a failed call leaves the pool
// usable.
func TestReadPathSQLite(t *testing.T) {
	db, _ := openWithProbeTB(t, store.SQLite)
	ctx := context.Background()
	a, b := store.NewID(), store.NewID()
	for tid, n := range map[uuid.UUID]int{a: 2, b: 1} {
		for range n {
			if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Create(&probe{Note: "x"}).Error }); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := store.ReadMostly(ctx)
	look := func(tid uuid.UUID) int64 {
		t.Helper()
		var n int64
		if err := db.InTenant(get, tid, func(tx *gorm.DB) error { return tx.Model(&probe{}).Count(&n).Error }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if na, nb := look(a), look(b); na != 2 || nb != 1 {
		t.Fatalf("reads: %d and %d rows, want 2 and 1", na, nb)
	}

	boom := errors.New("boom")
	err := db.InTenant(get, a, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&probe{}).Count(&n).Error; err != nil {
			return err
		}
		if err := tx.Create(&[]probe{{Note: "1"}, {Note: "2"}}).Error; err != nil {
			return err
		}
		return boom
	})
	if n := look(a); !errors.Is(err, boom) || n != 2 {
		t.Fatalf("failed write on the read path: err=%v, %d rows (want 2)", err, n)
	}
	func() {
		defer func() { recover() }()
		db.InTenant(get, a, func(tx *gorm.DB) error {
			tx.Create(&probe{Note: "panic"})
			panic("handler bug")
		})
	}()
	if n := look(a); n != 2 {
		t.Fatalf("panic on the read path kept its write: %d rows", n)
	}
	if err := db.InTenant(get, b, func(tx *gorm.DB) error { return tx.Exec("SELECT no_such_column FROM rls_probe").Error }); err == nil {
		t.Fatal("bad statement succeeded")
	}
	// A nested call is a savepoint: its failure undoes only its own write.
	err = db.InTenant(get, a, func(tx *gorm.DB) error {
		if err := tx.Create(&probe{Note: "kept"}).Error; err != nil {
			return err
		}
		_ = tx.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&probe{Note: "undone"}).Error; err != nil {
				return err
			}
			return boom
		})
		return nil
	})
	if n := look(a); err != nil || n != 3 {
		t.Fatalf("write with a failed savepoint on the read path: err=%v, %d rows, want 3", err, n)
	}
	// Writes from the read path do not hold the database: the main pool writes next.
	if err := db.InTenant(ctx, b, func(tx *gorm.DB) error { return tx.Create(&probe{Note: "y"}).Error }); err != nil {
		t.Fatal(err)
	}
	if n := look(b); n != 2 {
		t.Fatalf("after a write: %d rows, want 2", n)
	}
}
