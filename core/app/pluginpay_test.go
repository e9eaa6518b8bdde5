package app_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// TestPluginPaymentEndToEnd: a plugin opens a payment through the Host
// (the demo's sandbox account), the same key answers the same payment, the
// sandbox pays it (twice), and the plugins hear "payment.received" with the
// plugin and its reference exactly once; another plugin cannot read it.
func TestPluginPaymentEndToEnd(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := testConfig(t, d)
			cfg.PaymentSandbox = "on" // the demo's sandbox account, on PostgreSQL too
			r := startWith(t, cfg)
			op := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
			m, err := demoShort()
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Tenants.Apply(op, m)
			if err != nil {
				t.Fatal(err)
			}
			tid := res.Tenant.ID
			spy := &spyPlugin{tenant: tid}
			r.ConnectPlugins(spy, spy)
			ctx := context.Background()
			hosts := hostsvc.New(r.HostDeps(nil, nil))
			parking := hosts.For(pluginhost.Spec{TenantID: tid, Name: "parking"})
			events := hosts.For(pluginhost.Spec{TenantID: tid, Name: "events"})

			req := &wuyepb.CreatePaymentRequest{AmountFen: 1500, Subject: "临时停车 浙A12345 2小时", Reference: "session-1",
				IdempotencyKey: "parking:session:session-1:1500"}
			p, err := parking.CreatePayment(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if p.PayUrl == "" || p.Status != "created" || p.AmountFen != 1500 || p.Currency != "CNY" || p.Reference != "session-1" {
				t.Fatalf("payment %+v", p)
			}
			again, err := parking.CreatePayment(ctx, req)
			if err != nil || again.Id != p.Id {
				t.Fatalf("replay %+v %v", again, err)
			}
			// The key is the plugin's own: another plugin's same key is another payment.
			if other, err := events.CreatePayment(ctx, req); err != nil || other.Id == p.Id {
				t.Fatalf("events' payment %+v %v", other, err)
			}
			if _, err := events.GetPayment(ctx, &wuyepb.GetPaymentRequest{Id: p.Id}); status.Code(err) != codes.NotFound {
				t.Fatalf("events read parking's payment: %v", err)
			}
			for _, bad := range []*wuyepb.CreatePaymentRequest{
				{AmountFen: 0, Subject: "s", Reference: "r", IdempotencyKey: "k1"},
				{AmountFen: 1, Subject: "s", Reference: "", IdempotencyKey: "k2"},
				{AmountFen: 1, Subject: "s", Reference: "r"},
				{AmountFen: 1, Subject: "s", Reference: "r", IdempotencyKey: "k3", Currency: "XYZ"},
			} {
				if _, err := parking.CreatePayment(ctx, bad); status.Code(err) != codes.InvalidArgument {
					t.Errorf("%+v: %v", bad, err)
				}
			}

			ms, _, err := r.Payments.ListMerchants(ctx, tid, paging.Paging{Limit: 10})
			if err != nil || len(ms) == 0 {
				t.Fatalf("merchants %v %v", ms, err)
			}
			for range 2 {
				if _, err := r.Payments.SandboxPay(ctx, ms[0].PublicID, p.OrderNo, ""); err != nil {
					t.Fatal(err)
				}
			}
			got, err := parking.GetPayment(ctx, &wuyepb.GetPaymentRequest{Id: p.Id})
			if err != nil || got.Status != "paid" || got.PaidAtUnixMs == 0 {
				t.Fatalf("paid %+v %v", got, err)
			}
			ev := spy.find(t, app.EventPaymentReceived, func(e map[string]any) bool { return e["reference"] == "session-1" })
			if ev["plugin"] != "parking" || ev["payment_id"] != p.Id || ev["amount_fen"] != 1500.0 || ev["currency"] != "CNY" {
				t.Fatalf("payment.received %v", ev)
			}
			time.Sleep(500 * time.Millisecond) // a second delivery would have arrived by now
			n := 0
			for _, e := range spy.wait(t, app.EventPaymentReceived, 1) {
				if e["reference"] == "session-1" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("payment.received %d times", n)
			}
		})
	}
}
