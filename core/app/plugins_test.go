package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// TestPluginsAtStart: the binaries of the plugin folder are registered at
// start, and the demo manifest's plugins: section takes effect (parking and
// events enabled with their declared config; the drivers, declared but not
// in the folder, wait until they are registered).
// The describer stands in for the supervisor's pluginhost.Describe: the
// binaries are scripts named after the plugin they describe.
func TestPluginsAtStart(t *testing.T) {
	saved := pluginDescribe
	pluginDescribe = func(_ context.Context, path, _ string) (*wuyepb.Manifest, error) {
		name := filepath.Base(path)
		schema := `{"type":"object"}`
		if name == "parking" {
			schema = `{"type":"object","properties":{"free_minutes":{"type":"integer"},"hourly_rate_fen":{"type":"integer"},"daily_cap_fen":{"type":"integer"}},"required":["free_minutes"]}`
		}
		return &wuyepb.Manifest{Name: name, Version: "1.0.0", Kind: wuyepb.Kind_KIND_FEATURE, ApiVersion: 2, ConfigSchema: []byte(schema)}, nil
	}
	defer func() { pluginDescribe = saved }()
	dir := t.TempDir()
	for _, n := range []string{"parking", "events"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n# "+n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	a, err := New(ctx, Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), TenantsDir: "../../tenants", LogLevel: "error", NoSeed: true, PluginDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	m, err := tenant.LoadManifest("../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = nil // the plugins only
	res, err := a.Tenants.Apply(actor.With(ctx, actor.Actor{Kind: actor.Operator, Name: "test"}), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	vs, err := a.Plugins.List(ctx, catalogue.ListFilter{})
	if err != nil || len(vs) != 2 {
		t.Fatalf("registered at start: %+v %v", vs, err)
	}
	es, err := a.Plugins.ListTenant(ctx, res.Tenant.ID, false, true)
	if err != nil || len(es) != 2 || es[0].Name != "events" || !es[0].Enabled || es[1].Name != "parking" || !es[1].Enabled ||
		!strings.Contains(string(es[1].Config), `"free_minutes":30`) {
		t.Fatalf("demo plugins: %+v %v", es, err)
	}
	spec, err := a.Plugins.Resolve(ctx, res.Tenant.ID, "parking")
	if err != nil || spec.Path != filepath.Join(dir, "parking") || spec.TenantCode != res.Tenant.Code {
		t.Fatalf("resolve: %+v %v", spec, err)
	}
	// The plugins quota counts enablements.
	o, err := a.Tenants.Overview(ctx, res.Tenant.ID)
	if err != nil || o.Usage[tenant.ResourcePlugins] != 2 {
		t.Fatalf("usage: %v %v", o.Usage, err)
	}
}
