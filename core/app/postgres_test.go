package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestPostgresSetUpAsDocumented follows docs/operator.md on a fresh
// database: a login that is not a superuser and may not create roles owns
// the database and migrates it; the app's pools log in as wuye_app and
// wuye_platform; the server serves, a tenant signs in, and parallel creates
// cannot pass the plan's quota. Pointing the tenant pool at the owner is
// refused at start.
func TestPostgresSetUpAsDocumented(t *testing.T) {
	admin := storetest.PostgresURL(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	suffix := strings.ReplaceAll(store.NewID().String(), "-", "")[20:]
	owner, db := "wuye_owner_"+suffix, "wuye_doc_"+suffix
	for _, stmt := range []string{
		"CREATE ROLE " + owner + " LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB",
		"CREATE DATABASE " + db + " OWNER " + owner,
	} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
		c.Exec(ctx, "DROP ROLE IF EXISTS "+owner)
	})
	sc := storetest.ConfigFor(t, db) // also the DBA's step: roles wuye_app and wuye_platform exist
	qc := queuetest.Config(t)
	cfg := app.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), TenantsDir: "../../tenants", LogLevel: "error", NoSeed: true,
		DatabaseURL: sc.DatabaseURL, PlatformURL: sc.PlatformURL, MigrateURL: storetest.Login(t, admin, db, owner),
		RedisAddr: qc.RedisAddr, QueueNamespace: qc.Namespace,
	}

	// The owner as the tenant pool's login is refused, with the reason.
	wrong := cfg
	wrong.DatabaseURL = cfg.MigrateURL
	if a, err := app.New(ctx, wrong); err == nil {
		a.Close()
		t.Fatal("the app started with the table owner as its tenant pool")
	} else if !strings.Contains(err.Error(), "owns the tables") {
		t.Fatalf("owner as tenant pool: %v", err)
	}

	r := startWith(t, cfg)
	first, err := r.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, body := r.call(t, "", "POST", "/api/v1/operator/auth/login", map[string]any{"login": "operator", "password": readPassword(t, first.OperatorPasswordFile)})
	op, _ := body["access_token"].(string)
	if st != 200 {
		t.Fatalf("operator login: %d %v", st, body)
	}
	st, body = r.call(t, op, "POST", "/api/v1/operator/tenants", map[string]any{
		"code": "doc", "name": "文档物业", "plan": "trial",
		"admin": map[string]any{"username": "boss", "name": "Boss", "password": "Str0ng-enough-pass"},
	})
	if st != 201 {
		t.Fatalf("create tenant: %d %v", st, body)
	}
	tok := r.login(t, "doc", "boss", "Str0ng-enough-pass")

	// The trial plan allows one community; eight at once must not make two.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[int]int{}
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, body := r.call(t, tok, "POST", "/api/v1/communities", map[string]any{"name": "期" + string(rune('A'+i))})
			if st != 201 && errCode(body) != "quota_exceeded" {
				t.Errorf("parallel create: %d %v", st, body)
			}
			mu.Lock()
			answers[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if answers[201] != 1 || answers[403] != 7 {
		t.Fatalf("parallel creates on a one-community plan answered %v, want one 201 and seven 403", answers)
	}
	if st, body := r.call(t, tok, "GET", "/api/v1/communities", nil); st != 200 || body["total"].(float64) != 1 {
		t.Fatalf("communities after the race: %d %v", st, body)
	}
}
