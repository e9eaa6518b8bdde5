package store

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// InSnapshot runs fn in one read-only transaction of tenantID, for work that
// reads many statements and must see one state of the data: a list exported
// as a file, read page after page. The context fn receives carries the
// transaction as InRequest's does, so every InTenant(ctx, tenantID, …) the
// list's service makes inside joins it (a savepoint) rather than opening its
// own. On Postgres the transaction is REPEATABLE READ READ ONLY with the
// tenant's signed setting (RLS applies as in InTenant): every statement sees
// the snapshot of the first. On SQLite it is a deferred transaction on the
// read pool: WAL gives it the snapshot of its first read, and it never waits
// behind a writer.
func (db *DB) InSnapshot(ctx context.Context, tenantID uuid.UUID, fn func(ctx context.Context) error) error {
	if tenantID == uuid.Nil {
		return ErrNoTenant
	}
	run := func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, joinKey{}, &joined{tx: tx, tenant: tenantID}))
	}
	sctx := context.WithValue(ctx, scopeKey{}, scope{tenant: tenantID})
	if db.dialect == Postgres {
		// SET TRANSACTION must precede the first query, so it goes before the setting.
		return db.inPostgresTx(sctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "+db.tenantSetup(tenantID), run)
	}
	g := db.gdb
	if db.read != nil {
		g = db.read
	}
	return g.WithContext(sctx).Transaction(run)
}

// AfterQuery is the statement setting (gorm's Set) of a func(*gorm.DB) that
// runs after the query has filled its destination. paging's keyset reads the
// last row of a page with it.
const AfterQuery = "wuye:after_query"

// registerAfterQuery installs the callback that runs AfterQuery functions.
func registerAfterQuery(db *gorm.DB) error {
	return db.Callback().Query().After("gorm:query").Register("wuye:after_query", func(tx *gorm.DB) {
		if v, ok := tx.Statement.Settings.Load(AfterQuery); ok && tx.Error == nil {
			if fn, ok := v.(func(*gorm.DB)); ok {
				fn(tx)
			}
		}
	})
}
