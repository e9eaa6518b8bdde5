package rbac_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// registry stands in for the plugin catalogue: what is registered can change
// while the enforcer runs.
type registry struct {
	perms atomic.Pointer[[]rbac.Permission]
	calls atomic.Int64
}

func (r *registry) set(ps ...rbac.Permission) { r.perms.Store(&ps) }

func (r *registry) provide(context.Context) ([]rbac.Permission, error) {
	r.calls.Add(1)
	if p := r.perms.Load(); p != nil {
		return *p, nil
	}
	return nil, nil
}

func TestPluginPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnforcer(t, db)
		reg := &registry{}
		e.SetPluginPermissions(reg.provide)
		ta, tb := store.NewID(), store.NewID()
		admin, staff, other, mgr := store.NewID(), store.NewID(), store.NewID(), store.NewID()
		if err := db.Platform(ctx, func(tx *gorm.DB) error { return e.AssignTx(tx, ta, admin, rbac.Admin) }); err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(ctx, ta); err != nil {
			t.Fatal(err)
		}
		assign(t, db, e, ta, mgr, rbac.Manager)

		// Not registered yet: unknown to decisions and to the role API.
		expect(t, e, []decision{{"unregistered plugin code", user(ta, admin), "events.activity.manage", false}})
		_, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "organiser", Permissions: []string{"events.activity.manage"}})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != "unknown_permission" {
			t.Fatalf("unregistered plugin code accepted: %v", err)
		}

		reg.set(
			rbac.Permission{Code: rbac.PluginCode("events", "activity.manage"), Module: "events", EN: "Manage activities", ZH: "管理社区活动"},
			rbac.Permission{Code: rbac.PluginCode("events", "venue.manage"), EN: "Manage venues", ZH: "管理场地"},
			// A plugin may not redefine a core permission nor live in a core module.
			rbac.Permission{Code: "user.create", Module: "user"},
			rbac.Permission{Code: "billing.steal", Module: "billing"},
		)
		if _, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "organiser", Permissions: []string{"events.activity.manage", "property.read"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateRole(ctx, ta, rbac.RoleInput{Name: "thief", Permissions: []string{"billing.steal"}}); err == nil {
			t.Fatal("a plugin code in a core module was accepted")
		}
		assign(t, db, e, ta, staff, "organiser")
		assign(t, db, e, tb, other, rbac.Admin)
		expect(t, e, []decision{
			{"custom role grants the plugin permission", user(ta, staff), "events.activity.manage", true},
			{"custom role grants only its plugin permissions", user(ta, staff), "events.venue.manage", false},
			{"admin holds every plugin permission", user(ta, admin), "events.venue.manage", true},
			{"admin of B holds B's", user(tb, other), "events.activity.manage", true},
			{"role of A grants nothing in B", user(tb, staff), "events.activity.manage", false},
			{"manager is given no plugin permission by default", user(ta, mgr), "events.activity.manage", false},
			{"a key carrying the custom role", key(ta, "organiser"), "events.activity.manage", true},
			{"core module code from a plugin stays unknown", user(ta, admin), "billing.steal", false},
		})

		cat, err := e.CatalogueOf(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, p := range cat {
			codes = append(codes, p.Code)
			if p.Code == "events.venue.manage" && p.Module != "events" {
				t.Errorf("plugin permission without its module: %+v", p)
			}
		}
		if !slices.Contains(codes, "events.activity.manage") || !slices.Contains(codes, "user.read") || slices.Contains(codes, "billing.steal") {
			t.Fatalf("catalogue = %v", codes)
		}
		if n := len(codes); n != len(rbac.Catalogue())+2 {
			t.Fatalf("catalogue has %d codes, want %d", n, len(rbac.Catalogue())+2)
		}
		roles, err := e.ListRoles(ctx, ta)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if r.Name == rbac.Admin && !slices.Contains(r.Permissions, "events.venue.manage") {
				t.Fatalf("admin role listed without plugin permissions: %v", r.Permissions)
			}
		}

		// Installed codes are decided without asking the provider again.
		before := reg.calls.Load()
		for range 100 {
			if ok, err := e.Allowed(ctx, user(ta, staff), "events.activity.manage"); !ok || err != nil {
				t.Fatalf("Allowed = %v, %v", ok, err)
			}
		}
		if reg.calls.Load() != before {
			t.Fatalf("provider asked %d times for installed codes", reg.calls.Load()-before)
		}
	})
}

func TestReservedModule(t *testing.T) {
	for _, n := range []string{"user", "billing", "self", "plugin", "resident"} {
		if !rbac.ReservedModule(n) {
			t.Errorf("%s is a core module", n)
		}
	}
	if rbac.ReservedModule("events") {
		t.Error("events is not a core module")
	}
}
