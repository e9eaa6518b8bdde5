package payment_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// ledger is an in-memory stand-in for billing's ledger with its rules: a
// bill is paid once; a credit is idempotent on (provider, txn).
type ledger struct {
	mu      sync.Mutex
	due     map[uuid.UUID]int64     // bill → amount owed (fen)
	owner   map[uuid.UUID]uuid.UUID // bill → the resident user whose room it is
	paidBy  map[uuid.UUID]string    // bill → txn that paid it
	credits map[string]payment.Credit
	refunds []payment.RefundRecord
	// hold, when set, is closed by a credit and waited on before it returns,
	// so two credits are in flight at once.
	hold chan struct{}
}

func newLedger() *ledger {
	return &ledger{due: map[uuid.UUID]int64{}, owner: map[uuid.UUID]uuid.UUID{}, paidBy: map[uuid.UUID]string{}, credits: map[string]payment.Credit{}}
}

func (l *ledger) bill(fen int64, owner uuid.UUID) uuid.UUID {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := store.NewID()
	l.due[id], l.owner[id] = fen, owner
	return id
}

var errUnknownBill = apperr.New(apperr.KindNotFound, "unknown_bill", "no such bill", "无此账单")

func (l *ledger) Due(_ context.Context, _ uuid.UUID, q payment.DueQuery) (money.Money, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var sum int64
	for _, b := range q.BillIDs {
		d, ok := l.due[b]
		if !ok || (q.ResidentUser != uuid.Nil && l.owner[b] != q.ResidentUser) {
			return money.Money{}, errUnknownBill
		}
		if l.paidBy[b] != "" {
			return money.Money{}, payment.ErrAlreadyPaid
		}
		sum += d
	}
	return money.Fen(sum), nil
}

func (l *ledger) CreditOnline(_ context.Context, _ uuid.UUID, c payment.Credit) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := c.Provider + "/" + c.TxnID
	if _, ok := l.credits[key]; ok {
		return "pay-" + key, nil
	}
	for _, b := range c.BillIDs {
		if l.paidBy[b] != "" {
			return "", payment.ErrAlreadyPaid
		}
	}
	for _, b := range c.BillIDs {
		l.paidBy[b] = c.TxnID
	}
	l.credits[key] = c
	return "pay-" + key, nil
}

func (l *ledger) RefundOnline(_ context.Context, _ uuid.UUID, r payment.RefundRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refunds = append(l.refunds, r)
	return nil
}

func (l *ledger) creditCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.credits)
}

// world is a payment service on a real database with an in-memory ledger.
type world struct {
	db     *store.DB
	svc    *payment.Service
	ledger *ledger
	audit  *audit.Log
	tenant uuid.UUID
	clock  *clock
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func keyring(t testing.TB) *pii.Keyring {
	k := make([]byte, 32)
	idx := make([]byte, 32)
	_, _ = rand.Read(k)
	_, _ = rand.Read(idx)
	kr, err := pii.NewKeyring(map[string][]byte{"t1": k}, "t1", idx)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newWorld(t testing.TB, db *store.DB) *world {
	w := &world{db: db, ledger: newLedger(), audit: audit.NewLog(db), tenant: store.NewID(), clock: &clock{now: time.Now()}}
	var err error
	w.svc, err = payment.New(db, payment.Deps{Ledger: w.ledger, Audit: w.audit, Keys: keyring(t)},
		payment.Options{PublicURL: "https://wuye.test", Sandbox: true, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// alipayMerchant configures an Alipay account of tenant against a fake gateway.
func (w *world) alipayMerchant(t testing.TB, tenant uuid.UUID, appID string) (payment.Merchant, *fakeAlipay) {
	t.Helper()
	app := rsaKey(t)
	fake := newFakeAlipay(t, &app.PublicKey, appID)
	m, err := w.svc.CreateMerchant(context.Background(), tenant, payment.MerchantInput{Provider: "alipay", Name: "支付宝当面付",
		AppID: appID, PrivateKey: privPEM(app), ProviderPublicKey: pubPEM(&fake.key.PublicKey), Gateway: fake.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return m, fake
}

func (w *world) auditCount(t testing.TB, tenant uuid.UUID, action string) int {
	t.Helper()
	_, n, err := w.audit.List(context.Background(), tenant, audit.Filter{ActionPrefix: action}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func notify(w *world, provider string, m payment.Merchant, h http.Header, body []byte) payment.Answer {
	if h == nil {
		h = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	}
	return w.svc.Notify(context.Background(), payment.Inbound{Provider: provider, Merchant: m.PublicID, Header: h, Body: body, IP: "203.0.113.9"})
}

func TestAlipayNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		m, ali := w.alipayMerchant(t, w.tenant, "2021000117600001")
		bill := w.ledger.bill(12345, uuid.Nil)
		o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{bill}}, payment.Payer{Name: "前台"})
		if err != nil {
			t.Fatal(err)
		}
		if o.Amount != 12345 || o.Status != payment.StatusCreated || o.PayURL != "https://qr.alipay.test/"+o.OrderNo {
			t.Fatalf("order %+v", o)
		}

		// A forged notification (signed with a key that is not Alipay's) is refused and audited.
		forged := alipayNotice("2021000117600001", o.OrderNo, "2026X", "123.45", rsaKey(t))
		if a := notify(w, "alipay", m, nil, forged); string(a.Body) != "failure" {
			t.Fatalf("forged: %s", a.Body)
		}
		// The genuine one with a wrong amount: refused, audited.
		if a := notify(w, "alipay", m, nil, alipayNotice("2021000117600001", o.OrderNo, "2026Y", "1.00", ali.key)); string(a.Body) != "failure" {
			t.Fatalf("wrong amount: %s", a.Body)
		}
		if w.ledger.creditCount() != 0 || w.auditCount(t, w.tenant, payment.ActionNotifyRejected) != 2 {
			t.Fatalf("credits %d, rejections audited %d", w.ledger.creditCount(), w.auditCount(t, w.tenant, payment.ActionNotifyRejected))
		}

		// Paid: credited once, however often Alipay delivers it.
		good := ali.pay(o.OrderNo, "123.45", ali.key)
		for i := 0; i < 3; i++ {
			if a := notify(w, "alipay", m, nil, good); string(a.Body) != "success" {
				t.Fatalf("delivery %d: %s", i, a.Body)
			}
		}
		if w.ledger.creditCount() != 1 {
			t.Fatalf("credited %d times", w.ledger.creditCount())
		}
		got, _ := w.svc.GetOrder(ctx, w.tenant, o.ID)
		if got.Status != payment.StatusPaid || got.ProviderTxnID == "" || got.PaidAt == nil {
			t.Fatalf("order after payment %+v", got)
		}
		if w.auditCount(t, w.tenant, payment.ActionCredited) != 1 {
			t.Fatal("the credit is not audited once")
		}
	})
}

func TestAnotherMerchantsNotification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		other := store.NewID()
		mA, _ := w.alipayMerchant(t, w.tenant, "2021000000000001")
		mB, aliB := w.alipayMerchant(t, other, "2021000000000002")
		bill := w.ledger.bill(500, uuid.Nil)
		oB, err := w.svc.CreateOrder(ctx, other, payment.OrderInput{BillIDs: []uuid.UUID{bill}}, payment.Payer{})
		if err != nil {
			t.Fatal(err)
		}
		// B's genuine notification posted to A's notify URL: A's key does not verify it.
		body := aliB.pay(oB.OrderNo, "5.00", aliB.key)
		if a := notify(w, "alipay", mA, nil, body); string(a.Body) != "failure" {
			t.Fatalf("cross-merchant: %s", a.Body)
		}
		// Tenant A's order number in a notification genuinely signed for B: unknown to B.
		billA := w.ledger.bill(700, uuid.Nil)
		oA, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{billA}}, payment.Payer{})
		if err != nil {
			t.Fatal(err)
		}
		if a := notify(w, "alipay", mB, nil, alipayNotice("2021000000000002", oA.OrderNo, "2026Z", "7.00", aliB.key)); string(a.Body) != "failure" {
			t.Fatalf("A's order via B: %s", a.Body)
		}
		// An unknown merchant id in the URL: refused, audited as a platform event.
		if a := w.svc.Notify(ctx, payment.Inbound{Provider: "alipay", Merchant: "nosuchmerchant", Body: body}); string(a.Body) != "failure" {
			t.Fatalf("unknown merchant: %s", a.Body)
		}
		if w.ledger.creditCount() != 0 {
			t.Fatal("something was credited")
		}
		if n := w.auditCount(t, w.tenant, payment.ActionNotifyRejected); n != 1 {
			t.Fatalf("A audited %d rejections, want 1", n)
		}
		if n := w.auditCount(t, other, payment.ActionNotifyRejected); n != 1 {
			t.Fatalf("B audited %d rejections, want 1", n)
		}
		// B's notification on B's URL credits B's order, in B's tenant.
		if a := notify(w, "alipay", mB, nil, body); string(a.Body) != "success" {
			t.Fatalf("B's own: %s", a.Body)
		}
		if got, _ := w.svc.GetOrder(ctx, other, oB.ID); got.Status != payment.StatusPaid {
			t.Fatalf("B's order %s", got.Status)
		}
		if _, err := w.svc.GetOrder(ctx, w.tenant, oB.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("B's order seen from A: %v", err)
		}
	})
}

func TestWeChatPayFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.clock.now = time.Now()
		mk := rsaKey(t)
		apiV3 := []byte("0123456789abcdef0123456789abcdef")
		wx := newFakeWeChat(t, &mk.PublicKey, "1900009191", apiV3)
		m, err := w.svc.CreateMerchant(ctx, w.tenant, payment.MerchantInput{Provider: "wechat", Name: "微信支付", AppID: "wxd678efh567hg6787",
			MchID: "1900009191", MerchantSerial: "444F4864EA9B34415", PlatformSerial: wx.serial, PrivateKey: privPEM(mk),
			ProviderPublicKey: pubPEM(&wx.platform.PublicKey), APIv3Key: string(apiV3), Gateway: wx.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if m.APIv3Key != "********" || m.PrivateKey != "********" || strings.Contains(m.NotifyURL, "wuye.test/api/v1/payments/notify/wechat/") == false {
			t.Fatalf("merchant view %+v", m)
		}
		bill := w.ledger.bill(8800, uuid.Nil)
		o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{bill}, Provider: "wechat"}, payment.Payer{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(o.PayURL, "weixin://wxpay/bizpayurl?pr=") {
			t.Fatalf("pay url %q", o.PayURL)
		}
		h5, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{bill}, Provider: "wechat", Channel: "h5"}, payment.Payer{ClientIP: "203.0.113.7"})
		if err != nil || !strings.Contains(h5.PayURL, "h5?prepay=") {
			t.Fatalf("h5 order %v %q", err, h5.PayURL)
		}

		// Sealed with another APIv3 key: the signature holds but decryption fails.
		h, body := wx.notice(o.OrderNo, "4200X", 8800, []byte("ffffffffffffffffffffffffffffffff"), wx.platform)
		if a := notify(w, "wechat", m, h, body); a.Status != http.StatusBadRequest {
			t.Fatalf("bad key: %d %s", a.Status, a.Body)
		}
		// Signed by someone else: refused.
		h, body = wx.notice(o.OrderNo, "4200Y", 8800, apiV3, rsaKey(t))
		if a := notify(w, "wechat", m, h, body); a.Status != http.StatusBadRequest {
			t.Fatalf("bad signature: %d", a.Status)
		}
		h, body = wx.pay(o.OrderNo, 8800)
		for i := 0; i < 2; i++ {
			if a := notify(w, "wechat", m, h, body); a.Status != http.StatusNoContent {
				t.Fatalf("delivery %d: %d %s", i, a.Status, a.Body)
			}
		}
		if w.ledger.creditCount() != 1 || w.auditCount(t, w.tenant, payment.ActionNotifyRejected) != 2 {
			t.Fatalf("credits %d", w.ledger.creditCount())
		}

		// A refund needs a second finance user's approval; then it goes to WeChat and into the ledger.
		alice, bob := payment.Approver{ID: store.NewID(), Name: "finance1"}, payment.Approver{ID: store.NewID(), Name: "finance2"}
		r, err := w.svc.RequestRefund(ctx, w.tenant, o.ID, payment.RefundInput{Amount: money.Fen(800), Reason: "多收"}, alice)
		if err != nil || r.Status != payment.RefundRequested || wx.refunds(o.OrderNo) != 0 {
			t.Fatalf("request %+v %v", r, err)
		}
		if _, err := w.svc.ApproveRefund(ctx, w.tenant, r.ID, alice); code(err) != "refund_same_approver" {
			t.Fatalf("self-approval: %v", err)
		}
		r, err = w.svc.ApproveRefund(ctx, w.tenant, r.ID, bob)
		if err != nil || r.Status != payment.RefundSucceeded || wx.refunds(o.OrderNo) != 1 || len(w.ledger.refunds) != 1 {
			t.Fatalf("refund %+v %v; at provider %d", r, err, wx.refunds(o.OrderNo))
		}
		if lr := w.ledger.refunds[0]; lr.LedgerRef == "" || lr.Amount != money.Fen(800) || lr.By != "finance2" || lr.RefundNo != r.RefundNo {
			t.Fatalf("ledger refund %+v", lr)
		}
		if _, err := w.svc.ApproveRefund(ctx, w.tenant, r.ID, bob); code(err) != "refund_decided" {
			t.Fatalf("approved twice: %v", err)
		}
		if _, err := w.svc.RequestRefund(ctx, w.tenant, o.ID, payment.RefundInput{Amount: money.Fen(8001), Reason: "x"}, alice); code(err) != "refund_too_large" {
			t.Fatalf("too large: %v", err)
		}
		if _, err := w.svc.RequestRefund(ctx, w.tenant, h5.ID, payment.RefundInput{Amount: money.Fen(1), Reason: "x"}, alice); code(err) != "order_not_paid" {
			t.Fatalf("unpaid: %v", err)
		}
		if _, err := w.svc.RequestRefund(ctx, w.tenant, o.ID, payment.RefundInput{Amount: money.Fen(1)}, alice); code(err) != "refund_reason_required" {
			t.Fatalf("no reason: %v", err)
		}
	})
}

func TestDecryptWeChatResource(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	f := &fakeWeChat{mchID: "1900009191", platform: rsaKey(t)}
	_, body := f.notice("WY1", "4200", 100, key, f.platform)
	s := string(body)
	ct := s[strings.Index(s, `"ciphertext":"`)+14:]
	ct = ct[:strings.Index(ct, `"`)]
	plain, err := payment.DecryptWeChatResource(key, "fdasflkja484", "transaction", ct)
	if err != nil || !strings.Contains(string(plain), `"out_trade_no":"WY1"`) {
		t.Fatalf("decrypt: %v %s", err, plain)
	}
	if _, err := payment.DecryptWeChatResource(key, "fdasflkja484", "refund", ct); err == nil {
		t.Fatal("other associated data decrypted")
	}
	if _, err := payment.DecryptWeChatResource(key[:16], "fdasflkja484", "transaction", ct); err == nil {
		t.Fatal("a short key was accepted")
	}
}

var pagingAll = paging.Paging{Limit: 100}

func nilAudit(db *store.DB) *audit.Log { return audit.NewLog(db) }
