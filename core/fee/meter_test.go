package fee_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func (w *world) meter(t testing.TB, room int, kind string, digits int, start string) fee.MeterView {
	t.Helper()
	id := w.rooms[room].ID
	m, err := w.fees.CreateMeter(context.Background(), w.tenant, fee.MeterInput{RoomID: &id, Kind: kind, Serial: kind + id.String()[24:], Digits: digits, StartReading: start, InstalledOn: day("2025-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (w *world) read(t testing.TB, m fee.MeterView, p, v string, rollover bool) fee.ReadingView {
	t.Helper()
	r, err := w.fees.EnterReading(context.Background(), w.tenant, m.ID, fee.ReadingInput{Period: p, ReadOn: month(p).End(), Value: v, Rollover: rollover})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var waterTiers = []fee.Tier{{UpTo: "10", Rate: "3.50"}, {Rate: "4.20"}}

// Water in arrears: March's 13.5 m³ are billed in April: 10 × 3.50 + 3.5 ×
// 4.20 = 35.00 + 14.70 = 49.70.
func TestTiersCrossingBoundary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, 1, 2)
		w.owner(0, "2025-01-01")
		w.owner(1, "2025-01-01")
		w.item(t, fee.ItemInput{Code: "water", Name: "水费", Kind: fee.KindMetered, MeterKind: "water", Unit: "m³", Billing: "arrears"},
			fee.RuleInput{ValidFrom: day("2025-01-01"), Tiers: waterTiers})
		m := w.meter(t, 0, "water", 6, "100")
		w.read(t, m, "2026-02", "110", false)
		w.read(t, m, "2026-03", "123.5", false)
		q := w.quote(t, 0, "2026-04")
		if got := amounts(q); !slices.Equal(got, []int64{4970}) {
			t.Fatalf("amounts %v %+v", got, q.Lines)
		}
		if q.Lines[0].Quantity != "13.500" || q.Lines[0].Detail != "10.000 × 3.5000 + 3.500 × 4.2000" {
			t.Fatalf("line %+v", q.Lines[0])
		}
		// February's 10 m³ stay in the first tier.
		if got := amounts(w.quote(t, 0, "2026-03")); !slices.Equal(got, []int64{3500}) {
			t.Fatalf("march %v", got)
		}
		// Room 1 has a meter but no reading for March.
		w.meter(t, 1, "water", 6, "0")
		if got := excs(w.quote(t, 1, "2026-04")); !slices.Equal(got, []string{fee.ExcNoReading}) {
			t.Fatalf("no reading: %v", got)
		}
	})
}

// A 4-digit meter at 9990 reads 15 next month: it wrapped, 25 m³ were used.
// Lower without saying rollover is refused; so is a replaced meter's reading.
func TestRolloverAndReplacement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db, 1, 1)
		w.owner(0, "2025-01-01")
		w.item(t, fee.ItemInput{Code: "water", Name: "水费", Kind: fee.KindMetered, MeterKind: "water", Billing: "arrears"},
			fee.RuleInput{ValidFrom: day("2025-01-01"), Rate: "3.00"})
		m := w.meter(t, 0, "water", 4, "9990")
		_, err := w.fees.EnterReading(ctx, w.tenant, m.ID, fee.ReadingInput{Period: "2026-01", ReadOn: day("2026-01-31"), Value: "15"})
		if code(err) != "reading_lower_than_previous" {
			t.Fatalf("lower reading: %v", err)
		}
		if r := w.read(t, m, "2026-01", "15", true); r.ConsumptionText != "25.000" {
			t.Fatalf("roll-over consumption %s", r.ConsumptionText)
		}
		if _, err := w.fees.EnterReading(ctx, w.tenant, m.ID, fee.ReadingInput{Period: "2026-01", ReadOn: day("2026-01-31"), Value: "20"}); code(err) != "reading_out_of_order" {
			t.Fatalf("same period again: %v", err)
		}
		if got := amounts(w.quote(t, 0, "2026-02")); !slices.Equal(got, []int64{7500}) {
			t.Fatalf("25 × 3.00: %v", got)
		}
		// Replaced in February at 35 (20 m³ on the old meter); the new one
		// starts at 0 and reads 5: February's use is 25 m³.
		nm, err := w.fees.ReplaceMeter(ctx, w.tenant, m.ID, fee.ReplaceInput{Period: "2026-02", ReadOn: day("2026-02-20"), FinalReading: "35", NewSerial: "W-NEW", NewStart: "0"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.fees.EnterReading(ctx, w.tenant, m.ID, fee.ReadingInput{Period: "2026-03", ReadOn: day("2026-03-31"), Value: "40"}); code(err) != "meter_replaced" {
			t.Fatalf("reading on a replaced meter: %v", err)
		}
		w.read(t, nm, "2026-02", "5", false)
		q := w.quote(t, 0, "2026-03")
		if got := amounts(q); !slices.Equal(got, []int64{7500}) || q.Lines[0].Quantity != "25.000" {
			t.Fatalf("replacement month %v %+v", got, q.Lines)
		}
	})
}

// 100 kWh of the corridor lights at 1.0000 = 100.00 split over 3 rooms by
// share: 33.34 + 33.33 + 33.33, exactly 100.00.
func TestApportionmentSumsExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db, 1, 3)
		m, err := w.fees.CreateMeter(ctx, w.tenant, fee.MeterInput{CommunityID: w.comm.ID, Kind: "electricity", Serial: "PUB-1", InstalledOn: day("2025-01-01")})
		if err != nil {
			t.Fatal(err)
		}
		w.read(t, m, "2026-03", "100", false)
		id := m.ID
		w.item(t, fee.ItemInput{Code: "shared_power", Name: "公摊电费", Kind: fee.KindShared, CommonMeterID: &id, Apportion: "share", Billing: "arrears"},
			fee.RuleInput{ValidFrom: day("2025-01-01"), Rate: "1.0000"})
		var sum int64
		var got []int64
		for i := range w.rooms {
			a := amounts(w.quote(t, i, "2026-04"))
			got = append(got, a...)
			sum += a[0]
		}
		slices.Sort(got)
		if sum != 10000 || !slices.Equal(got, []int64{3333, 3333, 3334}) {
			t.Fatalf("parts %v sum %d", got, sum)
		}
		// No reading for April: every room says so in May.
		if got := excs(w.quote(t, 0, "2026-05")); !slices.Contains(got, fee.ExcNoReading) {
			t.Fatalf("no common reading: %v", got)
		}
	})
}

// A quarterly item in advance bills in January, April, July, October only,
// each time three months.
func TestQuarterlyCycleAndVacancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, 1, 2)
		w.owner(0, "2025-01-01")
		w.item(t, fee.ItemInput{Code: "parking", Name: "车位管理费", Kind: fee.KindFixed, Cycle: "quarterly", VacancyPercent: "30"},
			fee.RuleInput{ValidFrom: day("2025-01-01"), Rate: "80.00"})
		if q := w.quote(t, 0, "2026-05"); len(q.Lines) != 0 {
			t.Fatalf("May is not a billing month: %+v", q.Lines)
		}
		q := w.quote(t, 0, "2026-04")
		if got := amounts(q); !slices.Equal(got, []int64{24000}) || q.Lines[0].To != day("2026-06-30") {
			t.Fatalf("April: %v %+v", got, q.Lines)
		}
		// Room 1 is empty (no residents, status vacant): 30 % off, 168.00.
		q = w.quote(t, 1, "2026-04")
		if got := amounts(q); !slices.Equal(got, []int64{16800}) {
			t.Fatalf("vacant %v %+v", got, q.Lines)
		}
		if q.Lines[0].Detail != "1 room × 80.00/month × 3 months × 70.00% (vacant)" {
			t.Fatalf("detail %q", q.Lines[0].Detail)
		}
	})
}

// A version that ended mid-month still prices that month's reading: readings
// are not split by day.
func TestMeteredVersionEndedMidMonth(t *testing.T) {
	w := setup(t, storetest.SQLite(t), 1, 1)
	w.owner(0, "2025-01-01")
	w.item(t, fee.ItemInput{Code: "power", Name: "电费", Kind: fee.KindMetered, MeterKind: "electricity", Billing: "arrears"},
		fee.RuleInput{ValidFrom: day("2025-01-01"), ValidTo: day("2026-03-15"), Rate: "0.6000"})
	m := w.meter(t, 0, "electricity", 6, "0")
	w.read(t, m, "2026-03", "100", false)
	q := w.quote(t, 0, "2026-04")
	if got := amounts(q); !slices.Equal(got, []int64{6000}) || q.Lines[0].Version != 1 {
		t.Fatalf("%v %+v", got, q.Lines)
	}
}
