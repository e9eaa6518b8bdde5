package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
)

// running is a whole wuye process started as serve starts it, on port 0.
type running struct {
	*app.App
	base string
}

// start builds and starts the app on SQLite with the in-process queue, or on
// Postgres with the test Redis, exactly as production wiring does.
func start(t testing.TB, d store.Dialect) *running {
	t.Helper()
	return startWith(t, testConfig(t, d))
}

// testConfig is start's configuration (a fresh database of its own).
func testConfig(t testing.TB, d store.Dialect) app.Config {
	t.Helper()
	cfg := app.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), TenantsDir: "../../tenants",
		LogLevel: "error", NoSeed: true,
	}
	if d == store.Postgres {
		sc := storetest.PostgresConfig(t)
		cfg.DatabaseURL, cfg.PlatformURL, cfg.MigrateURL = sc.DatabaseURL, sc.PlatformURL, sc.MigrateURL
		qc := queuetest.Config(t)
		cfg.RedisAddr, cfg.QueueNamespace = qc.RedisAddr, qc.Namespace
	}
	return cfg
}

// startWith builds and starts the app with cfg, as serve does.
func startWith(t testing.TB, cfg app.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Serve(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return &running{App: a, base: "http://" + a.Addr()}
}

// call sends a JSON request with an optional bearer token and decodes the answer.
func (r *running) call(t testing.TB, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"_raw": string(raw)}
	}
	return res.StatusCode, out
}

// login signs a tenant user in and returns the access token.
func (r *running) login(t testing.TB, tenantCode, username, password string) string {
	t.Helper()
	st, body := r.call(t, "", "POST", "/api/v1/auth/login", map[string]any{"login": username, "password": password, "tenant": tenantCode})
	tok, _ := body["access_token"].(string)
	if st != 200 || tok == "" {
		t.Fatalf("login %s/%s: %d %v", tenantCode, username, st, body)
	}
	return tok
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// TestServeEndToEnd walks the product as an operator and a property company
// would: first start, operator sign-in, tenant creation, staff sign-in,
// suspension, and a queued job, on both engines.
func TestServeEndToEnd(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			ctx := context.Background()
			first, err := r.Bootstrap(ctx)
			if err != nil || first.OperatorPasswordFile == "" {
				t.Fatalf("bootstrap: %+v %v", first, err)
			}
			if again, _ := r.Bootstrap(ctx); again.OperatorPasswordFile != "" {
				t.Fatal("second start created another operator")
			}
			opPass := readPassword(t, first.OperatorPasswordFile)
			st, body := r.call(t, "", "POST", "/api/v1/operator/auth/login", map[string]any{"login": "operator", "password": opPass})
			op, _ := body["access_token"].(string)
			if st != 200 || op == "" {
				t.Fatalf("operator login: %d %v", st, body)
			}
			st, body = r.call(t, op, "POST", "/api/v1/operator/tenants", map[string]any{
				"code": "acme", "name": "Acme 物业", "plan": "trial",
				"admin": map[string]any{"username": "boss", "name": "Boss", "password": "Str0ng-enough-pass"},
			})
			if st != 201 {
				t.Fatalf("create tenant: %d %v", st, body)
			}
			tok := r.login(t, "acme", "boss", "Str0ng-enough-pass")
			// The first admin holds the admin role at once (no wait for the RBAC poll).
			if st, body := r.call(t, tok, "POST", "/api/v1/communities", map[string]any{"name": "一期"}); st != 201 {
				t.Fatalf("admin creates community: %d %v", st, body)
			}
			// The trial plan allows one community: the quota answers clearly.
			if st, body := r.call(t, tok, "POST", "/api/v1/communities", map[string]any{"name": "二期"}); st != 403 || errCode(body) != "quota_exceeded" {
				t.Fatalf("second community on trial: %d %v", st, body)
			}
			// Suspension blocks every request of the tenant, keeping its data.
			tid := tenantID(t, r, op, "acme")
			if st, _ := r.call(t, op, "POST", "/api/v1/operator/tenants/"+tid+"/suspend", map[string]any{"reason": "unpaid"}); st != 200 {
				t.Fatalf("suspend: %d", st)
			}
			if st, body := r.call(t, tok, "GET", "/api/v1/communities", nil); st != 403 || errCode(body) != "tenant_suspended" {
				t.Fatalf("suspended tenant: %d %v", st, body)
			}
			// … including signing in: the right password gets the tenant's answer.
			bossLogin := map[string]any{"login": "boss", "password": "Str0ng-enough-pass", "tenant": "acme"}
			if st, body := r.call(t, "", "POST", "/api/v1/auth/login", bossLogin); st != 403 || errCode(body) != "tenant_suspended" {
				t.Fatalf("login to a suspended tenant: %d %v", st, body)
			}
			if st, _ := r.call(t, op, "POST", "/api/v1/operator/tenants/"+tid+"/resume", nil); st != 200 {
				t.Fatalf("resume: %d", st)
			}
			if st, body := r.call(t, tok, "GET", "/api/v1/communities", nil); st != 200 || body["total"].(float64) != 1 {
				t.Fatalf("resumed tenant: %d %v", st, body)
			}
			r.login(t, "acme", "boss", "Str0ng-enough-pass")
			if d == store.Postgres {
				loginBudgetInRedis(t, r)
			}
			// Writes and denials are in the tenant's audit log.
			st, body = r.call(t, tok, "GET", "/api/v1/audit?page_size=200", nil)
			if st != 200 || body["total"].(float64) < 2 {
				t.Fatalf("audit: %d %v", st, body)
			}
			if st, body := r.call(t, "", "GET", "/readyz", nil); st != 200 {
				t.Fatalf("readyz: %d %v", st, body)
			}
		})
	}
}

func tenantID(t *testing.T, r *running, op, code string) string {
	t.Helper()
	st, body := r.call(t, op, "GET", "/api/v1/operator/tenants?q="+code, nil)
	items, _ := body["items"].([]any)
	if st != 200 || len(items) != 1 {
		t.Fatalf("find tenant %s: %d %v", code, st, body)
	}
	return items[0].(map[string]any)["id"].(string)
}

func readPassword(t *testing.T, file string) string {
	t.Helper()
	b, err := readFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(": ")); ok && string(k) == "password" {
			return string(v)
		}
	}
	t.Fatalf("no password in %s", file)
	return ""
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// loginBudgetInRedis checks that with a Redis configured the login rate
// limit lives there, under the installation's namespace, for the address the
// test signed in from.
func loginBudgetInRedis(t *testing.T, r *running) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: r.Config.RedisAddr})
	defer rc.Close()
	key := "wuye:" + r.Config.QueueNamespace + ":login:127.0.0.1"
	if ttl, err := rc.PTTL(context.Background(), key).Result(); err != nil || ttl <= 0 {
		t.Fatalf("login limiter key %s: ttl %v (%v)", key, ttl, err)
	}
	rc.Del(context.Background(), key)
}

// TestNewFailsCleanly: a configuration error surfaces as an error, after
// closing what New had already opened.
func TestNewFailsCleanly(t *testing.T) {
	cfg := app.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "error", NoSeed: true,
		PIIKeys: "broken", PIIIndexKey: "00"}
	if a, err := app.New(context.Background(), cfg); err == nil || a != nil {
		t.Fatalf("New with bad PII keys: app=%v err=%v", a, err)
	}
}

// demoWithoutBills is the demo manifest less its twelve months of bills and
// payments: tests about other things apply it in a fraction of the time
// (the route walkers, list and billing tests take the whole demo).
func demoWithoutBills() (tenant.Manifest, error) {
	m, err := tenant.LoadManifest("../../tenants/demo.yaml")
	delete(m.Seed, "billing")
	return m, err
}

// demoShort is the whole demo manifest with two months of bills and three
// of expenses instead of twelve and twenty-four: every kind of row exists
// (the route walkers need one of each), at a sixth of the seeding time.
func demoShort() (tenant.Manifest, error) {
	m, err := tenant.LoadManifest("../../tenants/demo.yaml")
	if err != nil {
		return m, err
	}
	for section, months := range map[string]int{"billing": 2, "finance": 3} {
		if s, ok := m.Seed[section].(map[string]any); ok {
			s["months"] = months
		}
	}
	return m, nil
}
