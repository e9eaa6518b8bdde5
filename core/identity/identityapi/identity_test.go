package identityapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/identity/identityapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// roleBook is a small real RoleSource and Authorizer: roles per user, permissions per role.
type roleBook struct {
	mu    sync.Mutex
	users map[uuid.UUID][]string
	perms map[string][]string
}

func (r *roleBook) RolesOf(_ context.Context, _, userID uuid.UUID) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[userID], nil
}

func (r *roleBook) Allowed(ctx context.Context, a actor.Actor, perm string) (bool, error) {
	roles := a.Roles
	if a.Kind == actor.User {
		roles, _ = r.RolesOf(ctx, a.TenantID, a.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, role := range roles {
		if slices.Contains(r.perms[role], perm) {
			return true, nil
		}
	}
	return false, nil
}

type entries struct {
	mu sync.Mutex
	e  []audit.Entry
}

// RecordPlatform keeps a platform entry; like audit.Log it refuses one
// naming a tenant, and Record one without.
func (r *entries) RecordPlatform(ctx context.Context, e audit.Entry) error {
	if e.TenantID != uuid.Nil {
		return audit.ErrPlatformTenant
	}
	return r.keep(e)
}

func (r *entries) Record(_ context.Context, e audit.Entry) error {
	if e.TenantID == uuid.Nil {
		return store.ErrNoTenant
	}
	return r.keep(e)
}

func (r *entries) keep(e audit.Entry) error {
	r.mu.Lock()
	r.e = append(r.e, e)
	r.mu.Unlock()
	return nil
}

type apiT struct {
	t   *testing.T
	h   http.Handler
	db  *store.DB
	svc *identity.Service
}

// call sends a JSON request and decodes the JSON answer into a map.
func (a apiT) call(method, path, token string, body any, hdr ...string) (int, map[string]any, http.Header) {
	a.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, req)
	var out map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			a.t.Fatalf("%s %s: non-JSON body %q", method, path, w.Body.String())
		}
	}
	return w.Code, out, w.Header()
}

// wantErr checks the one error shape of the API.
func wantErr(t *testing.T, status int, body map[string]any, wantStatus int, code string) map[string]any {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	if status != wantStatus || e == nil || e["code"] != code || e["message"] == "" || e["request_id"] == "" {
		t.Fatalf("got %d %v, want %d with error code %s", status, body, wantStatus, code)
	}
	return e
}

func setup(t *testing.T, db *store.DB) (apiT, *roleBook) {
	book := &roleBook{users: map[uuid.UUID][]string{}, perms: map[string][]string{
		"admin":    {identityapi.PermUserRead, identityapi.PermUserCreate, identityapi.PermUserUpdate, identityapi.PermUserResetPassword, identityapi.PermAPIKeyRead, identityapi.PermAPIKeyCreate, identityapi.PermAPIKeyRevoke},
		"reader":   {identityapi.PermUserRead},
		"resident": {},
	}}
	svc := identity.New(db, identity.Config{JWTSecret: []byte("http-test-secret-http-test-secret-32")}, &entries{}, book)
	srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: svc, Authz: book, Routes: identityapi.Routes(svc), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return apiT{t: t, h: srv.Handler(), db: db, svc: svc}, book
}

func tenant(t *testing.T, db *store.DB, code string) uuid.UUID {
	id := store.NewID()
	if err := db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO tenants (id, code, name, plan_code) VALUES (?, ?, ?, 'standard')", id, code, code).Error
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

const goodPW = "correct-horse-9"

func TestIdentityHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		api, book := setup(t, db)
		ctx := context.Background()
		acme, bravo := tenant(t, db, "acme"), tenant(t, db, "bravo")
		admin, err := api.svc.CreateUser(ctx, acme, identity.NewUser{Username: "admin", Password: goodPW, Email: "admin@acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		book.users[admin.ID] = []string{"admin"}
		other, _ := api.svc.CreateUser(ctx, bravo, identity.NewUser{Username: "boss", Password: goodPW})
		book.users[other.ID] = []string{"admin"}

		// Login: errors first, in the API's shape.
		st, body, _ := api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "admin", "password": "nope-nope-1"})
		wantErr(t, st, body, 401, "invalid_credentials")
		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "admin", "password": "nope-nope-1"}, "Accept-Language", "zh-CN")
		if e := wantErr(t, st, body, 401, "invalid_credentials"); e["message"] != identity.ErrInvalidCredentials.ZH {
			t.Fatalf("zh message: %v", e["message"])
		}
		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "admin", "password": goodPW, "extra": 1})
		wantErr(t, st, body, 400, "unknown_field")
		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": ""})
		wantErr(t, st, body, 400, "invalid_input")

		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "ADMIN@acme.test", "password": goodPW})
		if st != 200 || body["access_token"] == "" || body["refresh_token"] == "" || body["tenant_id"] != acme.String() {
			t.Fatalf("login: %d %v", st, body)
		}
		access, refresh := body["access_token"].(string), body["refresh_token"].(string)

		st, body, _ = api.call("GET", "/api/v1/auth/me", access, nil)
		if st != 200 || body["kind"] != "user" || body["user"].(map[string]any)["username"] != "admin" {
			t.Fatalf("me: %d %v", st, body)
		}
		if _, leaked := body["user"].(map[string]any)["password_hash"]; leaked {
			t.Fatal("me shows the password hash")
		}
		st, body, _ = api.call("GET", "/api/v1/auth/me", "", nil)
		wantErr(t, st, body, 401, "unauthenticated")
		st, body, _ = api.call("GET", "/api/v1/auth/me", access+"x", nil)
		wantErr(t, st, body, 401, "unauthenticated")

		// Refresh rotates; replaying the old token kills the family.
		st, body, _ = api.call("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": refresh})
		if st != 200 || body["refresh_token"] == refresh {
			t.Fatalf("refresh: %d %v", st, body)
		}
		newRefresh := body["refresh_token"].(string)
		st, body, _ = api.call("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": refresh})
		wantErr(t, st, body, 401, "invalid_refresh_token")
		st, body, _ = api.call("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": newRefresh})
		wantErr(t, st, body, 401, "invalid_refresh_token")
		st, _, _ = api.call("POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": newRefresh})
		if st != 204 {
			t.Fatalf("logout: %d", st)
		}

		// Users: create, duplicate, list, get, patch, reset; another tenant's id is 404.
		st, body, _ = api.call("POST", "/api/v1/users", access, map[string]any{"username": "nina", "name": "Nina", "phone": "13800000009", "kind": "resident", "password": goodPW})
		if st != 201 || body["username"] != "nina" || body["kind"] != "resident" {
			t.Fatalf("create user: %d %v", st, body)
		}
		nina := body["id"].(string)
		st, body, _ = api.call("POST", "/api/v1/users", access, map[string]any{"username": "nina2", "phone": "138-0000-0009", "password": goodPW})
		if e := wantErr(t, st, body, 409, "user_exists"); e["details"].(map[string]any)["field"] != "phone" {
			t.Fatalf("duplicate phone details: %v", e)
		}
		st, body, _ = api.call("POST", "/api/v1/users", access, map[string]any{"username": "weakling", "password": "aaaaaaaaaaaa"})
		wantErr(t, st, body, 400, "weak_password")
		st, body, _ = api.call("GET", "/api/v1/users?sort=username&page_size=1", access, nil)
		if st != 200 || body["total"].(float64) != 2 || len(body["items"].([]any)) != 1 || body["items"].([]any)[0].(map[string]any)["username"] != "admin" {
			t.Fatalf("list: %d %v", st, body)
		}
		st, body, _ = api.call("GET", "/api/v1/users?kind=resident&q=nin", access, nil)
		if st != 200 || body["total"].(float64) != 1 {
			t.Fatalf("filtered list: %d %v", st, body)
		}
		st, body, _ = api.call("GET", "/api/v1/users?kind=robot&sort=password_hash", access, nil)
		if e := wantErr(t, st, body, 400, "invalid_input"); len(e["details"].([]any)) != 2 {
			t.Fatalf("bad filters: %v", e)
		}
		st, body, _ = api.call("GET", "/api/v1/users/"+nina, access, nil)
		if st != 200 || body["id"] != nina {
			t.Fatalf("get: %d %v", st, body)
		}
		st, body, _ = api.call("PATCH", "/api/v1/users/"+nina, access, map[string]any{"name": "Nina Wang", "status": "disabled"})
		if st != 200 || body["name"] != "Nina Wang" || body["status"] != "disabled" {
			t.Fatalf("patch: %d %v", st, body)
		}
		st, body, _ = api.call("POST", "/api/v1/users/"+nina+"/reset-password", access, map[string]any{"password": "brand-new-pass-1"})
		if st != 204 {
			t.Fatalf("reset: %d %v", st, body)
		}
		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "13800000009", "password": "brand-new-pass-1"})
		wantErr(t, st, body, 403, "account_disabled")

		// The other tenant's admin sees none of acme's users (BOLA).
		_, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "boss", "password": goodPW})
		bossToken := body["access_token"].(string)
		for _, r := range [][2]string{{"GET", ""}, {"PATCH", ""}, {"POST", "/reset-password"}} {
			var b any
			if r[0] == "PATCH" {
				b = map[string]any{"name": "x"}
			} else if r[0] == "POST" {
				b = map[string]any{"password": "brand-new-pass-2"}
			}
			st, body, _ = api.call(r[0], "/api/v1/users/"+nina+r[1], bossToken, b)
			wantErr(t, st, body, 404, "not_found")
		}

		// A resident holds no user.read.
		book.users[uuid.MustParse(nina)] = []string{"resident"}
		api.call("PATCH", "/api/v1/users/"+nina, access, map[string]any{"status": "active"})
		_, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "nina", "password": "brand-new-pass-1"})
		ninaToken := body["access_token"].(string)
		st, body, _ = api.call("GET", "/api/v1/users", ninaToken, nil)
		wantErr(t, st, body, 403, "forbidden")
		// … but may change her own password.
		st, body, _ = api.call("POST", "/api/v1/auth/password", ninaToken, map[string]any{"old_password": "brand-new-pass-1", "new_password": "her-own-choice-7"})
		if st != 200 || body["access_token"] == "" {
			t.Fatalf("change password: %d %v", st, body)
		}

		// API keys: create within the creator's roles, use, list, revoke.
		st, body, _ = api.call("POST", "/api/v1/api-keys", access, map[string]any{"name": "sync", "roles": []string{"operator"}})
		wantErr(t, st, body, 403, "roles_not_held")
		st, body, _ = api.call("POST", "/api/v1/api-keys", access, map[string]any{"name": "sync", "roles": []string{"admin"}})
		if st != 201 || !strings.HasPrefix(body["key"].(string), "wyk_") {
			t.Fatalf("create key: %d %v", st, body)
		}
		key, keyID := body["key"].(string), body["id"].(string)
		st, body, _ = api.call("GET", "/api/v1/auth/me", key, nil)
		if st != 200 || body["kind"] != "api_key" || body["roles"].([]any)[0] != "admin" {
			t.Fatalf("me with key: %d %v", st, body)
		}
		st, body, _ = api.call("GET", "/api/v1/api-keys", key, nil)
		if st != 200 || body["total"].(float64) != 1 {
			t.Fatalf("list keys: %d %v", st, body)
		}
		if _, shown := body["items"].([]any)[0].(map[string]any)["key"]; shown {
			t.Fatal("list shows the key")
		}
		st, body, _ = api.call("DELETE", "/api/v1/api-keys/"+keyID, bossToken, nil)
		wantErr(t, st, body, 404, "not_found")
		st, _, _ = api.call("DELETE", "/api/v1/api-keys/"+keyID, access, nil)
		if st != 204 {
			t.Fatalf("revoke: %d", st)
		}
		st, body, _ = api.call("GET", "/api/v1/auth/me", key, nil)
		wantErr(t, st, body, 401, "unauthenticated")

		// Operators have their own door and cannot use tenant routes.
		opPass, _, err := api.svc.EnsureOperator(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "root", "password": opPass})
		wantErr(t, st, body, 401, "invalid_credentials")
		st, body, _ = api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "root", "password": opPass})
		if st != 200 || body["kind"] != "operator" {
			t.Fatalf("operator login: %d %v", st, body)
		}
		opToken := body["access_token"].(string)
		st, body, _ = api.call("GET", "/api/v1/operator/auth/me", opToken, nil)
		if st != 200 || body["operator"].(map[string]any)["username"] != "root" {
			t.Fatalf("operator me: %d %v", st, body)
		}
		st, body, _ = api.call("GET", "/api/v1/users", opToken, nil)
		wantErr(t, st, body, 403, "forbidden")
		st, body, _ = api.call("GET", "/api/v1/operator/auth/me", access, nil)
		wantErr(t, st, body, 403, "forbidden")
	})
}

func TestLoginLockoutAndRateLimitHTTP(t *testing.T) {
	db := storetest.SQLite(t)
	api, _ := setup(t, db)
	acme := tenant(t, db, "acme")
	api.svc.CreateUser(context.Background(), acme, identity.NewUser{Username: "lara", Password: goodPW})
	var st int
	var body map[string]any
	for i := 0; i < 5; i++ {
		st, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "lara", "password": "wrong-wrong-1"})
	}
	e := wantErr(t, st, body, 423, "account_locked")
	until, err := time.Parse(time.RFC3339, e["details"].(map[string]any)["locked_until"].(string))
	if err != nil || time.Until(until) < 14*time.Minute {
		t.Fatalf("locked_until %v (%v)", until, err)
	}
	// The per-address bucket (burst 20) runs out next.
	var hdr http.Header
	for i := 0; i < 20 && st != 429; i++ {
		st, body, hdr = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "nobody", "password": "x"})
	}
	wantErr(t, st, body, 429, "rate_limited")
	if hdr.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

// TestForwardedHeadersNeedTrustedProxy: X-Forwarded-For / X-Real-IP are
// believed only from a configured proxy. Without one, a caller cannot escape
// the per-address login limit by changing the header, nor put an address of
// its choice in the audit.
func TestForwardedHeadersNeedTrustedProxy(t *testing.T) {
	db := storetest.SQLite(t)
	acme := tenant(t, db, "acme")
	svc := identity.New(db, identity.Config{JWTSecret: []byte("http-test-secret-http-test-secret-32")}, &entries{}, &roleBook{})
	svc.CreateUser(context.Background(), acme, identity.NewUser{Username: "lara", Password: goodPW})
	login := func(h *httpapi.Server, xff string) int {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"login":"nobody","password":"x"}`))
		req.RemoteAddr = "198.51.100.7:4321"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("X-Real-IP", xff)
		w := httptest.NewRecorder()
		h.Handler().ServeHTTP(w, req)
		return w.Code
	}

	t.Run("no trusted proxy", func(t *testing.T) {
		log := &entries{}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: svc, Routes: identityapi.Routes(svc), Audit: log, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		st := 0
		for i := 0; i < 30 && st != 429; i++ {
			st = login(srv, fmt.Sprintf("203.0.113.%d", i))
		}
		if st != 429 {
			t.Fatalf("a new X-Forwarded-For per attempt escaped the limiter (last %d)", st)
		}
		if st = login(srv, "203.0.113.200"); st != 429 {
			t.Fatalf("a fresh X-Forwarded-For got in again after 429: %d", st)
		}
		for _, e := range log.e {
			if e.IP != "198.51.100.7" {
				t.Fatalf("audit IP %q, want the connection's address", e.IP)
			}
		}
		if len(log.e) == 0 {
			t.Fatal("nothing audited")
		}
	})

	t.Run("trusted proxy", func(t *testing.T) {
		log := &entries{}
		proxies, err := httpapi.ParseTrustedProxies(" 10.0.0.0/8, 198.51.100.7 ,")
		if err != nil || len(proxies) != 2 {
			t.Fatal(proxies, err)
		}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: svc, Routes: identityapi.Routes(svc), Audit: log, TrustedProxies: proxies, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		for i := 0; i < 30; i++ {
			if st := login(srv, fmt.Sprintf("192.0.2.%d", i)); st == 429 {
				t.Fatalf("clients behind a trusted proxy share one budget: 429 at attempt %d", i)
			}
		}
		if ip := log.e[len(log.e)-1].IP; ip != "192.0.2.29" {
			t.Fatalf("audit IP %q, want the forwarded client", ip)
		}
	})

	if _, err := httpapi.ParseTrustedProxies("10.0.0.0/8,not-an-ip"); err == nil {
		t.Fatal("a bad proxy entry was accepted")
	}
}

// bombXLSX is an .xlsx of one sheet: a header row "小区" and one row whose
// first cell is n bytes of 'a'; the zip is about n/1000 bytes.
