package billing_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// benchPricer quotes n rooms without a database (fee is not merged yet):
// room i has 50.00 + (i × 137 mod 10,000)/100 m² at 2.50 a month. The SQL
// baseline below does the same arithmetic.
type benchPricer struct {
	*world
	ids []uuid.UUID
}

func benchArea(i int) int64 { return 5000 + int64(i)*137%10000 }

func (p benchPricer) QuoteCommunity(_ context.Context, _, community uuid.UUID, per civil.Period, after uuid.UUID, batch int, fn func([]fee.RoomQuote) error) error {
	start := 0
	if after != uuid.Nil {
		start, _ = slices.BinarySearchFunc(p.ids, after, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		start++
	}
	for i := start; i < len(p.ids); i += batch {
		qs := make([]fee.RoomQuote, 0, batch)
		for j := i; j < min(i+batch, len(p.ids)); j++ {
			a := benchArea(j)
			qs = append(qs, fee.RoomQuote{RoomID: p.ids[j], CommunityID: community, BuildingID: community, Period: per,
				Lines: []fee.Line{{Code: "property_fee", Name: "物业费", Kind: fee.KindArea, From: per.Start(), To: per.End(),
					Quantity: strconv.FormatInt(a/100, 10) + "." + fmt.Sprintf("%02d", a%100), Unit: "m²", Rate: "2.50",
					Amount: (a*250 + 50) / 100, Currency: money.CNY, DueDays: 15}}})
		}
		if err := fn(qs); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkBillRun bills WUYE_BENCH_BILL_ROOMS rooms (default 100,000) of
// one community on Postgres as the application role (bills, lines and charge
// entries, one unnest INSERT per table and batch of 5,000 rooms, one transaction per
// batch), then, in the same run, one INSERT … SELECT that writes the same
// rows with the same arithmetic inside PostgreSQL, and reports both and
// their ratio (targets: 1,000,000 rooms ≤ 60 s, ratio ≤ 3).
func BenchmarkBillRun(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("WUYE_BENCH_BILL_ROOMS")); err == nil && v > 0 {
		n = v
	}
	db := storetest.Postgres(b)
	w := newWorld(0)
	p := benchPricer{world: w}
	for range n {
		p.ids = append(p.ids, store.NewID())
	}
	slices.SortFunc(p.ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	w.rooms = p.ids[:1] // CountRooms, CommunityExists
	svc, err := billing.New(db, billing.Deps{Pricer: p, Rooms: benchRooms{w, n}, Residents: w}, billing.WithBatch(5000),
		billing.WithClock(func() time.Time { return time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC) }))
	if err != nil {
		b.Fatal(err)
	}
	tenant := store.NewID()
	ctx := as(store.NewID())
	b.ResetTimer()
	for i := range b.N {
		per := period("2026-03").Add(-i * 2)
		began := time.Now()
		r, err := svc.RunNow(ctx, tenant, billing.RunIn{CommunityID: w.community, Period: per})
		if err != nil || r.Bills != int64(n) {
			b.Fatalf("run: %+v %v", r, err)
		}
		run := time.Since(began)
		began = time.Now()
		if err := sqlBaseline(ctx, db, tenant, w.community, per.Add(-1), n); err != nil {
			b.Fatal(err)
		}
		base := time.Since(began)
		b.ReportMetric(run.Seconds(), "run-s")
		b.ReportMetric(base.Seconds(), "insert-select-s")
		b.ReportMetric(run.Seconds()/base.Seconds(), "ratio")
		b.ReportMetric(float64(n)/run.Seconds(), "rooms/s")
	}
}

type benchRooms struct {
	*world
	n int
}

func (r benchRooms) CountRooms(context.Context, uuid.UUID, uuid.UUID) (int64, error) {
	return int64(r.n), nil
}

// sqlBaseline bills n rooms of a period in one statement: bills, their one
// line and their charge entry, the amount computed by PostgreSQL.
func sqlBaseline(ctx context.Context, db *store.DB, tenant, community uuid.UUID, per civil.Period, n int) error {
	return db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
		return tx.Exec(`WITH r AS (
			SELECT gen_random_uuid() AS room, gen_random_uuid() AS bill, 5000 + (g::bigint * 137) % 10000 AS area
			FROM generate_series(0, ? - 1) g),
		b AS (INSERT INTO bills (tenant_id, id, room_id, community_id, building_id, period, bill_key, source, amount, currency, issued_on, due_on, status)
			SELECT ?, bill, room, ?, ?, ?, ?, 'run', (area * 250 + 50) / 100, 'CNY', ?, ?, 'issued' FROM r),
		l AS (INSERT INTO bill_lines (tenant_id, id, bill_id, position, item_code, item_name, kind, from_on, to_on, quantity, unit, rate, amount, due_days)
			SELECT ?, gen_random_uuid(), bill, 0, 'property_fee', '物业费', 'area', ?, ?, to_char(area / 100.0, 'FM999990.00'), 'm²', '2.50', (area * 250 + 50) / 100, 15 FROM r)
		INSERT INTO ledger_entries (tenant_id, id, room_id, account, kind, amount, currency, bill_id, booked_on, actor, reason)
			SELECT ?, gen_random_uuid(), room, 'receivable', 'charge', (area * 250 + 50) / 100, 'CNY', bill, ?, 'bench', 'bill' FROM r`,
			n, tenant, community, community, per.String(), "p:"+per.String(), per.Start(), per.Start().AddDays(15),
			tenant, per.Start(), per.End(), tenant, per.Start()).Error
	})
}

// BenchmarkRoomBalance reads the balance of a room with ten years of
// entries (120 bills, payments, late fees and adjustments: 480 entries)
// among 50 other rooms with the same history, on both engines. Target ≤ 5 ms.
func BenchmarkRoomBalance(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			tenant := store.NewID()
			rooms := make([]uuid.UUID, 51)
			for i := range rooms {
				rooms[i] = store.NewID()
			}
			err := db.InTenant(context.Background(), tenant, func(tx *gorm.DB) error {
				var es []billing.Entry
				for _, room := range rooms {
					day := civil.New(2016, 1, 1)
					for m := range 120 {
						d := day.AddMonths(m)
						for _, e := range []struct {
							kind, account string
							amount        int64
						}{{"charge", "receivable", 12500}, {"payment", "receivable", -12500}, {"late_fee", "receivable", 6}, {"prepayment", "prepaid", -100}} {
							es = append(es, billing.Entry{TenantID: tenant, ID: store.NewID(), RoomID: room, Account: e.account, Kind: e.kind,
								Amount: e.amount, Currency: money.CNY, BookedOn: d, Actor: "bench"})
						}
					}
				}
				return tx.CreateInBatches(es, 2000).Error
			})
			if err != nil {
				b.Fatal(err)
			}
			svc, err := billing.New(db, billing.Deps{Pricer: newWorld(0), Rooms: newWorld(0), Residents: newWorld(0)})
			if err != nil {
				b.Fatal(err)
			}
			ctx := store.ReadMostly(context.Background())
			var lat []time.Duration
			b.ResetTimer()
			for i := range b.N {
				began := time.Now()
				bal, err := svc.RoomBalance(ctx, tenant, rooms[i%len(rooms)])
				lat = append(lat, time.Since(began))
				if err != nil || bal.Outstanding != 120*6 || bal.Prepaid != 120*100 {
					b.Fatalf("balance %+v %v", bal, err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
