package billing_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Aging, collection rate and income from a few months of bills and payments.
func TestArrearsReports(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 2)
			f.now = f.now.AddDate(0, -6, 0) // 2025-09-10
			for range 7 {
				f.bill(t, f.now.Format("2006-01"))
				f.now = f.now.AddDate(0, 1, 0)
			}
			f.now = f.now.AddDate(0, -1, 0) // back to 2026-03-10
			ctx := as(store.NewID())
			// Room 0 pays everything; room 1 nothing.
			r0, r1 := f.w.rooms[0], f.w.rooms[1]
			bal, _ := f.svc.RoomBalance(ctx, f.tenant, r0)
			p, err := f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{RoomID: r0, Amount: bal.Outstanding, Channel: "bank_transfer"})
			if err != nil {
				t.Fatal(err)
			}
			asOf := civil.New(2026, 3, 10)
			rows, err := f.svc.Aging(ctx, f.tenant, asOf, "room")
			if err != nil {
				t.Fatal(err)
			}
			m := f.w.quote(r1, period("2026-03")).Lines[0].Amount
			// Due on the 16th: 2026-03 not due, 02 ≤30 days, 01 and 12 31–90, 11..09 91–180 (09-16 is 175 days).
			if len(rows) != 1 || rows[0].Key != r1 || rows[0].NotDue != m || rows[0].D0To30 != m || rows[0].D31To90 != 2*m || rows[0].D91To80 != 3*m || rows[0].Total != 7*m {
				t.Fatalf("aging %+v (month %d)", rows, m)
			}
			// Whom to remind: room 1, overdue since 2025-09-16 by six bills (March's is not due yet).
			over, err := f.svc.Overdue(ctx, f.tenant, asOf)
			if err != nil || len(over) != 1 || over[0].RoomID != r1 || over[0].Amount != 6*m || over[0].OldestDue != civil.New(2025, 9, 16) {
				t.Fatalf("overdue %+v %v", over, err)
			}
			// Narrowed: by building (the room's name comes with it), by bucket, by another community.
			inB, err := f.svc.AgingOf(ctx, f.tenant, asOf, billing.AgingFilter{GroupBy: "room", BuildingID: f.w.building, Bucket: "d91_180"})
			if err != nil || len(inB) != 1 || inB[0].Key != r1 || inB[0].Name != "阳光花园 1栋 1单元 101" || inB[0].Total != 7*m {
				t.Fatalf("aging of the building, 91–180 %+v %v", inB, err)
			}
			if none, err := f.svc.AgingOf(ctx, f.tenant, asOf, billing.AgingFilter{GroupBy: "room", Bucket: "over_180"}); err != nil || len(none) != 0 {
				t.Fatalf("aging over 180 %+v %v", none, err)
			}
			if none, err := f.svc.AgingOf(ctx, f.tenant, asOf, billing.AgingFilter{GroupBy: "room", CommunityID: store.NewID()}); err != nil || len(none) != 0 {
				t.Fatalf("aging of another community %+v %v", none, err)
			}
			_, err = f.svc.AgingOf(ctx, f.tenant, asOf, billing.AgingFilter{GroupBy: "room", Bucket: "old"})
			wantCode(t, err, "invalid_bucket")
			if _, err := f.svc.Aging(ctx, f.tenant, asOf, "planet"); err == nil {
				t.Fatal("bad group_by accepted")
			}
			byRes, _ := f.svc.Aging(ctx, f.tenant, asOf, "resident")
			if len(byRes) != 1 || byRes[0].Name == "" {
				t.Fatalf("by resident %+v", byRes)
			}
			rates, err := f.svc.CollectionRate(ctx, f.tenant, period("2025-09"), period("2026-03"))
			if err != nil {
				t.Fatal(err)
			}
			m0 := f.w.quote(r0, period("2026-03")).Lines[0].Amount
			if len(rates) != 7 || rates[0].Billed != m0+m || rates[0].Paid != m0 || rates[0].Bills != 2 || rates[0].BillsPaid != 1 {
				t.Fatalf("rates %+v", rates)
			}
			if want := (m0*20000/(m0+m) + 1) / 2; rates[6].RateBP != want {
				t.Fatalf("rate %d, want %d", rates[6].RateBP, want)
			}
			inc, err := f.svc.Income(ctx, f.tenant, period("2026-03"), period("2026-03"))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, r := range inc {
				got[r.By+":"+r.Key] = r.Amount
			}
			if got["channel:bank_transfer"] != p.Amount || got["item:property_fee"] != p.Amount {
				t.Fatalf("income %+v, want %d", inc, p.Amount)
			}
			_, err = f.svc.CollectionRate(ctx, f.tenant, period("2026-03"), period("2025-03"))
			wantCode(t, err, "invalid_period_range")
			_ = uuid.Nil
		})
	}
}
