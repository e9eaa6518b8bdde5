package app_test

import (
	"context"
	"testing"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// TestDemoFees: the demo tenant gets its fee items and a year of readings,
// and last month's bill of a metered room is priced from them.
func TestDemoFees(t *testing.T) {
	cfg := testConfig(t, store.SQLite)
	cfg.NoSeed = false
	ctx := context.Background()
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	tn, err := a.Tenants.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	items, total, err := a.Fees.ListItems(ctx, tn.ID, fee.ItemFilter{}, paging.Paging{Limit: 50})
	if err != nil || total < 5 {
		t.Fatalf("%d items, %v", total, err)
	}
	if _, err := a.Fees.Item(ctx, tn.ID, "renovation_deposit"); err != nil {
		t.Fatal(err)
	}
	readings, total, err := a.Fees.ListReadings(ctx, tn.ID, fee.ReadingFilter{}, paging.Paging{Limit: 1})
	if err != nil || total < 12*48 || readings[0].RoomID == nil {
		t.Fatalf("%d readings, %v", total, err)
	}
	p := civil.PeriodOf(civil.Today(a.Tenants.Location(ctx, tn.ID)))
	q, err := a.Fees.Quote(ctx, tn.ID, *readings[0].RoomID, p)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int64{}
	for _, l := range q.Lines {
		kinds[l.Code] += l.Amount
	}
	for _, code := range []string{"property_fee", "water", "electricity", "shared_power"} {
		if kinds[code] <= 0 {
			t.Errorf("%s not priced: lines %+v exceptions %+v (items %d)", code, q.Lines, q.Exceptions, len(items))
		}
	}
}
