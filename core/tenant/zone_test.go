package tenant_test

import (
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
)

func TestTimeZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := operatorCtx()
		s := tenant.New(db, tenant.Options{GateTTL: time.Hour})
		a := create(t, s, "alpha", "trial")
		if loc := s.Location(ctx, a.ID); loc.String() != tenant.DefaultTimeZone {
			t.Fatalf("default zone %v", loc)
		}
		// Bad names are field errors; the cached zone drops on a local change.
		for _, bad := range []string{"Mars/Olympus", "Local", " Asia/Tokyo", "+08:00"} {
			_, err := s.SetTimeZone(ctx, a.ID, bad)
			if e := wantCode(t, err, "invalid_input"); e.Details == nil {
				t.Fatalf("%q: no field errors", bad)
			}
		}
		if _, err := s.SetTimeZone(ctx, a.ID, "Asia/Tokyo"); err != nil {
			t.Fatal(err)
		}
		if loc := s.Location(ctx, a.ID); loc.String() != "Asia/Tokyo" {
			t.Fatalf("zone after set %v", loc)
		}
		// Create and manifests take a zone too, validated the same way.
		_, err := s.Create(ctx, tenant.CreateInput{Code: "beta", Name: "B", Plan: "trial", TimeZone: "Nowhere/City", Admin: tenant.AdminSpec{Username: "admin"}})
		wantCode(t, err, "invalid_input")
		c, err := s.Create(ctx, tenant.CreateInput{Code: "beta", Name: "B", Plan: "trial", TimeZone: "Europe/Berlin", Admin: tenant.AdminSpec{Username: "admin"}})
		if err != nil || s.Location(ctx, c.Tenant.ID).String() != "Europe/Berlin" {
			t.Fatal(c, err)
		}
		m := tenant.Manifest{Code: "gamma", Name: "G", Plan: "trial", TimeZone: "Asia/Urumqi", Admins: []tenant.UserSpec{{Username: "admin"}}}
		res, err := s.Apply(ctx, m)
		if err != nil || s.Location(ctx, res.Tenant.ID).String() != "Asia/Urumqi" {
			t.Fatal(res, err)
		}
		m.TimeZone = "Asia/Shanghai"
		if res, err = s.Apply(ctx, m); err != nil || res.Outcome != tenant.OutcomeUpdated || s.Location(ctx, res.Tenant.ID).String() != "Asia/Shanghai" {
			t.Fatal(res, err)
		}
		if _, err := tenant.ParseManifest([]byte("code: delta\nname: D\nplan: trial\ntime_zone: Moon/Base\nadmins: [{username: admin}]\n")); err == nil {
			t.Fatal("manifest with a bad zone accepted")
		}
	})
}
