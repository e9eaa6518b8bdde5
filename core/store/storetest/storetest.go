// Package storetest gives tests a fresh, migrated database on each engine.
//
// Postgres tests read WUYE_TEST_POSTGRES_URL (a login that may CREATE
// DATABASE). Each call creates its own database, migrates it as that login and
// connects the app pool as the unprivileged role, exactly as production does,
// then drops the database when the test ends. Without the variable the
// Postgres half is skipped locally, and fails when CI=true.
package storetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wuye-project/wuye/core/store"
)

// PostgresURL returns the admin URL for tests, failing under CI when unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("WUYE_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("WUYE_TEST_POSTGRES_URL is not set; CI must run the Postgres tests")
		}
		t.Skip("WUYE_TEST_POSTGRES_URL not set; skipping Postgres half")
	}
	return u
}

// Each runs fn once on SQLite and once on Postgres, as subtests.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
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
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse WUYE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return store.Config{DatabaseURL: u.String(), AppRole: store.DefaultAppRole, MaxOpenConns: 10}
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
