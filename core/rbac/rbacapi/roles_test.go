package rbacapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/audit/auditapi"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/httpapi/httpapitest"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/identity/identityapi"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/rbac/rbacapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

type fixture struct {
	t      *testing.T
	srv    http.Handler
	ta, tb uuid.UUID
	log    *audit.Log
}

// do sends a request with token and returns status and decoded JSON body.
func (f fixture) do(token, method, path, body string) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			f.t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return rec.Code, out
}

func (f fixture) want(token, method, path, body string, status int, code string) map[string]any {
	f.t.Helper()
	got, out := f.do(token, method, path, body)
	if got != status {
		f.t.Fatalf("%s %s as %s: status %d, want %d; body %v", method, path, token, got, status, out)
	}
	if code != "" {
		e, _ := out["error"].(map[string]any)
		if e["code"] != code {
			f.t.Fatalf("%s %s as %s: error %v, want %s", method, path, token, out["error"], code)
		}
	}
	return out
}

func items(out map[string]any) []map[string]any {
	raw, _ := out["items"].([]any)
	res := make([]map[string]any, len(raw))
	for i, r := range raw {
		res[i], _ = r.(map[string]any)
	}
	return res
}

func newFixture(t *testing.T, db *store.DB, id ...*identity.Service) (fixture, map[string]uuid.UUID) {
	ctx := context.Background()
	e, err := rbac.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ta, tb := store.NewID(), store.NewID()
	ids := map[string]uuid.UUID{}
	users := map[string]struct {
		tenant uuid.UUID
		role   string
	}{
		"adminA": {ta, rbac.Admin}, "resA": {ta, rbac.Resident}, "adminB": {tb, rbac.Admin}, "cashierA": {ta, ""},
	}
	tk := httpapitest.TokenActors{}
	for tok, u := range users {
		ids[tok] = store.NewID()
		tk[tok] = actor.Actor{Kind: actor.User, ID: ids[tok], Name: tok, TenantID: u.tenant}
		if u.role != "" {
			if _, err := e.SetUserRoles(ctx, u.tenant, ids[tok], []string{u.role}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tk["op"] = actor.Actor{Kind: actor.Operator, ID: store.NewID(), Name: "op"}
	tk["keyA"] = actor.Actor{Kind: actor.APIKey, ID: store.NewID(), Name: "erp", TenantID: ta, Roles: []string{rbac.Finance}}
	l := audit.NewLog(db)
	exists := func(context.Context, uuid.UUID, uuid.UUID) error { return nil }
	if len(id) > 0 {
		exists = func(ctx context.Context, tenantID, userID uuid.UUID) error {
			_, err := id[0].GetUser(ctx, tenantID, userID)
			return err
		}
	}
	d := httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: tk, Authz: e, Audit: l,
		Routes: append(rbacapi.Routes(e, exists), auditapi.Routes(l)...)}
	srv := httpapi.New(d)
	return fixture{t: t, srv: srv.Handler(), ta: ta, tb: tb, log: l}, ids
}

func TestRoleRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, ids := newFixture(t, db)

		out := f.want("adminA", "GET", "/api/v1/permissions", "", 200, "")
		if len(items(out)) != len(rbac.Catalogue()) {
			t.Fatalf("catalogue has %d items", len(items(out)))
		}
		f.want("resA", "GET", "/api/v1/permissions", "", 403, "forbidden")
		f.want("keyA", "GET", "/api/v1/roles", "", 403, "forbidden")
		f.want("nobody", "GET", "/api/v1/roles", "", 401, "unauthenticated")

		f.want("adminA", "POST", "/api/v1/roles", `{"name":"cashier","permissions":["billing.read","nope.x"]}`, 400, "unknown_permission")
		f.want("adminA", "POST", "/api/v1/roles", `{"name":"finance","permissions":["billing.read"]}`, 409, "role_name_builtin")
		f.want("adminA", "POST", "/api/v1/roles", `{"name":"Cash-ier","permissions":["billing.read"]}`, 400, "invalid_input")
		f.want("adminA", "POST", "/api/v1/roles", `{"name":"cashier","permissions":["billing.read"],"admin":true}`, 400, "unknown_field")
		role := f.want("adminA", "POST", "/api/v1/roles", `{"name":"cashier","description":"收银","permissions":["billing.read","payment.collect"]}`, 201, "")
		id, _ := role["id"].(string)
		if id == "" || role["builtin"] != false {
			t.Fatalf("created role %v", role)
		}
		f.want("adminA", "POST", "/api/v1/roles", `{"name":"cashier","permissions":["billing.read"]}`, 409, "role_exists")

		if n := len(items(f.want("adminA", "GET", "/api/v1/roles", "", 200, ""))); n != len(rbac.Builtins())+1 {
			t.Fatalf("tenant A lists %d roles", n)
		}
		if n := len(items(f.want("adminB", "GET", "/api/v1/roles", "", 200, ""))); n != len(rbac.Builtins()) {
			t.Fatalf("tenant B lists %d roles, A's custom role leaked", n)
		}
		// Another tenant's role answers 404 (BOLA), as does a malformed id.
		f.want("adminB", "PATCH", "/api/v1/roles/"+id, `{"description":"x"}`, 404, "not_found")
		f.want("adminB", "DELETE", "/api/v1/roles/"+id, "", 404, "not_found")
		f.want("adminA", "DELETE", "/api/v1/roles/not-a-uuid", "", 404, "not_found")
		f.want("adminB", "PUT", "/api/v1/users/"+ids["cashierA"].String()+"/roles", `{"roles":["cashier"]}`, 400, "unknown_role")

		// Assign the custom role; the holder gains exactly its permissions.
		cu := "/api/v1/users/" + ids["cashierA"].String() + "/roles"
		f.want("cashierA", "GET", "/api/v1/audit", "", 403, "forbidden")
		got := f.want("adminA", "PUT", cu, `{"roles":["cashier"]}`, 200, "")
		if r, _ := got["roles"].([]any); len(r) != 1 || r[0] != "cashier" {
			t.Fatalf("PUT roles answered %v", got)
		}
		if r, _ := f.want("adminA", "GET", cu, "", 200, "")["roles"].([]any); len(r) != 1 {
			t.Fatalf("GET roles answered %v", r)
		}
		f.want("adminA", "PUT", cu, `{"roles":["ghost"]}`, 400, "unknown_role")
		f.want("adminA", "PUT", cu, `{}`, 400, "invalid_input")
		f.want("adminA", "DELETE", "/api/v1/roles/"+id, "", 409, "role_in_use")
		f.want("adminA", "PATCH", "/api/v1/roles/"+id, `{"permissions":["audit.read"]}`, 200, "")
		f.want("cashierA", "GET", "/api/v1/audit", "", 200, "")

		// The last admin cannot drop their own role.
		f.want("adminA", "PUT", "/api/v1/users/"+ids["adminA"].String()+"/roles", `{"roles":["manager"]}`, 409, "last_admin")

		f.want("adminA", "PUT", cu, `{"roles":[]}`, 200, "")
		f.want("cashierA", "GET", "/api/v1/audit", "", 403, "forbidden")
		f.want("adminA", "DELETE", "/api/v1/roles/"+id, "", 204, "")
	})
}

func TestAuditRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := newFixture(t, db)
		f.want("adminA", "POST", "/api/v1/roles", `{"name":"cashier","permissions":["billing.read"]}`, 201, "")
		f.want("adminA", "POST", "/api/v1/roles", `{"name":"cashier","permissions":["zzz"]}`, 400, "unknown_permission")
		f.want("resA", "GET", "/api/v1/roles", "", 403, "forbidden")
		f.want("resA", "GET", "/api/v1/operator/audit", "", 403, "forbidden")
		f.want("adminB", "POST", "/api/v1/roles", `{"name":"night","permissions":["device.read"]}`, 201, "")
		f.want("op", "GET", "/api/v1/roles", "", 403, "forbidden")
		f.want("nobody", "POST", "/api/v1/roles", `{}`, 401, "")

		entries := items(f.want("adminA", "GET", "/api/v1/audit", "", 200, ""))
		type seen struct{ action, result, detail, actor string }
		var got []seen
		for _, e := range entries {
			if e["tenant_id"] != f.ta.String() {
				t.Fatalf("tenant A sees an entry of %v", e["tenant_id"])
			}
			got = append(got, seen{e["action"].(string), e["result"].(string), e["detail"].(string), e["actor_name"].(string)})
		}
		want := []seen{ // newest first
			{"GET /api/v1/operator/audit", "denied", "forbidden", "resA"},
			{"role.read", "denied", "forbidden", "resA"},
			{"role.manage", "failed", "unknown_permission", "adminA"},
			{"role.manage", "ok", "", "adminA"},
		}
		if len(got) != len(want) {
			t.Fatalf("tenant A's log: %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("entry %d: %+v, want %+v", i, got[i], want[i])
			}
		}
		if entries[3]["object"] != "/api/v1/roles" || entries[3]["request_id"] == "" || entries[3]["actor_kind"] != "user" {
			t.Fatalf("entry fields: %v", entries[3])
		}

		// Filters and paging.
		out := f.want("adminA", "GET", "/api/v1/audit?result=denied&page_size=1", "", 200, "")
		if out["total"] != float64(2) || len(items(out)) != 1 {
			t.Fatalf("denied filter: %v", out)
		}
		if out := f.want("adminA", "GET", "/api/v1/audit?action=role.&result=ok", "", 200, ""); out["total"] != float64(1) {
			t.Fatalf("action filter: %v", out)
		}
		f.want("adminA", "GET", "/api/v1/audit?result=maybe", "", 400, "invalid_input")
		f.want("adminA", "GET", "/api/v1/audit?from=yesterday", "", 400, "invalid_input")
		if out := f.want("adminA", "GET", "/api/v1/audit?from=2999-01-01T00:00:00Z", "", 200, ""); out["total"] != float64(0) {
			t.Fatalf("future window: %v", out)
		}

		// B sees only its own; the operator sees all, or one tenant.
		if out := f.want("adminB", "GET", "/api/v1/audit", "", 200, ""); out["total"] != float64(1) {
			t.Fatalf("tenant B's log: %v", out)
		}
		all := f.want("op", "GET", "/api/v1/operator/audit", "", 200, "")
		// 4 of A, 1 of B, and the operator's own refusal (a platform entry).
		if all["total"] != float64(6) {
			t.Fatalf("operator sees %v entries", all["total"])
		}
		if out := f.want("op", "GET", "/api/v1/operator/audit?tenant="+f.tb.String(), "", 200, ""); out["total"] != float64(1) {
			t.Fatalf("operator filter by tenant: %v", out)
		}
		plat := f.want("op", "GET", "/api/v1/operator/audit?tenant="+uuid.Nil.String(), "", 200, "")
		if pi := items(plat); len(pi) != 1 || pi[0]["actor_kind"] != "operator" || pi[0]["result"] != "denied" {
			t.Fatalf("platform entries: %v", plat)
		}
		f.want("op", "GET", "/api/v1/operator/audit?tenant=x", "", 400, "invalid_input")
	})
}

// TestUserRolesNeedUser: with identity wired, the user routes answer 404 for
// a user of another tenant or no user at all.
func TestUserRolesNeedUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cheap := identity.Argon2Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
		svc := identity.New(db, identity.Config{JWTSecret: []byte("roles-test-secret-roles-test-secret"), Argon2: cheap}, nil, nil)
		f, _ := newFixture(t, db, svc)
		lara, err := svc.CreateUser(context.Background(), f.ta, identity.NewUser{Username: "lara", Password: "correct horse battery staple 9"})
		if err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/users/" + lara.ID.String() + "/roles"
		f.want("adminA", "PUT", path, `{"roles":["frontdesk"]}`, 200, "")
		f.want("adminA", "GET", path, "", 200, "")
		f.want("adminB", "GET", path, "", 404, "not_found")
		f.want("adminB", "PUT", path, `{"roles":["frontdesk"]}`, 404, "not_found")
		f.want("adminA", "GET", "/api/v1/users/"+store.NewID().String()+"/roles", "", 404, "not_found")
	})
}

// TestRouteTable: every tenant permission a route names is in the rbac
// catalogue (else no role could ever grant it), and tenant routes naming an
// :id are Object routes.
func TestRouteTable(t *testing.T) {
	// Zero values are enough: the table is built, no handler runs.
	none := func(context.Context, uuid.UUID, uuid.UUID) error { return nil }
	d := httpapi.Deps{Routes: append(append(rbacapi.Routes(&rbac.Enforcer{}, none), auditapi.Routes(&audit.Log{})...), identityapi.Routes(&identity.Service{})...)}
	for _, r := range httpapi.New(d).Routes() {
		if r.Permission != "" && !rbac.Known(r.Permission) {
			t.Errorf("%s %s: permission %q is not in the catalogue", r.Method, r.Path, r.Permission)
		}
		if strings.Contains(r.Path, ":id") && !r.Object && !r.Operator {
			t.Errorf("%s %s names an object but is not marked Object", r.Method, r.Path)
		}
	}
}
