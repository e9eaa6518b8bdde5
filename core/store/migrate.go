package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/wuye-project/wuye/migrations"
)

// Migration is one versioned SQL file.
type Migration struct {
	Version   int64
	Name      string
	AppliedAt *time.Time // nil when pending
	sql       string
}

// migrateLock is the Postgres advisory lock key that serialises migrators.
const migrateLock = 0x77757965 // "wuye"

func loadMigrations(d Dialect) ([]Migration, error) {
	dir := string(d)
	entries, err := fs.ReadDir(migrations.FS, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int64]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s/%s: name must be NNNNN_name.sql", dir, name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(migrations.FS, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// openOwner opens a plain connection as the migrating (table-owning) login.
func openOwner(cfg Config) (*sql.DB, Dialect, error) {
	if cfg.DatabaseURL == "" {
		db, err := openSQLite(cfg.DataDir, true)
		return db, SQLite, err
	}
	u := cfg.MigrateURL
	if u == "" {
		u = cfg.DatabaseURL
	}
	pc, err := pgx.ParseConfig(u)
	if err != nil {
		return nil, "", fmt.Errorf("store: parse migrate url: %w", err)
	}
	db := stdlib.OpenDB(*pc)
	db.SetMaxOpenConns(1)
	return db, Postgres, nil
}

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL
)`

// Migrate applies every pending migration, each in its own transaction, and
// returns the ones it applied. On Postgres an advisory lock makes concurrent
// starts of several wuye processes safe.
func Migrate(ctx context.Context, cfg Config) ([]Migration, error) {
	db, d, err := openOwner(cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	all, err := loadMigrations(d)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: connect for migration: %w", err)
	}
	defer conn.Close()
	if d == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
			return nil, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLock)
	}
	if _, err := conn.ExecContext(ctx, createVersionTable); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	var done []Migration
	for _, m := range all {
		if _, ok := applied[m.Version]; ok {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return done, err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return done, fmt.Errorf("store: migration %05d_%s: %w", m.Version, m.Name, err)
		}
		now := time.Now().UTC()
		if _, err := tx.ExecContext(ctx, rebind(d, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"), m.Version, m.Name, now); err != nil {
			tx.Rollback()
			return done, err
		}
		if err := tx.Commit(); err != nil {
			return done, err
		}
		m.AppliedAt = &now
		done = append(done, m)
	}
	return done, nil
}

// MigrationStatus lists every known migration and when it was applied.
func MigrationStatus(ctx context.Context, cfg Config) ([]Migration, error) {
	db, d, err := openOwner(cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	all, err := loadMigrations(d)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, createVersionTable); err != nil {
		return nil, err
	}
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if t, ok := applied[all[i].Version]; ok {
			t := t
			all[i].AppliedAt = &t
		}
	}
	return all, nil
}

func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int64]time.Time, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var v int64
		var t time.Time
		if err := rows.Scan(&v, &t); err != nil {
			return nil, err
		}
		out[v] = t
	}
	return out, rows.Err()
}

// rebind turns ? placeholders into $n for Postgres.
func rebind(d Dialect, q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
