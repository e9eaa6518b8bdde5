package httpapi

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
)

// failingAudit is an audit log whose in-transaction insert fails.
type failingAudit struct {
	*audit.Log
	fail bool
}

func (f *failingAudit) RecordInRequest(ctx context.Context, e audit.Entry) error {
	if f.fail {
		return errors.New("audit insert failed")
	}
	return f.Log.RecordInRequest(ctx, e)
}

// TestWriteCommitsWithItsAuditEntry: a tenant's write, its audit entry and
// its idempotency record commit together or not at all (issue 6 §5).
func TestWriteCommitsWithItsAuditEntry(t *testing.T) {
	dialects(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d)
		rec := &failingAudit{Log: audit.NewLog(e.db), fail: true}
		e.srv = New(Deps{Tx: e.db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(e.db), Log: e.srv.log, Auth: e.auth, Authz: claimRoles{}, Routes: e.widgetRoutes(), Audit: rec})
		count := func() (widgets, entries, keys int64) {
			err := e.db.InTenant(context.Background(), e.tenant, func(tx *gorm.DB) error {
				tx.Model(&widget{}).Count(&widgets)
				tx.Table("audit_log").Where("result = ?", audit.ResultOK).Count(&entries)
				return tx.Model(&idempotency.Record{}).Count(&keys).Error
			})
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		w := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"a","size":1}`, "Idempotency-Key", "k1")
		if w.Code != 500 {
			t.Fatalf("a write whose audit entry cannot be stored must fail: %d %s", w.Code, w.Body)
		}
		if wg, en, k := count(); wg != 0 || en != 0 || k != 0 {
			t.Fatalf("failed audit insert left widgets %d, ok entries %d, idempotency keys %d", wg, en, k)
		}
		rec.fail = false
		w = e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"a","size":1}`, "Idempotency-Key", "k1")
		if w.Code != 201 {
			t.Fatalf("retry: %d %s", w.Code, w.Body)
		}
		if wg, en, k := count(); wg != 1 || en != 1 || k != 1 {
			t.Fatalf("committed write has widgets %d, ok entries %d, idempotency keys %d", wg, en, k)
		}
		// A refused write (400) rolls back and is still audited, on its own.
		if w := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"","size":-1}`); w.Code != 400 {
			t.Fatalf("invalid: %d", w.Code)
		}
		var failed int64
		e.db.InTenant(context.Background(), e.tenant, func(tx *gorm.DB) error {
			return tx.Table("audit_log").Where("result = ? AND status = 400", audit.ResultFailed).Count(&failed).Error
		})
		if failed != 1 {
			t.Fatalf("refused write audited %d times", failed)
		}
	})
}
