package payment_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkNotification measures a WeChat Pay notification from arrival to
// committed credit: merchant lookup on the platform pool, platform-signature
// check (RSA-2048), AES-256-GCM decryption, the order locked and marked paid
// in the tenant's transaction, the ledger call and the audit entry. The
// ledger is the in-memory one of these tests, so billing's own posting is
// not included. Target p99 ≤ 20 ms (issue 8).
func BenchmarkNotification(b *testing.B) {
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			w := newWorld(b, storetest.Open(b, d))
			w.clock.now = time.Now()
			mk := rsaKey(b)
			apiV3 := []byte("0123456789abcdef0123456789abcdef")
			wx := newFakeWeChat(b, &mk.PublicKey, "1900009191", apiV3)
			m, err := w.svc.CreateMerchant(ctx, w.tenant, payment.MerchantInput{Provider: "wechat", Name: "微信支付", AppID: "wxd678efh567hg6787",
				MchID: "1900009191", MerchantSerial: "444F4864EA9B34415", PlatformSerial: wx.serial, PrivateKey: privPEM(mk),
				ProviderPublicKey: pubPEM(&wx.platform.PublicKey), APIv3Key: string(apiV3), Gateway: wx.srv.URL})
			if err != nil {
				b.Fatal(err)
			}
			type pending struct {
				h    http.Header
				body []byte
			}
			prepare := func() pending {
				o, err := w.svc.CreateOrder(ctx, w.tenant, payment.OrderInput{BillIDs: []uuid.UUID{w.ledger.bill(15000, uuid.Nil)}, Provider: "wechat"}, payment.Payer{})
				if err != nil {
					b.Fatal(err)
				}
				h, body := wx.pay(o.OrderNo, 15000)
				return pending{h, body}
			}
			deliver := func(p pending) time.Duration {
				t0 := time.Now()
				a := notify(w, "wechat", m, p.h, p.body)
				took := time.Since(t0)
				if a.Status != http.StatusNoContent {
					b.Fatalf("notification answered %d %s", a.Status, a.Body)
				}
				return took
			}
			for i := 0; i < 20; i++ { // warm pools and the credentials cache
				deliver(prepare())
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p := prepare()
				b.StartTimer()
				took = append(took, deliver(p))
			}
			b.StopTimer()
			slices.Sort(took)
			pct := func(p int) float64 { return float64(took[(len(took)-1)*p/100].Microseconds()) / 1000 }
			b.ReportMetric(pct(50), "p50-ms")
			b.ReportMetric(pct(99), "p99-ms")
			if credited := w.ledger.creditCount(); credited != b.N+20 {
				b.Fatalf("credited %d of %d", credited, b.N+20)
			}
		})
	}
}
