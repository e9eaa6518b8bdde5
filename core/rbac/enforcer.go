package rbac

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/poll"
	"github.com/wuye-project/wuye/core/store"
)

// modelText is the casbin model: RBAC with domains, domain = tenant id.
//
//   - p(role, "*", "perm perm …"): a built-in role grants its permissions in
//     every tenant (one rule per role, the permissions space-separated).
//   - p("perm:<perm>", "*", "<perm>"): one rule per catalogue permission, so a
//     custom role needs no p rule of its own (see below).
//   - g(user, role, tenant): the user holds role in tenant.
//   - g(customRole, "perm:<perm>", tenant): the tenant's custom role grants perm.
//
// casbin evaluates the matcher once per p rule, so the p set is what a
// decision costs. It is kept small and fixed: custom roles are grouping rules
// in their tenant's domain (walked only inside that tenant's role graph), not
// p rules that would slow every decision down with every tenant added, and a
// built-in role is one rule rather than one per permission. permIn, a set
// lookup, rejects most rules before the role graph is walked.
const modelText = `
[request_definition]
r = sub, dom, obj

[policy_definition]
p = sub, dom, obj

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = permIn(r.obj, p.obj) && (p.dom == "*" || p.dom == r.dom) && g(r.sub, p.sub, r.dom)
`

const (
	sharedDomain = "*"
	permPrefix   = "perm:"
)

// roleName is the shape of every role name, built-in or custom. It has no
// '-' or ':', so a role can never be mistaken for a user id (UUID) or a
// "perm:" node of the role graph.
var roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// ValidRoleName reports whether s can name a role.
func ValidRoleName(s string) bool { return roleName.MatchString(s) }

// Enforcer answers permission questions from an in-memory casbin enforcer
// kept in step with the database. It implements httpapi.Authorizer.
type Enforcer struct {
	db     *store.DB
	log    *slog.Logger
	shards []*casbin.SyncedEnforcer // by tenant; see shardCount

	// decisions memoises answers per tenant (tenant -> *decisionCache). A
	// tenant's cache is dropped after each change to its rules, so a cached
	// answer never outlives the rules it came from.
	decisions sync.Map

	plugins pluginPerms // registered plugins' permissions (plugins.go)

	mu     sync.Mutex                  // serialises loads; guards the maps below
	rules  map[uuid.UUID]map[rule]bool // grouping rules loaded per tenant
	known  map[uuid.UUID]int64         // rbac_versions.version loaded per tenant
	polled time.Time                   // start of the last successful poll
}

// rule is one grouping rule g(a, b, tenant) without its tenant.
type rule struct{ a, b string }

// New loads every tenant's roles and assignments and returns a ready enforcer.
// Call Run to follow changes made by other processes.
func New(ctx context.Context, db *store.DB, log *slog.Logger) (*Enforcer, error) {
	if log == nil {
		log = slog.Default()
	}
	e, err := newEnforcer(db, log)
	if err != nil {
		return nil, err
	}
	if err := e.loadAll(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// shardCount splits the tenants over several casbin enforcers. Decisions
// are the same (a tenant's rules all live in one shard), but casbin's rule
// removal re-indexes every rule of its enforcer under the write lock, so a
// change to one tenant costs and blocks 1/shardCount of what one big
// enforcer would.
const shardCount = 64

func newEnforcer(db *store.DB, log *slog.Logger) (*Enforcer, error) {
	e := &Enforcer{db: db, log: log, rules: map[uuid.UUID]map[rule]bool{}, known: map[uuid.UUID]int64{}}
	for range shardCount {
		ce, err := newCasbin()
		if err != nil {
			return nil, err
		}
		e.shards = append(e.shards, ce)
	}
	return e, nil
}

// shard returns the casbin enforcer holding tenant t's rules. The last byte
// of a UUIDv7 is random, so tenants spread evenly.
func (e *Enforcer) shard(t uuid.UUID) *casbin.SyncedEnforcer { return e.shards[int(t[15])%shardCount] }

// newCasbin returns a casbin enforcer holding the shared p rules and no grouping rules.
func newCasbin() (*casbin.SyncedEnforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("rbac: model: %w", err)
	}
	ce, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("rbac: enforcer: %w", err)
	}
	ce.AddFunction("permIn", permIn)
	if _, err := ce.AddPolicies(sharedPolicies()); err != nil {
		return nil, fmt.Errorf("rbac: built-in policies: %w", err)
	}
	return ce, nil
}

// sharedPolicies are the p rules of domain "*": built-in roles and the catalogue.
func sharedPolicies() [][]string {
	var ps [][]string
	for _, b := range builtins {
		ps = append(ps, []string{b.Name, sharedDomain, strings.Join(b.Permissions, " ")})
	}
	for _, p := range catalogue {
		ps = append(ps, []string{permPrefix + p.Code, sharedDomain, p.Code})
	}
	return ps
}

// permSets holds the parsed permission list of every shared p rule.
var permSets = func() map[string]map[string]bool {
	m := map[string]map[string]bool{}
	for _, p := range sharedPolicies() {
		set := map[string]bool{}
		for _, code := range strings.Fields(p[2]) {
			set[code] = true
		}
		m[p[2]] = set
	}
	return m
}()

// permIn is the matcher function permIn(r.obj, p.obj): whether the requested
// permission is in the rule's space-separated list.
func permIn(args ...any) (any, error) {
	if len(args) != 2 {
		return false, fmt.Errorf("rbac: permIn takes 2 arguments, got %d", len(args))
	}
	want, _ := args[0].(string)
	list, _ := args[1].(string)
	if set, ok := permSets[list]; ok {
		return set[want], nil
	}
	return slices.Contains(strings.Fields(list), want), nil
}

// Allowed reports whether a holds permission in a's tenant. A user is
// checked by id in the tenant's domain; an API key by the roles it carries.
// Operators and the system are not tenant actors: always false.
func (e *Enforcer) Allowed(ctx context.Context, a actor.Actor, permission string) (bool, error) {
	if a.TenantID == uuid.Nil {
		return false, nil
	}
	if known, err := e.knownCode(ctx, permission); !known || err != nil {
		return false, err
	}
	switch a.Kind {
	case actor.User:
		return e.decide(a.TenantID, a.ID.String(), permission)
	case actor.APIKey:
		for _, r := range a.Roles {
			// A role that is not a role name could alias a user or a perm node.
			if !ValidRoleName(r) {
				continue
			}
			ok, err := e.decide(a.TenantID, r, permission)
			if ok || err != nil {
				return ok, err
			}
		}
	}
	return false, nil
}

// decisionCache holds one tenant's answers, keyed by subject and permission.
type decisionCache struct {
	m sync.Map
	n atomic.Int64
}

// maxDecisions bounds one tenant's cache; past it answers are computed, not kept.
const maxDecisions = 1 << 14

// decide answers whether sub holds permission in tenant t, from the cache
// when it can. casbin's matcher costs ~15 µs and allocates; a hit costs a
// map lookup, which keeps the p99 of a decision flat as tenants grow.
func (e *Enforcer) decide(t uuid.UUID, sub, permission string) (bool, error) {
	v, ok := e.decisions.Load(t)
	if !ok {
		v, _ = e.decisions.LoadOrStore(t, &decisionCache{})
	}
	dc := v.(*decisionCache)
	key := sub + "\x00" + permission
	if hit, ok := dc.m.Load(key); ok {
		return hit.(bool), nil
	}
	allowed, err := e.shard(t).Enforce(sub, t.String(), permission)
	if err == nil && dc.n.Add(1) <= maxDecisions {
		dc.m.Store(key, allowed)
	}
	return allowed, err
}

// Reload re-reads one tenant's roles and assignments into memory. Writers in
// this process call it after commit; Run calls it for changes seen in rbac_versions.
func (e *Enforcer) Reload(ctx context.Context, tenantID uuid.UUID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var (
		version int64
		roles   []roleRow
		assigns []userRole
	)
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		// Version first: the rows read next are at least that new.
		if err := tx.Raw("SELECT version FROM rbac_versions WHERE tenant_id = ?", tenantID).Scan(&version).Error; err != nil {
			return err
		}
		if err := tx.Find(&roles).Error; err != nil {
			return err
		}
		return tx.Find(&assigns).Error
	})
	if err != nil {
		return fmt.Errorf("rbac: reload tenant %s: %w", tenantID, err)
	}
	if err := e.apply(tenantID, tenantRules(roles, assigns)); err != nil {
		return err
	}
	e.known[tenantID] = version
	return nil
}

// loadAll reads every tenant in one platform transaction and adds all
// grouping rules to casbin in one batch.
func (e *Enforcer) loadAll(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var (
		versions []versionRow
		roles    []roleRow
		assigns  []userRole
	)
	started := time.Now()
	err := e.db.Platform(ctx, func(tx *gorm.DB) error {
		if err := tx.Find(&versions).Error; err != nil {
			return err
		}
		if err := tx.Find(&roles).Error; err != nil {
			return err
		}
		return tx.Find(&assigns).Error
	})
	if err != nil {
		return fmt.Errorf("rbac: load: %w", err)
	}
	rolesBy := map[uuid.UUID][]roleRow{}
	for _, r := range roles {
		rolesBy[r.TenantID] = append(rolesBy[r.TenantID], r)
	}
	assignsBy := map[uuid.UUID][]userRole{}
	for _, a := range assigns {
		assignsBy[a.TenantID] = append(assignsBy[a.TenantID], a)
	}
	all := make([][][]string, shardCount)
	tenants := map[uuid.UUID]bool{}
	for t := range rolesBy {
		tenants[t] = true
	}
	for t := range assignsBy {
		tenants[t] = true
	}
	for t := range tenants {
		rs := tenantRules(rolesBy[t], assignsBy[t])
		e.rules[t] = rs
		dom, i := t.String(), int(t[15])%shardCount
		for r := range rs {
			all[i] = append(all[i], []string{r.a, r.b, dom})
		}
	}
	for _, v := range versions {
		e.known[v.TenantID] = v.Version
	}
	n := 0
	for i, rs := range all {
		if len(rs) == 0 {
			continue
		}
		if _, err := e.shards[i].AddGroupingPolicies(rs); err != nil {
			return fmt.Errorf("rbac: load grouping rules: %w", err)
		}
		n += len(rs)
	}
	e.polled = started
	e.log.Info("rbac loaded", "tenants", len(tenants), "rules", n, "took", time.Since(started))
	return nil
}

// tenantRules turns one tenant's rows into its grouping rules.
func tenantRules(roles []roleRow, assigns []userRole) map[rule]bool {
	rs := make(map[rule]bool, len(assigns)+4*len(roles))
	for _, r := range roles {
		for _, p := range r.perms() {
			rs[rule{r.Name, permPrefix + p}] = true
		}
	}
	for _, a := range assigns {
		rs[rule{a.UserID.String(), a.Role}] = true
	}
	return rs
}

// apply changes casbin from the tenant's loaded rules to want, touching only
// the difference (removal in casbin costs a pass over the shard's rules).
func (e *Enforcer) apply(t uuid.UUID, want map[rule]bool) error {
	// Dropped once casbin holds the new rules (or a partial change that failed),
	// so an answer cached afterwards is current.
	defer e.decisions.Delete(t)
	have, ce := e.rules[t], e.shard(t)
	dom := t.String()
	var add, del [][]string
	for r := range want {
		if !have[r] {
			add = append(add, []string{r.a, r.b, dom})
		}
	}
	for r := range have {
		if !want[r] {
			del = append(del, []string{r.a, r.b, dom})
		}
	}
	if len(del) > 0 {
		if _, err := ce.RemoveGroupingPolicies(del); err != nil {
			return fmt.Errorf("rbac: remove rules of %s: %w", t, err)
		}
	}
	if len(add) > 0 {
		if _, err := ce.AddGroupingPolicies(add); err != nil {
			return fmt.Errorf("rbac: add rules of %s: %w", t, err)
		}
	}
	e.rules[t] = want
	return nil
}

// PollInterval is how often Run looks for changes made by other processes.
const PollInterval = 2 * time.Second

// pollOverlap re-reads versions stamped this long before the last poll, so a
// transaction that stamped its row before the poll but committed after it
// (or a writer whose clock is a little behind) is still seen.
const pollOverlap = time.Minute

// Run follows other processes' changes until ctx ends, polling every interval
// (PollInterval when zero).
func (e *Enforcer) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = PollInterval
	}
	poll.Every(ctx, interval, e.Poll, func(err error) { e.log.Warn("rbac poll failed", "err", err) })
}

// Poll reloads every tenant whose version moved since it was last loaded.
func (e *Enforcer) Poll(ctx context.Context) error {
	e.mu.Lock()
	since := e.polled.Add(-pollOverlap)
	e.mu.Unlock()
	started := time.Now()
	var vs []versionRow
	err := e.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Where("updated_at >= ?", since.UTC()).Find(&vs).Error
	})
	if err != nil {
		return fmt.Errorf("rbac: poll: %w", err)
	}
	for _, v := range vs {
		e.mu.Lock()
		stale := e.known[v.TenantID] < v.Version
		e.mu.Unlock()
		if stale {
			if err := e.Reload(ctx, v.TenantID); err != nil {
				return err
			}
		}
	}
	e.mu.Lock()
	e.polled = started
	e.mu.Unlock()
	return nil
}
