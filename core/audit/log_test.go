package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func record(t *testing.T, l *audit.Log, e audit.Entry) {
	t.Helper()
	if err := l.Record(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func recordPlatform(t *testing.T, l *audit.Log, e audit.Entry) {
	t.Helper()
	if err := l.RecordPlatform(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func list(t *testing.T, l *audit.Log, tenant uuid.UUID, f audit.Filter, offset, limit int) ([]audit.Item, int64) {
	t.Helper()
	items, total, err := l.List(context.Background(), tenant, f, offset, limit)
	if err != nil {
		t.Fatal(err)
	}
	return items, total
}

func listPlatform(t *testing.T, l *audit.Log, pq audit.PlatformQuery, f audit.Filter) ([]audit.Item, int64) {
	t.Helper()
	items, total, err := l.ListPlatform(context.Background(), pq, f, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	return items, total
}

func TestRecordAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := audit.NewLog(db)
		ta, tb := store.NewID(), store.NewID()
		alice, bob := store.NewID(), store.NewID()
		base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		for i, e := range []audit.Entry{
			{TenantID: ta, ActorKind: "user", ActorID: alice, Action: "user.create", Result: audit.ResultOK},
			{TenantID: ta, ActorKind: "user", ActorID: bob, Action: "user.update", Result: audit.ResultDenied},
			{TenantID: ta, ActorKind: "user", ActorID: alice, Action: "userx.thing", Result: audit.ResultFailed, Detail: "invalid_input"},
			{TenantID: tb, ActorKind: "user", ActorID: store.NewID(), Action: "role.manage", Result: audit.ResultOK},
			{TenantID: tb, ActorKind: "api_key", ActorID: store.NewID(), Action: "billing.manage", Result: audit.ResultError},
			{ActorKind: "operator", ActorID: store.NewID(), Action: "POST /api/v1/operator/tenants", Result: audit.ResultOK, IP: "10.0.0.1"},
		} {
			e.At = base.Add(time.Duration(i) * time.Minute)
			if e.ActorKind == "operator" {
				recordPlatform(t, l, e)
			} else {
				record(t, l, e)
			}
		}

		items, total := list(t, l, ta, audit.Filter{}, 0, 10)
		if total != 3 || len(items) != 3 {
			t.Fatalf("tenant A sees %d entries (total %d), want 3", len(items), total)
		}
		if items[0].Action != "userx.thing" || items[2].Action != "user.create" || items[0].ID == uuid.Nil {
			t.Fatalf("not newest first: %v, %v", items[0].Action, items[2].Action)
		}
		for _, it := range items {
			if it.TenantID != ta {
				t.Fatalf("tenant A's query returned an entry of %v", it.TenantID)
			}
		}
		if items, total := list(t, l, tb, audit.Filter{}, 0, 10); total != 2 || len(items) != 2 {
			t.Fatalf("tenant B sees %d entries, want only its 2", total)
		}
		// Platform events are invisible to every tenant, visible to operators.
		if items, total := listPlatform(t, l, audit.PlatformQuery{PlatformOnly: true}, audit.Filter{}); total != 1 || items[0].ActorKind != "operator" || items[0].IP != "10.0.0.1" {
			t.Fatalf("platform events: %d %+v", total, items)
		}
		if _, total := listPlatform(t, l, audit.PlatformQuery{}, audit.Filter{}); total != 6 {
			t.Fatalf("operator sees %d entries, want 6", total)
		}
		if _, total := listPlatform(t, l, audit.PlatformQuery{Tenant: &tb}, audit.Filter{}); total != 2 {
			t.Fatalf("operator sees %d entries, want 6", total)
		}

		// Filters: action prefix (LIKE wildcards are literal), actor, result, time window, paging.
		if _, total := list(t, l, ta, audit.Filter{ActionPrefix: "user."}, 0, 10); total != 2 {
			t.Fatalf("prefix user. matched %d, want 2", total)
		}
		if _, total := list(t, l, ta, audit.Filter{ActionPrefix: "user_"}, 0, 10); total != 0 {
			t.Fatalf("prefix user_ matched %d: _ must not be a wildcard", total)
		}
		if _, total := list(t, l, ta, audit.Filter{ActorID: alice}, 0, 10); total != 2 {
			t.Fatalf("actor filter matched %d, want 2", total)
		}
		if items, total := list(t, l, ta, audit.Filter{Result: audit.ResultDenied}, 0, 10); total != 1 || items[0].ActorID != bob {
			t.Fatalf("result filter: %d", total)
		}
		if items, total := list(t, l, ta, audit.Filter{From: base.Add(time.Minute), To: base.Add(2 * time.Minute)}, 0, 10); total != 1 || items[0].Action != "user.update" {
			t.Fatalf("time window matched %d", total)
		}
		page2, total := list(t, l, ta, audit.Filter{}, 2, 2)
		if total != 3 || len(page2) != 1 || page2[0].Action != "user.create" {
			t.Fatalf("page 2: %d items of %d", len(page2), total)
		}

		// RecordTx commits and rolls back with the caller's transaction.
		err := db.InTenant(context.Background(), tb, func(tx *gorm.DB) error {
			if err := audit.RecordTx(tx, audit.Entry{TenantID: tb, Action: "rolled.back", Result: audit.ResultOK}); err != nil {
				return err
			}
			return gorm.ErrInvalidTransaction
		})
		if err == nil {
			t.Fatal("expected the rollback error")
		}
		if _, total := list(t, l, tb, audit.Filter{ActionPrefix: "rolled."}, 0, 10); total != 0 {
			t.Fatal("entry of a rolled back transaction was kept")
		}
		// A tenant entry cannot be smuggled into another tenant's transaction.
		err = db.InTenant(context.Background(), tb, func(tx *gorm.DB) error {
			return audit.RecordTx(tx, audit.Entry{TenantID: ta, Action: "smuggled", Result: audit.ResultOK})
		})
		if err == nil {
			t.Fatal("recorded tenant A's entry inside tenant B")
		}
	})
}

// TestAppendOnly: the app can neither change nor remove entries, on either engine.
func TestAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.NewLog(db)
		ta := store.NewID()
		record(t, l, audit.Entry{TenantID: ta, Action: "user.create", Result: audit.ResultOK})
		recordPlatform(t, l, audit.Entry{Action: "platform.thing", Result: audit.ResultOK})
		// The statements name the tenant so the store's hand-written-SQL guard lets
		// them through: it is the database that must refuse them.
		for _, stmt := range []string{
			"UPDATE audit_log SET result = 'denied' WHERE tenant_id IN (?, ?)",
			"DELETE FROM audit_log WHERE tenant_id IN (?, ?)",
		} {
			for name, run := range map[string]func(func(*gorm.DB) error) error{
				"platform": func(fn func(*gorm.DB) error) error { return db.Platform(ctx, fn) },
				"tenant":   func(fn func(*gorm.DB) error) error { return db.InTenant(ctx, ta, fn) },
			} {
				err := run(func(tx *gorm.DB) error { return tx.Exec(stmt, ta, uuid.Nil).Error })
				if err == nil {
					t.Errorf("%s in %s scope succeeded", stmt, name)
				} else if !strings.Contains(err.Error(), "append-only") && !strings.Contains(err.Error(), "permission denied") {
					t.Errorf("%s in %s scope failed for another reason: %v", stmt, name, err)
				}
			}
		}
		if _, total := listPlatform(t, l, audit.PlatformQuery{}, audit.Filter{}); total != 2 {
			t.Fatalf("%d entries left, want 2 untouched", total)
		}
		items, _ := list(t, l, ta, audit.Filter{}, 0, 10)
		if items[0].Result != audit.ResultOK {
			t.Fatal("entry changed")
		}
	})
}

// TestAppendOnlyPostgresRoles: the app role lacks the privileges, and even
// the owner (who has them) is stopped by the trigger.
func TestAppendOnlyPostgresRoles(t *testing.T) {
	cfg := storetest.PostgresConfig(t)
	ctx := context.Background()
	if _, err := store.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recordPlatform(t, audit.NewLog(db), audit.Entry{Action: "x", Result: audit.ResultOK})

	for _, stmt := range []string{"UPDATE audit_log SET result = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.Exec(stmt).Error })
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("app role: %s: %v, want permission denied", stmt, err)
		}
	}
	owner, err := pgx.Connect(ctx, cfg.MigrateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	for _, stmt := range []string{"UPDATE audit_log SET result = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		if _, err := owner.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("owner: %s: %v, want the append-only trigger", stmt, err)
		}
	}
	var n int
	if err := owner.QueryRow(ctx, "SELECT count(*) FROM audit_log").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d entries left (err %v), want 1", n, err)
	}
}

// TestNoTenantIsNoPlatform: a tenant call without a tenant is an error, not
// a platform event; a platform call naming a tenant is refused too.
func TestNoTenantIsNoPlatform(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.NewLog(db)
		if err := l.Record(ctx, audit.Entry{Action: "lost.tenant", Result: audit.ResultOK}); !errors.Is(err, store.ErrNoTenant) {
			t.Errorf("Record without a tenant: %v, want store.ErrNoTenant", err)
		}
		if err := l.RecordPlatform(ctx, audit.Entry{TenantID: store.NewID(), Action: "x", Result: audit.ResultOK}); !errors.Is(err, audit.ErrPlatformTenant) {
			t.Errorf("RecordPlatform with a tenant: %v", err)
		}
		if _, _, err := l.List(ctx, uuid.Nil, audit.Filter{}, 0, 10); !errors.Is(err, store.ErrNoTenant) {
			t.Errorf("List without a tenant: %v, want store.ErrNoTenant", err)
		}
		if _, total := listPlatform(t, l, audit.PlatformQuery{}, audit.Filter{}); total != 0 {
			t.Errorf("%d entries written, want none", total)
		}
	})
}
