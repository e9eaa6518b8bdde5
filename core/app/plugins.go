package app

import (
	"context"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Plugins' wiring: the catalogue (registered binaries, tenants' enablement)
// on the tenant service's plans, quotas and manifests; the binaries found in
// the plugin folder registered at start; tenant manifests' plugins: sections
// applied at start and after every changing apply.

// pluginDescribe, when set (tests), stands in for the supervisor's Describe,
// which reads a plugin binary's manifest by running it once.
var pluginDescribe catalogue.Describer

func (a *App) newPlugins() {
	a.Plugins = catalogue.New(a.DB, catalogue.Options{
		Describe: func(ctx context.Context, path, sum string) (*wuyepb.Manifest, error) {
			if pluginDescribe != nil {
				return pluginDescribe(ctx, path, sum)
			}
			return a.Supervisor.Describe(ctx, path, sum)
		},
		Tenants: catalogue.TenantsOf(a.DB, a.Tenants),
		Keys:    a.Residents.Keyring(), // plugin secrets rotate with the personal-data keys, like notify's
		Audit:   a.Audit,
		Log:     a.Log,
	})
	// The catalogue owns enablement now: the plugins quota counts its rows.
	a.Tenants.RegisterCounter(tenant.ResourcePlugins, catalogue.CountEnabled)
}

// pluginDir is WUYE_PLUGIN_DIR, or plugins/ next to the wuye binary (where
// `make build` puts them: bin/wuye, bin/plugins/<name>).
func (a *App) pluginDir() string {
	if a.Config.PluginDir != "" {
		return a.Config.PluginDir
	}
	exe, err := os.Executable()
	if err != nil {
		return filepath.Join("bin", "plugins")
	}
	return filepath.Join(filepath.Dir(exe), "plugins")
}

// startPlugins registers the binaries of the plugin folder (idempotent; a
// rebuilt binary of the same version replaces its registration) and applies
// every tenant's declared plugins. Failures are logged, never fatal: the
// core serves without its plugins.
func (a *App) startPlugins(ctx context.Context) {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "plugin start-up"})
	dir := a.pluginDir()
	res, err := a.Plugins.RegisterDir(ctx, dir)
	if err != nil {
		a.Log.Warn("plugin folder unreadable", "dir", dir, "err", err)
	}
	for _, r := range res {
		if r.Error != "" {
			a.Log.Warn("plugin binary not registered", "path", r.Path, "err", r.Error)
			continue
		}
		a.Log.Info("plugin binary", "path", r.Path, "name", r.Name, "version", r.Version, "outcome", r.Outcome)
	}
	ts, _, err := a.Tenants.List(ctx, tenant.ListFilter{Status: tenant.StatusActive, Limit: 100000})
	if err != nil {
		a.Log.Warn("tenant plugins not applied", "err", err)
		return
	}
	for _, t := range ts {
		if len(t.Settings.Plugins) > 0 {
			a.syncPlugins(ctx, t.ID)
		}
	}
}

// syncPlugins applies a tenant manifest's plugins: section (tenant.Options.Committed).
func (a *App) syncPlugins(ctx context.Context, tenantID uuid.UUID) {
	if a.Plugins == nil {
		return
	}
	res, err := a.Plugins.Sync(ctx, tenantID)
	if err != nil {
		a.Log.Warn("tenant plugins not applied", "tenant", tenantID, "err", err)
		return
	}
	for _, c := range res.Changes {
		a.Log.Info("tenant plugin", "tenant", tenantID, "change", c)
	}
	for _, n := range res.Notes {
		a.Log.Warn("tenant plugin declared but not in effect", "tenant", tenantID, "note", n)
	}
}
