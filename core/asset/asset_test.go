package asset_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func d(s string) asset.Date {
	v, err := asset.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestCycleNext(t *testing.T) {
	cases := []struct {
		name         string
		c            asset.Cycle
		start, after string
		want         string
	}{
		{"first occurrence is the start", asset.Cycle{Kind: asset.EveryDays, Every: 10}, "2024-01-01", "", "2024-01-01"},
		{"every 10 days", asset.Cycle{Kind: asset.EveryDays, Every: 10}, "2024-01-01", "2024-01-01", "2024-01-11"},
		{"every 10 days, done late", asset.Cycle{Kind: asset.EveryDays, Every: 10}, "2024-01-01", "2024-01-25", "2024-01-31"},
		{"every 2 weeks", asset.Cycle{Kind: asset.EveryWeeks, Every: 2}, "2024-01-01", "2024-01-15", "2024-01-29"},
		{"after before start", asset.Cycle{Kind: asset.EveryWeeks, Every: 1}, "2024-03-01", "2024-01-15", "2024-03-01"},
		{"monthly", asset.Cycle{Kind: asset.EveryMonths, Every: 1}, "2024-01-15", "2024-01-15", "2024-02-15"},
		{"month end clamps to Feb 29", asset.Cycle{Kind: asset.EveryMonths, Every: 1}, "2024-01-31", "2024-01-31", "2024-02-29"},
		{"month end clamps to Feb 28", asset.Cycle{Kind: asset.EveryMonths, Every: 1}, "2023-01-31", "2023-01-31", "2023-02-28"},
		{"clamping does not drift", asset.Cycle{Kind: asset.EveryMonths, Every: 1}, "2024-01-31", "2024-02-29", "2024-03-31"},
		{"clamps to Apr 30", asset.Cycle{Kind: asset.EveryMonths, Every: 1}, "2024-01-31", "2024-03-31", "2024-04-30"},
		{"quarterly across years", asset.Cycle{Kind: asset.EveryMonths, Every: 3}, "2023-11-30", "2023-12-01", "2024-02-29"},
		{"yearly", asset.Cycle{Kind: asset.EveryMonths, Every: 12}, "2020-02-29", "2020-02-29", "2021-02-28"},
		{"fixed dates", asset.Cycle{Kind: asset.FixedDates, Dates: []string{"09-15", "03-15"}}, "2024-01-01", "", "2024-03-15"},
		{"fixed dates next", asset.Cycle{Kind: asset.FixedDates, Dates: []string{"03-15", "09-15"}}, "2024-01-01", "2024-03-15", "2024-09-15"},
		{"fixed dates wrap year", asset.Cycle{Kind: asset.FixedDates, Dates: []string{"03-15", "09-15"}}, "2024-01-01", "2024-10-01", "2025-03-15"},
		{"fixed Feb 29 in a common year", asset.Cycle{Kind: asset.FixedDates, Dates: []string{"02-29"}}, "2023-01-01", "", "2023-02-28"},
	}
	for _, c := range cases {
		if err := c.c.Validate(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var after asset.Date
		if c.after != "" {
			after = d(c.after)
		}
		if got := c.c.Next(d(c.start), after); got.String() != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	for _, bad := range []asset.Cycle{{Kind: asset.EveryDays}, {Kind: "hourly", Every: 1}, {Kind: asset.FixedDates}, {Kind: asset.FixedDates, Dates: []string{"02-30"}}, {Kind: asset.FixedDates, Dates: []string{"13-01"}}} {
		if err := bad.Validate(); !errors.Is(err, asset.ErrCycle) {
			t.Errorf("cycle %+v accepted (%v)", bad, err)
		}
	}
}

type world struct {
	props  *property.Service
	assets *asset.Service
	tenant uuid.UUID
	comm   property.Community
	room   property.Room
	area   property.CommonArea
}

func setup(t *testing.T, db *store.DB, today string) world {
	t.Helper()
	ctx := context.Background()
	w := world{props: newProperty(t, db), tenant: store.NewID()}
	var err error
	if w.assets, err = asset.New(db, app.AssetPlaces(w.props), asset.WithToday(func() asset.Date { return d(today) })); err != nil {
		t.Fatal(err)
	}
	w.comm, _ = w.props.CreateCommunity(ctx, w.tenant, property.CommunityInput{Name: "阳光花园"})
	res, err := w.props.GenerateBuilding(ctx, w.tenant, property.GenerateSpec{CommunityID: w.comm.ID, Name: "1栋", Units: 1, Floors: 2, RoomsPerFloor: 2})
	if err != nil {
		t.Fatal(err)
	}
	rooms, _, _ := w.props.ListRooms(ctx, w.tenant, property.RoomFilter{BuildingID: res.Building.ID.String()}, paging.Paging{Limit: 1})
	w.room = rooms[0]
	if w.area, err = w.props.CreateCommonArea(ctx, w.tenant, property.CommonAreaInput{CommunityID: w.comm.ID, Name: "水泵房", Category: "plant_room"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestAssetsAndMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db, "2024-06-10")
		pump, err := w.assets.CreateAsset(ctx, w.tenant, asset.AssetInput{CommunityID: w.comm.ID, Code: "PUMP-01", Name: "生活水泵", Category: "water_pump",
			LocationID: &w.area.ID, PurchaseDate: d("2020-01-01"), InstallDate: d("2020-02-01"), WarrantyEnd: d("2025-02-01"),
			Documents: asset.Documents{{Name: "说明书", URL: "/files/pump.pdf"}}})
		if err != nil {
			t.Fatal(err)
		}
		if pump.LocationKind != "common_area" || len(pump.Docs) != 1 || pump.WarrantyEnd.String() != "2025-02-01" {
			t.Fatalf("asset %+v", pump)
		}
		got, err := w.assets.GetAsset(ctx, w.tenant, pump.ID)
		if err != nil || got.InstallDate.String() != "2020-02-01" || got.Docs[0].Name != "说明书" {
			t.Fatalf("read back %+v %v", got, err)
		}
		if _, err := w.assets.CreateAsset(ctx, w.tenant, asset.AssetInput{CommunityID: w.comm.ID, Code: "PUMP-01", Name: "x", Category: "water_pump"}); code(err) != "duplicate_asset_code" {
			t.Fatalf("duplicate code: %v", err)
		}
		bogus := store.NewID()
		if _, err := w.assets.CreateAsset(ctx, w.tenant, asset.AssetInput{CommunityID: w.comm.ID, Code: "X", Name: "x", Category: "fire", LocationID: &bogus}); code(err) != "unknown_location" {
			t.Fatalf("bogus location: %v", err)
		}
		lift, err := w.assets.CreateAsset(ctx, w.tenant, asset.AssetInput{CommunityID: w.comm.ID, Code: "LIFT-01", Name: "1号电梯", Category: "elevator", LocationID: &w.room.ID})
		if err != nil || lift.LocationKind != "room" {
			t.Fatalf("lift %+v %v", lift, err)
		}
		list, total, _ := w.assets.ListAssets(ctx, w.tenant, asset.AssetFilter{WarrantyEndsBy: "2025-12-31"}, paging.Paging{})
		if total != 1 || list[0].Code != "PUMP-01" {
			t.Fatalf("warranty filter: %d", total)
		}

		// Plans: monthly from Jan 31 (overdue), every 2 weeks (due soon), fixed date (later).
		monthly, err := w.assets.CreatePlan(ctx, w.tenant, asset.PlanInput{AssetID: lift.ID, Name: "电梯月检", Checklist: []string{"曳引机", "门锁"},
			Cycle: asset.Cycle{Kind: asset.EveryMonths, Every: 1}, StartDate: d("2024-05-31")})
		if err != nil || monthly.NextDue.String() != "2024-05-31" || monthly.State != "overdue" {
			t.Fatalf("monthly %+v %v", monthly, err)
		}
		biweekly, _ := w.assets.CreatePlan(ctx, w.tenant, asset.PlanInput{AssetID: pump.ID, Name: "水泵巡检", Cycle: asset.Cycle{Kind: asset.EveryWeeks, Every: 2}, StartDate: d("2024-06-14")})
		yearly, _ := w.assets.CreatePlan(ctx, w.tenant, asset.PlanInput{AssetID: pump.ID, Name: "年检", Cycle: asset.Cycle{Kind: asset.FixedDates, Dates: []string{"11-01"}}, StartDate: d("2024-01-01")})
		if biweekly.State != "due_soon" || yearly.NextDue.String() != "2024-11-01" || yearly.State != "scheduled" {
			t.Fatalf("states %s %s %s", biweekly.State, yearly.NextDue, yearly.State)
		}
		view := func(v string) []string {
			ps, _, err := w.assets.ListPlans(ctx, w.tenant, asset.PlanFilter{View: v}, paging.Paging{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range ps {
				names = append(names, p.Name)
			}
			return names
		}
		if o, s := view("overdue"), view("due_soon"); len(o) != 1 || o[0] != "电梯月检" || len(s) != 1 || s[0] != "水泵巡检" {
			t.Fatalf("overdue %v due soon %v", o, s)
		}
		if _, _, err := w.assets.ListPlans(ctx, w.tenant, asset.PlanFilter{View: "someday"}, paging.Paging{}); code(err) != "unknown_view" {
			t.Fatalf("bad view: %v", err)
		}
		due, err := w.assets.DuePlans(ctx, w.tenant, d("2024-06-30"))
		if err != nil || len(due) != 2 || due[0].ID != monthly.ID {
			t.Fatalf("DuePlans %v %v", due, err)
		}

		// Doing the overdue May check late moves the plan to the next month end.
		rec, err := w.assets.AddRecord(ctx, w.tenant, lift.ID, asset.RecordInput{PlanID: &monthly.ID, DoneOn: d("2024-06-05"), PerformedBy: "王师傅", Result: "ok", CostMinor: 15000})
		if err != nil || rec.Currency != "CNY" {
			t.Fatalf("record %+v %v", rec, err)
		}
		p, _ := w.assets.GetPlan(ctx, w.tenant, monthly.ID)
		if p.NextDue.String() != "2024-06-30" || p.LastDone.String() != "2024-06-05" || p.State != "scheduled" {
			t.Fatalf("after record: next %s last %s state %s", p.NextDue, p.LastDone, p.State)
		}
		if _, err := w.assets.AddRecord(ctx, w.tenant, pump.ID, asset.RecordInput{PlanID: &monthly.ID, DoneOn: d("2024-06-05"), PerformedBy: "x", Result: "ok"}); code(err) != "unknown_plan" {
			t.Fatalf("plan of another asset: %v", err)
		}
		if _, err := w.assets.AddRecord(ctx, w.tenant, lift.ID, asset.RecordInput{DoneOn: d("2024-07-01"), PerformedBy: "x", Result: "ok"}); code(err) != "done_in_future" {
			t.Fatalf("future record: %v", err)
		}
		if _, err := w.assets.AddRecord(ctx, w.tenant, lift.ID, asset.RecordInput{DoneOn: d("2024-06-01"), PerformedBy: "x", Result: "ok", CostMinor: -1}); code(err) != "invalid_input" {
			t.Fatalf("negative cost: %v", err)
		}
		hist, total, _ := w.assets.ListRecords(ctx, w.tenant, lift.ID, paging.Paging{})
		if total != 1 || hist[0].PerformedBy != "王师傅" || hist[0].DoneOn.String() != "2024-06-05" {
			t.Fatalf("history %+v", hist)
		}

		// Another tenant sees none of it.
		other := store.NewID()
		if _, err := w.assets.GetAsset(ctx, other, pump.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant asset: %v", err)
		}
		if _, err := w.assets.GetPlan(ctx, other, monthly.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant plan: %v", err)
		}
		if due, _ := w.assets.DuePlans(ctx, other, d("2030-01-01")); len(due) != 0 {
			t.Fatalf("other tenant due plans: %d", len(due))
		}
		if _, _, err := w.assets.ListRecords(ctx, other, lift.ID, paging.Paging{}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant records: %v", err)
		}

		rows, err := w.assets.ExportAssets(ctx, w.tenant, asset.AssetFilter{Category: "elevator"})
		if err != nil || len(rows) != 1 || rows[0][1] != "LIFT-01" || rows[0][13] != "2024-06-30" {
			t.Fatalf("export %v %v", rows, err)
		}
		if err := w.assets.DeleteAsset(ctx, w.tenant, lift.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.assets.GetPlan(ctx, w.tenant, monthly.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("plan survived its asset: %v", err)
		}
	})
}

func newProperty(t testing.TB, db *store.DB) *property.Service {
	t.Helper()
	p, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
