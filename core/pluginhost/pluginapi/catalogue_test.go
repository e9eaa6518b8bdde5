package pluginapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/httpapi/httpapitest"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/pluginhost/pluginapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// describe stands in for pluginhost.Describe: the binary's text after its
// first line is "name version" and the schema.
func describe(_ context.Context, path, _ string) (*wuyepb.Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitN(string(b), "\n", 3)
	nv := strings.Fields(strings.TrimPrefix(lines[1], "#"))
	return &wuyepb.Manifest{Name: nv[0], Version: nv[1], Kind: wuyepb.Kind_KIND_FEATURE, ApiVersion: 2, TitleEn: "Community events", TitleZh: "社区活动",
		ConfigSchema: []byte(strings.TrimPrefix(lines[2], "#")), Secrets: []string{"token"},
		Permissions: []*wuyepb.Permission{{Code: "activity.read"}},
		Routes:      []*wuyepb.Route{{Method: "GET", Path: "/activities", Permission: "activity.read"}},
		Pages:       []*wuyepb.Page{{Id: "activities", TitleEn: "Activities", TitleZh: "活动", Permission: "activity.read", Bundle: "pages/activities.js"}}}, nil
}

const schema = `{"type":"object","properties":{"max_signups":{"type":"integer","minimum":1},"token":{"type":"string"}},"required":["max_signups"],"additionalProperties":false}`

type resp struct {
	Status int
	Body   map[string]any
	raw    string
}

func (r resp) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func call(t *testing.T, srv *httpapi.Server, method, path, token string, body any, hdr ...string) resp {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	r := resp{Status: w.Code, raw: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &r.Body)
	return r
}

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

// cat0 reads an enablement from the OnChange hook (set per subtest).
var cat0 func(id uuid.UUID, name string) (bool, error)

func TestCatalogueRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenants := tenant.New(db, tenant.Options{})
		tenants.RegisterCounter(tenant.ResourcePlugins, catalogue.CountEnabled)
		mk := func(code string) uuid.UUID {
			res, err := tenants.Apply(ctx, tenant.Manifest{Code: code, Name: code, Plan: "trial", Admins: []tenant.UserSpec{{Username: "admin", Name: "A", Password: "correct horse battery"}}})
			if err != nil {
				t.Fatal(err)
			}
			return res.Tenant.ID
		}
		a, b := mk("alpha"), mk("beta")
		k, idx := make([]byte, 32), make([]byte, 32)
		k[0], idx[0] = 1, 2
		keys, err := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
		if err != nil {
			t.Fatal(err)
		}
		told := make(chan string, 100)
		cat := catalogue.New(db, catalogue.Options{Describe: describe, Tenants: catalogue.TenantsOf(db, tenants), Keys: keys,
			OnChange: func(id uuid.UUID, name string) {
				// Told only once the request committed: the change is visible.
				en, err := cat0(id, name)
				told <- fmt.Sprint(name, " ", en, " ", err)
			}})
		cat0 = func(id uuid.UUID, name string) (bool, error) {
			e, err := cat.GetEnablement(context.Background(), id, name)
			return e.Enabled, err
		}
		auth := httpapitest.TokenActors{
			"op":      {Kind: actor.Operator, ID: uuid.New(), Name: "ops"},
			"a-admin": {Kind: actor.User, ID: uuid.New(), Name: "admin", TenantID: a, Roles: []string{"admin"}},
			"a-guard": {Kind: actor.User, ID: uuid.New(), Name: "guard", TenantID: a, Roles: []string{"guard"}},
			"b-admin": {Kind: actor.User, ID: uuid.New(), Name: "admin", TenantID: b, Roles: []string{"admin"}},
			"a-res":   {Kind: actor.User, ID: uuid.New(), Name: "resident", TenantID: a, Roles: []string{"resident"}},
		}
		authz := roleAuthz{"admin": {pluginapi.PermUse, pluginapi.PermManage, "events.activity.read"}, "guard": {pluginapi.PermUse}}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Audit: audit.NewLog(db),
			Auth: auth, Authz: authz, Tenant: tenants, Routes: append(pluginapi.CatalogueRoutes(cat), pluginapi.MyPagesRoute(cat, authz))})

		dir := t.TempDir()
		bin := func(name, version string) string {
			p := filepath.Join(dir, name+"-"+version)
			os.WriteFile(p, []byte("#!/bin/sh\n#"+name+" "+version+"\n#"+schema), 0o755)
			return p
		}
		const op = "/api/v1/operator/plugins"
		r := call(t, srv, "POST", op, "op", map[string]any{"path": bin("events", "1.0.0"), "name": "events"})
		if r.Status != 200 || r.Body["outcome"] != "registered" {
			t.Fatalf("register: %d %s", r.Status, r.raw)
		}
		call(t, srv, "POST", op, "op", map[string]any{"path": bin("events", "1.1.0")})
		if r = call(t, srv, "POST", op, "a-admin", map[string]any{"path": bin("x", "1.0.0")}); r.Status != 403 {
			t.Fatalf("tenant admin registers: %d", r.Status)
		}
		if r = call(t, srv, "GET", op+"?name=events", "op", nil); r.Status != 200 || len(r.Body["items"].([]any)) != 2 {
			t.Fatalf("list: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "GET", op+"/events/versions/1.0.0", "op", nil); r.Status != 200 || r.Body["manifest"] == nil {
			t.Fatalf("get: %d %s", r.Status, r.raw)
		}

		// The admin sees what the plan allows and enables with a config checked against the schema.
		r = call(t, srv, "GET", "/api/v1/tenant/plugin-catalogue", "a-admin", nil)
		if r.Status != 200 || r.Body["limit"].(float64) != 2 || r.Body["plugins"].([]any)[0].(map[string]any)["latest"] != "1.1.0" {
			t.Fatalf("available: %d %s", r.Status, r.raw)
		}
		r = call(t, srv, "POST", "/api/v1/tenant/plugins/events/enable", "a-admin", map[string]any{"config": map[string]any{"max_signups": 0}}, "Accept-Language", "zh-CN")
		if r.Status != 400 || r.code() != "plugin_config_invalid" || !strings.Contains(r.raw, `"config.max_signups"`) || !strings.Contains(r.raw, "插件配置") {
			t.Fatalf("invalid config: %d %s", r.Status, r.raw)
		}
		r = call(t, srv, "POST", "/api/v1/tenant/plugins/events/enable", "a-admin", map[string]any{"version": "1.0.0", "config": map[string]any{"max_signups": 30, "token": "tok-secret"}})
		if r.Status != 200 || r.Body["enabled"] != true || strings.Contains(r.raw, "tok-secret") || !strings.Contains(r.raw, `"secrets_set":["token"]`) {
			t.Fatalf("enable: %d %s", r.Status, r.raw)
		}
		select {
		case got := <-told:
			if got != "events true <nil>" {
				t.Fatalf("OnChange saw %q", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("OnChange not told after the admin's request committed")
		}
		if r = call(t, srv, "POST", "/api/v1/tenant/plugins/events/enable", "a-guard", map[string]any{}); r.Status != 403 {
			t.Fatalf("guard enables: %d", r.Status)
		}
		// Staff with plugin.use see the menu entries, not the configuration.
		r = call(t, srv, "GET", "/api/v1/tenant/plugins", "a-guard", nil)
		items, _ := r.Body["items"].([]any)
		if r.Status != 200 || len(items) != 1 || strings.Contains(r.raw, "max_signups") || !strings.Contains(r.raw, `"permission":"events.activity.read"`) {
			t.Fatalf("own list: %d %s", r.Status, r.raw)
		}
		// Everyone learns the pages they may open: the holder of the page's
		// permission sees it, the others (a resident, another tenant) do not.
		for tok, want := range map[string]int{"a-admin": 1, "a-guard": 0, "a-res": 0, "b-admin": 0} {
			r = call(t, srv, "GET", "/api/v1/me/plugin-pages", tok, nil)
			items, _ := r.Body["items"].([]any)
			if r.Status != 200 || len(items) != want || (want == 1 && !strings.Contains(r.raw, `"plugin":"events","id":"activities"`)) {
				t.Fatalf("my pages as %s: %d %s", tok, r.Status, r.raw)
			}
		}
		// Another tenant's enablement answers 404.
		if r = call(t, srv, "GET", "/api/v1/tenant/plugins/events", "b-admin", nil); r.Status != 404 || r.code() != "plugin_not_enabled" {
			t.Fatalf("b reads a's: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "POST", "/api/v1/tenant/plugins/events/disable", "b-admin", nil); r.Status != 404 {
			t.Fatalf("b disables a's: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "GET", "/api/v1/tenant/plugins/events", "a-admin", nil); r.Status != 200 || !strings.Contains(r.raw, `"max_signups":30`) {
			t.Fatalf("a's own: %d %s", r.Status, r.raw)
		}
		// Upgrade, rollback, config.
		if r = call(t, srv, "POST", "/api/v1/tenant/plugins/events/upgrade", "a-admin", map[string]any{"version": "1.1.0"}); r.Status != 200 || r.Body["previous_version"] != "1.0.0" {
			t.Fatalf("upgrade: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "POST", "/api/v1/tenant/plugins/events/rollback", "a-admin", nil); r.Status != 200 || r.Body["version"] != "1.0.0" {
			t.Fatalf("rollback: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "PUT", "/api/v1/tenant/plugins/events/config", "a-admin", map[string]any{"config": map[string]any{"max_signups": 50}}); r.Status != 200 || !strings.Contains(r.raw, `"secrets_set":["token"]`) {
			t.Fatalf("config: %d %s", r.Status, r.raw)
		}
		// The admin's request is audited with what changed.
		items2, _, err := audit.NewLog(db).List(ctx, a, audit.Filter{ObjectType: "plugin", ActionPrefix: "plugin."}, 0, 50)
		if err != nil || len(items2) != 4 {
			for _, it := range items2 {
				t.Logf("%+v", it)
			}
			t.Fatalf("audit: %d %v", len(items2), err)
		}
		// Operator: retire is refused while alpha runs 1.0.0; the operator manages alpha's plugins.
		if r = call(t, srv, "POST", op+"/events/versions/1.0.0/retire", "op", nil); r.Status != 409 || r.code() != "plugin_version_in_use" {
			t.Fatalf("retire in use: %d %s", r.Status, r.raw)
		}
		ot := "/api/v1/operator/tenants/" + a.String() + "/plugins"
		if r = call(t, srv, "POST", ot+"/events/disable", "op", nil); r.Status != 200 || r.Body["enabled"] != false {
			t.Fatalf("operator disables: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "POST", op+"/events/versions/1.0.0/retire", "op", nil); r.Status != 200 || r.Body["retired"] != true {
			t.Fatalf("retire: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "GET", ot, "op", nil); r.Status != 200 || len(r.Body["items"].([]any)) != 1 {
			t.Fatalf("operator list: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "POST", ot+"/events/enable", "op", map[string]any{}); r.Status != 200 || r.Body["version"] != "1.1.0" {
			t.Fatalf("operator re-enables: %d %s", r.Status, r.raw)
		}
		if r = call(t, srv, "POST", ot+"/sync", "op", nil); r.Status != 200 {
			t.Fatalf("sync: %d %s", r.Status, r.raw)
		}
	})
}
