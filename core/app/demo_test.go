package app_test

import (
	"context"
	"testing"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// TestDemoSeedsFromAnyFolder: with no tenants folder the binary's own copy
// of the demo manifest is seeded, and its maintenance plans fall due around
// today (some overdue, some due soon, most later), not years ago.
func TestDemoSeedsFromAnyFolder(t *testing.T) {
	cfg := testConfig(t, store.SQLite)
	cfg.NoSeed = false
	cfg.TenantsDir = t.TempDir() // empty: no demo.yaml here
	ctx := context.Background()
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	first, err := a.Bootstrap(ctx)
	if err != nil || first.DemoTenant != "demo" {
		t.Fatalf("bootstrap: %+v %v", first, err)
	}
	tn, err := a.Tenants.Get(ctx, "demo")
	if err != nil || tn.TimeZone() != "Asia/Shanghai" {
		t.Fatal(tn, err)
	}
	plans, total, err := a.Assets.ListPlans(ctx, tn.ID, asset.PlanFilter{}, paging.Paging{Limit: 100})
	if err != nil || total == 0 {
		t.Fatal(total, err)
	}
	today := civil.Today(a.Tenants.Location(ctx, tn.ID))
	states := map[string]int{}
	for _, p := range plans {
		states[p.State]++
		due := p.NextDue.Time()
		if d := today.DaysUntil(civil.DateOf(due)); d < -30 || d > 400 {
			t.Errorf("plan %s due %s, %d days from today %s", p.Name, p.NextDue, d, today)
		}
	}
	if states["overdue"] == 0 || states["due_soon"] == 0 || states["scheduled"] == 0 || states["overdue"] > 2 {
		t.Fatalf("plan states %v: want a few overdue and due soon, the rest scheduled", states)
	}
}
