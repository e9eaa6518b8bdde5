package tenant_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
)

// memAudit keeps entries in memory.
type memAudit struct {
	mu      sync.Mutex
	entries []audit.Entry
}

// RecordPlatform keeps a platform entry; like audit.Log it refuses one
// naming a tenant, and Record one without.
func (m *memAudit) RecordPlatform(ctx context.Context, e audit.Entry) error {
	if e.TenantID != uuid.Nil {
		return audit.ErrPlatformTenant
	}
	return m.keep(e)
}

func (m *memAudit) Record(_ context.Context, e audit.Entry) error {
	if e.TenantID == uuid.Nil {
		return store.ErrNoTenant
	}
	return m.keep(e)
}

func (m *memAudit) keep(e audit.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, e)
	return nil
}

func (m *memAudit) actions() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.entries {
		out = append(out, e.Action)
	}
	return out
}

// provisioned records the users the hook was asked to create.
type provisioned struct {
	mu      sync.Mutex
	users   []tenant.AdminSpec
	tenants []uuid.UUID // tenant of each user
}

func (p *provisioned) hook(ctx context.Context, t tenant.Tenant, u tenant.AdminSpec) error {
	// Hooks run in the tenant's provisioning transaction, carried by ctx.
	if !store.InRequestTx(ctx) {
		return errors.New("hook called without the tenant's provisioning transaction")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users = append(p.users, u)
	p.tenants = append(p.tenants, t.ID)
	return nil
}

// counter counts the users provisioned in a tenant, as identity's users counter will.
func (p *provisioned) counter(_ *gorm.DB, id uuid.UUID) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := int64(0)
	for _, t := range p.tenants {
		if t == id {
			n++
		}
	}
	return n, nil
}

func (p *provisioned) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.users)
}

func operatorCtx() context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.Operator, ID: uuid.New(), Name: "op"})
}

func wantCode(t *testing.T, err error, code string) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("err = %v, want apperr %s", err, code)
	}
	return e
}

func create(t *testing.T, s *tenant.Service, code, plan string) tenant.Tenant {
	t.Helper()
	c, err := s.Create(operatorCtx(), tenant.CreateInput{Code: code, Name: "Co " + code, Plan: plan, Admin: tenant.AdminSpec{Username: "admin", Name: "Admin"}})
	if err != nil {
		t.Fatalf("create %s: %v", code, err)
	}
	return c.Tenant
}

func TestCreateProvisionsAdminAndRollsBackOnFailingHook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		p := &provisioned{}
		fail := func(context.Context, tenant.Tenant, tenant.AdminSpec) error {
			return apperr.Invalid.WithDetails("weak password")
		}
		s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook, fail}})
		_, err := s.Create(ctx, tenant.CreateInput{Code: "acme", Name: "Acme", Plan: "trial", Admin: tenant.AdminSpec{Username: "boss"}})
		wantCode(t, err, "invalid_input")
		if _, err := s.Get(ctx, "acme"); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("tenant left behind after a failing hook: %v", err)
		}
		if items, total, _ := s.List(ctx, tenant.ListFilter{}); total != 0 || len(items) != 0 {
			t.Fatalf("list shows %d tenants after rollback", total)
		}

		rec := &memAudit{}
		s = tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook}, Audit: rec})
		c, err := s.Create(ctx, tenant.CreateInput{Code: "acme", Name: " Acme ", Plan: "trial", Admin: tenant.AdminSpec{Username: "boss"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Tenant.Name != "Acme" || c.Tenant.Status != tenant.StatusActive || c.Tenant.PlanCode != "trial" {
			t.Fatalf("created %+v", c.Tenant)
		}
		last := p.users[len(p.users)-1]
		if last.Username != "boss" || last.Role != "admin" || len(c.Passwords) != 1 || c.Passwords[0].Password != last.Password || len(last.Password) < 20 {
			t.Fatalf("hook got %+v, generated %+v", last, c.Passwords)
		}
		if got := rec.actions(); len(got) != 1 || got[0] != "tenant.create" {
			t.Fatalf("audit %v", got)
		}
		if e := rec.entries[0]; e.ActorKind != "operator" || e.ActorName != "op" || e.Object != "tenant/"+c.Tenant.ID.String() {
			t.Fatalf("audit entry %+v", e)
		}
	})
}

func TestCodeRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		s := tenant.New(db, tenant.Options{})
		for _, bad := range []string{"", "ab", "Acme", "-acme", "acme-", "ac me", "acme_1", "物业", strings.Repeat("a", 41), "admin"} {
			_, err := s.Create(ctx, tenant.CreateInput{Code: bad, Name: "X", Plan: "trial", Admin: tenant.AdminSpec{Username: "admin"}})
			e := wantCode(t, err, "invalid_input")
			if fe := e.Details.([]apperr.FieldError); fe[0].Field != "code" {
				t.Fatalf("code %q: details %+v", bad, fe)
			}
		}
		for _, good := range []string{"abc", "a-1", strings.Repeat("z", 40)} {
			create(t, s, good, "trial")
		}
		_, err := s.Create(ctx, tenant.CreateInput{Code: "abc", Name: "Again", Plan: "trial", Admin: tenant.AdminSpec{Username: "admin"}})
		if e := wantCode(t, err, "tenant_code_taken"); e.Kind != apperr.KindConflict {
			t.Fatalf("kind %v", e.Kind)
		}
		_, err = s.Create(ctx, tenant.CreateInput{Code: "newco", Name: "X", Plan: "gold", Admin: tenant.AdminSpec{Username: "admin"}})
		wantCode(t, err, "invalid_input")
	})
}

func TestSuspendResumeAndGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		rec := &memAudit{}
		s := tenant.New(db, tenant.Options{Audit: rec, GateTTL: 300 * time.Millisecond})
		a := create(t, s, "alpha", "trial")
		if err := s.CheckActive(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		// The cached "active" answer is dropped by a local suspension.
		sus, err := s.Suspend(ctx, a.ID, "unpaid invoice")
		if err != nil || sus.Status != tenant.StatusSuspended || sus.SuspendedReason != "unpaid invoice" || sus.SuspendedAt == nil {
			t.Fatalf("suspend: %+v %v", sus, err)
		}
		e := wantCode(t, s.CheckActive(ctx, a.ID), "tenant_suspended")
		if e.Kind != apperr.KindForbidden || !strings.Contains(e.Message("zh"), "联系平台运营方") || !strings.Contains(e.EN, "contact the platform operator") {
			t.Fatalf("suspended error %+v", e)
		}
		// A second suspend without a reason keeps the first reason and time,
		// and audits nothing; one with a new reason replaces it.
		again, err := s.Suspend(ctx, a.ID, "  ")
		if err != nil || again.SuspendedReason != "unpaid invoice" || again.SuspendedAt == nil || again.SuspendedAt.Sub(*sus.SuspendedAt).Abs() > time.Millisecond {
			t.Fatalf("second suspend: %+v %v", again, err)
		}
		if got, _ := s.Get(ctx, a.ID.String()); got.SuspendedReason != "unpaid invoice" {
			t.Fatalf("stored reason %q", got.SuspendedReason)
		}
		if got, err := s.Suspend(ctx, a.ID, "audit pending"); err != nil || got.SuspendedReason != "audit pending" {
			t.Fatalf("new reason: %+v %v", got, err)
		}
		if _, err := s.Resume(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckActive(ctx, a.ID); err != nil {
			t.Fatalf("after resume: %v", err)
		}
		// Resuming an active tenant changes nothing and audits nothing.
		if _, err := s.Resume(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rec.actions(), ","); got != "tenant.create,tenant.suspend,tenant.suspend,tenant.resume" {
			t.Fatalf("audit %s", got)
		}
		// A change made elsewhere (another process) shows after the TTL.
		if err := db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Exec("UPDATE tenants SET status = 'suspended' WHERE id = ?", a.ID).Error
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckActive(ctx, a.ID); err != nil {
			t.Fatalf("cached answer not used: %v", err)
		}
		time.Sleep(350 * time.Millisecond)
		wantCode(t, s.CheckActive(ctx, a.ID), "tenant_suspended")
		wantCode(t, s.CheckActive(ctx, uuid.New()), "tenant_deleted")
	})
}

func TestSoftDeleteAndCodeReuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		s := tenant.New(db, tenant.Options{})
		old := create(t, s, "reused", "trial")
		other := create(t, s, "other", "trial")
		if err := s.CheckActive(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		del, err := s.Delete(ctx, old.ID)
		if err != nil || del.DeletedAt == nil || del.Status != tenant.StatusDeleted {
			t.Fatalf("delete: %+v %v", del, err)
		}
		wantCode(t, s.CheckActive(ctx, old.ID), "tenant_deleted")
		if _, err := s.Get(ctx, "reused"); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("deleted tenant found by code: %v", err)
		}
		if got, err := s.Get(ctx, old.ID.String()); err != nil || got.DeletedAt == nil {
			t.Fatalf("operator cannot see the deleted tenant by id: %v", err)
		}
		for _, f := range []func() error{
			func() error { _, err := s.Suspend(ctx, old.ID, ""); return err },
			func() error { _, err := s.Resume(ctx, old.ID); return err },
			func() error { _, err := s.SetPlan(ctx, old.ID, "standard"); return err },
			func() error { _, err := s.Delete(ctx, old.ID); return err },
		} {
			if err := f(); !errors.Is(err, apperr.NotFound) {
				t.Fatalf("change of a deleted tenant: %v", err)
			}
		}
		fresh := create(t, s, "reused", "standard")
		if fresh.ID == old.ID {
			t.Fatal("code reuse returned the old tenant")
		}
		items, total, err := s.List(ctx, tenant.ListFilter{})
		if err != nil || total != 2 || len(items) != 2 {
			t.Fatalf("live list: %d %v", total, err)
		}
		items, total, _ = s.List(ctx, tenant.ListFilter{Status: tenant.StatusDeleted})
		if total != 1 || items[0].ID != old.ID {
			t.Fatalf("deleted list: %+v", items)
		}
		items, _, _ = s.List(ctx, tenant.ListFilter{Plan: "standard"})
		if len(items) != 1 || items[0].ID != fresh.ID {
			t.Fatalf("plan filter: %+v", items)
		}
		items, _, _ = s.List(ctx, tenant.ListFilter{Q: "OTH"})
		if len(items) != 1 || items[0].ID != other.ID {
			t.Fatalf("q filter: %+v", items)
		}
		items, _, _ = s.List(ctx, tenant.ListFilter{Q: "%"})
		if len(items) != 0 {
			t.Fatalf("q=%% matched %d (wildcard not escaped)", len(items))
		}
		items, total, _ = s.List(ctx, tenant.ListFilter{Limit: 1, Offset: 1, OrderBy: "code"})
		if total != 2 || len(items) != 1 || items[0].Code != "reused" {
			t.Fatalf("page 2: %+v", items)
		}
		_, _, err = s.List(ctx, tenant.ListFilter{Status: "gone"})
		wantCode(t, err, "invalid_input")
	})
}

func TestQuota(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		p := &provisioned{}
		s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook}})
		var communities int64 // set by the test, read through the registered counter
		s.RegisterCounter(tenant.ResourceCommunities, func(*gorm.DB, uuid.UUID) (int64, error) { return communities, nil })
		a := create(t, s, "quota", "trial") // trial: 1 community, 10 users
		check := func(resource string, adding int) error {
			return db.InTenant(ctx, a.ID, func(tx *gorm.DB) error { return s.CheckQuota(ctx, tx, a.ID, resource, adding) })
		}
		if err := check(tenant.ResourceCommunities, 1); err != nil {
			t.Fatalf("first community refused: %v", err)
		}
		communities = 1
		e := wantCode(t, check(tenant.ResourceCommunities, 1), "quota_exceeded")
		d := e.Details.(tenant.QuotaDetails)
		if d != (tenant.QuotaDetails{Resource: "communities", Limit: 1, Used: 1, Plan: "trial"}) || e.Kind != apperr.KindForbidden {
			t.Fatalf("details %+v kind %v", d, e.Kind)
		}
		if !strings.Contains(e.EN, "upgrade") || !strings.Contains(e.ZH, "小区") || !strings.Contains(e.ZH, "升级") {
			t.Fatalf("message %q / %q", e.EN, e.ZH)
		}
		// A limited resource nobody counts is a wiring bug, not a free pass.
		if err := check(tenant.ResourceRooms, 1); err == nil || apperrCode(err) != "" {
			t.Fatalf("uncounted rooms: %v", err)
		}
		// Unlimited plans never count.
		if _, err := s.SetPlan(ctx, a.ID, "enterprise"); err != nil {
			t.Fatal(err)
		}
		communities = 1000
		if err := check(tenant.ResourceRooms, 1_000_000); err != nil {
			t.Fatalf("enterprise: %v", err)
		}

		// Provisioning checks the users quota once a users counter is registered:
		// a manifest with 11 users on trial (10) fails and leaves nothing.
		s.RegisterCounter(tenant.ResourceUsers, p.counter)
		m := tenant.Manifest{Code: "crowd", Name: "Crowd", Plan: "trial", Admins: []tenant.UserSpec{{Username: "admin"}}}
		for i := 0; i < 10; i++ {
			m.Users = append(m.Users, tenant.UserSpec{Username: "u" + string(rune('a'+i)), Role: "frontdesk"})
		}
		_, err := s.Apply(ctx, m)
		if d := wantCode(t, err, "quota_exceeded").Details.(tenant.QuotaDetails); d.Resource != "users" || d.Used != 10 || d.Limit != 10 {
			t.Fatalf("details %+v", d)
		}
		if _, err := s.Get(ctx, "crowd"); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("over-quota manifest left a tenant: %v", err)
		}
		m.Users = m.Users[:9]
		if _, err := s.Apply(ctx, m); err != nil {
			t.Fatalf("10 users on trial: %v", err)
		}
	})
}

func apperrCode(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestPlanDowngradeBelowUsageIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		s := tenant.New(db, tenant.Options{})
		rooms := int64(600)
		s.RegisterCounter(tenant.ResourceRooms, func(*gorm.DB, uuid.UUID) (int64, error) { return rooms, nil })
		s.RegisterCounter(tenant.ResourceCommunities, func(*gorm.DB, uuid.UUID) (int64, error) { return 1, nil })
		a := create(t, s, "big", "standard")
		_, err := s.SetPlan(ctx, a.ID, "trial") // trial allows 500 rooms
		e := wantCode(t, err, "plan_below_usage")
		over := e.Details.([]tenant.QuotaDetails)
		if e.Kind != apperr.KindConflict || len(over) != 1 || over[0] != (tenant.QuotaDetails{Resource: "rooms", Limit: 500, Used: 600, Plan: "trial"}) {
			t.Fatalf("over %+v", over)
		}
		if got, _ := s.Get(ctx, "big"); got.PlanCode != "standard" {
			t.Fatalf("plan changed to %s despite refusal", got.PlanCode)
		}
		rooms = 500
		if got, err := s.SetPlan(ctx, a.ID, "trial"); err != nil || got.PlanCode != "trial" {
			t.Fatalf("downgrade within usage: %v", err)
		}
		o, err := s.Overview(ctx, a.ID)
		if err != nil || o.Plan.Code != "trial" || o.Usage["rooms"] != 500 || o.Usage["plugins"] != 0 {
			t.Fatalf("overview %+v %v", o, err)
		}
		_, err = s.SetPlan(ctx, a.ID, "platinum")
		wantCode(t, err, "invalid_input")
	})
}

const manifestYAML = `
code: sunny
name: Sunny Property
plan: standard
admins:
  - username: admin
    name: Ada Admin
    password: correct-horse-battery
users:
  - username: cashier
    name: Cai
    role: finance
plugins:
  - name: parking
    config:
      free_minutes: 15
      gates: [north, south]
  - name: cctv
    enabled: false
seed:
  compounds:
    - name: Sunny Garden
  notes: free text
`

func TestApplyIsIdempotentAndDetectsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		p := &provisioned{}
		rec := &memAudit{}
		s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook}, Audit: rec})
		seeded := map[string]bool{}
		s.RegisterSeeder("compounds", func(_ context.Context, tn tenant.Tenant, data any) (bool, error) {
			list := data.([]any)
			name := list[0].(map[string]any)["name"].(string)
			if seeded[tn.ID.String()+name] {
				return false, nil
			}
			seeded[tn.ID.String()+name] = true
			return true, nil
		})
		m, err := tenant.ParseManifest([]byte(manifestYAML))
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.Apply(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if first.Outcome != tenant.OutcomeCreated || p.count() != 2 || len(first.Passwords) != 1 || first.Passwords[0].Username != "cashier" {
			t.Fatalf("first apply %+v, hook calls %d", first, p.count())
		}
		if p.users[0].Password != "correct-horse-battery" || p.users[1].Role != "finance" {
			t.Fatalf("provisioned %+v", p.users)
		}
		if pl := first.Tenant.Settings.Plugins; !pl["parking"].Enabled || pl["cctv"].Enabled || pl["parking"].Config["free_minutes"] != float64(15) {
			t.Fatalf("plugins %+v", pl)
		}
		if len(first.Notes) != 1 || !strings.Contains(first.Notes[0], "seed.notes") {
			t.Fatalf("notes %v", first.Notes)
		}

		before, _ := s.Get(ctx, "sunny")
		again, err := s.Apply(ctx, m)
		if err != nil || again.Outcome != tenant.OutcomeUnchanged || len(again.Changes) != 0 || len(again.Passwords) != 0 || p.count() != 2 {
			t.Fatalf("second apply %+v (%v), hook calls %d", again, err, p.count())
		}
		if got, _ := s.Get(ctx, "sunny"); !got.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("unchanged apply wrote the row: %v -> %v", before.UpdatedAt, got.UpdatedAt)
		}

		// Change name, a plugin's config, status, plan; add a user; change an
		// existing user's password (which must not be touched).
		changed := strings.NewReplacer(
			"name: Sunny Property", "name: Sunny Property Group\nstatus: suspended",
			"plan: standard", "plan: enterprise",
			"free_minutes: 15", "free_minutes: 30",
			"password: correct-horse-battery", "password: something-else-entirely",
			"    role: finance", "    role: finance\n  - username: fixer\n    role: technician",
		).Replace(manifestYAML)
		m2, err := tenant.ParseManifest([]byte(changed))
		if err != nil {
			t.Fatal(err)
		}
		upd, err := s.Apply(ctx, m2)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{`name: "Sunny Property" -> "Sunny Property Group"`, "status: active -> suspended", "plugins", "plan: standard -> enterprise", "user fixer created"}
		if upd.Outcome != tenant.OutcomeUpdated || strings.Join(upd.Changes, "|") != strings.Join(want, "|") {
			t.Fatalf("update %+v", upd)
		}
		if p.count() != 3 || p.users[2].Username != "fixer" {
			t.Fatalf("hook calls %+v", p.users)
		}
		wantCode(t, s.CheckActive(ctx, upd.Tenant.ID), "tenant_suspended")
		if again, _ := s.Apply(ctx, m2); again.Outcome != tenant.OutcomeUnchanged {
			t.Fatalf("re-apply of changed manifest: %+v", again)
		}
		// Without status, the manifest leaves the operator's suspension alone.
		m2.Status = ""
		if again, _ := s.Apply(ctx, m2); again.Outcome != tenant.OutcomeUnchanged || again.Tenant.Status != tenant.StatusSuspended {
			t.Fatalf("status-less apply: %+v", again)
		}
		if got := strings.Join(rec.actions(), ","); got != "tenant.apply,tenant.apply" {
			t.Fatalf("audit %s", got)
		}
		// Too many enabled plugins for the plan is quota_exceeded, and changes nothing.
		m2.Plan = "trial"
		for _, n := range []string{"a1", "a2"} {
			m2.Plugins = append(m2.Plugins, tenant.PluginSpec{Name: n})
		}
		_, err = s.Apply(ctx, m2)
		wantCode(t, err, "quota_exceeded")
	})
}

func TestManifestStrictness(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown top-level key", "code: abc\nname: A\nplan: trial\ncolour: red\nadmins: [{username: admin}]\n", `line 4: unknown key "colour"`},
		{"unknown admin key", "code: abc\nname: A\nplan: trial\nadmins:\n  - username: admin\n    pasword: x\n", `line 6: unknown key "pasword"`},
		{"wrong type", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin}]\nplugins: [{name: p, enabled: maybe}]\n", "line 5"},
		{"syntax", "code: abc\n  name: : A\n", "line 2"},
		{"two documents", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin}]\n---\ncode: def\n", "second YAML document"},
		{"empty", "", "empty"},
		{"no admin", "code: abc\nname: A\nplan: trial\n", "admins"},
		{"bad code", "code: A B\nname: A\nplan: trial\nadmins: [{username: admin}]\n", "code:"},
		{"user without role", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin}]\nusers: [{username: bob}]\n", "users[0].role"},
		{"admin with other role", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin, role: finance}]\n", "admins[0].role"},
		{"duplicate user", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin}]\nusers: [{username: admin, role: manager}]\n", "declared twice"},
		{"bad status", "code: abc\nname: A\nplan: trial\nstatus: paused\nadmins: [{username: admin}]\n", "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tenant.ParseManifest([]byte(tc.yaml))
			e := wantCode(t, err, "manifest_invalid")
			if !strings.Contains(e.EN, tc.want) || strings.Contains(e.EN, "tenant.") {
				t.Fatalf("message %q does not name %q", e.EN, tc.want)
			}
		})
	}
	// seed is free data.
	if _, err := tenant.ParseManifest([]byte("code: abc\nname: A\nplan: trial\nadmins: [{username: admin}]\nseed:\n  anything: {goes: [1, 2]}\n")); err != nil {
		t.Fatal(err)
	}
	// JSON is as strict.
	_, err := tenant.ParseManifestJSON([]byte(`{"code":"abc","name":"A","plan":"trial","admins":[{"username":"admin"}],"extra":1}`))
	wantCode(t, err, "manifest_invalid")
}

func TestManifestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("admin.pw", "from-the-file-123\n")
	path := write("t.yaml", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin, password_file: admin.pw}]\n")
	db := storetest.SQLite(t)
	p := &provisioned{}
	s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook}})
	m, err := tenant.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.Apply(operatorCtx(), m); err != nil || len(res.Passwords) != 0 || p.users[0].Password != "from-the-file-123" {
		t.Fatalf("apply %+v %v users %+v", res, err, p.users)
	}
	// A manifest that did not come from a file (HTTP) may not read server files.
	m2, err := tenant.ParseManifest([]byte("code: xyz\nname: A\nplan: trial\nadmins: [{username: admin, password_file: /etc/passwd}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(operatorCtx(), m2)
	wantCode(t, err, "manifest_invalid")
	bad := write("bad.yaml", "code: abc\nname: A\nplan: trial\nadmins: [{username: admin}]\nextra: 1\n")
	if _, err := tenant.LoadManifest(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("load error %v does not name the file and line", err)
	}
}

func BenchmarkCheckActiveCached(b *testing.B) {
	db := storetest.SQLite(b)
	s := tenant.New(db, tenant.Options{GateTTL: time.Hour})
	c, err := s.Create(context.Background(), tenant.CreateInput{Code: "bench", Name: "B", Plan: "trial", Admin: tenant.AdminSpec{Username: "admin"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CheckActive(ctx, c.Tenant.ID); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CheckActive(ctx, c.Tenant.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCheckActiveUncached(b *testing.B) {
	db := storetest.SQLite(b)
	s := tenant.New(db, tenant.Options{GateTTL: time.Nanosecond})
	c, err := s.Create(context.Background(), tenant.CreateInput{Code: "bench", Name: "B", Plan: "trial", Admin: tenant.AdminSpec{Username: "admin"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := s.CheckActive(ctx, c.Tenant.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDemoManifest keeps tenants/demo.yaml valid and seeds it the way serve will.
func TestDemoManifest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := &provisioned{}
		s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook}})
		var seeded []string
		var property map[string]any
		for _, key := range []string{"property", "assets", "residents"} {
			s.RegisterSeeder(key, func(_ context.Context, _ tenant.Tenant, data any) (bool, error) {
				seeded = append(seeded, key)
				if key == "property" {
					property = data.(map[string]any)
				}
				return false, nil
			})
		}
		res, err := s.SeedOnFirstStart(ctx, "../../tenants/demo.yaml")
		if err != nil || res == nil || res.Outcome != tenant.OutcomeCreated {
			t.Fatalf("seed: %+v %v", res, err)
		}
		roles := map[string]string{}
		for _, u := range p.users {
			roles[u.Username] = u.Role
		}
		want := map[string]string{"admin": "admin", "manager": "manager", "finance": "finance", "frontdesk": "frontdesk", "technician": "technician",
			"tech_wang": "technician", "tech_zhao": "technician", "guard": "guard", "resident": "resident"}
		if len(roles) != len(want) || len(res.Passwords) != len(want) {
			t.Fatalf("provisioned %v, passwords %d", roles, len(res.Passwords))
		}
		for u, r := range want {
			if roles[u] != r {
				t.Fatalf("user %s has role %q, want %q", u, roles[u], r)
			}
		}
		if strings.Join(seeded, ",") != "property,assets,residents" {
			t.Fatalf("seeders ran as %v, want registration order", seeded)
		}
		if cs, _ := property["communities"].([]any); len(cs) != 1 || cs[0].(map[string]any)["name"] != "阳光花园" {
			t.Fatalf("seed.property %v", property)
		}
		if res.Tenant.PlanCode != "standard" || !res.Tenant.Settings.Plugins["parking"].Enabled {
			t.Fatalf("tenant %+v", res.Tenant)
		}
		// Not empty any more: the second start seeds nothing.
		if again, err := s.SeedOnFirstStart(ctx, "../../tenants/demo.yaml"); err != nil || again != nil {
			t.Fatalf("second start: %+v %v", again, err)
		}
		m, _ := tenant.LoadManifest("../../tenants/demo.yaml")
		if again, err := s.Apply(ctx, m); err != nil || again.Outcome != tenant.OutcomeUnchanged {
			t.Fatalf("re-apply demo: %+v %v", again, err)
		}
	})
}

// Without provisioning hooks no user can be created, so none is recorded as
// provisioned: once hooks are wired, the same manifest creates them.
func TestApplyWithoutHooksRecordsNoUsers(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	m, err := tenant.ParseManifest([]byte(manifestYAML))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tenant.New(db, tenant.Options{}).Apply(ctx, m)
	if err != nil || res.Outcome != tenant.OutcomeCreated || len(res.Passwords) != 0 || len(res.Tenant.Settings.Users) != 0 {
		t.Fatalf("hookless apply %+v %v", res, err)
	}
	p := &provisioned{}
	res, err = tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{p.hook}}).Apply(ctx, m)
	if err != nil || res.Outcome != tenant.OutcomeUpdated || p.count() != 2 {
		t.Fatalf("apply with hooks %+v %v, %d users", res, err, p.count())
	}
}

// TestQuotaUnderConcurrency holds a transaction open between its quota check
// and its insert while a second one checks: the second must wait for the
// first and then count its row, so two creates cannot both pass a limit of one.
func TestQuotaUnderConcurrency(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := operatorCtx()
	s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{(&provisioned{}).hook}})
	s.RegisterCounter(tenant.ResourceCommunities, func(tx *gorm.DB, id uuid.UUID) (n int64, err error) {
		return n, tx.Raw("SELECT count(*) FROM communities WHERE tenant_id = ?", id).Scan(&n).Error
	})
	a := create(t, s, "race", "trial") // one community
	create := func(name string, checked chan<- struct{}, proceed <-chan struct{}) error {
		return db.InTenant(ctx, a.ID, func(tx *gorm.DB) error {
			if err := s.CheckQuota(ctx, tx, a.ID, tenant.ResourceCommunities, 1); err != nil {
				return err
			}
			if checked != nil {
				close(checked)
				<-proceed
			}
			return tx.Exec("INSERT INTO communities (tenant_id, id, name) VALUES (?, ?, ?)", a.ID, store.NewID(), name).Error
		})
	}
	checked, proceed := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() { first <- create("一期", checked, proceed) }()
	select {
	case <-checked:
	case err := <-first:
		t.Fatalf("the first create failed before inserting: %v", err)
	}
	second := make(chan error, 1)
	go func() { second <- create("二期", nil, nil) }()
	select {
	case err := <-second:
		t.Fatalf("the second create finished while the first held its quota check open: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(proceed)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-second, "quota_exceeded")
}

// TestProvisioningInTenantScope: hooks and seeders write in the new tenant's
// own scope (joining one transaction), a failure anywhere leaves neither the
// tenant nor its rows, and a tenant left provisioning signs nobody in until
// an apply finishes it.
func TestProvisioningInTenantScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		write := func(ctx context.Context, id uuid.UUID, name string) error {
			return db.InTenant(ctx, id, func(tx *gorm.DB) error {
				if got, ok := store.TenantOf(tx); !ok || got != id {
					return errors.New("not in the new tenant's scope")
				}
				return tx.Exec("INSERT INTO communities (tenant_id, id, name) VALUES (?, ?, ?)", id, store.NewID(), name).Error
			})
		}
		hook := func(ctx context.Context, tn tenant.Tenant, u tenant.AdminSpec) error {
			return write(ctx, tn.ID, "user "+u.Username)
		}
		var failSeed bool
		seed := func(ctx context.Context, tn tenant.Tenant, _ any) (bool, error) {
			if err := write(ctx, tn.ID, "seeded"); err != nil {
				return false, err
			}
			if failSeed {
				return false, errors.New("seed failed")
			}
			return true, nil
		}
		s := tenant.New(db, tenant.Options{Hooks: []tenant.ProvisionHook{hook}})
		s.RegisterSeeder("x", seed)
		communities := func() (n int64) {
			if err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.Raw("SELECT count(*) FROM communities").Scan(&n).Error }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		m := tenant.Manifest{Code: "scoped", Name: "Scoped", Plan: "trial", Admins: []tenant.UserSpec{{Username: "admin"}}, Seed: map[string]any{"x": 1}}

		failSeed = true
		if _, err := s.Apply(ctx, m); err == nil {
			t.Fatal("apply with a failing seeder succeeded")
		}
		if _, err := s.Get(ctx, "scoped"); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("tenant left behind after a failing seeder: %v", err)
		}
		if n := communities(); n != 0 {
			t.Fatalf("%d rows of the failed provisioning left behind", n)
		}

		failSeed = false
		res, err := s.Apply(ctx, m)
		if err != nil || res.Outcome != tenant.OutcomeCreated || res.Tenant.Status != tenant.StatusActive {
			t.Fatalf("apply %+v %v", res, err)
		}
		if n := communities(); n != 2 {
			t.Fatalf("hook and seeder wrote %d rows, want 2", n)
		}

		// A provisioning cut short (a crash between the steps on Postgres).
		half := tenant.Tenant{ID: store.NewID(), Code: "half", Name: "Half", Status: tenant.StatusProvisioning, PlanCode: "trial"}
		if err := db.Platform(ctx, func(tx *gorm.DB) error { return tx.Create(&half).Error }); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CheckActive(ctx, half.ID), "tenant_provisioning")
		wantCode(t, func() error {
			_, err := s.Create(ctx, tenant.CreateInput{Code: "half", Name: "Half", Plan: "trial", Admin: tenant.AdminSpec{Username: "admin"}})
			return err
		}(), "tenant_code_taken")
		m.Code, m.Status = "half", tenant.StatusSuspended
		res, err = s.Apply(ctx, m)
		if err != nil || res.Outcome != tenant.OutcomeCreated || res.Tenant.ID != half.ID || res.Tenant.Status != tenant.StatusSuspended {
			t.Fatalf("apply finishing a provisioning tenant %+v %v", res, err)
		}
		wantCode(t, s.CheckActive(ctx, half.ID), "tenant_suspended")
	})
}
