package fee_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// bulk makes a community of n rooms straight in the tables (the API would
// take minutes): every other room has an owner, every room a water meter
// with February and March readings, and the community a property fee, a
// tiered water fee and a per-household fixed fee.
func bulk(tb testing.TB, db *store.DB, n int, byParity bool) (*world, []uuid.UUID) {
	tb.Helper()
	ctx := context.Background()
	props, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		tb.Fatal(err)
	}
	w := &world{db: db, props: props, res: &residents{}, tenant: store.NewID()}
	var res fee.Residents = w.res
	if byParity {
		res = parity{}
	}
	if w.fees, err = fee.New(db, app.FeeRooms(props), res); err != nil {
		tb.Fatal(err)
	}
	ids := make([]uuid.UUID, n)
	err = db.InTenant(ctx, w.tenant, func(tx *gorm.DB) error {
		w.comm = property.Community{Name: "大社区"}
		if err := tx.Create(&w.comm).Error; err != nil {
			return err
		}
		b := property.Building{CommunityID: w.comm.ID, Name: "1栋"}
		if err := tx.Create(&b).Error; err != nil {
			return err
		}
		u := property.Unit{BuildingID: b.ID, Name: "1单元"}
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		return bulkRooms(tx, w, b.ID, u.ID, ids)
	})
	if err != nil {
		tb.Fatal(err)
	}
	analyze(tb, db)
	for i, id := range ids {
		if i%2 == 0 && !byParity {
			w.res.add(fee.Residence{RoomID: id, HouseholdID: id, Owner: true, MoveIn: day("2020-01-01")})
		}
	}
	w.item(tb, fee.ItemInput{Code: "pf", Name: "物业费", Kind: fee.KindArea, VacancyPercent: "30"}, fee.RuleInput{ValidFrom: day("2025-01-01"), Rate: "2.50"})
	w.item(tb, fee.ItemInput{Code: "water", Name: "水费", Kind: fee.KindMetered, MeterKind: "water", Billing: "arrears"}, fee.RuleInput{ValidFrom: day("2025-01-01"), Tiers: waterTiers})
	w.item(tb, fee.ItemInput{Code: "garbage", Name: "垃圾费", Kind: fee.KindFixed, Per: "household"}, fee.RuleInput{ValidFrom: day("2025-01-01"), Rate: "15.00"})
	return w, ids
}

// parity is a resident domain where the rooms whose id ends in an even
// byte have an owner since 2020, without holding a million residences in
// memory (as the real one, which reads them per batch, does not).
type parity struct{}

func (parity) Residences(_ context.Context, _ uuid.UUID, ids []uuid.UUID) ([]fee.Residence, error) {
	out := make([]fee.Residence, 0, len(ids)/2)
	for _, id := range ids {
		if id[15]%2 == 0 {
			out = append(out, fee.Residence{RoomID: id, HouseholdID: id, Owner: true, MoveIn: day("2020-01-01")})
		}
	}
	return out, nil
}

// analyze refreshes the planner's statistics after the bulk load, as
// autovacuum would on a live database.
func analyze(tb testing.TB, db *store.DB) {
	if db.Dialect() != store.Postgres {
		return
	}
	err := db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Exec("ANALYZE rooms, meters, meter_readings").Error
	})
	if err != nil {
		tb.Logf("analyze: %v", err)
	}
}

func bulkRooms(tx *gorm.DB, w *world, buildingID, unitID uuid.UUID, ids []uuid.UUID) error {
	const batch = 2000
	for start := 0; start < len(ids); start += batch {
		var rooms []property.Room
		var meters []fee.Meter
		var readings []fee.Reading
		for i := start; i < min(start+batch, len(ids)); i++ {
			id := store.NewID()
			ids[i] = id
			status := property.Occupied
			if i%2 == 1 {
				status = property.Vacant
			}
			rooms = append(rooms, property.Room{TenantID: w.tenant, ID: id, CommunityID: w.comm.ID, BuildingID: buildingID, UnitID: unitID,
				Number: strconv.Itoa(i + 1), BuiltArea: property.Area(8000 + i%4000), Usage: property.Residential, Status: status, FeeCoefficient: 10000})
			m := fee.Meter{TenantID: w.tenant, ID: store.NewID(), CommunityID: w.comm.ID, RoomID: &rooms[len(rooms)-1].ID, Kind: "water",
				Serial: fmt.Sprintf("W%07d", i), Digits: 6, InstalledOn: day("2025-01-01"), Status: fee.MeterActive}
			meters = append(meters, m)
			feb, mar := int64(8000+i%5000), int64(9000+i%7000)
			readings = append(readings,
				fee.Reading{TenantID: w.tenant, ID: store.NewID(), MeterID: m.ID, RoomID: m.RoomID, Period: "2026-02", ReadOn: day("2026-02-28"), Value: feb, Consumption: feb},
				fee.Reading{TenantID: w.tenant, ID: store.NewID(), MeterID: m.ID, RoomID: m.RoomID, Period: "2026-03", ReadOn: day("2026-03-31"), Value: feb + mar, Consumption: mar})
		}
		for _, rows := range []any{&rooms, &meters, &readings} {
			if err := tx.CreateInBatches(rows, 500).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// TestQuoteCommunityPostgres prices a few thousand rooms in batches: every
// room once, in id order, as Quote prices it alone, and a resumed run
// starts after the given room.
func TestQuoteCommunityPostgres(t *testing.T) {
	const n = 3000
	w, ids := bulk(t, storetest.Postgres(t), n, false)
	ctx := context.Background()
	var got []fee.RoomQuote
	err := w.fees.QuoteCommunity(ctx, w.tenant, w.comm.ID, month("2026-04"), uuid.Nil, 700, func(qs []fee.RoomQuote) error {
		if len(qs) > 700 {
			t.Fatalf("batch of %d", len(qs))
		}
		got = append(got, qs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d quotes, want %d", len(got), n)
	}
	for i := 1; i < n; i++ {
		if got[i].RoomID.String() <= got[i-1].RoomID.String() {
			t.Fatalf("quote %d out of room-id order", i)
		}
	}
	for _, i := range []int{0, 1, 1234, n - 1} {
		one, err := w.fees.Quote(ctx, w.tenant, got[i].RoomID, month("2026-04"))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(one) != fmt.Sprint(got[i]) {
			t.Fatalf("room %d alone:\n%+v\nin the run:\n%+v", i, one, got[i])
		}
		// Owner rooms: property fee, water, garbage; the others are vacant
		// (no owner: an exception, the fee 30 % off, no household).
		if want := 3 - i%2; len(one.Lines) != want {
			t.Fatalf("room %d: %d lines, want %d: %+v", i, len(one.Lines), want, one.Lines)
		}
	}
	var resumed int
	err = w.fees.QuoteCommunity(ctx, w.tenant, w.comm.ID, month("2026-04"), got[999].RoomID, 0, func(qs []fee.RoomQuote) error {
		if resumed == 0 && qs[0].RoomID != got[1000].RoomID {
			t.Fatalf("resumed at %s, want %s", qs[0].RoomID, got[1000].RoomID)
		}
		resumed += len(qs)
		return nil
	})
	if err != nil || resumed != n-1000 {
		t.Fatalf("resumed %d rooms, %v", resumed, err)
	}
	_ = ids
}

// BenchmarkQuoteCommunity prices WUYE_BENCH_ROOMS (100,000) rooms on Postgres.
func BenchmarkQuoteCommunity(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("WUYE_BENCH_ROOMS")); err == nil && v > 0 {
		n = v
	}
	w, _ := bulk(b, storetest.Postgres(b), n, true)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		start, priced := time.Now(), 0
		err := w.fees.QuoteCommunity(ctx, w.tenant, w.comm.ID, month("2026-04"), uuid.Nil, 5000, func(qs []fee.RoomQuote) error {
			priced += len(qs)
			return nil
		})
		if err != nil || priced != n {
			b.Fatalf("priced %d of %d: %v", priced, n, err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rooms/s")
	}
}
