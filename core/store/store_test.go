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
CREATE POLICY tenant_isolation ON rls_probe USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
CREATE POLICY platform_access ON rls_probe TO wuye_platform USING (true) WITH CHECK (true);`

func ownerExec(t testing.TB, cfg store.Config, sql string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, cfg.MigrateURL)
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
				// A service's own tenant filter stands in for the scope's only
				// when it is B's and no OR can reach around it.
				for name, q := range map[string]*gorm.DB{
					"A's filter":          tx.Where("tenant_id = ?", a),
					"B's filter, OR":      tx.Where("tenant_id = ?", b).Or("id = ?", target),
					"OR first":            tx.Where("id = ?", target).Or("tenant_id = ?", b),
					"B's filter, OR text": tx.Where("tenant_id = ?", b).Where("1 = 1 OR id = ?", target),
				} {
					var got []probe
					if err := q.Find(&got).Error; err != nil {
						t.Fatal(err)
					}
					for _, p := range got {
						if p.TenantID != b {
							t.Errorf("%s: tenant B read tenant A's row", name)
						}
					}
				}
				var own []probe
				if err := tx.Where("tenant_id = ?", b).Find(&own).Error; err != nil || len(own) != 2 {
					t.Errorf("tenant B with its own filter sees %d rows (err %v), want 2", len(own), err)
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

// TestRowLevelSecurity proves the second lock: raw SQL on the tenant pool,
// bypassing gorm's scoping, sees only the tenant of the transaction, and
// nothing a hostile statement can set inside that transaction (another
// tenant's id, app.platform, a role, row_security) shows or changes another
// tenant's rows, the platform's tables or the signing key.
func TestRowLevelSecurity(t *testing.T) {
	db, cfg := openWithProbe(t, store.Postgres)
	ctx := context.Background()
	a, b := store.NewID(), store.NewID()
	for _, tid := range []uuid.UUID{a, b} {
		if err := db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Create(&probe{Note: tid.String()}).Error }); err != nil {
			t.Fatal(err)
		}
	}
	ownerExec(t, cfg, "INSERT INTO tenants (id, code, name, plan_code) VALUES ('"+a.String()+"', 'a', 'A', 'trial'), ('"+b.String()+"', 'b', 'B', 'trial')")

	// Outside InTenant the tenant pool sees nothing.
	var n int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM rls_probe").Scan(&n); err != nil || n != 0 {
		t.Fatalf("tenant pool outside a tenant sees %d rows (err %v), want 0", n, err)
	}
	visible := func(tx *gorm.DB, where string) int64 {
		t.Helper()
		var n int64
		if err := tx.Raw("SELECT count(*) FROM rls_probe " + where).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := db.InTenant(ctx, a, func(tx *gorm.DB) error {
		var who string
		if err := tx.Raw("SELECT current_user").Scan(&who).Error; err != nil || who != store.AppRole {
			t.Fatalf("tenant pool runs as %q (err %v), want %s", who, err, store.AppRole)
		}
		if n := visible(tx, ""); n != 1 {
			t.Fatalf("tenant A sees %d rows, want 1", n)
		}
		var tenants int64
		if err := tx.Raw("SELECT count(*) FROM tenants").Scan(&tenants).Error; err != nil || tenants != 1 {
			t.Errorf("tenant A sees %d tenants (err %v), want only its own", tenants, err)
		}
		// Each attempt runs in a savepoint, so a refused one does not end the test's transaction.
		attempt := func(sql string) error {
			return tx.Transaction(func(tx *gorm.DB) error { return tx.Exec(sql).Error })
		}
		for _, set := range []string{
			"SELECT set_config('app.tenant_id', '" + b.String() + "', true)",
			"SET LOCAL app.tenant_id = '" + b.String() + "'",
			"SET app.tenant_id = '" + b.String() + "'",
			"SET LOCAL app.platform = 'on'",
			"SET app.platform = 'on'",
		} {
			if err := attempt(set); err != nil {
				t.Fatalf("%s: %v", set, err)
			}
			var seen, changed int64
			err := tx.Transaction(func(tx *gorm.DB) error {
				tx.Exec(set)
				seen = visible(tx, "WHERE tenant_id = '"+b.String()+"'")
				res := tx.Exec("UPDATE rls_probe SET note = 'hijacked' WHERE tenant_id = ?", b)
				changed = res.RowsAffected
				return res.Error
			})
			if err != nil || seen != 0 || changed != 0 {
				t.Errorf("after %s: tenant B rows seen %d, changed %d (err %v); want 0, 0", set, seen, changed, err)
			}
		}
		for _, sql := range []string{
			"SET ROLE " + store.PlatformRole,
			"SET ROLE postgres",
			"SET SESSION AUTHORIZATION postgres",
			"ALTER TABLE rls_probe DISABLE ROW LEVEL SECURITY",
			"ALTER TABLE rls_probe NO FORCE ROW LEVEL SECURITY",
			"DROP POLICY tenant_isolation ON rls_probe",
			"SELECT password_hash FROM operators",
			"SELECT key FROM rls_keys",
			// The signed-tenant view reads rls_keys with its owner's rights: it must not let anything through.
			"DELETE FROM wuye_tenant",
			"UPDATE wuye_tenant SET id = id",
			"CREATE OR REPLACE VIEW wuye_tenant AS SELECT '" + b.String() + "'::uuid AS id",
			"UPDATE tenants SET plan_code = 'enterprise'",
			"INSERT INTO rls_probe VALUES ('" + b.String() + "', '" + store.NewID().String() + "', 'smuggled', now())",
			"CREATE FUNCTION public.leak() RETURNS int LANGUAGE sql AS 'SELECT 1'",
		} {
			if err := attempt(sql); err == nil {
				t.Errorf("tenant role was allowed: %s", sql)
			}
		}
		// SET row_security = off makes any policed query fail rather than show more.
		err := tx.Transaction(func(tx *gorm.DB) error {
			tx.Exec("SET LOCAL row_security = off")
			return tx.Exec("SELECT count(*) FROM rls_probe").Error
		})
		if err == nil {
			t.Error("with row_security off the tenant role still read the table")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	if err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.Model(&probe{}).Order("note").Pluck("note", &notes).Error }); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"DELETE FROM wuye_tenant", "DELETE FROM rls_keys"} {
		if err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.Exec(sql).Error }); err == nil {
			t.Errorf("platform role was allowed: %s", sql)
		}
	}
	// The key is still there: tenant reads still see their rows.
	if err := db.InTenant(ctx, a, func(tx *gorm.DB) error {
		if n := visible(tx, ""); n != 1 {
			t.Errorf("tenant A sees %d rows after the attempts, want 1", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0] == "hijacked" || notes[1] == "hijacked" {
		t.Fatalf("platform sees %v, want both tenants' rows unchanged", notes)
	}
}

// TestEveryTenantTableHasRLS walks the migrated Postgres catalogue: every
// table with a tenant_id column must force RLS, carry a tenant policy on the
// signed tenant (not on a setting anyone may change) and a platform policy,
// and the app roles must own none of them. Tables without tenant_id are the
// platform's: the tenant role may at most read them, and some not at all.
func TestEveryTenantTableHasRLS(t *testing.T) {
	cfg := storetest.PostgresConfig(t)
	ctx := context.Background()
	if _, err := store.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, cfg.MigrateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped),
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polroles = '{0}'
          AND pg_get_expr(p.polqual, p.polrelid) LIKE '%tenant_id = ( SELECT wuye_tenant.id%FROM wuye_tenant))'
          AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%tenant_id = ( SELECT wuye_tenant.id%FROM wuye_tenant))'),
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polroles = ARRAY['wuye_platform'::regrole::oid]),
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app.platform%'),
       has_table_privilege('wuye_app', c.oid, 'SELECT'),
       has_table_privilege('wuye_app', c.oid, 'INSERT') OR has_table_privilege('wuye_app', c.oid, 'UPDATE') OR has_table_privilege('wuye_app', c.oid, 'DELETE')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r','p')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// Platform tables the tenant role may read (its own tenant row, the plans), and those it may not touch.
	readable := map[string]bool{"tenants": true, "plans": true}
	for rows.Next() {
		var name, owner string
		var rls, force, tenantOwned, sel, write bool
		var tenantPolicies, platformPolicies, settingPolicies int
		if err := rows.Scan(&name, &rls, &force, &owner, &tenantOwned, &tenantPolicies, &platformPolicies, &settingPolicies, &sel, &write); err != nil {
			t.Fatal(err)
		}
		if owner == store.AppRole || owner == store.PlatformRole {
			t.Errorf("table %s is owned by %s", name, owner)
		}
		if settingPolicies > 0 {
			t.Errorf("table %s has a policy that honours app.platform", name)
		}
		switch {
		case tenantOwned:
			if !rls || !force || tenantPolicies != 1 || platformPolicies != 1 {
				t.Errorf("table %s: rls=%v force=%v tenant policies=%d platform policies=%d; every tenant table needs RLS forced, one policy on the signed tenant (wuye_tenant) and one for wuye_platform",
					name, rls, force, tenantPolicies, platformPolicies)
			}
		case readable[name]:
			if write {
				t.Errorf("the tenant role may write the platform table %s", name)
			}
		default:
			if sel || write {
				t.Errorf("the tenant role may read or write the platform table %s", name)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
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
	pg, err := pgx.Connect(ctx, pgCfg.MigrateURL)
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
	rows, err := pg.Query(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tbl, c string
		rows.Scan(&tbl, &c)
		if tbl == "rls_keys" {
			continue // Postgres only: the key that signs the tenant setting (00011)
		}
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
