package app_test

import (
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/store"
)

// TestLoginBudgetConfigured: WUYE_LOGIN_PER_MINUTE / WUYE_LOGIN_BURST are
// read, refused when not a positive number, and are the budget the sign-in
// doors apply (in memory embedded, in Redis beside PostgreSQL).
func TestLoginBudgetConfigured(t *testing.T) {
	t.Setenv("WUYE_LOGIN_PER_MINUTE", "30")
	t.Setenv("WUYE_LOGIN_BURST", "5")
	c, err := app.LoadConfig()
	if err != nil || c.LoginPerMinute != 30 || c.LoginBurst != 5 {
		t.Fatalf("config: %+v %v", c, err)
	}
	t.Setenv("WUYE_LOGIN_BURST", "lots")
	if _, err := app.LoadConfig(); err == nil || !strings.Contains(err.Error(), "WUYE_LOGIN_BURST") {
		t.Fatalf("a bad burst: %v", err)
	}
	t.Setenv("WUYE_LOGIN_BURST", "")

	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := testConfig(t, d)
			cfg.LoginPerMinute, cfg.LoginBurst = 1, 2
			r := startWith(t, cfg)
			wrong := map[string]any{"login": "nobody", "password": "wrong-password-1", "tenant": "nobody"}
			for i, want := range []int{401, 401, 429} {
				if st, body := r.call(t, "", "POST", "/api/v1/auth/login", wrong); st != want {
					t.Fatalf("attempt %d: %d %v, want %d", i+1, st, body, want)
				}
			}
		})
	}
}
