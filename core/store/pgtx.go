package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// pgTx is a Postgres transaction on one pooled connection whose BEGIN and
// set_config travel in a single round trip ("BEGIN; SELECT set_config(…)"
// over the simple protocol). database/sql's BeginTx would need one round trip
// for BEGIN and another for the setting; RLS costs enough round trips already
// (DESIGN §2). It satisfies gorm.ConnPool and gorm.TxCommitter, so gorm runs
// nested Transaction calls as savepoints.
type pgTx struct {
	*sql.Conn
	ctx context.Context
}

func (t pgTx) Commit() error   { return t.end("COMMIT") }
func (t pgTx) Rollback() error { return t.end("ROLLBACK") }

// end finishes the transaction. A COMMIT of an aborted transaction answers
// ROLLBACK without an error in Postgres; that is reported as a failure.
func (t pgTx) end(stmt string) error {
	return t.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: unexpected driver connection %T", dc)
		}
		tag, err := c.Conn().Exec(context.WithoutCancel(t.ctx), stmt)
		if err != nil {
			// The connection's state is unknown: drop it rather than reuse it.
			return errors.Join(err, driver.ErrBadConn)
		}
		if stmt == "COMMIT" && tag.String() == "ROLLBACK" {
			return errTxAborted
		}
		return nil
	})
}

var errTxAborted = errors.New("store: transaction was aborted by an earlier error and rolled back")

// inPostgresTx runs fn in a transaction whose first round trip also applies setup.
// setup is built by this package from a UUID or a constant, never from input.
func (db *DB) inPostgresTx(ctx context.Context, setup string, fn func(tx *gorm.DB) error) (err error) {
	conn, err := db.sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN; "+setup); err != nil {
		return err
	}
	t := pgTx{Conn: conn, ctx: ctx}
	done := false
	defer func() {
		if !done {
			// fn panicked: roll back, then let the panic go on.
			_ = t.Rollback()
		}
	}()
	tx := db.gdb.Session(&gorm.Session{Context: ctx, NewDB: true})
	tx.Statement.ConnPool = t
	err = fn(tx)
	if err == nil {
		err = tx.Error
	}
	done = true
	if err != nil {
		if rerr := t.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return t.Commit()
}

// pgTenantKey marks, in a read-pool connection's custom data, the tenant its
// session-level app.tenant_id currently holds.
const pgTenantKey = "wuye.tenant"

// pgRead is the Postgres read path of ReadMostly requests (GETs): a
// connection of a pool used by nothing else, whose session-level
// app.tenant_id is set to the request's tenant before fn runs (skipped when
// the connection already holds it; the pool's every use passes through
// here, so a connection can never carry an earlier user's tenant into a
// statement). Plain SELECTs then run without BEGIN/COMMIT: one round trip
// each instead of three for a one-query request. The first statement that
// is not a plain SELECT (a write, a locking read, a savepoint) opens a real
// transaction, so writes of a GET (an audit entry) stay atomic.
type pgRead struct {
	*sql.Conn
	ctx  context.Context
	inTx bool
}

// plainSelect reports whether q only reads, so it may run outside a
// transaction. A locking clause ("FOR UPDATE/SHARE") needs one; a false
// positive on " for " only costs a BEGIN.
func plainSelect(q string) bool {
	q = strings.TrimSpace(q)
	return len(q) >= 6 && strings.EqualFold(q[:6], "select") && !strings.Contains(strings.ToLower(q), " for ")
}

func (r *pgRead) before(ctx context.Context, q string) error {
	if r.inTx || plainSelect(q) {
		return nil
	}
	if _, err := r.Conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	r.inTx = true
	return nil
}

func (r *pgRead) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := r.before(ctx, q); err != nil {
		return nil, err
	}
	return r.Conn.ExecContext(ctx, q, args...)
}

func (r *pgRead) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := r.before(ctx, q); err != nil {
		return nil, err
	}
	return r.Conn.QueryContext(ctx, q, args...)
}

func (r *pgRead) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if err := r.before(ctx, q); err != nil {
		// *sql.Row carries no error of ours: answer from a cancelled context.
		dead, cancel := context.WithCancel(ctx)
		cancel()
		return r.Conn.QueryRowContext(dead, q, args...)
	}
	return r.Conn.QueryRowContext(ctx, q, args...)
}

func (r *pgRead) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	if err := r.before(ctx, q); err != nil {
		return nil, err
	}
	return r.Conn.PrepareContext(ctx, q)
}

// Commit and Rollback end the transaction a write opened, if any. Being a
// gorm.TxCommitter also makes gorm run nested Transaction calls as
// savepoints (which open the transaction through before).
func (r *pgRead) Commit() error   { return r.end("COMMIT") }
func (r *pgRead) Rollback() error { return r.end("ROLLBACK") }

func (r *pgRead) end(stmt string) error {
	if !r.inTx {
		return nil
	}
	r.inTx = false
	return pgTx{Conn: r.Conn, ctx: r.ctx}.end(stmt)
}

// setTenant makes conn's session tenant tid, unless it already is. A failure
// leaves the setting unknown, so the connection is dropped.
func setTenant(ctx context.Context, conn *sql.Conn, tid uuid.UUID, setup string) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: unexpected driver connection %T", dc)
		}
		data := c.Conn().PgConn().CustomData()
		if data[pgTenantKey] == tid {
			return nil
		}
		delete(data, pgTenantKey)
		// setup is built from a UUID and a hex digest (rls.go): safe to send as one simple-protocol round trip.
		if err := c.Conn().PgConn().Exec(ctx, setup).Close(); err != nil {
			return errors.Join(err, driver.ErrBadConn)
		}
		data[pgTenantKey] = tid
		return nil
	})
}

// inPostgresRead runs fn on the read pool as tenant tid (see pgRead).
func (db *DB) inPostgresRead(ctx context.Context, tid uuid.UUID, fn func(tx *gorm.DB) error) (err error) {
	conn, err := db.pgRead.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := setTenant(ctx, conn, tid, db.tenantSession(tid)); err != nil {
		return err
	}
	r := &pgRead{Conn: conn, ctx: ctx}
	done := false
	defer func() {
		if !done {
			_ = r.Rollback()
		}
	}()
	tx := db.gdb.Session(&gorm.Session{Context: ctx, NewDB: true})
	tx.Statement.ConnPool = r
	err = fn(tx)
	if err == nil {
		err = tx.Error
	}
	done = true
	if err != nil {
		if rerr := r.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return r.Commit()
}
