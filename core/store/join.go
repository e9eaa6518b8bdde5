package store

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// A request transaction lets one HTTP write commit as a whole: the change,
// its audit entry and its idempotency record (issue 6 §5). The API opens it
// with InRequest; every InTenant of the same tenant called with the context
// InRequest hands out joins it as a savepoint instead of opening a
// transaction of its own, so a crash or a failed audit insert cannot leave
// one part without the others.

type joinKey struct{}

// joined is the transaction a request context carries.
type joined struct {
	tx     *gorm.DB
	tenant uuid.UUID
}

// InRequest runs fn in one transaction scoped to tenantID. The context fn
// receives carries the transaction: InTenant(ctx, tenantID, …) inside joins
// it, and on SQLite so does Platform (one writer at a time: a second write
// transaction would wait on the first's lock until the busy timeout). fn's
// error rolls everything back.
func (db *DB) InRequest(ctx context.Context, tenantID uuid.UUID, fn func(ctx context.Context) error) error {
	return db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, joinKey{}, &joined{tx: tx, tenant: tenantID}))
	})
}

// Detach returns ctx without its request transaction, for work that must
// commit whatever the request does (the audit entry of a refused write).
func Detach(ctx context.Context) context.Context {
	if ctx.Value(joinKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, joinKey{}, (*joined)(nil))
}

// InRequestTx reports whether ctx carries a request transaction.
func InRequestTx(ctx context.Context) bool {
	j, _ := ctx.Value(joinKey{}).(*joined)
	return j != nil
}

// joinTenant runs fn in a savepoint of ctx's request transaction when that
// transaction belongs to tenantID; ok is false when there is none to join.
func (db *DB) joinTenant(ctx context.Context, tenantID uuid.UUID, fn func(tx *gorm.DB) error) (ok bool, err error) {
	j, _ := ctx.Value(joinKey{}).(*joined)
	if j == nil || j.tenant != tenantID {
		return false, nil
	}
	ctx = context.WithValue(ctx, scopeKey{}, scope{tenant: tenantID})
	return true, j.tx.Session(&gorm.Session{Context: ctx, NewDB: true}).Transaction(fn)
}

// joinPlatform runs fn with platform scope in a savepoint of ctx's request
// transaction, on SQLite only: there the scope is gorm's alone and a second
// writer would block on the first. On Postgres Platform keeps its own
// transaction on the platform pool, whose role the tenant pool cannot take.
func (db *DB) joinPlatform(ctx context.Context, fn func(tx *gorm.DB) error) (ok bool, err error) {
	j, _ := ctx.Value(joinKey{}).(*joined)
	if j == nil || db.dialect != SQLite {
		return false, nil
	}
	ctx = context.WithValue(ctx, scopeKey{}, scope{platform: true})
	return true, j.tx.Session(&gorm.Session{Context: ctx, NewDB: true}).Transaction(fn)
}

// Ctx returns the context of tx's tenant transaction, carrying it, so a
// service method called with it joins the transaction (the convention in
// docs/architecture.md): inside InTenant(ctx, t, func(tx) …), calling
// other.Method(store.Ctx(tx), t, …) keeps the other domain's work in the
// same transaction. On a platform transaction it returns the context as is.
func Ctx(tx *gorm.DB) context.Context {
	ctx := tx.Statement.Context
	s, ok := ctx.Value(scopeKey{}).(scope)
	if !ok || s.platform {
		return ctx
	}
	return context.WithValue(ctx, joinKey{}, &joined{tx: tx, tenant: s.tenant})
}
