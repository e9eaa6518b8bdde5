package store

import (
	"fmt"
	"reflect"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

type scopeKey struct{}

type scope struct {
	tenant   uuid.UUID
	platform bool
}

// TenantOf returns the tenant of the InTenant transaction tx belongs to.
func TenantOf(tx *gorm.DB) (uuid.UUID, bool) {
	s, ok := tx.Statement.Context.Value(scopeKey{}).(scope)
	if !ok || s.platform {
		return uuid.Nil, false
	}
	return s.tenant, true
}

// registerTenantScope installs callbacks that scope every statement on a model
// with a TenantID field to the transaction's tenant. They fail closed: such a
// statement outside InTenant/Platform is an error, not an unscoped query.
func registerTenantScope(db *gorm.DB) error {
	cb := db.Callback()
	regs := []error{
		cb.Query().Before("gorm:query").Register("wuye:tenant", scopeWhere),
		cb.Row().Before("gorm:row").Register("wuye:tenant", scopeWhere),
		cb.Query().Before("gorm:query").Register("wuye:tenant_table", scopeTable),
		cb.Row().Before("gorm:row").Register("wuye:tenant_table", scopeTable),
		cb.Update().Before("gorm:update").Register("wuye:tenant_table", scopeTable),
		cb.Delete().Before("gorm:delete").Register("wuye:tenant_table", scopeTable),
		cb.Raw().Before("gorm:raw").Register("wuye:tenant_raw", checkRaw),
		cb.Row().Before("gorm:row").Register("wuye:tenant_raw", checkRaw),
		cb.Query().Before("gorm:query").Register("wuye:tenant_raw", checkRaw),
		cb.Update().Before("gorm:update").Register("wuye:tenant", scopeWhere),
		cb.Delete().Before("gorm:delete").Register("wuye:tenant", scopeWhere),
		cb.Create().Before("gorm:create").Register("wuye:tenant", stampCreate),
	}
	for _, err := range regs {
		if err != nil {
			return fmt.Errorf("store: register tenant scope: %w", err)
		}
	}
	return nil
}

func tenantField(tx *gorm.DB) *schema.Field {
	if tx.Statement.Schema == nil {
		return nil
	}
	return tx.Statement.Schema.LookUpField("TenantID")
}

func scopeWhere(tx *gorm.DB) {
	f := tenantField(tx)
	if f == nil || tx.Error != nil {
		return
	}
	s, ok := tx.Statement.Context.Value(scopeKey{}).(scope)
	switch {
	case !ok:
		_ = tx.AddError(ErrNoTenant)
	case s.platform:
	case scopedBy(tx.Statement, f.DBName, s.tenant):
	default:
		eq := clause.Eq{Column: clause.Column{Table: tx.Statement.Table, Name: f.DBName}, Value: s.tenant}
		// gorm joins a top-level Or to its neighbours without parentheses, so
		// "a OR b" AND tenant would read "a OR (b AND tenant)": group what is
		// there first.
		if c, ok := tx.Statement.Clauses["WHERE"]; ok {
			if w, ok := c.Expression.(clause.Where); ok && hasOr(w.Exprs) {
				c.Expression = clause.Where{Exprs: []clause.Expression{clause.AndConditions{Exprs: w.Exprs}, eq}}
				tx.Statement.Clauses["WHERE"] = c
				return
			}
		}
		tx.Statement.AddClause(clause.Where{Exprs: []clause.Expression{eq}})
	}
}

func hasOr(exprs []clause.Expression) bool {
	for _, e := range exprs {
		if _, ok := e.(clause.OrConditions); ok {
			return true
		}
	}
	return false
}

// scopedBy reports whether st's WHERE already holds "col = ?" bound to
// tenant as one of its top-level AND terms (a service's own tenant filter),
// so the scope's identical condition would only lengthen the statement
// (SQLite parses every statement anew). Any top-level OR, which could reach
// around the term, makes it answer false.
func scopedBy(st *gorm.Statement, col string, tenant uuid.UUID) bool {
	c, ok := st.Clauses["WHERE"]
	if !ok {
		return false
	}
	w, ok := c.Expression.(clause.Where)
	if !ok {
		return false
	}
	found := false
	for _, e := range w.Exprs {
		switch e := e.(type) {
		case clause.OrConditions:
			return false
		case clause.Expr:
			if e.SQL == col+" = ?" && len(e.Vars) == 1 {
				if v, ok := e.Vars[0].(uuid.UUID); ok && v == tenant {
					found = true
				}
			}
		}
	}
	return found
}

// stampCreate sets TenantID (and a UUIDv7 ID where it is zero) on every row
// being inserted, and refuses a row that names another tenant.
func stampCreate(tx *gorm.DB) {
	if tx.Statement.Schema == nil || tx.Error != nil {
		return
	}
	tf := tenantField(tx)
	idf := tx.Statement.Schema.LookUpField("ID")
	if idf != nil && idf.FieldType != reflect.TypeOf(uuid.UUID{}) {
		idf = nil
	}
	if tf == nil && idf == nil {
		return
	}
	s, ok := tx.Statement.Context.Value(scopeKey{}).(scope)
	if tf != nil && !ok {
		_ = tx.AddError(ErrNoTenant)
		return
	}
	ctx := tx.Statement.Context
	stamp := func(rv reflect.Value) {
		if idf != nil {
			if v, zero := idf.ValueOf(ctx, rv); zero || v == uuid.Nil {
				_ = idf.Set(ctx, rv, NewID())
			}
		}
		if tf == nil || s.platform {
			return
		}
		v, zero := tf.ValueOf(ctx, rv)
		if !zero && v != s.tenant {
			_ = tx.AddError(fmt.Errorf("store: row names tenant %v inside tenant %v", v, s.tenant))
			return
		}
		_ = tf.Set(ctx, rv, s.tenant)
	}
	rv := reflect.Indirect(tx.Statement.ReflectValue)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			stamp(reflect.Indirect(rv.Index(i)))
		}
	case reflect.Struct:
		stamp(rv)
	}
}
