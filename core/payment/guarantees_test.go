package payment_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// Two payers pay the same bill at once: one payment is credited, the other
// refunded at the provider automatically and recorded.
func TestConcurrentPaymentsOfOneBill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, ali := w.alipayMerchant(t, w.tenant, "2021000117600001")
		bill := w.ledger.bill(3000, uuid.Nil)
		var orders []payment.Order
		for i := 0; i < 2; i++ {
			o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{bill}}, payment.Payer{})
			if err != nil {
				t.Fatal(err)
			}
			orders = append(orders, o)
		}
		bodies := [][]byte{ali.pay(orders[0].OrderNo, "30.00", ali.key), ali.pay(orders[1].OrderNo, "30.00", ali.key)}
		var wg sync.WaitGroup
		answers := make([]string, 2)
		for i := range bodies {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				answers[i] = string(notify(w, "alipay", m, nil, bodies[i]).Body)
			}(i)
		}
		wg.Wait()
		if answers[0] != "success" || answers[1] != "success" {
			t.Fatalf("answers %v", answers)
		}
		if w.ledger.creditCount() != 1 {
			t.Fatalf("credited %d", w.ledger.creditCount())
		}
		statuses := map[string]int{}
		refundedAtProvider := 0
		for _, o := range orders {
			got, _ := w.svc.GetOrder(ctx, w.tenant, o.ID)
			statuses[got.Status]++
			refundedAtProvider += ali.refunds(o.OrderNo)
			if got.Status == payment.StatusRefunded {
				rs, _ := w.svc.Refunds(ctx, w.tenant, o.ID)
				if len(rs) != 1 || !rs[0].Automatic || rs[0].Status != payment.RefundSucceeded || rs[0].Amount != 3000 {
					t.Fatalf("refund record %+v", rs)
				}
			}
		}
		if statuses[payment.StatusPaid] != 1 || statuses[payment.StatusRefunded] != 1 || refundedAtProvider != 1 {
			t.Fatalf("statuses %v, refunds at the provider %d", statuses, refundedAtProvider)
		}
		if len(w.ledger.refunds) != 0 {
			t.Fatal("an automatic refund reached the ledger, which never credited it")
		}
		if w.auditCount(t, w.tenant, payment.ActionAutoRefund) != 1 {
			t.Fatal("the automatic refund is not audited")
		}
	})
}

// The provider confirmed a payment but the notification never became a
// ledger entry (a crash, a lost delivery): the query job credits it. An
// order nobody paid is closed once it expired.
func TestQueryJobRepairs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		_, ali := w.alipayMerchant(t, w.tenant, "2021000117600001")
		paid, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{w.ledger.bill(4200, uuid.Nil)}}, payment.Payer{})
		if err != nil {
			t.Fatal(err)
		}
		unpaid, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{w.ledger.bill(100, uuid.Nil)}}, payment.Payer{})
		if err != nil {
			t.Fatal(err)
		}
		ali.pay(paid.OrderNo, "42.00", ali.key) // the notification is lost

		// Too early: the job leaves recent orders alone.
		if rep, err := w.svc.Repair(ctx); err != nil || rep.Checked != 0 {
			t.Fatalf("early run %+v %v", rep, err)
		}
		// Orders' created_at is the database's clock; move the service's past it.
		w.clock.Add(6 * time.Minute)
		rep, err := w.svc.Repair(ctx)
		if err != nil || rep.Credited != 1 || rep.Closed != 0 {
			t.Fatalf("run %+v %v", rep, err)
		}
		if w.ledger.creditCount() != 1 {
			t.Fatal("not credited")
		}
		w.clock.Add(15 * time.Minute) // past the unpaid order's expiry
		if rep, err = w.svc.Repair(ctx); err != nil || rep.Closed != 1 || rep.Credited != 0 {
			t.Fatalf("second run %+v %v", rep, err)
		}
		gotPaid, _ := w.svc.GetOrder(ctx, w.tenant, paid.ID)
		gotUnpaid, _ := w.svc.GetOrder(ctx, w.tenant, unpaid.ID)
		if gotPaid.Status != payment.StatusPaid || gotUnpaid.Status != payment.StatusClosed || !ali.trades[unpaid.OrderNo].closed {
			t.Fatalf("statuses %s %s", gotPaid.Status, gotUnpaid.Status)
		}
		// The late notification of the repaired order credits nothing more.
		m, _, _ := w.svc.ListMerchants(ctx, w.tenant, pagingAll)
		if a := notify(w, "alipay", m[0], nil, alipayNotice("2021000117600001", paid.OrderNo, gotPaid.ProviderTxnID, "42.00", ali.key)); string(a.Body) != "success" || w.ledger.creditCount() != 1 {
			t.Fatalf("late notification: %s, credits %d", a.Body, w.ledger.creditCount())
		}
	})
}

func TestSandboxPaysEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, err := w.svc.CreateMerchant(ctx, w.tenant, payment.MerchantInput{Provider: "sandbox", Name: "沙箱"})
		if err != nil {
			t.Fatal(err)
		}
		resident := store.NewID()
		mine := w.ledger.bill(9900, resident)
		notMine := w.ledger.bill(100, store.NewID())
		if _, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{notMine}}, payment.Payer{UserID: resident, Resident: true}); code(err) != "unknown_bill" {
			t.Fatalf("another's bill: %v", err)
		}
		o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{mine}, Channel: "h5"}, payment.Payer{UserID: resident, Resident: true})
		if err != nil {
			t.Fatal(err)
		}
		want := "https://wuye.test/api/v1/payments/sandbox/" + m.PublicID + "/" + o.OrderNo
		if o.PayURL != want {
			t.Fatalf("pay url %q, want %q", o.PayURL, want)
		}
		page, err := w.svc.SandboxPay(ctx, m.PublicID, o.OrderNo, "127.0.0.1")
		if err != nil || page.Status != payment.StatusPaid {
			t.Fatalf("sandbox pay %+v %v", page, err)
		}
		if got, err := w.svc.MyOrder(ctx, w.tenant, resident, o.ID); err != nil || got.Status != payment.StatusPaid {
			t.Fatalf("resident polls %+v %v", got, err)
		}
		if _, err := w.svc.MyOrder(ctx, w.tenant, store.NewID(), o.ID); code(err) != "not_found" {
			t.Fatalf("someone else's order: %v", err)
		}
		// A notification signed with a wrong sandbox key is refused.
		body := []byte(fmt.Sprintf(`{"merchant":%q,"order_no":%q,"txn_id":"x","amount":9900,"currency":"CNY","status":"paid"}`, m.PublicID, o.OrderNo))
		h := http.Header{payment.SandboxTimestampHeader: {"1"}, payment.SandboxSignatureHeader: {payment.SandboxSign([]byte("not the key at all"), "1", body)}}
		if a := notify(w, "sandbox", m, h, body); a.Status != http.StatusBadRequest {
			t.Fatalf("forged sandbox notification: %d", a.Status)
		}
		if w.ledger.creditCount() != 1 {
			t.Fatalf("credits %d", w.ledger.creditCount())
		}
	})
}

func TestSandboxRefusedInProduction(t *testing.T) {
	db := storetest.SQLite(t)
	svc, err := payment.New(db, payment.Deps{Ledger: newLedger(), Audit: nilAudit(db), Keys: keyring(t)}, payment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateMerchant(context.Background(), store.NewID(), payment.MerchantInput{Provider: "sandbox", Name: "x"}); code(err) != "sandbox_disabled" {
		t.Fatalf("sandbox without the option: %v", err)
	}
}

// Secrets are stored sealed, never in clear, and the API shows them masked.
func TestMerchantSecretsEncrypted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		key := rsaKey(t)
		pemKey := privPEM(key)
		m, err := w.svc.CreateMerchant(ctx, w.tenant, payment.MerchantInput{Provider: "alipay", Name: "a", AppID: "1", PrivateKey: pemKey, ProviderPublicKey: pubPEM(&key.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		var stored struct{ PrivateKeyEnc string }
		err = db.InTenant(ctx, w.tenant, func(tx *gorm.DB) error {
			return tx.Raw("SELECT private_key_enc FROM payment_merchants WHERE tenant_id = ? AND id = ?", w.tenant, m.ID).Scan(&stored).Error
		})
		if err != nil || stored.PrivateKeyEnc == "" || strings.Contains(stored.PrivateKeyEnc, "PRIVATE KEY") {
			t.Fatalf("stored %q %v", stored.PrivateKeyEnc, err)
		}
		if m.PrivateKey != "********" {
			t.Fatalf("answered %q", m.PrivateKey)
		}
		// An update without the secret keeps it; a broken key is refused whole.
		if _, err := w.svc.UpdateMerchant(ctx, w.tenant, m.ID, payment.MerchantInput{Name: "b", AppID: "1", ProviderPublicKey: pubPEM(&key.PublicKey)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.UpdateMerchant(ctx, w.tenant, m.ID, payment.MerchantInput{Name: "c", AppID: "1", PrivateKey: "garbage", ProviderPublicKey: pubPEM(&key.PublicKey)}); code(err) != "invalid_merchant_account" {
			t.Fatalf("broken key: %v", err)
		}
		if got, _ := w.svc.GetMerchant(ctx, w.tenant, m.ID); got.Name != "b" {
			t.Fatalf("half-written update: %q", got.Name)
		}
		if _, err := w.svc.GetMerchant(ctx, store.NewID(), m.ID); code(err) != "not_found" {
			t.Fatalf("another tenant: %v", err)
		}
	})
}

func TestReconcile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, err := w.svc.CreateMerchant(ctx, w.tenant, payment.MerchantInput{Provider: "sandbox", Name: "沙箱"})
		if err != nil {
			t.Fatal(err)
		}
		var paid []payment.Order
		for _, fen := range []int64{1000, 2000, 3000} {
			o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{w.ledger.bill(fen, uuid.Nil)}}, payment.Payer{})
			if err != nil {
				t.Fatal(err)
			}
			if o, err = payOrder(w, m, o); err != nil {
				t.Fatal(err)
			}
			paid = append(paid, o)
		}
		// The statement: the first matches, the second differs, the third is
		// absent (extra here) and one payment we never recorded (missing).
		csv := "order_no,txn_id,type,amount,refund_no\n" +
			paid[0].OrderNo + "," + paid[0].ProviderTxnID + ",payment,10.00,\n" +
			paid[1].OrderNo + "," + paid[1].ProviderTxnID + ",payment,20.01,\n" +
			"WY-NOT-OURS,SBX999,payment,5.00,\n" +
			"total,,,35.01,\n"
		day := civil.On(time.Now(), time.FixedZone("CST", 8*3600))
		r, err := w.svc.Reconcile(ctx, w.tenant, payment.ReconcileInput{MerchantID: m.ID, Date: day, File: []byte(csv), By: "finance"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, d := range r.Diffs {
			got[d.Kind] = d.OrderNo
		}
		if r.RowCount != 3 || r.Matched != 1 || r.DiffCount != 3 || got["missing"] != "WY-NOT-OURS" || got["amount_differs"] != paid[1].OrderNo || got["extra"] != paid[2].OrderNo {
			t.Fatalf("reconciliation %+v", r)
		}
		stored, err := w.svc.GetReconciliation(ctx, w.tenant, r.ID)
		if err != nil || len(stored.Diffs) != 3 {
			t.Fatalf("stored %+v %v", stored, err)
		}
		if _, err := w.svc.Reconcile(ctx, w.tenant, payment.ReconcileInput{MerchantID: m.ID, Date: day, Format: "wechat", File: []byte(csv)}); code(err) != "invalid_statement" {
			t.Fatalf("wrong format: %v", err)
		}
	})
}

func payOrder(w *world, m payment.Merchant, o payment.Order) (payment.Order, error) {
	ctx := context.Background()
	if _, err := w.svc.SandboxPay(ctx, m.PublicID, o.OrderNo, ""); err != nil {
		return o, err
	}
	return w.svc.GetOrder(ctx, w.tenant, o.ID)
}

// A refund the provider could not take stays pending and the query job
// sends it again; the provider takes it once.
func TestRefundRetriedByQueryJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, ali := w.alipayMerchant(t, w.tenant, "2021000117600001")
		bill := w.ledger.bill(500, uuid.Nil)
		var orders []payment.Order
		for i := 0; i < 2; i++ {
			o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{bill}}, payment.Payer{})
			if err != nil {
				t.Fatal(err)
			}
			orders = append(orders, o)
		}
		ali.mu.Lock()
		ali.down = 1
		ali.mu.Unlock()
		for _, o := range orders {
			if a := notify(w, "alipay", m, nil, ali.pay(o.OrderNo, "5.00", ali.key)); string(a.Body) != "success" {
				t.Fatalf("%s: %s", o.OrderNo, a.Body)
			}
		}
		rs, _ := w.svc.Refunds(ctx, w.tenant, orders[1].ID)
		if len(rs) != 1 || rs[0].Status != payment.RefundPending || rs[0].Attempts != 1 || rs[0].Error == "" {
			t.Fatalf("after a refused refund: %+v", rs)
		}
		rep, err := w.svc.Repair(ctx)
		if err != nil || rep.Refunds != 1 {
			t.Fatalf("repair %+v %v", rep, err)
		}
		rs, _ = w.svc.Refunds(ctx, w.tenant, orders[1].ID)
		if rs[0].Status != payment.RefundSucceeded || ali.refunds(orders[1].OrderNo) != 1 {
			t.Fatalf("after the query job: %+v, at the provider %d", rs[0], ali.refunds(orders[1].OrderNo))
		}
		if rep, _ := w.svc.Repair(ctx); rep.Refunds != 0 || ali.refunds(orders[1].OrderNo) != 1 {
			t.Fatalf("sent again: %+v", rep)
		}
	})
}
