package billing_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

func roomBills(t testing.TB, f *fixture, room uuid.UUID) []billing.BillView {
	t.Helper()
	bills, _, err := f.svc.ListBills(as(uuid.Nil), f.tenant, billing.BillFilter{RoomID: &room}, paging.Paging{Limit: 100, Order: "period"})
	if err != nil {
		t.Fatal(err)
	}
	return bills
}

// Counter payments: due-date order, receipts numbered without gaps, bad
// input refused with nothing written.
func TestOfflinePayments(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 3)
			f.bill(t, "2026-03")
			f.bill(t, "2026-04")
			room := f.w.rooms[0]
			bills := roomBills(t, f, room)
			ctx := as(store.NewID())
			m := bills[0].Amount

			// Refused: nothing written, no receipt number used.
			_, err := f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{RoomID: room, Amount: -5, Channel: "cash"})
			wantCode(t, err, "invalid_amount")
			_, err = f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{RoomID: room, Amount: 2*m + 1, Channel: "cash"})
			wantCode(t, err, "amount_exceeds_outstanding")
			_, err = f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{RoomID: room, Amount: 1, Channel: "bitcoin"})
			wantCode(t, err, "invalid_channel")
			_, err = f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{store.NewID()}, Amount: 1, Channel: "cash"})
			if !errors.Is(err, apperr.NotFound) {
				t.Fatalf("unknown bill: %v", err)
			}
			other := roomBills(t, f, f.w.rooms[1])[0]
			_, err = f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{bills[0].ID, other.ID}, Amount: 1, Channel: "cash"})
			wantCode(t, err, "bills_of_several_rooms")

			// Room only: the earlier bill first, then part of the next.
			p1, err := f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{RoomID: room, Amount: m + 100, Channel: "cash", Payer: "张三"})
			if err != nil {
				t.Fatal(err)
			}
			if len(p1.Allocations) != 2 || p1.Allocations[0].BillID != bills[0].ID || p1.Allocations[0].Amount != m || p1.Allocations[1].Amount != 100 {
				t.Fatalf("allocations %+v", p1.Allocations)
			}
			if p1.ReceiptNo != "2026000001" {
				t.Fatalf("first receipt %q", p1.ReceiptNo)
			}
			_, err = f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{bills[0].ID}, Amount: 1, Channel: "pos"})
			wantCode(t, err, "bill_already_paid")
			p2, err := f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{bills[1].ID}, Amount: bills[1].Amount - 100 + 500, Channel: "bank_transfer", Prepay: true})
			if err != nil {
				t.Fatal(err)
			}
			if p2.ReceiptNo != "2026000002" || p2.Prepaid != 500 {
				t.Fatalf("second payment %+v", p2)
			}
			bal, _ := f.svc.RoomBalance(ctx, f.tenant, room)
			if bal.Outstanding != 0 || bal.Prepaid != 500 {
				t.Fatalf("balance %+v", bal)
			}

			// A cancelled bill cannot be paid; a paid one cannot be cancelled.
			ob := roomBills(t, f, f.w.rooms[2])
			if _, err := f.svc.CancelBill(ctx, f.tenant, ob[0].ID, billing.CancelIn{Reason: "重复出账"}); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{ob[0].ID}, Amount: 1, Channel: "cash"})
			wantCode(t, err, "bill_cancelled")
			_, err = f.svc.CancelBill(ctx, f.tenant, bills[0].ID, billing.CancelIn{Reason: "x"})
			wantCode(t, err, "bill_has_payments")

			// Another tenant sees none of it.
			_, err = f.svc.RecordPayment(ctx, store.NewID(), billing.PaymentIn{BillIDs: []uuid.UUID{ob[1].ID}, Amount: 1, Channel: "cash"})
			if !errors.Is(err, apperr.NotFound) {
				t.Fatalf("other tenant paying: %v", err)
			}
			if _, err := f.svc.GetPayment(ctx, store.NewID(), p1.ID); !errors.Is(err, apperr.NotFound) {
				t.Fatalf("other tenant reading a payment: %v", err)
			}
		})
	}
}

// Two payments of the same bill at once on Postgres: the bill row lock makes
// them take turns, so one pays and the other is refused.
func TestConcurrentPaymentsOfOneBill(t *testing.T) {
	f := newFixture(t, store.Postgres, 1)
	f.bill(t, "2026-03")
	b := roomBills(t, f, f.w.rooms[0])[0]
	for round := range 3 {
		if round > 0 {
			f.now = f.now.AddDate(0, round, 0)
			f.bill(t, f.now.Format("2006-01"))
			bs := roomBills(t, f, f.w.rooms[0])
			b = bs[len(bs)-1]
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.svc.RecordPayment(as(store.NewID()), f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{b.ID}, Amount: b.Amount, Channel: "cash"})
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, billing.ErrBillAlreadyPaid):
				refused++
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("round %d: %d paid, %d refused", round, ok, refused)
		}
		v, _ := f.svc.GetBill(as(uuid.Nil), f.tenant, b.ID)
		if v.Outstanding != 0 || v.Paid != b.Amount {
			t.Fatalf("bill after the race %+v", v)
		}
	}
}

// Refunds: a second finance user approves; never more than was paid.
func TestRefunds(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 1)
			f.bill(t, "2026-03")
			b := roomBills(t, f, f.w.rooms[0])[0]
			alice, bob := store.NewID(), store.NewID()
			p, err := f.svc.RecordPayment(as(alice), f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{b.ID}, Amount: b.Amount + 1000, Channel: "cash", Prepay: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.RequestRefund(as(alice), f.tenant, p.ID, billing.RefundIn{Amount: p.Amount + 1, Reason: "多收"})
			wantCode(t, err, "refund_exceeds_payment")
			r, err := f.svc.RequestRefund(as(alice), f.tenant, p.ID, billing.RefundIn{Amount: 1500, Reason: "多收"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.ApproveRefund(as(alice), f.tenant, r.ID)
			wantCode(t, err, "refund_needs_second_person")
			if r, err = f.svc.ApproveRefund(as(bob), f.tenant, r.ID); err != nil || r.Status != billing.RefundApproved {
				t.Fatalf("approve: %+v %v", r, err)
			}
			_, err = f.svc.ApproveRefund(as(bob), f.tenant, r.ID)
			wantCode(t, err, "refund_already_decided")
			// 1,000 came back from prepaid money, 500 from the bill, which owes it again.
			bal, _ := f.svc.RoomBalance(as(bob), f.tenant, f.w.rooms[0])
			if bal.Prepaid != 0 || bal.Outstanding != 500 {
				t.Fatalf("balance after refund %+v", bal)
			}
			_, err = f.svc.RequestRefund(as(alice), f.tenant, p.ID, billing.RefundIn{Amount: p.Amount - 1500 + 1, Reason: "再退"})
			wantCode(t, err, "refund_exceeds_payment")
			// Two requests that fit alone but not together: the second approval is refused.
			r2, _ := f.svc.RequestRefund(as(alice), f.tenant, p.ID, billing.RefundIn{Amount: p.Amount - 1500, Reason: "再退"})
			r3, _ := f.svc.RequestRefund(as(alice), f.tenant, p.ID, billing.RefundIn{Amount: 1, Reason: "再退"})
			if _, err := f.svc.ApproveRefund(as(bob), f.tenant, r2.ID); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.ApproveRefund(as(bob), f.tenant, r3.ID)
			wantCode(t, err, "refund_exceeds_payment")
		})
	}
}

// One-off charges: the same key returns the first bill and writes nothing.
func TestPostChargeIdempotent(t *testing.T) {
	f := newFixture(t, store.SQLite, 1)
	in := billing.ChargeIn{RoomID: f.w.rooms[0], ItemCode: "renovation_deposit", ItemName: "装修押金", Amount: 200000, Reason: "装修", IdempotencyKey: "wo-42", Source: "workorder"}
	a, err := f.svc.PostCharge(as(uuid.Nil), f.tenant, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.PostCharge(as(uuid.Nil), f.tenant, in)
	if err != nil || b.ID != a.ID {
		t.Fatalf("second call: %v %v vs %v", err, b.ID, a.ID)
	}
	bal, _ := f.svc.RoomBalance(as(uuid.Nil), f.tenant, f.w.rooms[0])
	if bal.Outstanding != 200000 {
		t.Fatalf("balance %+v", bal)
	}
	in.Amount, in.IdempotencyKey = -1, "x"
	_, err = f.svc.PostCharge(as(uuid.Nil), f.tenant, in)
	wantCode(t, err, "invalid_amount")
	in.Amount, in.IdempotencyKey = 1, ""
	_, err = f.svc.PostCharge(as(uuid.Nil), f.tenant, in)
	wantCode(t, err, "idempotency_key_required")
}

// With the setting on, a run pays new bills from prepaid money.
func TestAutoPayFromPrepaid(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 2)
			ctx := as(store.NewID())
			if _, err := f.svc.PutSettings(ctx, f.tenant, billing.Settings{AutoPayPrepaid: true}); err != nil {
				t.Fatal(err)
			}
			room := f.w.rooms[0]
			amt := f.w.quote(room, period("2026-03")).Lines[0].Amount
			if _, err := f.svc.RecordPayment(ctx, f.tenant, billing.PaymentIn{RoomID: room, Amount: amt + 700, Channel: "cash", Prepay: true}); err != nil {
				t.Fatal(err)
			}
			f.bill(t, "2026-03")
			bal, _ := f.svc.RoomBalance(ctx, f.tenant, room)
			if bal.Outstanding != 0 || bal.Prepaid != 700 {
				t.Fatalf("after the run %+v", bal)
			}
			f.bill(t, "2026-04")
			bal, _ = f.svc.RoomBalance(ctx, f.tenant, room)
			if bal.Outstanding != amt-700 || bal.Prepaid != 0 {
				t.Fatalf("second month %+v, want %d owed", bal, amt-700)
			}
			other, _ := f.svc.RoomBalance(ctx, f.tenant, f.w.rooms[1])
			if other.Prepaid != 0 || other.Outstanding == 0 {
				t.Fatalf("room without prepaid money %+v", other)
			}
		})
	}
}

// Online credits are idempotent on the provider's transaction and report a
// bill paid meanwhile so the caller can refund.
func TestCreditOnline(t *testing.T) {
	f := newFixture(t, store.Postgres, 1)
	f.bill(t, "2026-03")
	b := roomBills(t, f, f.w.rooms[0])[0]
	ctx := as(uuid.Nil)
	due, err := f.svc.BillsDue(ctx, f.tenant, []uuid.UUID{b.ID})
	if err != nil || due.Amount != b.Amount {
		t.Fatalf("due %+v %v", due, err)
	}
	c := billing.OnlineCredit{BillIDs: []uuid.UUID{b.ID}, Amount: due.Amount, Channel: "sandbox", ProviderTxnID: "T1"}
	p1, err := f.svc.CreditOnline(ctx, f.tenant, c)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := f.svc.CreditOnline(ctx, f.tenant, c)
	if err != nil || p2.ID != p1.ID {
		t.Fatalf("duplicate notification: %v %v", err, p2.ID)
	}
	c.ProviderTxnID = "T2"
	if _, err := f.svc.CreditOnline(ctx, f.tenant, c); !errors.Is(err, billing.ErrBillAlreadyPaid) {
		t.Fatalf("second payer: %v", err)
	}
	if _, err := f.svc.BillsDue(ctx, f.tenant, []uuid.UUID{b.ID}); !errors.Is(err, billing.ErrBillAlreadyPaid) {
		t.Fatalf("due of a paid bill: %v", err)
	}
	// The counter's refund would move no money back through the provider.
	_, err = f.svc.RequestRefund(as(store.NewID()), f.tenant, p1.ID, billing.RefundIn{Amount: 100, Reason: "退差价"})
	wantCode(t, err, "refund_online_payment")
	r, err := f.svc.RefundOnline(ctx, f.tenant, billing.OnlineRefund{PaymentID: p1.ID, Amount: 100, ProviderRefundID: "R1", Reason: "退差价"})
	if err != nil || r.Status != billing.RefundApproved {
		t.Fatalf("online refund %+v %v", r, err)
	}
	if r2, err := f.svc.RefundOnline(ctx, f.tenant, billing.OnlineRefund{PaymentID: p1.ID, Amount: 100, ProviderRefundID: "R1", Reason: "退差价"}); err != nil || r2.ID != r.ID {
		t.Fatalf("repeated online refund %v", err)
	}
	bal, _ := f.svc.RoomBalance(ctx, f.tenant, f.w.rooms[0])
	if bal.Outstanding != 100 {
		t.Fatalf("balance %+v", bal)
	}
}
