package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/proxy"
)

// PluginProxyDeps are the parts of the plugin runtime the proxy of
// /api/v1/plugins/{name}/... stands on: the catalogue (Resolver, Registered),
// the supervisor (Runner) and the host services (Calls, optional).
type PluginProxyDeps struct {
	Resolver   pluginhost.Resolver
	Runner     pluginhost.Runner
	Calls      proxy.Calls
	Registered proxy.Registered
}

// pluginProxy builds the proxy and makes the registered plugins'
// permissions part of the RBAC catalogue. Wiring, in New, before
// httpapi.New (a.RBAC, a.Identity and a.Residents built):
//
//	pp := a.pluginProxy(PluginProxyDeps{Resolver: …, Runner: …, Calls: …, Registered: …})
//	routes = append(routes, pp.Routes()...)
//	// in httpapi.Deps:
//	Collectors: append(…, pp.Collectors()...), ExtraOpenAPI: pp.OpenAPI,
func (a *App) pluginProxy(d PluginProxyDeps) *proxy.Proxy {
	p := proxy.New(proxy.Config{Resolver: d.Resolver, Runner: d.Runner, Authz: a.RBAC, Calls: d.Calls,
		People: a.pluginPerson, Registered: d.Registered, Log: a.Log})
	a.RBAC.SetPluginPermissions(p.Permissions)
	return p
}

// pluginPerson tells a plugin who a signed-in user is: display name and
// kind, and for a resident the resident record (person) linked to the
// account and the rooms they live in now.
func (a *App) pluginPerson(ctx context.Context, tenantID, userID uuid.UUID) (proxy.Person, error) {
	u, err := a.Identity.GetUser(ctx, tenantID, userID)
	if err != nil {
		return proxy.Person{}, err
	}
	p := proxy.Person{Name: u.Name, Kind: u.Kind}
	if u.Kind != identity.KindResident {
		return p, nil
	}
	pid, ok, err := a.Residents.PersonOfUser(ctx, tenantID, userID)
	if err != nil || !ok {
		return p, err
	}
	p.ResidentIDs = []string{pid.String()}
	rooms, err := a.Residents.MyRooms(ctx, tenantID, userID)
	if err != nil {
		return proxy.Person{}, err
	}
	for _, r := range rooms {
		p.RoomIDs = append(p.RoomIDs, r.RoomID.String())
	}
	return p, nil
}
