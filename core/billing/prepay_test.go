package billing_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/store"
)

// halfUpPercent is pct % of amt fen, rounded half-up to the fen.
func halfUpPercent(amt, pct int64) int64 { return (amt*pct + 50) / 100 }

// Prepayment: 12 months at 5 %, exact to the fen per line, issued as the
// run's own period bills (so a later run bills nothing new for the room),
// paid by one payment with a receipt; 6 months → 2 %; 3 → none; bad input
// refused with nothing written.
func TestPrepay(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 3)
			ctx := as(store.NewID())
			room := f.w.rooms[1]
			amt := f.w.quote(room, period("2026-03")).Lines[0].Amount // 12843 fen

			q, err := f.svc.PrepayQuote(ctx, f.tenant, room, 12)
			if err != nil {
				t.Fatal(err)
			}
			if q.From.String() != "2026-03" || q.To.String() != "2027-02" || len(q.Periods) != 12 {
				t.Fatalf("quote span %s..%s, %d periods", q.From, q.To, len(q.Periods))
			}
			off := halfUpPercent(amt, 5) // 642.15 → 642
			if off != 642 {
				t.Fatalf("5 %% of %d = %d", amt, off)
			}
			for _, pp := range q.Periods {
				if len(pp.Lines) != 2 || pp.Lines[1].Amount != -off || pp.Lines[1].Detail != "预缴 12 个月优惠 5%" || pp.Discount != off {
					t.Fatalf("period %s lines %+v", pp.Period, pp.Lines)
				}
			}
			if q.Gross != 12*amt || q.Discount != 12*off || q.Total != 12*(amt-off) {
				t.Fatalf("totals %d %d %d", q.Gross, q.Discount, q.Total)
			}

			got, err := f.svc.Prepay(ctx, f.tenant, billing.PrepayIn{RoomID: room, Months: 12, Channel: "cash", Payer: "李四"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Payment.Amount != q.Total || got.Payment.ReceiptNo == "" || len(got.Payment.Allocations) != 12 || len(got.Bills) != 12 {
				t.Fatalf("prepayment %+v", got.Payment)
			}
			bills := roomBills(t, f, room)
			if len(bills) != 12 {
				t.Fatalf("%d bills", len(bills))
			}
			for _, b := range bills {
				if b.Source != "prepay" || b.Outstanding != 0 || b.Paid != amt-off {
					t.Fatalf("bill %s: source %s outstanding %d paid %d", b.Period, b.Source, b.Outstanding, b.Paid)
				}
			}
			bal, err := f.svc.RoomBalance(ctx, f.tenant, room)
			if err != nil {
				t.Fatal(err)
			}
			if bal.Outstanding != 0 || bal.Prepaid != 0 {
				t.Fatalf("balance %+v", bal)
			}

			other := f.w.rooms[0]
			q6, err := f.svc.PrepayQuote(ctx, f.tenant, other, 6)
			a0 := f.w.quote(other, period("2026-03")).Lines[0].Amount // 12500 fen
			if err != nil || q6.Discount != 6*halfUpPercent(a0, 2) || q6.Periods[0].Lines[1].Detail != "预缴 6 个月优惠 2%" {
				t.Fatalf("6 months: %+v %v", q6, err)
			}
			q3, err := f.svc.PrepayQuote(ctx, f.tenant, other, 3)
			if err != nil || q3.Discount != 0 || q3.Total != 3*a0 || len(q3.Periods[0].Lines) != 1 {
				t.Fatalf("3 months: %+v %v", q3, err)
			}

			// Refused, nothing written.
			for _, m := range []int{0, -1, 37} {
				_, err := f.svc.PrepayQuote(ctx, f.tenant, other, m)
				wantCode(t, err, "invalid_months")
			}
			_, err = f.svc.Prepay(ctx, f.tenant, billing.PrepayIn{RoomID: other, Months: 6, Channel: "bitcoin"})
			wantCode(t, err, "invalid_channel")
			_, err = f.svc.Prepay(ctx, f.tenant, billing.PrepayIn{RoomID: store.NewID(), Months: 6, Channel: "cash"})
			if !errors.Is(err, apperr.NotFound) {
				t.Fatalf("unknown room: %v", err)
			}
			f.w.blocked[period("2026-03")] = true
			_, err = f.svc.Prepay(ctx, f.tenant, billing.PrepayIn{RoomID: other, Months: 1, Channel: "cash"})
			wantCode(t, err, "prepay_not_priceable")
			delete(f.w.blocked, period("2026-03"))
			if n := len(roomBills(t, f, other)); n != 0 {
				t.Fatalf("refused prepayments wrote %d bills", n)
			}
			// A run of a prepaid period bills the other rooms only; a
			// prepayment over a billed month is refused.
			if r := f.bill(t, "2026-04"); r.Bills != 2 {
				t.Fatalf("run billed %d", r.Bills)
			}
			if n := len(roomBills(t, f, room)); n != 12 {
				t.Fatalf("after the run the room has %d bills", n)
			}
			// Usage (metered, shared) is not prepaid: the run bills it alone.
			f.w.water = true
			_, err = f.svc.RunNow(ctx, f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period("2026-04")})
			if err != nil {
				t.Fatal(err)
			}
			bs := roomBills(t, f, room)
			i := slices.IndexFunc(bs, func(b billing.BillView) bool { return b.Source == "run" })
			if len(bs) != 13 || i < 0 || bs[i].Period != "2026-04" || bs[i].Amount != 3000 {
				t.Fatalf("usage bill after prepayment: %d bills, run's at %d", len(bs), i)
			}
			if ub, err := f.svc.GetBill(ctx, f.tenant, bs[i].ID); err != nil || len(ub.Lines) != 1 || ub.Lines[0].ItemCode != "water" {
				t.Fatalf("usage bill lines %+v: %v", ub.Lines, err)
			}
			f.w.water = false

			// The next prepayment starts after the prepaid months, as far as allowed.
			if _, err := f.svc.PrepayQuote(ctx, f.tenant, room, 1); !errors.Is(err, billing.ErrPrepayTooFar) {
				t.Fatalf("beyond next month + months: %v", err)
			}
			q2, err := f.svc.PrepayQuote(ctx, f.tenant, room, 12)
			if err != nil || q2.From.String() != "2027-03" {
				t.Fatalf("next prepayment from %s: %v", q2.From, err)
			}

			_, err = f.svc.PrepayQuote(ctx, f.tenant, other, 6)
			wantCode(t, err, "prepay_period_billed")
		})
	}
}
