// Package storetest gives tests a fresh, migrated database on each engine.
//
// Postgres tests read WUYE_TEST_POSTGRES_URL (a login that may CREATE
// DATABASE and create roles: it plays the database administrator). Each call
// creates its own database, migrates it as that login and connects the tenant
// pool as wuye_app and the platform pool as wuye_platform, exactly as
// production does, then drops the database when the test ends. Without the
// variable the Postgres half is skipped locally, and fails under CI.
package storetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wuye-project/wuye/core/store"
)

// PostgresURL returns the admin URL for tests, failing under CI when unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("WUYE_TEST_POSTGRES_URL")
	if u == "" {
		if InCI() {
			t.Fatal("WUYE_TEST_POSTGRES_URL is not set; CI must run the Postgres tests")
		}
		t.Skip("WUYE_TEST_POSTGRES_URL not set; skipping Postgres half")
	}
	return u
}

// InCI reports whether the tests run under CI (CI=true or CI=1), where a
// missing service is a failure, not a skip.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1" || v == "yes"
}

// Each runs fn once on SQLite and once on Postgres, as subtests.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Open returns a migrated database of dialect d.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	if d == store.Postgres {
		return Postgres(t)
	}
	return SQLite(t)
}

// SQLite returns a migrated SQLite database in a temporary folder.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	cfg := store.Config{DataDir: t.TempDir()}
	return open(t, cfg)
}

// Postgres returns a migrated database of its own, connected as the app role.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	cfg := PostgresConfig(t)
	return open(t, cfg)
}

// PostgresConfig creates an empty database for the test and returns the config
// to reach it (dropped at cleanup). Use it when a test must migrate itself.
func PostgresConfig(t testing.TB) store.Config {
	t.Helper()
	admin := PostgresURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to test postgres: %v", err)
	}
	defer conn.Close(ctx)
	name := "wuye_t_" + strings.ReplaceAll(store.NewID().String(), "-", "")[12:]
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return ConfigFor(t, name)
}

// ConfigFor returns the config of the existing database name: the tenant and
// platform pools as their roles (created here if missing), migrations as the
// admin login.
func ConfigFor(t testing.TB, name string) store.Config {
	t.Helper()
	admin := PostgresURL(t)
	ctx := context.Background()
	rolesOnce.Do(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			rolesErr = err
			return
		}
		defer conn.Close(ctx)
		rolesErr = EnsureRoles(ctx, conn)
	})
	if rolesErr != nil {
		t.Fatalf("create the database roles: %v", rolesErr)
	}
	return store.Config{
		DatabaseURL:  Login(t, admin, name, store.AppRole),
		PlatformURL:  Login(t, admin, name, store.PlatformRole),
		MigrateURL:   Login(t, admin, name, ""),
		MaxOpenConns: 10,
	}
}

var (
	rolesOnce sync.Once
	rolesErr  error
)

// EnsureRoles does the database administrator's one-time step of
// docs/operator.md: the two login roles the app's pools use. The test
// cluster trusts local logins, so they need no password.
func EnsureRoles(ctx context.Context, admin *pgx.Conn) error {
	for _, r := range []string{store.AppRole, store.PlatformRole} {
		var exists, login bool
		if err := admin.QueryRow(ctx, "SELECT count(*) > 0, coalesce(bool_or(rolcanlogin), false) FROM pg_roles WHERE rolname = $1", r).Scan(&exists, &login); err != nil {
			return err
		}
		var stmt string
		switch {
		case !exists:
			stmt = "CREATE ROLE " + r + " LOGIN"
		case !login:
			stmt = "ALTER ROLE " + r + " LOGIN"
		default:
			continue
		}
		// Another test process may do the same at the same moment.
		if _, err := admin.Exec(ctx, stmt); err != nil && !strings.Contains(err.Error(), "already exists") && !strings.Contains(err.Error(), "concurrently") {
			return err
		}
	}
	return nil
}

// Login returns the admin URL pointed at database db and logging in as user
// (the admin's own login when user is empty).
func Login(t testing.TB, admin, db, user string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse WUYE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + db
	if user != "" {
		u.User = url.User(user)
	}
	return u.String()
}

func open(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	ctx := context.Background()
	if _, err := store.Migrate(ctx, cfg); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Name is a readable label for the engine, for benchmark and subtest names.
func Name(db *store.DB) string { return fmt.Sprint(db.Dialect()) }
