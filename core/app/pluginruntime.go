package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/pluginhost/proxy"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The plugin runtime's wiring. The supervisor runs each tenant's plugin
// processes from the catalogue's specs and serves every process its Host
// (hostsvc), bound to its tenant; the bus delivers events and tasks through
// the supervisor; the proxy serves plugin routes through it; a change of a
// tenant's enablement stops the process so the next call starts what the
// catalogue now says.

// newPluginRuntime builds the supervisor and the proxy (after the catalogue,
// before the route table).
func (a *App) newPluginRuntime() (*proxy.Proxy, error) {
	hosts := hostsvc.New(a.HostDeps(hostBus{a}, a.Plugins.Secrets))
	maxMem := a.Config.PluginMaxMemoryMB
	if maxMem == 0 {
		maxMem = 256
	}
	sup, err := pluginhost.New(pluginhost.Options{
		Resolver: a.Plugins, Host: hosts.For,
		IdleTimeout: a.Config.PluginIdleTimeout, MaxMemory: maxMem << 20,
		Logger: a.Log, OnAlert: a.pluginAlert,
	})
	if err != nil {
		return nil, err
	}
	a.Supervisor = sup
	// Stop waits for calls in flight; the hook runs inside the change's commit.
	a.Plugins.SetOnChange(func(t uuid.UUID, name string) { go sup.Stop(t, name) })
	a.ConnectPlugins(pluginDirectory{a.Plugins}, sup)
	return a.pluginProxy(PluginProxyDeps{Resolver: a.Plugins, Runner: sup, Calls: proxyCalls{hosts.Calls()}, Registered: a.Plugins.Registered}), nil
}

// pluginAlert tells the operator: the log, and the platform audit trail the
// operator console reads (a checksum mismatch, a crash circuit opened).
func (a *App) pluginAlert(al pluginhost.Alert) {
	a.Log.Error("plugin alert", "kind", al.Kind, "tenant", al.TenantCode, "plugin", al.Plugin, "version", al.Version, "detail", al.Detail)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.Audit.RecordPlatform(ctx, audit.Entry{
		ActorKind: string(actor.System), ActorName: "plugin supervisor",
		Action: "plugin.alert." + string(al.Kind), Object: "tenants/" + al.TenantCode + "/plugins/" + al.Plugin,
		ObjectType: "plugin", ObjectID: al.Plugin + "@" + al.Version,
		Result: audit.ResultError, Detail: "tenant " + al.TenantCode + ": " + al.Detail, At: al.At,
	})
	if err != nil {
		a.Log.Error("plugin alert not recorded", "err", err)
	}
}

// hostBus is the bus as the Host services reach it; the bus is built after
// the route table, so it is looked up at call time.
type hostBus struct{ a *App }

func (b hostBus) Publish(ctx context.Context, tenantID uuid.UUID, plugin, typ string, payload []byte, key string) (string, error) {
	id, err := b.a.PluginBus.Publish(ctx, tenantID, plugin, typ, json.RawMessage(payload), key)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (b hostBus) Schedule(ctx context.Context, tenantID uuid.UUID, plugin, name string, payload []byte, runAt time.Time, key string) (string, error) {
	id, err := b.a.PluginBus.Schedule(ctx, tenantID, plugin, name, json.RawMessage(payload), runAt, key)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (b hostBus) Cancel(ctx context.Context, tenantID uuid.UUID, plugin, key string) (bool, error) {
	return b.a.PluginBus.Cancel(ctx, tenantID, plugin, key)
}

// pluginDirectory is the catalogue as the bus asks it.
type pluginDirectory struct{ c *catalogue.Catalogue }

func (d pluginDirectory) Subscribers(ctx context.Context, tenantID uuid.UUID, eventType string) ([]string, error) {
	return d.c.Subscribers(ctx, tenantID, eventType)
}

func (d pluginDirectory) PeriodicTasks(ctx context.Context) ([]bus.Periodic, error) {
	ts, err := d.c.PeriodicTasks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]bus.Periodic, len(ts))
	for i, t := range ts {
		out[i] = bus.Periodic{TenantID: t.TenantID, Plugin: t.Plugin, Name: t.Name, Schedule: t.Schedule}
	}
	return out, nil
}

// proxyCalls names the proxy's requests to the Host services, so what a
// plugin does while serving one is attributed to its caller.
type proxyCalls struct{ c *hostsvc.Calls }

func (p proxyCalls) Begin(tenantID uuid.UUID, plugin string, c *wuyepb.Caller) string {
	hc := hostsvc.Caller{Kind: string(actor.User), Name: c.GetName()}
	if c.GetKind() == "api_key" {
		hc.Kind = string(actor.APIKey)
	}
	hc.ID, _ = uuid.Parse(c.GetUserId())
	return p.c.Begin(tenantID, plugin, hc)
}

func (p proxyCalls) End(token string) { p.c.End(token) }
