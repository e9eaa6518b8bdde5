package proxy

import (
	"context"
	"strings"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// What the registered plugins add to the core's catalogues: their routes to
// the OpenAPI document, their permissions to RBAC's.

// registered lists the registered manifests, one per plugin name (the first
// the catalogue gave: its latest version).
func (p *Proxy) registered(ctx context.Context) ([]*wuyepb.Manifest, error) {
	if p.cfg.Registered == nil {
		return nil, nil
	}
	ms, err := p.cfg.Registered(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := ms[:0:0]
	for _, m := range ms {
		if m == nil || seen[m.GetName()] || !pluginName.MatchString(m.GetName()) || rbac.ReservedModule(m.GetName()) {
			continue
		}
		seen[m.GetName()] = true
		out = append(out, m)
	}
	return out, nil
}

// Permissions are the registered plugins' permissions, namespaced
// "<plugin>.<code>" with module = the plugin's name: rbac's provider
// (Enforcer.SetPluginPermissions).
func (p *Proxy) Permissions(ctx context.Context) ([]rbac.Permission, error) {
	ms, err := p.registered(ctx)
	if err != nil {
		return nil, err
	}
	var out []rbac.Permission
	for _, m := range ms {
		for _, perm := range m.GetPermissions() {
			if perm.GetCode() == "" {
				continue
			}
			out = append(out, rbac.Permission{Code: rbac.PluginCode(m.GetName(), perm.GetCode()), Module: m.GetName(),
				EN: perm.GetTitleEn(), ZH: perm.GetTitleZh(), Roles: perm.GetRoles()})
		}
	}
	return out, nil
}

// OpenAPI describes the registered plugins' routes under
// /api/v1/plugins/{name}/... with the permission each needs
// (httpapi.Deps.ExtraOpenAPI). A failing catalogue leaves them out.
func (p *Proxy) OpenAPI(ctx context.Context) []httpapi.Route {
	ms, err := p.registered(ctx)
	if err != nil {
		p.log.WarnContext(ctx, "proxy: registered plugins for OpenAPI", "err", err)
		return nil
	}
	var out []httpapi.Route
	for _, m := range ms {
		tag := "plugin: " + m.GetName()
		for _, rt := range m.GetRoutes() {
			perm := permissionOf(m, rt.GetPermission())
			if perm == "" {
				continue // never served (resolve)
			}
			r := httpapi.Route{Method: strings.ToUpper(rt.GetMethod()), Path: Prefix + "/" + m.GetName() + rt.GetPath(), Permission: perm,
				Summary: rt.GetSummary(), Tag: tag, Idempotent: rt.GetIdempotent()}
			if _, params := splitParams(rt.GetPath()); len(params) > 0 {
				r.Object = params["id"]
				if !r.Object {
					r.NotObject = "a plugin route's parameter"
				}
			}
			out = append(out, r)
		}
	}
	return out
}

func splitParams(p string) ([]string, map[string]bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	params := map[string]bool{}
	for _, s := range segs {
		if len(s) > 1 && s[0] == ':' {
			params[s[1:]] = true
		}
	}
	return segs, params
}
