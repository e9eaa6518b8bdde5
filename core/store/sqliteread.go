package store

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"
)

// sqliteRead is the SQLite read path of ReadMostly InTenant calls (GETs),
// the counterpart of pgRead: plain SELECTs run on the read pool without
// BEGIN/COMMIT (each is atomic on its own, and WAL keeps them beside a long
// write). The driver parses and runs BEGIN and COMMIT like any statement,
// together about as costly as a primary-key lookup. The first statement
// that is not a plain SELECT (an audit entry, a savepoint) opens a real
// transaction, and every later statement of the call runs in it, so writes
// of a GET stay atomic. Tenant isolation on SQLite is gorm's tenant scope,
// which does not depend on the transaction.
type sqliteRead struct {
	db *DB
	tx *sql.Tx
}

func (r *sqliteRead) begin(ctx context.Context, q string) error {
	if r.tx != nil || plainSelect(q) {
		return nil
	}
	tx, err := r.db.readSQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	r.tx = tx
	return nil
}

func (r *sqliteRead) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := r.begin(ctx, q); err != nil {
		return nil, err
	}
	if r.tx != nil {
		return r.tx.ExecContext(ctx, q, args...)
	}
	return r.db.readSQL.ExecContext(ctx, q, args...)
}

func (r *sqliteRead) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := r.begin(ctx, q); err != nil {
		return nil, err
	}
	if r.tx != nil {
		return r.tx.QueryContext(ctx, q, args...)
	}
	return r.db.readSQL.QueryContext(ctx, q, args...)
}

func (r *sqliteRead) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if err := r.begin(ctx, q); err != nil {
		// *sql.Row carries no error of ours: answer from a cancelled context.
		dead, cancel := context.WithCancel(ctx)
		cancel()
		return r.db.readSQL.QueryRowContext(dead, q, args...)
	}
	if r.tx != nil {
		return r.tx.QueryRowContext(ctx, q, args...)
	}
	return r.db.readSQL.QueryRowContext(ctx, q, args...)
}

func (r *sqliteRead) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	if err := r.begin(ctx, q); err != nil {
		return nil, err
	}
	if r.tx != nil {
		return r.tx.PrepareContext(ctx, q)
	}
	return r.db.readSQL.PrepareContext(ctx, q)
}

// Commit and Rollback end the transaction a write opened, if any; being a
// gorm.TxCommitter makes gorm run nested Transaction calls as savepoints.
func (r *sqliteRead) Commit() error {
	if r.tx == nil {
		return nil
	}
	tx := r.tx
	r.tx = nil
	return tx.Commit()
}

func (r *sqliteRead) Rollback() error {
	if r.tx == nil {
		return nil
	}
	tx := r.tx
	r.tx = nil
	return tx.Rollback()
}

// inSQLiteRead runs fn on the read pool (see sqliteRead).
func (db *DB) inSQLiteRead(ctx context.Context, fn func(tx *gorm.DB) error) (err error) {
	r := &sqliteRead{db: db}
	done := false
	defer func() {
		if !done {
			_ = r.Rollback()
		}
	}()
	tx := db.read.Session(&gorm.Session{Context: ctx, NewDB: true})
	tx.Statement.ConnPool = r
	err = fn(tx)
	if err == nil {
		err = tx.Error
	}
	done = true
	if err != nil {
		if rerr := r.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, rerr)
		}
		return err
	}
	return r.Commit()
}
