package catalogue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// describer stands in for pluginhost.Describe: each binary's manifest is
// the JSON written after a "#" line in the (shell script) file itself, so a
// changed manifest is a changed binary with another checksum.
func describe(_ context.Context, path, sha string) (*wuyepb.Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, js, ok := strings.Cut(string(b), "\n#")
	if !ok {
		return nil, errors.New("not a plugin")
	}
	var m struct {
		Name, Version string
		Schema        json.RawMessage
		Secrets       []string
		Subs          []string
		Pages         int
		Kind          int
	}
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return nil, err
	}
	kind := wuyepb.Kind_KIND_FEATURE
	if m.Kind != 0 {
		kind = wuyepb.Kind(m.Kind)
	}
	man := &wuyepb.Manifest{Name: m.Name, Version: m.Version, Kind: kind, ApiVersion: 2, TitleEn: "T " + m.Name, TitleZh: "插件" + m.Name,
		ConfigSchema: m.Schema, Secrets: m.Secrets, Subscriptions: m.Subs,
		Permissions: []*wuyepb.Permission{{Code: "activity.manage"}},
		Routes:      []*wuyepb.Route{{Method: "GET", Path: "/activities", Permission: "activity.manage"}},
		Tasks:       []*wuyepb.PeriodicTask{{Name: "close-signups", Schedule: "@every 10m"}}}
	for i := 0; i < m.Pages; i++ {
		man.Pages = append(man.Pages, &wuyepb.Page{Id: fmt.Sprint("p", i), TitleEn: "Activities", Permission: "activity.manage", Bundle: "pages/a.js"})
	}
	return man, nil
}

// binary writes an executable whose manifest describe reads.
func binary(t testing.TB, dir, file string, manifest map[string]any) string {
	t.Helper()
	js, _ := json.Marshal(manifest)
	p := filepath.Join(dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\n#"+string(js)), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const schemaV1 = `{"type":"object","properties":{"venue_limit":{"type":"integer","minimum":1},"api_key":{"type":"string","minLength":4}},"required":["venue_limit","api_key"],"additionalProperties":false}`
const schemaV2 = `{"type":"object","properties":{"venue_limit":{"type":"integer","minimum":1},"api_key":{"type":"string"},"region":{"type":"string","enum":["north","south"]}},"required":["venue_limit","region"],"additionalProperties":false}`

type env struct {
	db      *store.DB
	tenants *tenant.Service
	cat     *catalogue.Catalogue
	dir     string
	changes *changes
	audit   *memAudit
}

type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) add(t uuid.UUID, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, t.String()+"/"+name)
}

func (c *changes) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

type memAudit struct {
	mu      sync.Mutex
	actions []string
}

func (m *memAudit) Record(context.Context, audit.Entry) error {
	return errors.New("tenant entries go in the transaction")
}
func (m *memAudit) RecordPlatform(_ context.Context, e audit.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.actions = append(m.actions, e.Action)
	return nil
}

func keyring(t testing.TB) *pii.Keyring {
	k := make([]byte, 32)
	idx := make([]byte, 32)
	k[0], idx[0] = 1, 2
	keys, err := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func newEnv(t *testing.T, db *store.DB) *env { return newEnvTB(t, db) }

func newEnvTB(t testing.TB, db *store.DB) *env {
	e := &env{db: db, dir: t.TempDir(), changes: &changes{}, audit: &memAudit{}}
	e.tenants = tenant.New(db, tenant.Options{})
	e.tenants.RegisterCounter(tenant.ResourcePlugins, catalogue.CountEnabled)
	e.cat = catalogue.New(db, catalogue.Options{Describe: describe, Tenants: catalogue.TenantsOf(db, e.tenants), Keys: keyring(t), Audit: e.audit, OnChange: e.changes.add})
	return e
}

func (e *env) tenant(t *testing.T, code, plan string, plugins ...tenant.PluginSpec) uuid.UUID {
	return e.tenantTB(t, code, plan, plugins...)
}

func (e *env) tenantTB(t testing.TB, code, plan string, plugins ...tenant.PluginSpec) uuid.UUID {
	t.Helper()
	res, err := e.tenants.Apply(context.Background(), tenant.Manifest{Code: code, Name: code + " 物业", Plan: plan,
		Admins: []tenant.UserSpec{{Username: "admin", Name: "管理员", Password: "correct horse battery"}}, Plugins: plugins})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tenant.ID
}

func (e *env) registerTB(t testing.TB, name, version string) catalogue.Version {
	return e.registerAny(t, name, version, schemaV1, map[string]any{"Subs": []string{"resident.moved_in"}})
}

func (e *env) register(t *testing.T, name, version, schema string, extra map[string]any) catalogue.Version {
	return e.registerAny(t, name, version, schema, extra)
}

func (e *env) registerAny(t testing.TB, name, version, schema string, extra map[string]any) catalogue.Version {
	t.Helper()
	m := map[string]any{"Name": name, "Version": version, "Secrets": []string{"api_key"}}
	if schema != "" {
		m["Schema"] = json.RawMessage(schema)
	}
	for k, v := range extra {
		m[k] = v
	}
	p := binary(t, e.dir, name+"-"+version, m)
	res, err := e.cat.Register(context.Background(), catalogue.RegisterInput{Path: p})
	if err != nil {
		t.Fatalf("register %s %s: %v", name, version, err)
	}
	return res.Version
}

func code(err error) string {
	if ae, ok := apperr.As(err); ok {
		return ae.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func fields(err error) []string {
	ae, ok := apperr.As(err)
	if !ok {
		return nil
	}
	fe, _ := ae.Details.([]apperr.FieldError)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func TestRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		p := binary(t, e.dir, "events", map[string]any{"Name": "events", "Version": "1.0.0", "Schema": json.RawMessage(schemaV1)})
		res, err := e.cat.Register(ctx, catalogue.RegisterInput{Path: p, Name: "events"})
		if err != nil || res.Outcome != catalogue.Registered || len(res.Version.SHA256) != 64 || res.Version.Kind != "feature" {
			t.Fatalf("register: %+v %v", res, err)
		}
		if res, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: p}); err != nil || res.Outcome != catalogue.Unchanged {
			t.Fatalf("again: %+v %v", res.Outcome, err)
		}
		// A rebuilt binary with the same version: refused unless replaced.
		binary(t, e.dir, "events", map[string]any{"Name": "events", "Version": "1.0.0", "Schema": json.RawMessage(schemaV1), "Pages": 1})
		if _, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: p}); code(err) != "plugin_version_exists" {
			t.Fatalf("changed binary: %v", err)
		}
		if res, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: p, Replace: true}); err != nil || res.Outcome != catalogue.Replaced {
			t.Fatalf("replace: %+v %v", res.Outcome, err)
		}
		// The checksum the operator gives must be the file's.
		if _, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: p, SHA256: strings.Repeat("0", 64)}); code(err) != "plugin_binary_invalid" {
			t.Fatalf("wrong sha: %v", err)
		}
		// The manifest's name must be the expected one.
		if _, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: p, Name: "parking"}); code(err) != "plugin_manifest_invalid" {
			t.Fatalf("name mismatch: %v", err)
		}
		bad := binary(t, e.dir, "bad", map[string]any{"Name": "Bad Name", "Version": "one", "Schema": json.RawMessage(`{"type": 7}`)})
		_, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: bad})
		if f := fields(err); code(err) != "plugin_manifest_invalid" || len(f) != 3 {
			t.Fatalf("bad manifest: %v %v", err, f)
		}
		if _, err = e.cat.Register(ctx, catalogue.RegisterInput{Path: filepath.Join(e.dir, "nothing")}); code(err) != "plugin_binary_invalid" {
			t.Fatalf("missing file: %v", err)
		}
		e.register(t, "events", "1.2.0", schemaV1, nil)
		e.register(t, "events", "1.10.0", schemaV1, nil)
		vs, err := e.cat.List(ctx, catalogue.ListFilter{Name: "events"})
		if err != nil || len(vs) != 3 || vs[0].Version != "1.10.0" || vs[2].Version != "1.0.0" {
			t.Fatalf("list: %+v %v", vs, err)
		}
		v, err := e.cat.Get(ctx, "events", "1.0.0")
		if err != nil || !strings.Contains(string(v.Manifest), `"pages"`) {
			t.Fatalf("get: %s %v", v.Manifest, err)
		}
		if _, err := e.cat.Get(ctx, "events", "9.9.9"); !errors.Is(err, catalogue.ErrNotRegistered) {
			t.Fatalf("get missing: %v", err)
		}
		if got := strings.Join(e.audit.actions, ","); got != "plugin.register,plugin.replace,plugin.register,plugin.register" {
			t.Fatalf("platform audit: %s", got)
		}
	})
}

func TestRegisterDir(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLite(t))
	binary(t, e.dir, "events", map[string]any{"Name": "events", "Version": "1.0.0"})
	binary(t, e.dir, "drivers/hik-lpr", map[string]any{"Name": "hik-lpr", "Version": "0.1.0", "Kind": 2})
	binary(t, e.dir, "misnamed", map[string]any{"Name": "other", "Version": "0.1.0"})
	os.WriteFile(filepath.Join(e.dir, "README"), []byte("not a binary"), 0o644)
	res, err := e.cat.RegisterDir(ctx, e.dir)
	if err != nil || len(res) != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	byPath := map[string]catalogue.ScanResult{}
	for _, r := range res {
		byPath[filepath.Base(r.Path)] = r
	}
	if byPath["events"].Outcome != catalogue.Registered || byPath["hik-lpr"].Outcome != catalogue.Registered || byPath["misnamed"].Error == "" {
		t.Fatalf("%+v", res)
	}
	// Idempotent; a rebuilt binary replaces its registration.
	binary(t, e.dir, "events", map[string]any{"Name": "events", "Version": "1.0.0", "Pages": 2})
	res, _ = e.cat.RegisterDir(ctx, e.dir)
	for _, r := range res {
		want := catalogue.Unchanged
		if filepath.Base(r.Path) == "events" {
			want = catalogue.Replaced
		}
		if r.Error == "" && r.Outcome != want {
			t.Fatalf("%s: %s, want %s", r.Path, r.Outcome, want)
		}
	}
	// A missing folder is no plugins.
	if res, err := e.cat.RegisterDir(ctx, filepath.Join(e.dir, "none")); err != nil || len(res) != 0 {
		t.Fatalf("%v %v", res, err)
	}
}

func TestEnablement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.tenant(t, "alpha", "trial")
		e.register(t, "events", "1.0.0", schemaV1, map[string]any{"Subs": []string{"resident.moved_in"}, "Pages": 1})
		e.register(t, "events", "2.0.0", schemaV2, nil)

		if _, err := e.cat.Resolve(ctx, a, "events"); !errors.Is(err, pluginhost.ErrNotEnabled) {
			t.Fatalf("resolve before enabling: %v", err)
		}
		// The config is validated against the version's schema: field errors.
		_, err := e.cat.Enable(ctx, a, "events", catalogue.EnableInput{Version: "1.0.0", Config: json.RawMessage(`{"venue_limit":0,"colour":"red"}`)})
		if f := strings.Join(fields(err), " "); code(err) != "plugin_config_invalid" || !strings.Contains(f, "config.venue_limit:schema") || !strings.Contains(f, "config:schema") {
			t.Fatalf("invalid config: %v %v", err, f)
		}
		if _, err := e.cat.Enable(ctx, a, "nope", catalogue.EnableInput{}); code(err) != "plugin_not_registered" {
			t.Fatalf("unknown plugin: %v", err)
		}
		en, err := e.cat.Enable(ctx, a, "events", catalogue.EnableInput{Version: "1.0.0", Config: json.RawMessage(`{"venue_limit":3,"api_key":"s3cret-key"}`)})
		if err != nil || !en.Enabled || en.Version != "1.0.0" || string(en.Config) != `{"venue_limit":3}` ||
			strings.Join(en.SecretsSet, ",") != "api_key" || len(en.Pages) != 1 || en.Pages[0].Permission != "events.activity.manage" {
			t.Fatalf("enable: %+v %v", en, err)
		}
		spec, err := e.cat.Resolve(ctx, a, "events")
		if err != nil || spec.Version != "1.0.0" || spec.TenantCode != "alpha" || spec.TimeZone == "" || len(spec.SHA256) != 64 ||
			spec.Manifest.GetName() != "events" || string(spec.Config) != `{"venue_limit":3}` || !filepath.IsAbs(spec.Path) {
			t.Fatalf("resolve: %+v %v", spec, err)
		}
		sec, err := e.cat.Secrets(ctx, a, "events")
		if err != nil || sec["api_key"] != "s3cret-key" {
			t.Fatalf("secrets: %v %v", sec, err)
		}
		// Sealed at rest.
		var enc string
		db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Table("tenant_plugins").Where("tenant_id = ?", a).Pluck("secrets_enc", &enc).Error
		})
		if enc == "" || strings.Contains(enc, "s3cret") {
			t.Fatalf("secret at rest: %q", enc)
		}
		// Leaving a secret out keeps it.
		if en, err = e.cat.Configure(ctx, a, "events", json.RawMessage(`{"venue_limit":5}`)); err != nil || string(en.Config) != `{"venue_limit":5}` {
			t.Fatalf("configure: %+v %v", en, err)
		}
		if sec, _ = e.cat.Secrets(ctx, a, "events"); sec["api_key"] != "s3cret-key" {
			t.Fatalf("secret kept: %v", sec)
		}
		subs, _ := e.cat.Subscribers(ctx, a, "resident.moved_in")
		if strings.Join(subs, ",") != "events" {
			t.Fatalf("subscribers: %v", subs)
		}
		if subs, _ = e.cat.Subscribers(ctx, a, "bill.overdue"); len(subs) != 0 {
			t.Fatalf("subscribers: %v", subs)
		}

		// 2.0.0 requires region: the current config does not fit.
		if _, err := e.cat.SetVersion(ctx, a, "events", "2.0.0"); code(err) != "plugin_config_invalid" || !strings.Contains(strings.Join(fields(err), " "), "config:schema") {
			t.Fatalf("upgrade with old config: %v %v", err, fields(err))
		}
		if _, err := e.cat.Rollback(ctx, a, "events"); code(err) != "plugin_no_previous_version" {
			t.Fatalf("rollback without previous: %v", err)
		}
		// Enabling again at another version with a fitting config is an upgrade.
		en, err = e.cat.Enable(ctx, a, "events", catalogue.EnableInput{Version: "2.0.0", Config: json.RawMessage(`{"venue_limit":5,"region":"north"}`)})
		if err != nil || en.Version != "2.0.0" || en.PreviousVersion != "1.0.0" {
			t.Fatalf("upgrade: %+v %v", en, err)
		}
		// 1.0.0 does not allow region: rolling back is refused until the config fits.
		if _, err := e.cat.Rollback(ctx, a, "events"); code(err) != "plugin_config_invalid" {
			t.Fatalf("rollback with 2.0 config: %v", err)
		}
		if _, err := e.cat.Configure(ctx, a, "events", json.RawMessage(`{"venue_limit":5,"region":"west"}`)); !strings.Contains(strings.Join(fields(err), " "), "config.region:schema") {
			t.Fatalf("enum: %v", fields(err))
		}

		// Retiring a version in use is refused; disabled tenants do not count.
		if _, err := e.cat.Retire(ctx, "events", "2.0.0"); code(err) != "plugin_version_in_use" {
			t.Fatalf("retire in use: %v", err)
		}
		if _, err := e.cat.Retire(ctx, "events", "1.0.0"); err != nil {
			t.Fatalf("retire unused: %v", err)
		}
		if _, err := e.cat.SetVersion(ctx, a, "events", "1.0.0"); code(err) != "plugin_version_retired" {
			t.Fatalf("move to retired: %v", err)
		}
		if _, err := e.cat.Restore(ctx, "events", "1.0.0"); err != nil {
			t.Fatal(err)
		}
		before := e.changes.count()
		if en, err = e.cat.Disable(ctx, a, "events"); err != nil || en.Enabled {
			t.Fatalf("disable: %+v %v", en, err)
		}
		if e.changes.count() != before+1 {
			t.Fatalf("OnChange not told of disable")
		}
		if _, err := e.cat.Disable(ctx, a, "events"); err != nil || e.changes.count() != before+1 {
			t.Fatalf("disabling twice changes nothing: %v", err)
		}
		if _, err := e.cat.Resolve(ctx, a, "events"); !errors.Is(err, pluginhost.ErrNotEnabled) {
			t.Fatalf("resolve disabled: %v", err)
		}
		if _, err := e.cat.Secrets(ctx, a, "events"); !errors.Is(err, pluginhost.ErrNotEnabled) {
			t.Fatalf("secrets of disabled: %v", err)
		}
		if _, err := e.cat.Retire(ctx, "events", "2.0.0"); err != nil {
			t.Fatalf("retire after disable: %v", err)
		}
		// Enabling again keeps the config and moves off the retired version.
		if en, err = e.cat.Enable(ctx, a, "events", catalogue.EnableInput{Config: json.RawMessage(`{"venue_limit":5,"api_key":"k-123"}`)}); err != nil || en.Version != "1.0.0" {
			t.Fatalf("re-enable: %+v %v", en, err)
		}

		// Every change is in the tenant's audit log (not a request: the system).
		var actions []string
		db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Table("audit_log").Where("tenant_id = ? AND action LIKE 'plugin.%'", a).Order("at, id").Pluck("action", &actions).Error
		})
		if got := strings.Join(actions, ","); got != "plugin.enable,plugin.configure,plugin.enable,plugin.disable,plugin.enable" {
			t.Fatalf("tenant audit: %s", got)
		}
		var details []string
		db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Table("audit_log").Where("tenant_id = ?", a).Pluck("changes", &details).Error
		})
		for _, d := range details {
			if strings.Contains(d, "s3cret") || strings.Contains(d, "k-123") {
				t.Fatalf("a secret in the audit log: %s", d)
			}
		}
	})
}

func TestQuotaAndAvailable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.tenant(t, "alpha", "trial") // trial: 2 plugins
		for _, n := range []string{"p1", "p2", "p3"} {
			e.register(t, n, "1.0.0", "", map[string]any{"Secrets": nil})
		}
		e.register(t, "p1", "1.1.0", "", map[string]any{"Secrets": nil})
		for _, n := range []string{"p1", "p2"} {
			if _, err := e.cat.Enable(ctx, a, n, catalogue.EnableInput{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.cat.Enable(ctx, a, "p3", catalogue.EnableInput{}); code(err) != "quota_exceeded" {
			t.Fatalf("quota: %v", err)
		}
		// Re-enabling an enabled plugin is not one more.
		if _, err := e.cat.Enable(ctx, a, "p1", catalogue.EnableInput{Version: "1.1.0"}); err != nil {
			t.Fatalf("upgrade at the limit: %v", err)
		}
		av, err := e.cat.Available(ctx, a)
		if err != nil || av.Limit != 2 || av.Used != 2 || len(av.Plugins) != 3 || av.Plugins[0].Latest != "1.1.0" ||
			strings.Join(av.Plugins[0].Versions, ",") != "1.1.0,1.0.0" || !av.Plugins[0].Enabled || av.Plugins[2].Enabled {
			t.Fatalf("available: %+v %v", av, err)
		}
		if _, err := e.cat.Disable(ctx, a, "p2"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Enable(ctx, a, "p3", catalogue.EnableInput{}); err != nil {
			t.Fatalf("after disabling one: %v", err)
		}
		es, _ := e.cat.Enabled(ctx, a)
		if len(es) != 2 || es[0].Name != "p1" || es[1].Name != "p3" || es[0].Manifest == nil {
			t.Fatalf("enabled: %+v", es)
		}
		o, _ := e.tenants.Overview(ctx, a)
		if o.Usage[tenant.ResourcePlugins] != 2 {
			t.Fatalf("usage counter: %v", o.Usage)
		}
		all, _ := e.cat.ListTenant(ctx, a, false, false)
		if len(all) != 3 || all[1].Enabled || all[0].Config != nil {
			t.Fatalf("list tenant: %+v", all)
		}
	})
}

// Another tenant's enablement is invisible: through the API of the package
// and, on Postgres, through row-level security itself.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.tenant(t, "alpha", "standard")
		b := e.tenant(t, "beta", "standard")
		e.register(t, "events", "1.0.0", schemaV1, nil)
		if _, err := e.cat.Enable(ctx, a, "events", catalogue.EnableInput{Config: json.RawMessage(`{"venue_limit":1,"api_key":"alpha-key"}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Resolve(ctx, b, "events"); !errors.Is(err, pluginhost.ErrNotEnabled) {
			t.Fatalf("b resolves a's plugin: %v", err)
		}
		if _, err := e.cat.GetEnablement(ctx, b, "events"); !errors.Is(err, pluginhost.ErrNotEnabled) {
			t.Fatalf("b reads a's enablement: %v", err)
		}
		if _, err := e.cat.Configure(ctx, b, "events", json.RawMessage(`{}`)); !errors.Is(err, pluginhost.ErrNotEnabled) {
			t.Fatalf("b configures a's enablement: %v", err)
		}
		if es, _ := e.cat.ListTenant(ctx, b, false, true); len(es) != 0 {
			t.Fatalf("b lists a's: %+v", es)
		}
		if db.Dialect() != store.Postgres {
			return
		}
		// Hand-written SQL in b's transaction, naming a's rows: RLS shows nothing and changes nothing.
		err := db.InTenant(ctx, b, func(tx *gorm.DB) error {
			var n int64
			if err := store.Unscoped(tx, "test: RLS alone").Raw("SELECT count(*) FROM tenant_plugins").Scan(&n).Error; err != nil {
				return err
			}
			if n != 0 {
				return fmt.Errorf("b sees %d rows", n)
			}
			res := store.Unscoped(tx, "test: RLS alone").Exec("UPDATE tenant_plugins SET enabled = false WHERE tenant_id = ?", a)
			if res.Error != nil || res.RowsAffected != 0 {
				return fmt.Errorf("b updated a's rows: %v %d", res.Error, res.RowsAffected)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Nor can the tenant role write the catalogue.
		err = db.InTenant(ctx, b, func(tx *gorm.DB) error {
			return store.Unscoped(tx, "test").Exec("UPDATE plugin_versions SET path = '/tmp/evil'").Error
		})
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("the tenant role wrote plugin_versions: %v", err)
		}
		err = db.InTenant(ctx, b, func(tx *gorm.DB) error {
			var n int64
			return store.Unscoped(tx, "test").Raw("SELECT count(*) FROM plugin_versions").Scan(&n).Error
		})
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("the tenant role read plugin_versions: %v", err)
		}
		if spec, err := e.cat.Resolve(ctx, a, "events"); err != nil || spec.Path == "/tmp/evil" {
			t.Fatalf("a after b's attempts: %+v %v", spec, err)
		}
	})
}

// A tenant manifest's plugins: section takes effect once per declaration.
func TestSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.register(t, "events", "1.0.0", schemaV1, nil)
		e.register(t, "events", "1.1.0", schemaV1, nil)
		e.register(t, "parking", "1.0.0", "", map[string]any{"Secrets": nil})
		off := false
		a := e.tenant(t, "alpha", "standard",
			tenant.PluginSpec{Name: "events", Config: map[string]any{"venue_limit": 2, "api_key": "demo-key"}},
			tenant.PluginSpec{Name: "parking", Enabled: &off},
			tenant.PluginSpec{Name: "cctv"})
		res, err := e.cat.Sync(ctx, a)
		if err != nil || strings.Join(res.Changes, ";") != "plugin events enabled (1.1.0)" || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "cctv is declared but not registered") {
			t.Fatalf("sync: %+v %v", res, err)
		}
		// Again: nothing (the admin's changes since would stand).
		if _, err := e.cat.Configure(ctx, a, "events", json.RawMessage(`{"venue_limit":9}`)); err != nil {
			t.Fatal(err)
		}
		res, err = e.cat.Sync(ctx, a)
		if err != nil || len(res.Changes) != 0 || len(res.Notes) != 1 {
			t.Fatalf("sync again: %+v %v", res, err)
		}
		if en, _ := e.cat.GetEnablement(ctx, a, "events"); string(en.Config) != `{"venue_limit":9}` {
			t.Fatalf("admin's config undone: %s", en.Config)
		}
		// The manifest changes: events off, parking on with an invalid config for events' sake.
		on := true
		_, err = e.tenants.Apply(ctx, tenant.Manifest{Code: "alpha", Name: "alpha 物业", Plan: "standard",
			Admins:  []tenant.UserSpec{{Username: "admin", Name: "管理员", Password: "correct horse battery"}},
			Plugins: []tenant.PluginSpec{{Name: "events", Enabled: &off}, {Name: "parking", Enabled: &on}}})
		if err != nil {
			t.Fatal(err)
		}
		res, err = e.cat.Sync(ctx, a)
		if err != nil || strings.Join(res.Changes, ";") != "plugin events disabled;plugin parking enabled (1.0.0)" || len(res.Notes) != 0 {
			t.Fatalf("sync after change: %+v %v", res, err)
		}
		if en, _ := e.cat.GetEnablement(ctx, a, "events"); en.Enabled || string(en.Config) != `{"venue_limit":9}` {
			t.Fatalf("disabled keeps its config: %+v", en)
		}
		// A declared config the schema refuses is a note, and nothing changes.
		_, err = e.tenants.Apply(ctx, tenant.Manifest{Code: "alpha", Name: "alpha 物业", Plan: "standard",
			Admins:  []tenant.UserSpec{{Username: "admin", Name: "管理员", Password: "correct horse battery"}},
			Plugins: []tenant.PluginSpec{{Name: "events", Config: map[string]any{"venue_limit": "many"}}, {Name: "parking", Enabled: &on}}})
		if err != nil {
			t.Fatal(err)
		}
		res, err = e.cat.Sync(ctx, a)
		if err != nil || len(res.Changes) != 0 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "config.venue_limit") {
			t.Fatalf("sync invalid: %+v %v", res, err)
		}
	})
}

// An operator's change of a tenant's plugin is in the tenant's log, named
// after the operator.
func TestOperatorAudited(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	a := e.tenant(t, "alpha", "standard")
	e.register(t, "parking", "1.0.0", "", map[string]any{"Secrets": nil})
	opCtx := actor.With(ctx, actor.Actor{Kind: actor.Operator, ID: uuid.New(), Name: "ops"})
	if _, err := e.cat.Enable(opCtx, a, "parking", catalogue.EnableInput{}); err != nil {
		t.Fatal(err)
	}
	var names []string
	db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Table("audit_log").Where("tenant_id = ? AND action = 'plugin.enable'", a).Pluck("actor_name", &names).Error
	})
	if strings.Join(names, ",") != "ops" {
		t.Fatalf("actor: %v", names)
	}
}

// What the bus and the proxy ask: family subscriptions, every tenant's
// periodic tasks, the latest manifest of each registered plugin.
func TestDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.tenant(t, "alpha", "standard")
		b := e.tenant(t, "beta", "standard")
		e.register(t, "events", "1.0.0", "", map[string]any{"Secrets": nil, "Subs": []string{"bill.*", "resident.moved_in"}})
		e.register(t, "events", "1.1.0", "", map[string]any{"Secrets": nil, "Subs": []string{"bill.*"}})
		e.register(t, "parking", "1.0.0", "", map[string]any{"Secrets": nil})
		for _, id := range []uuid.UUID{a, b} {
			if _, err := e.cat.Enable(ctx, id, "events", catalogue.EnableInput{Version: "1.0.0"}); err != nil {
				t.Fatal(err)
			}
		}
		for typ, want := range map[string]string{"bill.overdue": "events", "bill": "", "billing.x": "", "resident.moved_in": "events", "resident.moved_out": ""} {
			subs, err := e.cat.Subscribers(ctx, a, typ)
			if err != nil || strings.Join(subs, ",") != want {
				t.Fatalf("%s: %v %v", typ, subs, err)
			}
		}
		// The cache follows this process's changes at once.
		if _, err := e.cat.SetVersion(ctx, a, "events", "1.1.0"); err != nil {
			t.Fatal(err)
		}
		if subs, _ := e.cat.Subscribers(ctx, a, "resident.moved_in"); len(subs) != 0 {
			t.Fatalf("after upgrade: %v", subs)
		}
		if _, err := e.cat.Disable(ctx, b, "events"); err != nil {
			t.Fatal(err)
		}
		ps, err := e.cat.PeriodicTasks(ctx)
		if err != nil || len(ps) != 1 || ps[0].TenantID != a || ps[0].Plugin != "events" || ps[0].Name != "close-signups" || ps[0].Schedule != "@every 10m" {
			t.Fatalf("periodic: %+v %v", ps, err)
		}
		ms, err := e.cat.Registered(ctx)
		if err != nil || len(ms) != 2 || ms[0].GetName() != "events" || ms[0].GetVersion() != "1.1.0" || ms[1].GetName() != "parking" {
			t.Fatalf("registered: %v %v", ms, err)
		}
	})
}

// Admins clicking enable at once: one enables, the others see it enabled or
// a conflict; never a server error, never two rows.
func TestConcurrentEnable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.tenant(t, "alpha", "standard")
		e.register(t, "parking", "1.0.0", "", map[string]any{"Secrets": nil})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.cat.Enable(ctx, a, "parking", catalogue.EnableInput{Config: json.RawMessage(`{"n":1}`)})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil && code(err) != "conflict" {
				t.Fatalf("concurrent enable: %v", err)
			}
		}
		es, _ := e.cat.ListTenant(ctx, a, false, false)
		if len(es) != 1 || !es[0].Enabled {
			t.Fatalf("%+v", es)
		}
	})
}
