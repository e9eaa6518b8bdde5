package app_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

var (
	pluginBinOnce sync.Once
	pluginBinDir  string
	pluginBinErr  error
)

// pluginBins builds the first-party plugins once per test binary, as
// `make build` does, into a folder the app registers them from.
func pluginBins(t *testing.T) string {
	t.Helper()
	pluginBinOnce.Do(func() {
		if pluginBinDir, pluginBinErr = os.MkdirTemp("", "wuye-plugins-"); pluginBinErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(pluginBinDir, "events"), "../../plugins/events").CombinedOutput()
		if err != nil {
			pluginBinErr = fmt.Errorf("go build plugins/events: %v\n%s", err, out)
		}
	})
	if pluginBinErr != nil {
		t.Fatal(pluginBinErr)
	}
	return pluginBinDir
}

// TestEventsPluginEndToEnd runs the real community-events binary behind the
// real core: the demo manifest enables it, its first call starts it, it
// writes its demo data through the Host services, and staff and residents
// reach it through the proxy with their roles' permissions. Tenant B's
// administrator, whose tenant runs the same plugin, probes every plugin route
// that takes an id with tenant A's ids: each answers exactly as for an id
// that does not exist, and A's records do not change.
func TestEventsPluginEndToEnd(t *testing.T) {
	dir := pluginBins(t)
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := testConfig(t, d)
			cfg.PluginDir = dir
			r := startWith(t, cfg)
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
			m, err := demoShort()
			if err != nil {
				t.Fatal(err)
			}
			m.Code = "t-a"
			resA, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			// Tenant B runs the plugin without its demo data, so the demo's ids
			// exist only in A.
			m.Code, m.Seed = "t-b", nil
			for i, p := range m.Plugins {
				if p.Name == "events" {
					m.Plugins[i].Config = map[string]any{"default_slot_minutes": 60}
				}
			}
			resB, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			manager := r.login(t, "t-a", "manager", password(resA, "manager"))
			tech := r.login(t, "t-a", "technician", password(resA, "technician"))
			resident := r.login(t, "t-a", "resident", password(resA, "resident"))
			adminB := r.login(t, "t-b", "admin", password(resB, "admin"))

			// Staff with the plugin's permissions (the manager holds them by the
			// plugin's declared defaults); the first call starts the process.
			st, venues := r.call(t, manager, "GET", "/api/v1/plugins/events/venues", nil)
			if st != 200 || len(items(venues)) != 2 {
				t.Fatalf("manager lists venues: %d %v", st, venues)
			}
			st, acts := r.call(t, manager, "GET", "/api/v1/plugins/events/activities", nil)
			if st != 200 || len(items(acts)) < 3 {
				t.Fatalf("manager lists activities: %d %v", st, acts)
			}
			if st, body := r.call(t, tech, "GET", "/api/v1/plugins/events/venues", nil); st != 403 {
				t.Fatalf("technician without events.read: %d %v", st, body)
			}
			if st, body := r.call(t, resident, "GET", "/api/v1/plugins/events/venues", nil); st != 403 {
				t.Fatalf("resident on a staff route: %d %v", st, body)
			}
			st, mine := r.call(t, resident, "GET", "/api/v1/plugins/events/my/signups", nil)
			if st != 200 || len(items(mine)) == 0 {
				t.Fatalf("resident's own sign-ups: %d %v", st, mine)
			}
			if st, body := r.call(t, adminB, "GET", "/api/v1/plugins/events/venues", nil); st != 200 || len(items(body)) != 0 {
				t.Fatalf("tenant B sees its own (empty) venues: %d %v", st, body)
			}

			// The console's menu lists the plugin's pages; their bundles come
			// from the plugin through GetAsset.
			st, list := r.call(t, manager, "GET", "/api/v1/tenant/plugins", nil)
			if st != 200 || !strings.Contains(fmt.Sprint(list), "activities.js") {
				t.Fatalf("tenant plugins with pages: %d %v", st, list)
			}
			if st, js := r.call(t, manager, "GET", "/api/v1/plugins/events/ui/activities.js", nil); st != 200 || !strings.Contains(fmt.Sprint(js), "export default async function mount") {
				t.Fatalf("page bundle: %d %v", st, js)
			}

			// Tenant A's ids, by the first path segment of a route.
			signup := items(mine)[0].(map[string]any)
			st, act := r.call(t, manager, "GET", "/api/v1/plugins/events/activities/"+signup["activity_id"].(string), nil)
			if st != 200 {
				t.Fatalf("activity: %d %v", st, act)
			}
			ids := map[string]string{
				"venues": items(venues)[0].(map[string]any)["id"].(string), "activities": signup["activity_id"].(string),
				"signups": signup["id"].(string), "bookings": fmt.Sprint(act["booking_id"]),
			}
			before := pluginRecords(t, r.DB, resA.Tenant.ID)

			routes, err := r.Plugins.Registered(context.Background())
			if err != nil || len(routes) == 0 {
				t.Fatalf("registered plugins: %v %v", routes, err)
			}
			walked := 0
			for _, rt := range routes[0].Routes {
				if !strings.Contains(rt.Path, ":") {
					continue
				}
				seg := strings.Split(strings.TrimPrefix(strings.TrimPrefix(rt.Path, "/my"), "/"), "/")[0]
				id, ok := ids[seg]
				if !ok {
					t.Errorf("%s %s: no fixture id for %q", rt.Method, rt.Path, seg)
					continue
				}
				var body any
				if rt.Method != "GET" {
					body = map[string]any{}
				}
				path := "/api/v1/plugins/events" + strings.Replace(rt.Path, ":id", id, 1)
				other := "/api/v1/plugins/events" + strings.Replace(rt.Path, ":id", "x"+uuid.NewString(), 1)
				stA, a := r.call(t, adminB, rt.Method, path, body)
				stX, x := r.call(t, adminB, rt.Method, other, body)
				walked++
				if stA < 400 || stA != stX || a["error"].(map[string]any)["code"] != x["error"].(map[string]any)["code"] {
					t.Errorf("%s %s as tenant B with A's id: %d %v; with an unknown id: %d %v", rt.Method, rt.Path, stA, a, stX, x)
				}
			}
			if walked < 15 {
				t.Fatalf("walked only %d plugin routes", walked)
			}
			if after := pluginRecords(t, r.DB, resA.Tenant.ID); after != before {
				t.Fatalf("tenant A's plugin records changed while tenant B probed them")
			}
		})
	}
}

func items(body map[string]any) []any {
	v, _ := body["items"].([]any)
	return v
}

// pluginRecords fingerprints a tenant's plugin documents.
func pluginRecords(t *testing.T, db *store.DB, tenantID uuid.UUID) string {
	t.Helper()
	var rows []map[string]any
	err := db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Raw("SELECT collection, id, version, document FROM plugin_records WHERE tenant_id = ? ORDER BY collection, id", tenantID).Scan(&rows).Error
	})
	if err != nil || len(rows) == 0 {
		t.Fatalf("plugin records of tenant A: %d rows, %v", len(rows), err)
	}
	return fmt.Sprintf("%d %x", len(rows), sha256.Sum256([]byte(fmt.Sprint(rows))))
}

// TestTamperedPluginRefused: a binary changed on disk after registration is
// not started; the tenant gets 503 plugin_checksum_mismatch and the operator
// an alert in the platform audit log.
func TestTamperedPluginRefused(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(pluginBins(t), "events"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "events")
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, store.SQLite)
	cfg.PluginDir = dir
	r := startWith(t, cfg)
	m, err := demoShort()
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = nil
	res, err := r.Tenants.Apply(actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"}), m)
	if err != nil {
		t.Fatal(err)
	}
	manager := r.login(t, "demo", "manager", password(res, "manager"))
	if st, body := r.call(t, manager, "GET", "/api/v1/plugins/events/venues", nil); st != 200 {
		t.Fatalf("before tampering: %d %v", st, body)
	}
	r.Supervisor.Stop(res.Tenant.ID, "events")
	f, err := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	st, body := r.call(t, manager, "GET", "/api/v1/plugins/events/venues", nil)
	if st != 503 || body["error"].(map[string]any)["code"] != "plugin_checksum_mismatch" {
		t.Fatalf("tampered binary: %d %v", st, body)
	}
	for i := 0; ; i++ {
		var n int64
		err := r.DB.Platform(context.Background(), func(tx *gorm.DB) error {
			return tx.Raw("SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action = 'plugin.alert.checksum_mismatch'", uuid.Nil).Scan(&n).Error
		})
		if err == nil && n == 1 {
			break
		}
		if i == 50 {
			t.Fatalf("no alert in the platform audit log (%d, %v)", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
