package store_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// probe is a tenant-owned table the tests create themselves, with the same
// RLS policy every migration uses, so the mechanism is tested on its own.
type probe struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Note      string
	CreatedAt time.Time
}

func (probe) TableName() string { return "rls_probe" }

const probeSQLite = `CREATE TABLE rls_probe (tenant_id TEXT NOT NULL, id TEXT NOT NULL, note TEXT NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (tenant_id, id))`

const probePostgres = `CREATE TABLE rls_probe (tenant_id uuid NOT NULL, id uuid NOT NULL, note text NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, id));
ALTER TABLE rls_probe ENABLE ROW LEVEL SECURITY;
ALTER TABLE rls_probe FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rls_probe USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));`

func ownerExec(t testing.TB, cfg store.Config, sql string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func openWithProbe(t *testing.T, d store.Dialect) (*store.DB, store.Config) {
	return openWithProbeTB(t, d)
}

func openWithProbeTB(t testing.TB, d store.Dialect) (*store.DB, store.Config) {
	ctx := context.Background()
	var cfg store.Config
	if d == store.SQLite {
		cfg = store.Config{DataDir: t.TempDir()}
	} else {
		cfg = storetest.PostgresConfig(t)
	}
	if _, err := store.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if d == store.SQLite {
		if _, err := db.SQL().Exec(probeSQLite); err != nil {
			t.Fatal(err)
		}
	} else {
		ownerExec(t, cfg, probePostgres)
	}
	return db, cfg
}

func TestTenantScope(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db, _ := openWithProbe(t, d)
			ctx := context.Background()
			a, b := store.NewID(), store.NewID()
			for _, tid := range []uuid.UUID{a, b} {
				err := db.InTenant(ctx, tid, func(tx *gorm.DB) error {
					return tx.Create(&[]probe{{Note: "one"}, {Note: "two"}}).Error
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			var rows []probe
			if err := db.InTenant(ctx, a, func(tx *gorm.DB) error { return tx.Find(&rows).Error }); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("tenant A sees %d rows, want 2", len(rows))
			}
			for _, r := range rows {
				if r.TenantID != a || r.ID == uuid.Nil {
					t.Fatalf("row %+v not stamped with tenant A and an id", r)
				}
			}
			// Tenant B cannot read, update or delete tenant A's row by id.
			target := rows[0].ID
			err := db.InTenant(ctx, b, func(tx *gorm.DB) error {
				var p probe
				if err := tx.First(&p, "id = ?", target).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
					t.Errorf("tenant B read tenant A's row: err=%v", err)
				}
				if n := tx.Model(&probe{}).Where("id = ?", target).Update("note", "hacked").RowsAffected; n != 0 {
					t.Errorf("tenant B updated %d of tenant A's rows", n)
				}
				if n := tx.Where("id = ?", target).Delete(&probe{}).RowsAffected; n != 0 {
					t.Errorf("tenant B deleted %d of tenant A's rows", n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// A row naming another tenant is refused, not moved.
			err = db.InTenant(ctx, b, func(tx *gorm.DB) error { return tx.Create(&probe{TenantID: a, Note: "x"}).Error })
			if err == nil {
				t.Fatal("insert naming tenant A inside tenant B succeeded")
			}
			// Outside any scope, a tenant model fails closed.
			var all []probe
			if err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.Find(&all).Error }); err != nil || len(all) != 4 {
				t.Fatalf("platform scope sees %d rows (err %v), want 4", len(all), err)
			}
		})
	}
}

// TestRowLevelSecurity proves the second lock: raw SQL under the app role,
// bypassing gorm's scoping, still sees only the tenant of the transaction.
func TestRowLevelSecurity(t *testing.T) {
	db, _ := openWithProbe(t, store.Postgres)
	ctx := context.Background()
	a, b := store.NewID(), store.NewID()
	for _, tid := range []uuid.UUID{a, b} {
		if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Create(&probe{Note: tid.String()}).Error }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(setup string) (n int64) {
		t.Helper()
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var who string
		if err := tx.QueryRow("SELECT current_user").Scan(&who); err != nil || who != store.DefaultAppRole {
			t.Fatalf("app pool runs as %q (err %v), want %s", who, err, store.DefaultAppRole)
		}
		if setup != "" {
			if _, err := tx.Exec(setup); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.QueryRow("SELECT count(*) FROM rls_probe").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(""); n != 0 {
		t.Fatalf("without app.tenant_id the app role sees %d rows, want 0", n)
	}
	if n := count("SELECT set_config('app.tenant_id', '" + a.String() + "', true)"); n != 1 {
		t.Fatalf("tenant A sees %d rows, want 1", n)
	}
	tx, _ := db.SQL().BeginTx(ctx, nil)
	defer tx.Rollback()
	tx.Exec("SELECT set_config('app.tenant_id', $1, true)", a.String())
	var notes []string
	rows, err := tx.Query("SELECT note FROM rls_probe")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		notes = append(notes, s)
	}
	if len(notes) != 1 || notes[0] != a.String() {
		t.Fatalf("tenant A saw %v", notes)
	}
	if _, err := tx.Exec("INSERT INTO rls_probe VALUES ($1, $2, 'smuggled', now())", b, store.NewID()); err == nil {
		t.Fatal("tenant A inserted a row for tenant B")
	}
}

// TestEveryTenantTableHasRLS walks the migrated Postgres catalogue: every
// table with a tenant_id column must force RLS and carry a policy, and the
// app role must own none of them.
func TestEveryTenantTableHasRLS(t *testing.T) {
	cfg := storetest.PostgresConfig(t)
	ctx := context.Background()
	if _, err := store.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       pg_get_userbyid(c.relowner),
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r','p')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, owner string
		var rls, force bool
		var policies int
		if err := rows.Scan(&name, &rls, &force, &owner, &policies); err != nil {
			t.Fatal(err)
		}
		if !rls || !force || policies == 0 {
			t.Errorf("table %s: rls=%v force=%v policies=%d; every tenant table needs all three", name, rls, force, policies)
		}
		if owner == store.DefaultAppRole {
			t.Errorf("table %s is owned by the app role", name)
		}
	}
}

// TestSchemasMatch proves both dialects end with the same tables and columns.
func TestSchemasMatch(t *testing.T) {
	ctx := context.Background()
	lite := storetest.SQLite(t)
	pgCfg := storetest.PostgresConfig(t)
	if _, err := store.Migrate(ctx, pgCfg); err != nil {
		t.Fatal(err)
	}
	// Read the catalogue as the owner: information_schema hides what the app role may not touch.
	pg, err := pgx.Connect(ctx, pgCfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)

	sqliteCols := map[string][]string{}
	tables, err := lite.SQL().QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	for _, n := range names {
		rows, err := lite.SQL().QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", n)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			rows.Scan(&c)
			sqliteCols[n] = append(sqliteCols[n], c)
		}
		rows.Close()
	}

	pgCols := map[string][]string{}
	rows, err := pg.Query(ctx, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tbl, c string
		rows.Scan(&tbl, &c)
		pgCols[tbl] = append(pgCols[tbl], c)
	}
	rows.Close()

	flat := func(m map[string][]string) string {
		var out []string
		for tbl, cols := range m {
			for _, c := range cols {
				out = append(out, tbl+"."+c)
			}
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	if a, b := flat(sqliteCols), flat(pgCols); a != b {
		t.Fatalf("schemas differ\n--- sqlite\n%s\n--- postgres\n%s", a, b)
	}
	if len(sqliteCols) < 3 {
		t.Fatalf("only %d tables migrated", len(sqliteCols))
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	cfg := store.Config{DataDir: t.TempDir()}
	ctx := context.Background()
	first, err := store.Migrate(ctx, cfg)
	if err != nil || len(first) == 0 {
		t.Fatalf("first migrate applied %d (err %v)", len(first), err)
	}
	again, err := store.Migrate(ctx, cfg)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %d (err %v), want 0", len(again), err)
	}
	st, err := store.MigrationStatus(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if m.AppliedAt == nil {
			t.Fatalf("migration %d pending after migrate", m.Version)
		}
	}
}
