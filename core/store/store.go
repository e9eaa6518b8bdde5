// Package store opens the database (SQLite by default, Postgres in
// production) and is the only door to tenant data: InTenant runs a function in
// a transaction scoped to one tenant, both in gorm (every query on a model with
// a TenantID gets "tenant_id = ?", every insert gets the tenant stamped) and, on
// Postgres, by row-level security keyed on the transaction-local setting
// app.tenant_id. On Postgres the tenant pool logs in as wuye_app, a role that
// owns no table and can assume no other, so no statement it runs, whatever it
// sets, reaches another tenant; Platform runs on a second pool logged in as
// wuye_platform, whose own policy shows it every row (docs/architecture.md).
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
	"github.com/wuye-project/wuye/core/apperr"
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

// The database roles of a Postgres deployment (migrations grant to them;
// docs/operator.md says how a database administrator creates them).
const (
	// AppRole is the tenant pool's role: it sees one tenant's rows at a time.
	AppRole = "wuye_app"
	// PlatformRole is the platform pool's role: it sees every tenant's rows.
	PlatformRole = "wuye_platform"
)

// Config says where the data lives.
type Config struct {
	// DatabaseURL is the tenant pool's postgres:// URL, logging in as AppRole
	// (or a login that is a member of it and of nothing more); empty means
	// SQLite under DataDir.
	DatabaseURL string
	// PlatformURL is the platform pool's URL, logging in as PlatformRole;
	// required with DatabaseURL.
	PlatformURL string
	// MigrateURL is the login migrations use (it owns the tables); defaults to DatabaseURL.
	MigrateURL string
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
	// Postgres only: the pool Platform runs on, logged in as PlatformRole,
	// and the key that signs the tenant setting (rls.go).
	platform *DB
	rlsKey   []byte
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
	if db.platform != nil {
		db.platform.Close()
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
		if cfg.PlatformURL == "" {
			return nil, errors.New("store: a platform database URL (WUYE_PLATFORM_DATABASE_URL, logging in as " + PlatformRole + ") is required with PostgreSQL")
		}
		var err error
		if sqlDB, err = openPostgres(cfg.DatabaseURL, cfg.MaxOpenConns); err != nil {
			return nil, err
		}
		if pgRead, err = openPostgres(cfg.DatabaseURL, cfg.MaxOpenConns); err != nil {
			sqlDB.Close()
			return nil, err
		}
		dial = postgres.New(postgres.Config{Conn: sqlDB})
	}
	db := &DB{sqlDB: sqlDB, dialect: dialect, pgRead: pgRead}
	var err error
	if db.gdb, err = openGorm(dial); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect %s: %w", dialect, err)
	}
	if dialect == Postgres {
		if db.platform, err = openPlatform(ctx, cfg); err != nil {
			db.Close()
			return nil, err
		}
		if err := checkRole(ctx, sqlDB, "WUYE_DATABASE_URL", AppRole); err != nil {
			db.Close()
			return nil, err
		}
		if db.rlsKey, err = loadRLSKey(ctx, db.platform.sqlDB); err != nil {
			db.Close()
			return nil, err
		}
	}
	if dialect == SQLite {
		if db.read, db.readSQL, err = openSQLiteReader(cfg.DataDir); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// openPostgres opens a pool on url; n bounds it (20 when zero).
func openPostgres(url string, n int) (*sql.DB, error) {
	pc, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	sqlDB := stdlib.OpenDB(*pc)
	if n <= 0 {
		n = 20
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return sqlDB, nil
}

// openPlatform opens the platform pool: fewer connections, since only
// operator work, sign-in lookups and background work use it.
func openPlatform(ctx context.Context, cfg Config) (*DB, error) {
	n := cfg.MaxOpenConns / 2
	if n < 4 {
		n = 4
	}
	sqlDB, err := openPostgres(cfg.PlatformURL, n)
	if err != nil {
		return nil, err
	}
	gdb, err := openGorm(postgres.New(postgres.Config{Conn: sqlDB}))
	if err == nil {
		err = checkRole(ctx, sqlDB, "WUYE_PLATFORM_DATABASE_URL", PlatformRole)
	}
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return &DB{gdb: gdb, sqlDB: sqlDB, dialect: Postgres}, nil
}

// checkRole refuses a pool whose login could see more than its role allows:
// a superuser or BYPASSRLS login, one that owns (or may become the owner of)
// the tables, and, for the tenant pool, one that may become the platform role.
// A misconfigured URL fails at start, not at the first cross-tenant query.
func checkRole(ctx context.Context, pool *sql.DB, setting, role string) error {
	var (
		user                          string
		super, bypass, hasRole, owner bool
		platform                      bool
	)
	err := pool.QueryRowContext(ctx, `
SELECT current_user, r.rolsuper, r.rolbypassrls,
       pg_has_role(current_user, $1, 'USAGE'),
       EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
               AND c.relkind = 'r' AND pg_has_role(current_user, c.relowner, 'MEMBER')),
       pg_has_role(current_user, $2, 'MEMBER')
FROM pg_roles r WHERE r.rolname = current_user`, role, PlatformRole).Scan(&user, &super, &bypass, &hasRole, &owner, &platform)
	if err != nil {
		return fmt.Errorf("store: %s: check the login's role (have the migrations run?): %w", setting, err)
	}
	switch {
	case super || bypass:
		return fmt.Errorf("store: %s logs in as %q, a superuser or BYPASSRLS role, which row-level security does not bind; log in as %s (docs/operator.md)", setting, user, role)
	case owner:
		return fmt.Errorf("store: %s logs in as %q, which owns the tables (or may become their owner) and so is not bound by their policies; log in as %s and keep the owner for WUYE_MIGRATE_URL (docs/operator.md)", setting, user, role)
	case !hasRole:
		return fmt.Errorf("store: %s logs in as %q, which does not have the privileges of %s; log in as %s (docs/operator.md)", setting, user, role, role)
	case role == AppRole && platform:
		return fmt.Errorf("store: %s logs in as %q, which may become %s and so see every tenant; the tenant pool's login must be a member of %s only (docs/operator.md)", setting, user, PlatformRole, AppRole)
	}
	return nil
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
	if err := registerAfterQuery(gdb); err != nil {
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
	if err := privateFiles(dir, p); err != nil {
		return "", err
	}
	dsn := "file:" + p + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	if immediate {
		dsn += "&_txlock=immediate"
	}
	return dsn, nil
}

// privateFiles keeps the data dir 0700 and the database 0600: it creates the
// file before SQLite does (which would use 0644), and tightens files made by
// older versions. SQLite gives its -wal and -shm files the database's mode.
func privateFiles(dir, db string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("store: data dir: %w", err)
	}
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: create sqlite file: %w", err)
	}
	f.Close()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: sqlite file mode: %w", err)
		}
	}
	return nil
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
	// Idle connections are kept: a new one must open the file and parse the schema again.
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	return sqlDB, nil
}

// ErrNoTenant is returned when tenant data is touched outside InTenant or Platform.
var ErrNoTenant = errors.New("store: tenant-owned table used without a tenant scope")

type readMostlyKey struct{}

// ReadMostly marks ctx as serving a request that reads (a GET). On SQLite its
// work runs on a second pool, so it runs beside a long write (an import)
// instead of queueing behind it; the main pool begins immediate, so writers
// queue rather than fail on lock upgrade. Its InTenant calls take the read
// path of sqliteread.go (plain SELECTs without BEGIN/COMMIT, a
// deferred transaction from the first write: an audit entry); its Platform
// calls a deferred transaction. On Postgres its InTenant
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
	if ok, err := db.joinTenant(ctx, tenantID, fn); ok { // see join.go
		return err
	}
	ctx = context.WithValue(ctx, scopeKey{}, scope{tenant: tenantID})
	if db.dialect == Postgres {
		if db.pgRead != nil && ctx.Value(readMostlyKey{}) != nil {
			return db.inPostgresRead(ctx, tenantID, fn)
		}
		return db.inPostgresTx(ctx, db.tenantSetup(tenantID), fn)
	}
	if db.read != nil && ctx.Value(readMostlyKey{}) != nil {
		return db.inSQLiteRead(ctx, fn)
	}
	return db.gdb.WithContext(ctx).Transaction(fn)
}

// Platform runs fn in a transaction that may read and write across tenants.
// Only platform work uses it: the operator's tenant administration, login
// lookup before a tenant is known, the outbox relay, the scheduler.
func (db *DB) Platform(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if ok, err := db.joinPlatform(ctx, fn); ok { // see join.go
		return err
	}
	ctx = context.WithValue(ctx, scopeKey{}, scope{platform: true})
	if db.dialect == Postgres {
		// The platform pool's role sees every row by its own policy; no setting is involved.
		return db.platform.inPostgresTx(ctx, "SELECT 'platform'", fn)
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

// IsNotFound reports whether err is gorm's missing row.
func IsNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

// NotFound maps gorm's missing row to apperr.NotFound, for a Get by id.
func NotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.NotFound
	}
	return err
}
