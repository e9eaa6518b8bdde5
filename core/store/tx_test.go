package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/google/uuid"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func TestTransactions(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db, _ := openWithProbe(t, d)
			ctx := context.Background()
			tid := store.NewID()
			count := func() (n int64) {
				t.Helper()
				if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Model(&probe{}).Count(&n).Error }); err != nil {
					t.Fatal(err)
				}
				return n
			}

			boom := errors.New("boom")
			err := db.InTenant(ctx, tid, func(tx *gorm.DB) error {
				if err := tx.Create(&probe{Note: "rolled back"}).Error; err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) || count() != 0 {
				t.Fatalf("error did not roll back: err=%v rows=%d", err, count())
			}

			func() {
				defer func() { recover() }()
				db.InTenant(ctx, tid, func(tx *gorm.DB) error {
					tx.Create(&probe{Note: "panic"})
					panic("handler bug")
				})
			}()
			if n := count(); n != 0 {
				t.Fatalf("panic did not roll back: %d rows", n)
			}

			// A nested transaction is a savepoint: its failure keeps the outer work.
			err = db.InTenant(ctx, tid, func(tx *gorm.DB) error {
				if err := tx.Create(&probe{Note: "outer"}).Error; err != nil {
					return err
				}
				_ = tx.Transaction(func(inner *gorm.DB) error {
					inner.Create(&probe{Note: "inner"})
					return boom
				})
				return nil
			})
			if err != nil || count() != 1 {
				t.Fatalf("savepoint: err=%v rows=%d, want 1", err, count())
			}
		})
	}
}

// TestAbortedTransactionIsAnError: on Postgres a statement error aborts the
// transaction; if fn swallows it, the commit must still report failure.
func TestAbortedTransactionIsAnError(t *testing.T) {
	db, _ := openWithProbe(t, store.Postgres)
	ctx := context.Background()
	err := db.InTenant(ctx, store.NewID(), func(tx *gorm.DB) error {
		_ = tx.Exec("SELECT 1/0").Error // swallowed on purpose
		return nil
	})
	if err == nil {
		t.Fatal("commit of an aborted transaction reported success")
	}
	// The pool is healthy afterwards and carries no tenant setting.
	var setting string
	if err := db.SQL().QueryRowContext(ctx, "SELECT coalesce(current_setting('app.tenant_id', true), '')").Scan(&setting); err != nil || setting != "" {
		t.Fatalf("pooled connection after InTenant: setting=%q err=%v", setting, err)
	}
}

// TestReadMostlyRunsBesideALongWrite: on SQLite a ReadMostly transaction does
// not wait for a writer holding its transaction open (an import), while a
// second writer still queues behind it.
func TestReadMostlyRunsBesideALongWrite(t *testing.T) {
	db, _ := openWithProbe(t, store.SQLite)
	ctx := context.Background()
	tid := store.NewID()
	if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Create(&probe{Note: "before"}).Error }); err != nil {
		t.Fatal(err)
	}
	writing, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.InTenant(ctx, tid, func(tx *gorm.DB) error {
			if err := tx.Create(&probe{Note: "long write"}).Error; err != nil {
				return err
			}
			close(writing)
			<-release
			return nil
		})
	}()
	<-writing
	start := time.Now()
	var n int64
	err := db.InTenant(store.ReadMostly(ctx), tid, func(tx *gorm.DB) error { return tx.Model(&probe{}).Count(&n).Error })
	if err != nil || n != 1 {
		t.Fatalf("read beside the writer: n=%d err=%v (it must see the committed row only)", n, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("read waited %v for the writer", took)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCtxJoins: a service method called with store.Ctx(tx) inside InTenant
// joins the caller's transaction: it sees the caller's uncommitted rows, and
// the caller's rollback takes its writes too (on both engines; SQLite would
// otherwise wait on its own writer lock).
func TestCtxJoins(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db, _ := openWithProbe(t, d)
			ctx := context.Background()
			tid := store.NewID()
			other := func(ctx context.Context) (seen int64, err error) { // another domain's method
				err = db.InTenant(ctx, tid, func(tx *gorm.DB) error {
					if err := tx.Model(&probe{}).Count(&seen).Error; err != nil {
						return err
					}
					return tx.Create(&probe{Note: "joined"}).Error
				})
				return seen, err
			}
			boom := errors.New("boom")
			err := db.InTenant(ctx, tid, func(tx *gorm.DB) error {
				if err := tx.Create(&probe{Note: "caller"}).Error; err != nil {
					return err
				}
				seen, err := other(store.Ctx(tx))
				if err != nil {
					return err
				}
				if seen != 1 {
					t.Errorf("the joined call saw %d rows, want the caller's uncommitted one", seen)
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			var n int64
			if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Model(&probe{}).Count(&n).Error }); err != nil || n != 0 {
				t.Fatalf("after the caller's rollback %d rows remain (err %v), want 0", n, err)
			}
		})
	}
}

// TestHandWrittenSQLIsBound: on a tenant table, Table() queries get the
// tenant's filter, and Raw/Exec SQL that does not pass the transaction's
// tenant id fails instead of reading or changing other tenants' rows (on
// SQLite nothing else would stop it).
func TestHandWrittenSQLIsBound(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db := storetest.Open(t, d)
			ctx := context.Background()
			a, b := store.NewID(), store.NewID()
			for _, tid := range []uuid.UUID{a, b} {
				err := db.InTenant(ctx, tid, func(tx *gorm.DB) error {
					return tx.Exec("INSERT INTO communities (tenant_id, id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", tid, store.NewID(), "一期", time.Now(), time.Now()).Error
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			err := db.InTenant(ctx, a, func(tx *gorm.DB) error {
				var n int64
				if err := tx.Table("communities").Count(&n).Error; err != nil || n != 1 {
					t.Errorf("Table() count: %d (err %v), want 1", n, err)
				}
				if err := tx.Raw("SELECT count(*) FROM communities").Scan(&n).Error; !errors.Is(err, store.ErrRawUnscoped) {
					t.Errorf("Raw without the tenant id: %v, want ErrRawUnscoped", err)
				}
				if err := tx.Exec("UPDATE communities SET name = 'x'").Error; !errors.Is(err, store.ErrRawUnscoped) {
					t.Errorf("Exec without the tenant id: %v, want ErrRawUnscoped", err)
				}
				if err := tx.Raw("SELECT count(*) FROM communities WHERE tenant_id = ?", a).Scan(&n).Error; err != nil || n != 1 {
					t.Errorf("Raw with the tenant id: %d (err %v)", n, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.InTenant(ctx, a, func(tx *gorm.DB) error {
				var n int64
				return store.Unscoped(tx, "test: a deliberate unbound count").Raw("SELECT count(*) FROM communities WHERE tenant_id = tenant_id").Scan(&n).Error
			}); err != nil {
				t.Fatalf("Unscoped: %v", err)
			}
		})
	}
}
