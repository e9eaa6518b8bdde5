package rbac_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func newEnforcer(t *testing.T, db *store.DB) *rbac.Enforcer {
	t.Helper()
	e, err := rbac.New(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func user(tenant, id uuid.UUID) actor.Actor {
	return actor.Actor{Kind: actor.User, ID: id, TenantID: tenant}
}

func key(tenant uuid.UUID, roles ...string) actor.Actor {
	return actor.Actor{Kind: actor.APIKey, ID: store.NewID(), TenantID: tenant, Roles: roles}
}

// expect checks a list of decisions.
func expect(t *testing.T, e *rbac.Enforcer, cases []decision) {
	t.Helper()
	for _, c := range cases {
		got, err := e.Allowed(context.Background(), c.a, c.perm)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: Allowed(%s) = %v, want %v", c.name, c.perm, got, c.want)
		}
	}
}

type decision struct {
	name string
	a    actor.Actor
	perm string
	want bool
}

func assign(t *testing.T, db *store.DB, e *rbac.Enforcer, tenant, u uuid.UUID, roles ...string) {
	t.Helper()
	if _, err := e.SetUserRoles(context.Background(), tenant, u, roles); err != nil {
		t.Fatalf("assign %v: %v", roles, err)
	}
}

func TestDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnforcer(t, db)
		ta, tb := store.NewID(), store.NewID()
		admin, res, cashA, frontB := store.NewID(), store.NewID(), store.NewID(), store.NewID()

		// Tenant creation assigns the first admin inside a platform transaction.
		if err := db.Platform(ctx, func(tx *gorm.DB) error { return e.AssignTx(tx, ta, admin, rbac.Admin) }); err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(ctx, ta); err != nil {
			t.Fatal(err)
		}
		assign(t, db, e, ta, res, rbac.Resident)
		if _, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "cashier", Permissions: []string{"billing.read", "payment.collect"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateRole(ctx, tb, rbac.RoleInput{Name: "cashier", Permissions: []string{"billing.read"}}); err != nil {
			t.Fatal(err)
		}
		assign(t, db, e, ta, cashA, "cashier")
		assign(t, db, e, tb, frontB, rbac.Frontdesk)

		expect(t, e, []decision{
			{"admin has every tenant permission", user(ta, admin), "role.manage", true},
			{"admin has audit.read", user(ta, admin), "audit.read", true},
			{"admin of A is nothing in B", user(tb, admin), "user.read", false},
			{"resident self-service", user(ta, res), "self.pay", true},
			{"resident cannot read users", user(ta, res), "user.read", false},
			{"custom role grants its permission", user(ta, cashA), "payment.collect", true},
			{"custom role grants only its permissions", user(ta, cashA), "billing.manage", false},
			{"custom role of A grants nothing in B", user(tb, cashA), "billing.read", false},
			{"built-in frontdesk in B", user(tb, frontB), "payment.collect", true},
			{"frontdesk of B is nothing in A", user(ta, frontB), "payment.collect", false},
			{"frontdesk manages residents", user(tb, frontB), "resident.manage", true},
			{"frontdesk sees numbers masked only (least privilege)", user(tb, frontB), "resident.pii.read", false},
			{"unknown permission", user(ta, admin), "nuke.everything", false},
			{"operator is not a tenant actor", actor.Actor{Kind: actor.Operator, ID: store.NewID()}, "user.read", false},
			{"system is not a tenant actor", actor.Actor{Kind: actor.System, TenantID: ta}, "user.read", false},
			{"key with built-in role", key(ta, rbac.Finance), "billing.manage", true},
			{"key with built-in role, other permission", key(ta, rbac.Finance), "user.create", false},
			{"key with A's custom role in A", key(ta, "cashier"), "payment.collect", true},
			{"key with B's custom role in B", key(tb, "cashier"), "payment.collect", false},
			{"key with B's custom role in B, granted", key(tb, "cashier"), "billing.read", true},
			{"key with custom role unknown in tenant", key(tb, "accountant"), "billing.read", false},
			{"key with a perm node as role", key(ta, "perm:user.read"), "user.read", false},
			{"key with a user id as role", key(ta, admin.String()), "user.read", false},
			{"key with no roles", key(ta), "tenant.read", false},
		})

		if got, err := e.RolesOf(ctx, ta, admin); err != nil || len(got) != 1 || got[0] != rbac.Admin {
			t.Fatalf("RolesOf(admin) = %v, %v", got, err)
		}
		if got, err := e.RolesOf(ctx, tb, admin); err != nil || len(got) != 0 {
			t.Fatalf("RolesOf(admin) in B = %v, %v", got, err)
		}
	})
}

func TestRoleManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnforcer(t, db)
		ta, tb := store.NewID(), store.NewID()
		u := store.NewID()

		_, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "auditor", Permissions: []string{"audit.read", "audit.write", "x.y"}})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != "unknown_permission" || ae.Kind != apperr.KindInvalid {
			t.Fatalf("unknown permission: %v", err)
		}
		if d, _ := ae.Details.(map[string][]string); len(d["unknown"]) != 2 {
			t.Fatalf("details should list both unknown codes: %#v", ae.Details)
		}
		if _, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "admin", Permissions: []string{"audit.read"}}); !errors.Is(err, rbac.ErrBuiltinName) {
			t.Fatalf("built-in name: %v", err)
		}
		if _, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "operator", Permissions: []string{"audit.read"}}); !errors.Is(err, rbac.ErrBuiltinName) {
			t.Fatalf("operator name: %v", err)
		}
		r, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "auditor", Permissions: []string{"audit.read", "audit.read"}})
		if err != nil || r.ID == nil || len(r.Permissions) != 1 {
			t.Fatalf("create: %+v %v", r, err)
		}
		if _, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "auditor", Permissions: []string{"audit.read"}}); !errors.Is(err, rbac.ErrRoleExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := e.SetUserRoles(ctx, ta, u, []string{"auditor", "ghost"}); !errors.Is(err, rbac.ErrUnknownRole) {
			t.Fatalf("unknown role: %v", err)
		}
		if _, err := e.SetUserRoles(ctx, ta, u, []string{"operator"}); !errors.Is(err, rbac.ErrOperatorRole) {
			t.Fatalf("operator role: %v", err)
		}
		// A's role is invisible to B.
		if _, err := e.SetUserRoles(ctx, tb, u, []string{"auditor"}); !errors.Is(err, rbac.ErrUnknownRole) {
			t.Fatalf("A's role assigned in B: %v", err)
		}
		name := "auditor2"
		if _, err := e.UpdateRole(ctx, tb, *r.ID, rbac.RolePatch{Name: &name}); !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Fatalf("B renamed A's role: %v", err)
		}
		if err := e.DeleteRole(ctx, tb, *r.ID); !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Fatalf("B deleted A's role: %v", err)
		}

		assign(t, db, e, ta, u, "auditor")
		expect(t, e, []decision{{"auditor reads audit", user(ta, u), "audit.read", true}})
		if err := e.DeleteRole(ctx, ta, *r.ID); !errors.Is(err, rbac.ErrRoleInUse) {
			t.Fatalf("delete in use: %v", err)
		}

		// Renaming carries the assignment; changing permissions changes decisions.
		perms := []string{"job.read"}
		if _, err := e.UpdateRole(ctx, ta, *r.ID, rbac.RolePatch{Name: &name, Permissions: &perms}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.RolesOf(ctx, ta, u); len(got) != 1 || got[0] != name {
			t.Fatalf("after rename user holds %v", got)
		}
		expect(t, e, []decision{
			{"renamed role keeps new permissions", user(ta, u), "job.read", true},
			{"old permission gone", user(ta, u), "audit.read", false},
		})

		assign(t, db, e, ta, u)
		if err := e.DeleteRole(ctx, ta, *r.ID); err != nil {
			t.Fatalf("delete unused: %v", err)
		}
		expect(t, e, []decision{{"deleted role grants nothing", user(ta, u), "job.read", false}})

		// The last admin cannot be demoted; with a second admin it can.
		a1, a2 := store.NewID(), store.NewID()
		assign(t, db, e, ta, a1, rbac.Admin)
		if _, err := e.SetUserRoles(ctx, ta, a1, []string{rbac.Manager}); !errors.Is(err, rbac.ErrLastAdmin) {
			t.Fatalf("last admin demoted: %v", err)
		}
		assign(t, db, e, ta, a2, rbac.Admin)
		assign(t, db, e, ta, a1, rbac.Manager)
		expect(t, e, []decision{
			{"demoted admin", user(ta, a1), "role.manage", false},
			{"now manager", user(ta, a1), "workorder.assign", true},
		})
	})
}

// TestPollSync: two enforcers (two wuye processes) on one database; a change
// made through one becomes visible in the other after its next poll.
func TestPollSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e1, e2 := newEnforcer(t, db), newEnforcer(t, db)
		ta, u := store.NewID(), store.NewID()

		assign(t, db, e1, ta, u, rbac.Technician)
		expect(t, e1, []decision{{"writer sees it at once", user(ta, u), "workorder.manage", true}})
		expect(t, e2, []decision{{"other process not yet", user(ta, u), "workorder.manage", false}})
		if err := e2.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, e2, []decision{{"other process after poll", user(ta, u), "workorder.manage", true}})

		// Run polls in the background; a custom role change arrives by itself.
		go e2.Run(ctx, 20*time.Millisecond)
		if _, err := e1.CreateRole(ctx, ta, rbac.RoleInput{Name: "nightshift", Permissions: []string{"device.manage"}}); err != nil {
			t.Fatal(err)
		}
		assign(t, db, e1, ta, u, "nightshift")
		deadline := time.Now().Add(5 * time.Second)
		for {
			ok, _ := e2.Allowed(ctx, user(ta, u), "device.manage")
			gone, _ := e2.Allowed(ctx, user(ta, u), "workorder.manage")
			if ok && !gone {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("second enforcer did not follow within 5s: device.manage=%v workorder.manage=%v", ok, gone)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A fresh process loads the same state from scratch.
		expect(t, newEnforcer(t, db), []decision{
			{"fresh load: custom role", user(ta, u), "device.manage", true},
			{"fresh load: old role gone", user(ta, u), "workorder.manage", false},
		})
	})
}

// TestCachedDecisionsFollowChanges: an answer is cached, and a role change
// (here or seen by another process's poll) replaces it at once.
func TestCachedDecisionsFollowChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, err := rbac.New(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := rbac.New(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		tenant, u := store.NewID(), store.NewID()
		a := actor.Actor{Kind: actor.User, ID: u, TenantID: tenant}
		ask := func(e *rbac.Enforcer) bool {
			ok, err := e.Allowed(ctx, a, "billing.manage")
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		assign(t, db, e, tenant, u, "technician")
		if ask(e) || ask(e) || ask(other) {
			t.Fatal("technician may manage billing")
		}
		assign(t, db, e, tenant, u, "finance")
		if !ask(e) {
			t.Fatal("cached denial outlived the role change on the writing process")
		}
		if err := other.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if !ask(other) {
			t.Fatal("cached denial outlived the role change seen by the poll")
		}
		assign(t, db, e, tenant, u, "technician")
		if ask(e) {
			t.Fatal("cached grant outlived the role being taken away")
		}
	})
}
