package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/pluginhost/catalogue"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The device registry's wiring: drivers from the plugin catalogue, run by
// the supervisor, secrets sealed with the personal-data key ring, status
// events on the plugin bus; in the background, sightings and heartbeats,
// and every (tenant, driver) with devices kept running, since drivers poll
// and subscribe without any HTTP request.

// driverKeepAlive is how often every driver with devices is made sure to run.
const driverKeepAlive = time.Minute

// newDevices builds the registry (after the catalogue, before the runtime:
// the Host services answer device calls from it). The supervisor and the
// bus are built later and looked up at call time.
func (a *App) newDevices() (err error) {
	a.Devices, err = device.New(a.DB, device.Options{
		Catalog: deviceCatalog{a.Plugins},
		Runner:  lateRunner{a},
		Keys:    a.Residents.Keyring(),
		Bus:     lateBus{a},
		Places:  devicePlaces{a.Property},
		Log:     a.Log,
	})
	return err
}

// deviceExists answers the asset register's device_id check.
func (a *App) deviceExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error) {
	if a.Devices == nil {
		return true, nil
	}
	_, err := a.Devices.Ref(ctx, tenantID, id)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// syncDevices applies a tenant manifest's devices: section (after its
// plugins, whose drivers it needs). Declarations that cannot take effect yet
// are logged and tried again on the next boot or apply.
func (a *App) syncDevices(ctx context.Context, tenantID uuid.UUID) {
	if a.Devices == nil {
		return
	}
	t, err := a.Tenants.Get(ctx, tenantID.String())
	if err != nil || len(t.Settings.Devices) == 0 {
		return
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "tenant manifest"})
	find := patrolPlaces{a.Property}.FindCommunity
	var decls []device.Declaration
	for _, d := range t.Settings.Devices {
		community, ok, err := find(ctx, tenantID, d.Community)
		if err != nil || !ok {
			a.Log.Warn("tenant device declared but not in effect", "tenant", tenantID, "device", d.Name, "note", "no community "+d.Community, "err", err)
			continue
		}
		key, _ := json.Marshal(d)
		decls = append(decls, device.Declaration{Name: d.Name, CommunityID: community, Class: d.Class, Driver: d.Driver, Place: d.Place,
			Direction: d.Direction, Config: d.Config, Secrets: d.Secrets, Token: d.Token, HeartbeatSeconds: d.HeartbeatSeconds, Key: string(key)})
	}
	res, err := a.Devices.Sync(ctx, tenantID, decls)
	if err != nil {
		a.Log.Warn("tenant devices not applied", "tenant", tenantID, "err", err)
	}
	for _, c := range res.Changes {
		a.Log.Info("tenant device", "tenant", tenantID, "change", c)
	}
	for _, n := range res.Notes {
		a.Log.Warn("tenant device declared but not in effect", "tenant", tenantID, "note", n)
	}
}

// runDevices applies every tenant's declared devices and starts the
// registry's background work (Start, after the plugins).
func (a *App) runDevices(ctx context.Context) {
	if ts, _, err := a.Tenants.List(ctx, tenant.ListFilter{Status: tenant.StatusActive, Limit: 100000}); err == nil {
		for _, t := range ts {
			if len(t.Settings.Devices) > 0 {
				a.syncDevices(ctx, t.ID)
			}
		}
	}
	a.bg.Add(2)
	go func() {
		defer a.bg.Done()
		a.Devices.Run(ctx)
	}()
	go func() {
		defer a.bg.Done()
		t := time.NewTicker(driverKeepAlive)
		defer t.Stop()
		for {
			a.keepDriversRunning(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// keepDriversRunning makes a call of nothing to every driver with devices:
// the supervisor starts a process that is not running (and a call keeps it
// from idling out). A driver that cannot start is logged.
func (a *App) keepDriversRunning(ctx context.Context) {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "device drivers"})
	pairs, err := a.Devices.DriverTenants(ctx)
	if err != nil {
		a.Log.Warn("device drivers not checked", "err", err)
		return
	}
	for tid, drivers := range pairs {
		for _, name := range drivers {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := a.Supervisor.CallDriver(cctx, tid, name, func(context.Context, wuyepb.DriverClient, *wuyepb.Manifest) error { return nil })
			cancel()
			if err != nil && ctx.Err() == nil {
				a.Log.Warn("device driver not running", "tenant", tid, "driver", name, "err", err)
			}
		}
	}
}

// deviceCatalog is the catalogue as the registry asks it.
type deviceCatalog struct{ c *catalogue.Catalogue }

func (d deviceCatalog) Resolve(ctx context.Context, tenantID uuid.UUID, name string) (pluginhost.Spec, error) {
	return d.c.Resolve(ctx, tenantID, name)
}

func (d deviceCatalog) Enabled(ctx context.Context, tenantID uuid.UUID) (map[string]*wuyepb.Manifest, error) {
	es, err := d.c.Enabled(ctx, tenantID)
	out := make(map[string]*wuyepb.Manifest, len(es))
	for _, e := range es {
		out[e.Name] = e.Manifest
	}
	return out, err
}

// lateRunner is the supervisor, built after the registry.
type lateRunner struct{ a *App }

func (r lateRunner) CallDriver(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(ctx context.Context, c wuyepb.DriverClient, m *wuyepb.Manifest) error) error {
	if r.a.Supervisor == nil {
		return pluginhost.ErrUnavailable
	}
	return r.a.Supervisor.CallDriver(ctx, tenantID, plugin, fn)
}

// lateBus is the plugin bus, built after the route table.
type lateBus struct{ a *App }

func (b lateBus) Emit(ctx context.Context, tenantID uuid.UUID, ev bus.Event) (uuid.UUID, error) {
	if b.a.PluginBus == nil {
		return uuid.Nil, nil
	}
	return b.a.PluginBus.Emit(ctx, tenantID, ev)
}

// devicePlaces checks a device's community and building.
type devicePlaces struct{ p *property.Service }

func (d devicePlaces) ValidPlace(ctx context.Context, tenantID, communityID uuid.UUID, buildingID *uuid.UUID) (bool, error) {
	ok, err := d.p.CommunityExists(ctx, tenantID, communityID)
	if err != nil || !ok || buildingID == nil {
		return ok, err
	}
	b, err := d.p.GetBuilding(ctx, tenantID, *buildingID)
	if err != nil {
		return false, ignoreNotFound(err)
	}
	return b.CommunityID == communityID, nil
}
