package paymentapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/httpapi/httpapitest"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/payment/paymentapi"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// ledger owes a fixed amount per bill of its resident and counts credits.
type ledger struct {
	mu      sync.Mutex
	owner   map[uuid.UUID]uuid.UUID
	credits map[string]bool
}

func (l *ledger) Due(_ context.Context, _ uuid.UUID, q payment.DueQuery) (money.Money, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range q.BillIDs {
		if o, ok := l.owner[b]; !ok || (q.ResidentUser != uuid.Nil && o != q.ResidentUser) {
			return money.Money{}, payment.ErrNoBills
		}
	}
	return money.Fen(int64(len(q.BillIDs)) * 15000), nil
}

func (l *ledger) CreditOnline(_ context.Context, _ uuid.UUID, c payment.Credit) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.credits[c.TxnID] = true
	return "p-" + c.TxnID, nil
}

func (l *ledger) RefundOnline(context.Context, uuid.UUID, payment.RefundRecord) error { return nil }

type api struct {
	t *testing.T
	h http.Handler
}

func (a api) call(token, method, path string, body any, hdr ...string) (int, map[string]any, string) {
	a.t.Helper()
	var rd io.Reader
	if b, ok := body.([]byte); ok {
		rd = bytes.NewReader(b)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, req)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out, w.Body.String()
}

func TestResidentPaysOnTheSandbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tenant, resident, other := store.NewID(), store.NewID(), store.NewID()
		bill := store.NewID()
		l := &ledger{owner: map[uuid.UUID]uuid.UUID{bill: resident}, credits: map[string]bool{}}
		k, idx := make([]byte, 32), make([]byte, 32)
		_, _ = rand.Read(k)
		_, _ = rand.Read(idx)
		keys, _ := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
		svc, err := payment.New(db, payment.Deps{Ledger: l, Audit: audit.NewLog(db), Keys: keys}, payment.Options{Sandbox: true})
		if err != nil {
			t.Fatal(err)
		}
		auth := httpapitest.TokenActors{
			"admin": {Kind: actor.User, ID: store.NewID(), Name: "admin", TenantID: tenant},
			"res":   {Kind: actor.User, ID: resident, Name: "业主", TenantID: tenant},
			"other": {Kind: actor.User, ID: other, Name: "邻居", TenantID: tenant},
		}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth, Authz: httpapitest.AllowAll{}, Routes: paymentapi.Routes(svc)})
		a := api{t, srv.Handler()}

		st, m, raw := a.call("admin", "POST", "/api/v1/payments/merchants", map[string]any{"provider": "sandbox", "name": "沙箱", "sandbox_key": "a-secret-of-the-sandbox"})
		if st != 201 || m["sandbox_key"] != "********" || strings.Contains(raw, "a-secret-of-the-sandbox") {
			t.Fatalf("merchant: %d %s", st, raw)
		}
		publicID := m["public_id"].(string)

		body := map[string]any{"bill_ids": []string{bill.String()}, "channel": "h5"}
		st, o, raw := a.call("res", "POST", "/api/v1/me/payments", body, "Idempotency-Key", "pay-1")
		if st != 201 || o["amount"] != float64(15000) || o["status"] != "created" {
			t.Fatalf("order: %d %s", st, raw)
		}
		if st, again, _ := a.call("res", "POST", "/api/v1/me/payments", body, "Idempotency-Key", "pay-1"); st != 201 || again["id"] != o["id"] {
			t.Fatalf("replay: %d %v", st, again)
		}
		if st, _, raw := a.call("other", "POST", "/api/v1/me/payments", body); st != 400 {
			t.Fatalf("a neighbour pays my bill: %d %s", st, raw)
		}
		payURL := o["pay_url"].(string)
		if !strings.HasPrefix(payURL, "/api/v1/payments/sandbox/"+publicID+"/") {
			t.Fatalf("pay url %q", payURL)
		}
		if st, _, page := a.call("", "GET", payURL, nil); st != 200 || !strings.Contains(page, o["order_no"].(string)) || !strings.Contains(page, "¥150.00") {
			t.Fatalf("sandbox page: %d %s", st, page)
		}
		// A forged notification on the public endpoint: refused, nothing credited.
		forged := []byte(`{"merchant":"` + publicID + `","order_no":"` + o["order_no"].(string) + `","txn_id":"x","amount":15000,"currency":"CNY","status":"paid"}`)
		if st, _, _ := a.call("", "POST", "/api/v1/payments/notify/sandbox/"+publicID, forged, payment.SandboxSignatureHeader, "00"); st != 400 || len(l.credits) != 0 {
			t.Fatalf("forged notification: %d, credits %d", st, len(l.credits))
		}
		if st, _, page := a.call("", "POST", payURL+"/pay", nil); st != 200 || !strings.Contains(page, "支付成功") {
			t.Fatalf("pay: %d %s", st, page)
		}
		id := o["id"].(string)
		if st, got, _ := a.call("res", "GET", "/api/v1/me/payments/"+id, nil); st != 200 || got["status"] != "paid" || len(l.credits) != 1 {
			t.Fatalf("poll: %d %v", st, got)
		}
		if st, _, _ := a.call("other", "GET", "/api/v1/me/payments/"+id, nil); st != 404 {
			t.Fatalf("a neighbour polls my order: %d", st)
		}
		if st, list, _ := a.call("admin", "GET", "/api/v1/payments/orders?status=paid", nil); st != 200 || list["total"] != float64(1) {
			t.Fatalf("list: %d %v", st, list)
		}
	})
}
