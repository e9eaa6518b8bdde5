package payment_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// A plugin's order: opened once per key (also when raced), paid through the
// sandbox, confirmed once however often the provider tells, credited to no
// bill, and heard of by the hook once; another plugin cannot read it.
func TestPluginOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		var (
			mu    sync.Mutex
			heard []payment.Order
		)
		w.svc.SetPluginPaidHook(func(_ context.Context, tenant uuid.UUID, o payment.Order) error {
			mu.Lock()
			defer mu.Unlock()
			if tenant != w.tenant {
				t.Errorf("hook for tenant %s", tenant)
			}
			heard = append(heard, o)
			return nil
		})
		in := payment.PluginOrderInput{Plugin: "parking", Reference: "session-1", Key: "parking:session:session-1:1500",
			Subject: "临时停车 浙A12345 2小时", Amount: money.Fen(1500)}
		if _, _, err := w.svc.CreatePluginOrder(ctx, w.tenant, in); code(err) != "no_merchant_account" {
			t.Fatalf("without an account: %v", err)
		}
		m, err := w.svc.CreateMerchant(ctx, w.tenant, payment.MerchantInput{Provider: "sandbox", Name: "沙箱"})
		if err != nil {
			t.Fatal(err)
		}
		// Bad input: refused, nothing written.
		for name, bad := range map[string]payment.PluginOrderInput{
			"no amount":    {Plugin: "parking", Reference: "r", Key: "k", Subject: "s"},
			"negative":     {Plugin: "parking", Reference: "r", Key: "k", Subject: "s", Amount: money.Fen(-1)},
			"no key":       {Plugin: "parking", Reference: "r", Subject: "s", Amount: money.Fen(1)},
			"no reference": {Plugin: "parking", Key: "k", Subject: "s", Amount: money.Fen(1)},
			"bad channel":  {Plugin: "parking", Reference: "r", Key: "k", Subject: "s", Amount: money.Fen(1), Channel: "cash"},
		} {
			if _, _, err := w.svc.CreatePluginOrder(ctx, w.tenant, bad); err == nil {
				t.Errorf("%s accepted", name)
			}
		}
		// Eight calls with one key at once: one order.
		var wg sync.WaitGroup
		ids := make([]uuid.UUID, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, _, err := w.svc.CreatePluginOrder(ctx, w.tenant, in)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = o.ID
			}()
		}
		wg.Wait()
		o, replayed, err := w.svc.CreatePluginOrder(ctx, w.tenant, in)
		if err != nil || !replayed || o.PayURL == "" || o.Plugin != "parking" || o.Reference != "session-1" || o.Amount != 1500 {
			t.Fatalf("replay %+v %v %v", o, replayed, err)
		}
		for _, id := range ids {
			if id != o.ID {
				t.Fatalf("raced calls opened two orders: %v", ids)
			}
		}
		other := in
		other.Amount = money.Fen(2000)
		if _, _, err := w.svc.CreatePluginOrder(ctx, w.tenant, other); code(err) != "idempotency_key_reused" {
			t.Fatalf("key reused for another amount: %v", err)
		}
		if _, err := w.svc.GetPluginOrder(ctx, w.tenant, "events", o.ID); code(err) != "not_found" {
			t.Fatalf("another plugin read it: %v", err)
		}
		if _, err := w.svc.GetPluginOrder(ctx, store.NewID(), "parking", o.ID); code(err) != "not_found" {
			t.Fatalf("another tenant read it: %v", err)
		}
		// Paid through the sandbox, told twice.
		for range 2 {
			if _, err := w.svc.SandboxPay(ctx, m.PublicID, o.OrderNo, ""); err != nil {
				t.Fatal(err)
			}
		}
		got, err := w.svc.GetPluginOrder(ctx, w.tenant, "parking", o.ID)
		if err != nil || got.Status != payment.StatusPaid || got.PaidAt == nil || got.ProviderTxnID == "" {
			t.Fatalf("paid order %+v %v", got, err)
		}
		if w.ledger.creditCount() != 0 {
			t.Fatalf("a plugin's order credited %d bills", w.ledger.creditCount())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(heard) != 1 || heard[0].Reference != "session-1" || heard[0].Amount != 1500 {
			t.Fatalf("hook heard %+v", heard)
		}
		if n := w.auditCount(t, w.tenant, payment.ActionPluginPaid); n != 1 {
			t.Fatalf("audited %d times", n)
		}
	})
}
