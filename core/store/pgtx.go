package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

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
