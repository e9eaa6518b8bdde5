// Package store opens the database (SQLite by default, Postgres in
// production) and is the only door to tenant data: InTenant runs a function in
// a transaction scoped to one tenant, both in gorm (every query on a model with
// a TenantID gets "tenant_id = ?", every insert gets the tenant stamped) and, on
// Postgres, by row-level security keyed on the transaction-local setting
// app.tenant_id. The application connects as (or SETs ROLE to) a role that owns
// no table, so RLS cannot be bypassed by the owner exemption.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultAppRole is the unprivileged role migrations create; the app runs as it.
const DefaultAppRole = "wuye_app"

// Config says where the data lives.
type Config struct {
	// DatabaseURL is a postgres:// URL; empty means SQLite under DataDir.
	DatabaseURL string
	// MigrateURL is the login migrations use (it owns the tables); defaults to DatabaseURL.
	MigrateURL string
	// AppRole is SET on every Postgres connection of the app pool; empty when
	// the login itself is already the unprivileged role.
	AppRole string
	// DataDir holds the SQLite file.
	DataDir string
	// MaxOpenConns bounds the pool (Postgres); SQLite uses its own limits.
	MaxOpenConns int
}

// DB is the application's database handle.
type DB struct {
	gdb     *gorm.DB
	sqlDB   *sql.DB
	dialect Dialect
	// SQLite only: a second pool whose transactions begin deferred, for
	// ReadMostly contexts (see there). nil on Postgres.
	read    *gorm.DB
	readSQL *sql.DB
	// Postgres only: the pool of ReadMostly InTenant calls (pgtx.go), used by nothing else.
	pgRead *sql.DB
}

// Dialect reports the engine in use.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL exposes the pool for health checks and metrics.
func (db *DB) SQL() *sql.DB { return db.sqlDB }

// Close closes the pool.
func (db *DB) Close() error {
	if db.readSQL != nil {
		db.readSQL.Close()
	}
	if db.pgRead != nil {
		db.pgRead.Close()
	}
	return db.sqlDB.Close()
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sqlDB.PingContext(ctx) }

// NewID returns a new UUIDv7: time-ordered, so inserts stay at the right edge of indexes.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Open connects the application pool. It does not migrate; call Migrate first.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	var (
		sqlDB   *sql.DB
		pgRead  *sql.DB // Postgres: the pool of ReadMostly InTenant (pgtx.go)
		dialect Dialect
		dial    gorm.Dialector
	)
	if cfg.DatabaseURL == "" {
		dialect = SQLite
		var err error
		if sqlDB, err = openSQLite(cfg.DataDir, true); err != nil {
			return nil, err
		}
		dial = sqlite.Dialector{Conn: sqlDB}
	} else {
		dialect = Postgres
		pc, err := pgx.ParseConfig(cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("store: parse database url: %w", err)
		}
		role := cfg.AppRole
		connector := stdlib.GetConnector(*pc, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
			if role == "" {
				return nil
			}
			_, err := c.Exec(ctx, "SET ROLE "+pgx.Identifier{role}.Sanitize())
			return err
		}))
		sqlDB = sql.OpenDB(connector)
		pgRead = sql.OpenDB(connector)
		n := cfg.MaxOpenConns
		if n <= 0 {
			n = 20
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		pgRead.SetMaxOpenConns(n)
		pgRead.SetMaxIdleConns(n)
		pgRead.SetConnMaxIdleTime(5 * time.Minute)
		dial = postgres.New(postgres.Config{Conn: sqlDB})
	}
	gdb, err := openGorm(dial)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: connect %s: %w", dialect, err)
	}
	db := &DB{gdb: gdb, sqlDB: sqlDB, dialect: dialect, pgRead: pgRead}
	if dialect == SQLite {
		if db.read, db.readSQL, err = openSQLiteReader(cfg.DataDir); err != nil {
			sqlDB.Close()
			return nil, err
		}
	}
	return db, nil
}

func openGorm(dial gorm.Dialector) (*gorm.DB, error) {
	gdb, err := gorm.Open(dial, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // InTenant already runs everything in one transaction
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, err
	}
	return gdb, registerTenantScope(gdb)
}

// openSQLiteReader opens the deferred-transaction pool of ReadMostly contexts.
func openSQLiteReader(dir string) (*gorm.DB, *sql.DB, error) {
	sqlDB, err := openSQLite(dir, false)
	if err != nil {
		return nil, nil, err
	}
	gdb, err := openGorm(sqlite.Dialector{Conn: sqlDB})
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("store: open sqlite reader: %w", err)
	}
	return gdb, sqlDB, nil
}

// sqliteDSN builds the DSN: WAL so readers do not block the writer, a busy
// timeout instead of instant SQLITE_BUSY, and (for the main pool) immediate
// transactions so two writers queue up rather than fail on lock upgrade.
func sqliteDSN(dir string, immediate bool) (string, error) {
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: data dir: %w", err)
	}
	p := filepath.Join(dir, "wuye.db")
	dsn := "file:" + p + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	if immediate {
		dsn += "&_txlock=immediate"
	}
	return dsn, nil
}

func openSQLite(dir string, immediate bool) (*sql.DB, error) {
	dsn, err := sqliteDSN(dir, immediate)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// One writer at a time is SQLite's rule; a small pool keeps readers concurrent under WAL.
	sqlDB.SetMaxOpenConns(8)
	return sqlDB, nil
}

// ErrNoTenant is returned when tenant data is touched outside InTenant or Platform.
var ErrNoTenant = errors.New("store: tenant-owned table used without a tenant scope")

type readMostlyKey struct{}

// ReadMostly marks ctx as serving a request that reads (a GET). On SQLite its
// transactions begin deferred on a second pool, so they run beside a long
// write (an import) instead of queueing behind it; the main pool begins
// immediate, so writers queue rather than fail on lock upgrade. A deferred
// transaction may still write (an audit entry). On Postgres its InTenant
// calls take the read path of pgtx.go: session tenant on a pool of their own,
// plain SELECTs without BEGIN/COMMIT, a real transaction from the first write.
func ReadMostly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readMostlyKey{}, true)
}

// sqliteFor picks the SQLite pool for ctx.
func (db *DB) sqliteFor(ctx context.Context) *gorm.DB {
	if db.read != nil && ctx.Value(readMostlyKey{}) != nil {
		return db.read
	}
	return db.gdb
}

// InTenant runs fn in a transaction that can see only tenantID's rows.
func (db *DB) InTenant(ctx context.Context, tenantID uuid.UUID, fn func(tx *gorm.DB) error) error {
	if tenantID == uuid.Nil {
		return ErrNoTenant
	}
	ctx = context.WithValue(ctx, scopeKey{}, scope{tenant: tenantID})
	if db.dialect == Postgres {
		if db.pgRead != nil && ctx.Value(readMostlyKey{}) != nil {
			return db.inPostgresRead(ctx, tenantID, fn)
		}
		return db.inPostgresTx(ctx, "SELECT set_config('app.tenant_id', '"+tenantID.String()+"', true)", fn)
	}
	return db.sqliteFor(ctx).WithContext(ctx).Transaction(fn)
}

// Platform runs fn in a transaction that may read and write across tenants.
// Only platform work uses it: the operator's tenant administration, login
// lookup before a tenant is known, the outbox relay, the scheduler.
func (db *DB) Platform(ctx context.Context, fn func(tx *gorm.DB) error) error {
	ctx = context.WithValue(ctx, scopeKey{}, scope{platform: true})
	if db.dialect == Postgres {
		return db.inPostgresTx(ctx, "SELECT set_config('app.platform', 'on', true)", fn)
	}
	return db.sqliteFor(ctx).WithContext(ctx).Transaction(fn)
}

// IsUniqueViolation reports whether err is a unique-constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "UNIQUE constraint failed")
}
