package store

import (
	"context"
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/migrations"
)

// The gorm scope (scope.go) binds statements built on a model. Hand-written
// SQL (Raw, Exec) and Table("name") queries have no model, so on SQLite,
// where there is no row-level security, a forgotten tenant_id would be the
// only guard. These callbacks close that gap:
//   - Table("t") on a tenant table gets tenant_id = ? like a model query;
//   - Raw/Exec SQL that names a tenant table inside a tenant transaction must
//     pass that tenant's id among its arguments, or it fails;
//   - outside any scope it fails, as model queries do.
// Platform transactions are deliberate and pass. A statement that truly must
// not be bound (none today) says why with Unscoped, which a test lists.

// ErrRawUnscoped is returned for hand-written SQL on a tenant table that does
// not pass the transaction's tenant id.
var ErrRawUnscoped = errors.New("store: hand-written SQL on a tenant table must pass the transaction's tenant id (tenant_id = ?) or be marked store.Unscoped with a reason")

type unscopedKey struct{}

// Unscoped returns tx for hand-written SQL that is deliberately not bound to
// the transaction's tenant; reason says why (TestUnscopedCallsHaveReasons in
// core/arch lists every call).
func Unscoped(tx *gorm.DB, reason string) *gorm.DB {
	if strings.TrimSpace(reason) == "" {
		_ = tx.AddError(errors.New("store: Unscoped needs a reason"))
		return tx
	}
	return tx.WithContext(context.WithValue(tx.Statement.Context, unscopedKey{}, reason))
}

var (
	tenantTablesOnce sync.Once
	tenantTableSet   map[string]bool
	createTableRE    = regexp.MustCompile(`(?is)CREATE TABLE (?:IF NOT EXISTS )?"?(\w+)"?\s*\((.*?)\n\)`)
	tableRefRE       = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+"?(\w+)"?`)
)

// tenantTables are the tables with a tenant_id column, read once from the
// embedded migrations (the schema this binary runs against).
func tenantTables() map[string]bool {
	tenantTablesOnce.Do(func() {
		set := map[string]bool{}
		_ = fs.WalkDir(migrations.FS, "postgres", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(migrations.FS, p)
			if err != nil {
				return err
			}
			for _, m := range createTableRE.FindAllStringSubmatch(string(b), -1) {
				if regexp.MustCompile(`(?m)^\s*tenant_id\s`).MatchString(m[2]) {
					set[strings.ToLower(m[1])] = true
				}
			}
			return nil
		})
		tenantTableSet = set
	})
	return tenantTableSet
}

// namesTenantTable reports whether sql reads or writes a tenant table.
func namesTenantTable(sql string) bool {
	set := tenantTables()
	for _, m := range tableRefRE.FindAllStringSubmatch(sql, -1) {
		if set[strings.ToLower(m[1])] {
			return true
		}
	}
	return false
}

// scopeTable binds a Table("t") query on a tenant table (no model, so
// scopeWhere does not see it).
func scopeTable(tx *gorm.DB) {
	if tx.Error != nil || tx.Statement.Schema != nil || tx.Statement.SQL.Len() > 0 {
		return
	}
	name := strings.ToLower(strings.Trim(strings.Fields(tx.Statement.Table + " ")[0], `"`))
	if !tenantTables()[name] {
		return
	}
	s, ok := tx.Statement.Context.Value(scopeKey{}).(scope)
	switch {
	case !ok:
		_ = tx.AddError(ErrNoTenant)
	case s.platform:
	default:
		tx.Statement.AddClause(clause.Where{Exprs: []clause.Expression{
			clause.Eq{Column: clause.Column{Table: tx.Statement.Table, Name: "tenant_id"}, Value: s.tenant},
		}})
	}
}

// checkRaw refuses hand-written SQL on a tenant table that is not bound to
// the transaction's tenant.
func checkRaw(tx *gorm.DB) {
	if tx.Error != nil || tx.Statement.SQL.Len() == 0 {
		return
	}
	ctx := tx.Statement.Context
	if ctx.Value(unscopedKey{}) != nil {
		return
	}
	sql := tx.Statement.SQL.String()
	if !namesTenantTable(sql) {
		return
	}
	s, ok := ctx.Value(scopeKey{}).(scope)
	switch {
	case !ok:
		_ = tx.AddError(ErrNoTenant)
	case s.platform:
	case !passesTenant(tx.Statement.Vars, s.tenant):
		_ = tx.AddError(ErrRawUnscoped)
	}
}

func passesTenant(vars []any, tenant uuid.UUID) bool {
	for _, v := range vars {
		switch x := v.(type) {
		case uuid.UUID:
			if x == tenant {
				return true
			}
		case *uuid.UUID:
			if x != nil && *x == tenant {
				return true
			}
		case string:
			if x == tenant.String() {
				return true
			}
		}
	}
	return false
}
