package tenantapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/core/tenant/tenantapi"
)

// tokenAuth is a real, small Authenticator: bearer token -> actor.
type tokenAuth struct {
	mu     sync.Mutex
	tokens map[string]actor.Actor
}

func (a *tokenAuth) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ac, ok := a.tokens[cred]; ok {
		return ac, nil
	}
	return actor.Actor{}, apperr.Unauthenticated
}

func (a *tokenAuth) add(token string, ac actor.Actor) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens[token] = ac
}

// roleAuthz grants permissions by role.
type roleAuthz map[string][]string

func (r roleAuthz) Allowed(_ context.Context, a actor.Actor, perm string) (bool, error) {
	for _, role := range a.Roles {
		for _, p := range r[role] {
			if p == perm {
				return true, nil
			}
		}
	}
	return false, nil
}

type apiClient struct {
	t *testing.T
	h http.Handler
}

type apiResp struct {
	Status int
	Body   map[string]any
	raw    []byte
}

func (r apiResp) code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		return e["code"].(string)
	}
	return ""
}

func (r apiResp) message() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		return e["message"].(string)
	}
	return ""
}

func (c apiClient) do(method, path, token, contentType, body string, hdr ...string) apiResp {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	r := apiResp{Status: w.Code, raw: w.Body.Bytes()}
	if len(r.raw) > 0 {
		if err := json.Unmarshal(r.raw, &r.Body); err != nil {
			var list []any
			if json.Unmarshal(r.raw, &list) == nil {
				r.Body = map[string]any{"list": list}
			} else {
				c.t.Fatalf("%s %s: non-JSON body %q", method, path, r.raw)
			}
		}
	}
	return r
}

func (c apiClient) json(method, path, token string, body any) apiResp {
	c.t.Helper()
	s := ""
	if body != nil {
		b, _ := json.Marshal(body)
		s = string(bytes.TrimSpace(b))
	}
	return c.do(method, path, token, "application/json", s)
}

func TestTenantRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// The hook stands in for identity's user creation.
		noop := func(context.Context, tenant.Tenant, tenant.AdminSpec) error { return nil }
		svc := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{noop}})
		auth := &tokenAuth{tokens: map[string]actor.Actor{
			"op": {Kind: actor.Operator, ID: uuid.New(), Name: "operator"},
		}}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: auth, Authz: roleAuthz{"admin": {"tenant.read"}}, Tenant: svc, Routes: tenantapi.Routes(svc)})
		api := apiClient{t: t, h: srv.Handler()}
		const base = "/api/v1/operator/tenants"

		// Create: validation, success with a generated password, duplicate code.
		r := api.json("POST", base, "op", map[string]any{"code": "Bad Code", "name": "X", "plan": "trial", "admin": map[string]any{"username": "admin"}})
		if r.Status != 400 || r.code() != "invalid_input" {
			t.Fatalf("bad code: %d %s", r.Status, r.raw)
		}
		r = api.json("POST", base, "op", map[string]any{"code": "acme", "name": "Acme 物业", "plan": "trial", "admin": map[string]any{"username": "admin", "name": "Boss"}})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.raw)
		}
		created := r.Body["tenant"].(map[string]any)
		id := created["id"].(string)
		if pw := r.Body["generated_passwords"].([]any); len(pw) != 1 || pw[0].(map[string]any)["username"] != "admin" {
			t.Fatalf("generated passwords %v", pw)
		}
		r = api.json("POST", base, "op", map[string]any{"code": "acme", "name": "Again", "plan": "trial", "admin": map[string]any{"username": "admin"}})
		if r.Status != 409 || r.code() != "tenant_code_taken" {
			t.Fatalf("duplicate: %d %s", r.Status, r.raw)
		}
		r = api.json("POST", base, "op", map[string]any{"code": "x1y", "name": "X", "plan": "trial", "admin": map[string]any{"username": "admin"}, "extra": true})
		if r.Status != 400 || r.code() != "unknown_field" {
			t.Fatalf("unknown field: %d %s", r.Status, r.raw)
		}

		// A tenant user sees their own tenant and cannot reach operator routes.
		tid := uuid.MustParse(id)
		auth.add("acme-admin", actor.Actor{Kind: actor.User, ID: uuid.New(), Name: "admin", TenantID: tid, Roles: []string{"admin"}})
		auth.add("acme-guard", actor.Actor{Kind: actor.User, ID: uuid.New(), Name: "guard", TenantID: tid, Roles: []string{"guard"}})
		r = api.do("GET", "/api/v1/tenant", "acme-admin", "", "")
		if r.Status != 200 || r.Body["code"] != "acme" || r.Body["plan"].(map[string]any)["max_users"].(float64) != 10 {
			t.Fatalf("own tenant: %d %s", r.Status, r.raw)
		}
		if _, ok := r.Body["usage"].(map[string]any)["plugins"]; !ok {
			t.Fatalf("usage missing: %s", r.raw)
		}
		if r = api.do("GET", "/api/v1/tenant", "acme-guard", "", ""); r.Status != 403 || r.code() != "forbidden" {
			t.Fatalf("guard without tenant.read: %d %s", r.Status, r.raw)
		}
		if r = api.do("GET", base, "acme-admin", "", ""); r.Status != 403 {
			t.Fatalf("tenant user on operator route: %d", r.Status)
		}
		if r = api.do("GET", base, "", "", ""); r.Status != 401 {
			t.Fatalf("anonymous: %d", r.Status)
		}

		// List, filters and pagination.
		api.json("POST", base, "op", map[string]any{"code": "beta", "name": "Beta", "plan": "standard", "admin": map[string]any{"username": "admin"}})
		r = api.do("GET", base+"?plan=standard", "op", "", "")
		if r.Status != 200 || r.Body["total"].(float64) != 1 || r.Body["items"].([]any)[0].(map[string]any)["code"] != "beta" {
			t.Fatalf("list by plan: %d %s", r.Status, r.raw)
		}
		r = api.do("GET", base+"?sort=code&page_size=1&page=2", "op", "", "")
		if r.Body["total"].(float64) != 2 || r.Body["items"].([]any)[0].(map[string]any)["code"] != "beta" {
			t.Fatalf("page 2: %s", r.raw)
		}
		if r = api.do("GET", base+"?status=bogus", "op", "", ""); r.Status != 400 {
			t.Fatalf("bad status filter: %d", r.Status)
		}
		if r = api.do("GET", base+"?q=zzz", "op", "", ""); r.Status != 200 || len(r.Body["items"].([]any)) != 0 {
			t.Fatalf("empty list must be []: %s", r.raw)
		}

		// Get: overview; malformed and unknown ids are 404.
		if r = api.do("GET", base+"/"+id, "op", "", ""); r.Status != 200 || r.Body["plan"].(map[string]any)["code"] != "trial" {
			t.Fatalf("get: %d %s", r.Status, r.raw)
		}
		for _, bad := range []string{"not-a-uuid", uuid.NewString()} {
			if r = api.do("GET", base+"/"+bad, "op", "", ""); r.Status != 404 || r.code() != "not_found" {
				t.Fatalf("get %s: %d %s", bad, r.Status, r.raw)
			}
		}

		// Suspend: the tenant's users are refused at once, in their language.
		r = api.json("POST", base+"/"+id+"/suspend", "op", map[string]any{"reason": "contract ended"})
		if r.Status != 200 || r.Body["status"] != "suspended" {
			t.Fatalf("suspend: %d %s", r.Status, r.raw)
		}
		r = api.do("GET", "/api/v1/tenant", "acme-admin", "", "", "Accept-Language", "zh-CN")
		if r.Status != 403 || r.code() != "tenant_suspended" || !strings.Contains(r.message(), "暂停") {
			t.Fatalf("suspended tenant's request: %d %s", r.Status, r.raw)
		}
		if r = api.json("POST", base+"/"+id+"/resume", "op", nil); r.Status != 200 || r.Body["status"] != "active" {
			t.Fatalf("resume: %d %s", r.Status, r.raw)
		}
		if r = api.do("GET", "/api/v1/tenant", "acme-admin", "", ""); r.Status != 200 {
			t.Fatalf("after resume: %d %s", r.Status, r.raw)
		}

		// Plan changes.
		if r = api.json("PUT", base+"/"+id+"/plan", "op", map[string]any{"plan": "enterprise"}); r.Status != 200 || r.Body["plan"] != "enterprise" {
			t.Fatalf("set plan: %d %s", r.Status, r.raw)
		}
		if r = api.json("PUT", base+"/"+id+"/plan", "op", map[string]any{"plan": "nope"}); r.Status != 400 || r.code() != "invalid_input" {
			t.Fatalf("unknown plan: %d %s", r.Status, r.raw)
		}
		if r = api.json("PUT", base+"/"+id+"/plan", "op", map[string]any{}); r.Status != 400 {
			t.Fatalf("missing plan: %d %s", r.Status, r.raw)
		}

		// Time zone: an IANA name, or 400 naming the field.
		if r = api.json("PUT", base+"/"+id+"/time-zone", "op", map[string]any{"time_zone": "Asia/Tokyo"}); r.Status != 200 || r.Body["settings"].(map[string]any)["time_zone"] != "Asia/Tokyo" {
			t.Fatalf("set time zone: %d %s", r.Status, r.raw)
		}
		if r = api.json("PUT", base+"/"+id+"/time-zone", "op", map[string]any{"time_zone": "Asia/Atlantis"}); r.Status != 400 || !strings.Contains(string(r.raw), `"field":"time_zone"`) {
			t.Fatalf("bad time zone: %d %s", r.Status, r.raw)
		}

		// Plans.
		if r = api.do("GET", "/api/v1/operator/plans", "op", "", ""); r.Status != 200 || len(r.Body["items"].([]any)) != 3 {
			t.Fatalf("plans: %d %s", r.Status, r.raw)
		}

		// Apply: YAML then the same again, then JSON; strictness names the line.
		manifest := "code: gamma\nname: Gamma\nplan: standard\nadmins:\n  - username: admin\nplugins:\n  - name: parking\n"
		if r = api.do("POST", base+"/apply", "op", "application/yaml", manifest); r.Status != 201 || r.Body["outcome"] != "created" {
			t.Fatalf("apply: %d %s", r.Status, r.raw)
		}
		if r = api.do("POST", base+"/apply", "op", "application/yaml", manifest); r.Status != 200 || r.Body["outcome"] != "unchanged" {
			t.Fatalf("re-apply: %d %s", r.Status, r.raw)
		}
		r = api.do("POST", base+"/apply", "op", "application/json", `{"code":"gamma","name":"Gamma Co","plan":"standard","admins":[{"username":"admin"}],"plugins":[{"name":"parking"}]}`)
		if r.Status != 200 || r.Body["outcome"] != "updated" {
			t.Fatalf("apply json: %d %s", r.Status, r.raw)
		}
		r = api.do("POST", base+"/apply", "op", "application/yaml", manifest+"colour: red\n")
		if r.Status != 400 || r.code() != "manifest_invalid" || !strings.Contains(r.message(), "line 8") {
			t.Fatalf("strict apply: %d %s", r.Status, r.raw)
		}
		r = api.do("POST", base+"/apply", "op", "application/yaml", strings.Replace(manifest, "username: admin", "username: admin\n    password_file: /etc/passwd", 1))
		if r.Status != 400 || r.code() != "manifest_invalid" {
			t.Fatalf("password_file over HTTP: %d %s", r.Status, r.raw)
		}

		// Delete: 204, the tenant's users get tenant_deleted, the code is free again.
		if r = api.do("DELETE", base+"/"+id, "op", "", ""); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.raw)
		}
		if r = api.do("GET", "/api/v1/tenant", "acme-admin", "", ""); r.Status != 403 || r.code() != "tenant_deleted" {
			t.Fatalf("deleted tenant's request: %d %s", r.Status, r.raw)
		}
		if r = api.do("DELETE", base+"/"+id, "op", "", ""); r.Status != 404 {
			t.Fatalf("delete again: %d %s", r.Status, r.raw)
		}
		r = api.json("POST", base, "op", map[string]any{"code": "acme", "name": "Acme II", "plan": "trial", "admin": map[string]any{"username": "admin"}})
		if r.Status != 201 {
			t.Fatalf("reuse code: %d %s", r.Status, r.raw)
		}
	})
}

func TestTenantRoutesDeclareAccess(t *testing.T) {
	srv := httpapi.New(httpapi.Deps{Routes: tenantapi.Routes(&tenant.Service{})})
	n := 0
	for _, r := range srv.Routes() {
		if !strings.Contains(r.Path, "tenant") && !strings.Contains(r.Path, "/plans") {
			continue
		}
		n++
		if r.Public || (!r.Operator && r.Permission == "") || (r.Operator && r.Permission != "") {
			t.Errorf("%s %s: access must be exactly operator or one permission", r.Method, r.Path)
		}
	}
	if n != 11 {
		t.Fatalf("%d tenant routes, want 11", n)
	}
}
