package rbac

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Plugin permissions join the catalogue at run time: each registered plugin
// declares local codes ("activity.manage"), which the tenant's roles know as
// "<plugin>.<code>" ("events.activity.manage"), module = the plugin's name.
// The rbac package does not know plugins; the catalogue of registered plugins
// reaches it through a provider function (SetPluginPermissions).

// PluginPermissions lists the permissions of every registered plugin,
// namespaced. It is asked when a code outside the fixed catalogue is
// checked for the first time, and when the catalogue is listed or a role's
// codes are validated, so it may read the database.
type PluginPermissions func(ctx context.Context) ([]Permission, error)

// PluginCode is the catalogue code of a plugin's local permission code.
func PluginCode(plugin, local string) string { return plugin + "." + local }

// ReservedModule reports whether name is a module of the fixed catalogue
// ("user", "billing", "self", "plugin" …): a plugin of that name could shadow
// core permissions, so the plugin catalogue refuses it and its permissions
// never join.
func ReservedModule(name string) bool { return modules[name] }

var modules = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range catalogue {
		m[p.Module] = true
		m[strings.SplitN(p.Code, ".", 2)[0]] = true
	}
	return m
}()

// pluginPerms is the Enforcer's share of plugin permissions.
type pluginPerms struct {
	mu        sync.Mutex
	provider  PluginPermissions
	installed map[string]bool // codes whose casbin p rules every shard holds
}

// SetPluginPermissions installs the provider of plugin permissions; nil
// leaves the catalogue fixed. Call it before serving.
func (e *Enforcer) SetPluginPermissions(p PluginPermissions) {
	e.plugins.mu.Lock()
	e.plugins.provider = p
	e.plugins.mu.Unlock()
}

// pluginList asks the provider, keeping only well-formed codes outside the
// fixed catalogue (a plugin cannot redefine a core permission).
func (e *Enforcer) pluginList(ctx context.Context) ([]Permission, error) {
	e.plugins.mu.Lock()
	p := e.plugins.provider
	e.plugins.mu.Unlock()
	if p == nil {
		return nil, nil
	}
	ps, err := p(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Permission, 0, len(ps))
	seen := map[string]bool{}
	for _, x := range ps {
		mod, _, ok := strings.Cut(x.Code, ".")
		if !ok || Known(x.Code) || ReservedModule(mod) || seen[x.Code] || strings.ContainsAny(x.Code, " \t\n") {
			continue
		}
		seen[x.Code] = true
		if x.Module == "" {
			x.Module = mod
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b Permission) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// knownCode reports whether code is in the fixed catalogue or is a
// registered plugin's permission; a plugin code is made decidable (its
// casbin rules installed) on the way.
func (e *Enforcer) knownCode(ctx context.Context, code string) (bool, error) {
	if Known(code) {
		return true, nil
	}
	e.plugins.mu.Lock()
	ok := e.plugins.installed[code]
	e.plugins.mu.Unlock()
	if ok {
		return true, nil
	}
	ps, err := e.pluginList(ctx)
	if err != nil {
		return false, err
	}
	e.install(ps)
	return slices.ContainsFunc(ps, func(p Permission) bool { return p.Code == code }), nil
}

// install adds the casbin p rules of plugin permissions not yet installed:
// one "perm:<code>" rule each, so a custom role granting the code decides as
// for a core permission, and one admin rule for the batch, since the
// administrator holds every plugin permission (a plugin the tenant has not
// enabled answers 404 before any permission is checked, so in effect the
// admin holds those of the tenant's enabled plugins). Codes stay installed
// once added: a retired plugin's routes are gone, and its codes fail the
// role API's validation.
func (e *Enforcer) install(ps []Permission) {
	e.plugins.mu.Lock()
	defer e.plugins.mu.Unlock()
	var fresh []string
	for _, p := range ps {
		if !e.plugins.installed[p.Code] {
			fresh = append(fresh, p.Code)
		}
	}
	if len(fresh) == 0 {
		return
	}
	rules := [][]string{{Admin, sharedDomain, strings.Join(fresh, " ")}}
	for _, c := range fresh {
		rules = append(rules, []string{permPrefix + c, sharedDomain, c})
	}
	// The built-in roles a plugin names hold its permission by default (a
	// property manager uses the events plugin without an administrator
	// first editing roles); admin already has all, operator is no tenant role.
	byRole := map[string][]string{}
	isFresh := map[string]bool{}
	for _, c := range fresh {
		isFresh[c] = true
	}
	for _, p := range ps {
		if !isFresh[p.Code] {
			continue
		}
		for _, r := range p.Roles {
			if _, ok := builtinByName[r]; ok && r != Admin && !slices.Contains(byRole[r], p.Code) {
				byRole[r] = append(byRole[r], p.Code)
			}
		}
	}
	for _, r := range slices.Sorted(maps.Keys(byRole)) {
		rules = append(rules, []string{r, sharedDomain, strings.Join(byRole[r], " ")})
	}
	for _, ce := range e.shards {
		if _, err := ce.AddPolicies(rules); err != nil {
			e.log.Error("rbac: install plugin permissions", "err", err)
			return
		}
	}
	if e.plugins.installed == nil {
		e.plugins.installed = map[string]bool{}
	}
	for _, c := range fresh {
		e.plugins.installed[c] = true
	}
	// No answer about these codes was cached (unknown codes are refused
	// before casbin is asked), so the decision caches stay valid.
}

// CatalogueOf returns the fixed catalogue followed by the permissions of the
// registered plugins (namespaced, module = plugin name).
func (e *Enforcer) CatalogueOf(ctx context.Context) ([]Permission, error) {
	ps, err := e.pluginList(ctx)
	if err != nil {
		return nil, err
	}
	return append(Catalogue(), ps...), nil
}
