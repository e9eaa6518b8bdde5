package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestOperatorManagementHTTP: an operator adds a colleague (idempotently,
// password policy checked), lists and disables them; the disabled colleague's
// refresh and sign-in are refused; nobody disables themselves or the last
// active operator; tenant users never reach these routes; writes are audited.
func TestOperatorManagementHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rec := &entries{}
		svc := identity.New(db, identity.Config{JWTSecret: []byte("http-test-secret-http-test-secret-32")}, rec, nil)
		srv := httpapi.New(httpapi.Deps{DB: db, Auth: svc, Identity: svc, Audit: rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		api := apiT{t: t, h: srv.Handler(), db: db, svc: svc}
		ctx := context.Background()
		rootPass, _, err := svc.EnsureOperator(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "root", "password": rootPass})
		root, _ := body["access_token"].(string)
		rootID, _ := body["subject_id"].(string)

		const base = "/api/v1/operator/operators"
		wang := map[string]any{"username": "wang", "name": "Wang Li", "email": "wang@ops.test", "password": goodPW}
		st, body, _ := api.call("POST", base, "", wang)
		wantErr(t, st, body, 401, "unauthenticated")
		acme := tenant(t, db, "acme")
		svc.CreateUser(ctx, acme, identity.NewUser{Username: "boss", Password: goodPW})
		_, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "boss", "password": goodPW})
		st, body, _ = api.call("POST", base, body["access_token"].(string), wang)
		wantErr(t, st, body, 403, "forbidden")

		st, body, _ = api.call("POST", base, root, map[string]any{"username": "wang", "name": "Wang", "password": "wang-wang-wang"})
		wantErr(t, st, body, 400, "weak_password")
		st, body, _ = api.call("POST", base, root, map[string]any{"username": "w", "password": goodPW})
		wantErr(t, st, body, 400, "invalid_input")
		st, body, _ = api.call("POST", base, root, wang, "Idempotency-Key", "add-wang-1")
		if st != 201 || body["username"] != "wang" || body["status"] != "active" || body["password_hash"] != nil {
			t.Fatalf("create: %d %v", st, body)
		}
		wangID := body["id"].(string)
		st, body, _ = api.call("POST", base, root, wang, "Idempotency-Key", "add-wang-1")
		if st != 201 || body["id"] != wangID {
			t.Fatalf("replay: %d %v", st, body)
		}
		st, body, _ = api.call("POST", base, root, wang, "Idempotency-Key", "add-wang-2")
		if e := wantErr(t, st, body, 409, "operator_exists"); e["details"].(map[string]any)["field"] != "username" {
			t.Fatalf("duplicate: %v", e)
		}

		st, body, _ = api.call("GET", base+"?sort=-username&page_size=1", root, nil)
		items, _ := body["items"].([]any)
		if st != 200 || body["total"].(float64) != 2 || len(items) != 1 || items[0].(map[string]any)["username"] != "wang" {
			t.Fatalf("list: %d %v", st, body)
		}
		st, body, _ = api.call("GET", base+"?status=gone", root, nil)
		wantErr(t, st, body, 400, "invalid_input")

		_, body, _ = api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "wang", "password": goodPW})
		wangAccess, wangRefresh := body["access_token"].(string), body["refresh_token"].(string)

		st, body, _ = api.call("PATCH", base+"/"+rootID, root, map[string]any{"status": "disabled"})
		wantErr(t, st, body, 409, "cannot_disable_self")
		st, body, _ = api.call("PATCH", base+"/"+wangID, root, map[string]any{"name": "Wang Lei", "status": "disabled"})
		if st != 200 || body["status"] != "disabled" || body["name"] != "Wang Lei" {
			t.Fatalf("disable: %d %v", st, body)
		}
		st, body, _ = api.call("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": wangRefresh})
		wantErr(t, st, body, 401, "invalid_refresh_token")
		st, body, _ = api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "wang", "password": goodPW})
		wantErr(t, st, body, 403, "account_disabled")
		// Wang's access token lives out its 15 minutes, but cannot take the platform's last operator.
		st, body, _ = api.call("PATCH", base+"/"+rootID, wangAccess, map[string]any{"status": "disabled"})
		wantErr(t, st, body, 409, "last_operator")
		st, body, _ = api.call("PATCH", base+"/"+store.NewID().String(), root, map[string]any{"name": "x"})
		wantErr(t, st, body, 404, "not_found")

		// Every write is in the audit log as a platform event of its operator.
		want := map[string]string{"POST " + base: audit.ResultOK, "PATCH " + base + "/:id": audit.ResultOK}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, e := range rec.e {
			if r, ok := want[e.Action]; ok && e.Result == r && e.ActorKind == "operator" && e.ActorName == "root" {
				delete(want, e.Action)
			}
		}
		if len(want) > 0 {
			t.Fatalf("no audit entry for %v", want)
		}
	})
}
