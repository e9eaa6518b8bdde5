package asset_test

import (
	"context"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestSeedDemo applies the demo compound twice, both seeders in one tenant
// transaction as the tenant manifest loader runs them (each joins it through
// store.Ctx): the second run changes nothing.
func TestSeedDemo(t *testing.T) {
	raw, err := os.ReadFile("../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Seed map[string]any `yaml:"seed"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant := store.NewID()
		props := newProperty(t, db)
		as, err := asset.New(db, app.AssetPlaces(props))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			err := db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
				c1, err := props.SeedDemo(store.Ctx(tx), tenant, doc.Seed["property"])
				if err != nil {
					return err
				}
				c2, err := as.SeedDemo(store.Ctx(tx), tenant, doc.Seed["assets"])
				if c1 != want || c2 != want {
					t.Errorf("run %d changed = %v/%v, want %v", i, c1, c2, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var rooms int64
		db.InTenant(ctx, tenant, func(tx *gorm.DB) error { rooms, err = property.CountRooms(tx, tenant); return err })
		if rooms != 2*18*4*2+6*2 {
			t.Fatalf("seeded %d rooms", rooms)
		}
		list, total, err := as.ListAssets(ctx, tenant, asset.AssetFilter{Category: "elevator"}, paging.Paging{})
		if err != nil || total != 2 || list[1].LocationKind != "room" {
			t.Fatalf("seeded elevators %d %+v %v", total, list, err)
		}
		plans, total, _ := as.ListPlans(ctx, tenant, asset.PlanFilter{}, paging.Paging{})
		if total != 7 || plans[0].NextDue.IsZero() {
			t.Fatalf("seeded %d plans", total)
		}
	})
}
