package rbac

import (
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// scale is the benchmark's population: 10,000 tenants × 10 users, each user
// holding one or two built-in roles, plus one custom role per tenant.
const (
	benchTenants = 10_000
	benchUsers   = 10
)

type benchPop struct {
	e       *Enforcer
	tenants []uuid.UUID
	users   [][]uuid.UUID
}

// buildPopulation loads the population into a fresh in-memory enforcer the
// way loadAll does (one bulk AddGroupingPolicies) and reports how long it took.
func buildPopulation(b *testing.B) (*benchPop, time.Duration, int) {
	b.Helper()
	e, err := newEnforcer(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	roles := []string{Admin, Manager, Finance, Frontdesk, Technician, Guard, Resident, Resident, Resident, Resident}
	p := &benchPop{e: e}
	all := make([][][]string, shardCount)
	for t := 0; t < benchTenants; t++ {
		tid := store.NewID()
		p.tenants = append(p.tenants, tid)
		custom := []roleRow{{Name: "cashier", Permissions: `["billing.read","payment.collect"]`}}
		var assigns []userRole
		var us []uuid.UUID
		for u := 0; u < benchUsers; u++ {
			uid := store.NewID()
			us = append(us, uid)
			assigns = append(assigns, userRole{UserID: uid, Role: roles[u]})
			if u%2 == 0 { // half the users hold a second role
				assigns = append(assigns, userRole{UserID: uid, Role: "cashier"})
			}
		}
		p.users = append(p.users, us)
		rs := tenantRules(custom, assigns)
		e.rules[tid] = rs
		i := int(tid[15]) % shardCount
		for r := range rs {
			all[i] = append(all[i], []string{r.a, r.b, tid.String()})
		}
	}
	start, n := time.Now(), 0
	for i, rs := range all {
		if _, err := e.shards[i].AddGroupingPolicies(rs); err != nil {
			b.Fatal(err)
		}
		n += len(rs)
	}
	return p, time.Since(start), n
}

// BenchmarkDecision measures first-time Allowed calls (casbin decisions not
// yet cached) against the full population, reporting p50/p99 of the per-call
// durations and the time to build the population into casbin.
func BenchmarkDecision(b *testing.B) {
	p, took, n := buildPopulation(b)
	perms := Catalogue()
	durs := make([]time.Duration, 0, b.N)
	allowed := 0
	ctx := b.Context()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := (i * 7919) % benchTenants
		a := actor.Actor{Kind: actor.User, ID: p.users[t][i%benchUsers], TenantID: p.tenants[t]}
		perm := perms[(i*31)%len(perms)].Code
		p.e.decisions.Delete(a.TenantID) // measure casbin itself, not the cache
		start := time.Now()
		ok, err := p.e.Allowed(ctx, a, perm)
		durs = append(durs, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1e3, "p50_µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1e3, "p99_µs")
	b.ReportMetric(float64(allowed)/float64(b.N), "allowed_ratio")
	b.ReportMetric(float64(took.Milliseconds()), "build_ms")
	b.ReportMetric(float64(n), "grouping_rules")
}

// BenchmarkReloadTenant measures applying one tenant's change (one role
// swapped for one user) with the full population loaded.
func BenchmarkReloadTenant(b *testing.B) {
	p, _, _ := buildPopulation(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := p.tenants[i%benchTenants]
		want := make(map[rule]bool, len(p.e.rules[t]))
		for r := range p.e.rules[t] {
			want[r] = true
		}
		u := p.users[i%benchTenants][1].String()
		if want[rule{u, Manager}] {
			delete(want, rule{u, Manager})
			want[rule{u, Finance}] = true
		} else {
			delete(want, rule{u, Finance})
			want[rule{u, Manager}] = true
		}
		if err := p.e.apply(t, want); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecisionWarm is the steady state of a running API: the same
// population asks again (decisions are cached per tenant until its rules
// change), so the timed pass hits the cache that a first pass filled.
func BenchmarkDecisionWarm(b *testing.B) {
	p, _, _ := buildPopulation(b)
	perms := Catalogue()
	ctx := b.Context()
	ask := func(i int) (actor.Actor, string) {
		t := (i * 7919) % benchTenants
		return actor.Actor{Kind: actor.User, ID: p.users[t][i%benchUsers], TenantID: p.tenants[t]}, perms[(i*31)%len(perms)].Code
	}
	for i := 0; i < b.N; i++ {
		a, perm := ask(i)
		if _, err := p.e.Allowed(ctx, a, perm); err != nil {
			b.Fatal(err)
		}
	}
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, perm := ask(i)
		start := time.Now()
		_, err := p.e.Allowed(ctx, a, perm)
		durs = append(durs, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1e3, "p50_µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds())/1e3, "p99_µs")
}
