package app

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// The guarantees of online payment against billing's real ledger (on the
// billing build tag until core/billing is merged): two payers of one bill
// at once → one credited, the other refunded; a notification delivered
// twice credits once; a resident pays only bills of their own room.

type oneRoom struct{ room, community uuid.UUID }

func (r oneRoom) RoomPlace(_ context.Context, _, room uuid.UUID) (billing.RoomPlace, error) {
	return billing.RoomPlace{CommunityID: r.community, BuildingID: r.community, Name: "1栋101"}, nil
}
func (r oneRoom) CommunityExists(context.Context, uuid.UUID, uuid.UUID) (bool, error) {
	return true, nil
}
func (r oneRoom) CountRooms(context.Context, uuid.UUID, uuid.UUID) (int64, error) { return 1, nil }
func (r oneRoom) MyRoomIDs(context.Context, uuid.UUID, uuid.UUID) ([]uuid.UUID, error) {
	return []uuid.UUID{r.room}, nil
}
func (r oneRoom) RoomHolder(context.Context, uuid.UUID, uuid.UUID) (uuid.UUID, string, bool, error) {
	return uuid.Nil, "", false, nil
}
func (r oneRoom) Quote(context.Context, uuid.UUID, uuid.UUID, civil.Period) (fee.RoomQuote, error) {
	return fee.RoomQuote{}, nil
}
func (r oneRoom) PrepayPercent(context.Context, uuid.UUID, uuid.UUID, int) (string, error) {
	return "0", nil
}
func (r oneRoom) QuoteCommunity(context.Context, uuid.UUID, uuid.UUID, civil.Period, uuid.UUID, int, func([]fee.RoomQuote) error) error {
	return nil
}

// residentOf says resident lives in room.
type residentOf struct{ resident, room uuid.UUID }

func (r residentOf) MyRooms(_ context.Context, _, user uuid.UUID) ([]resident.MyRoom, error) {
	if user != r.resident {
		return []resident.MyRoom{}, nil
	}
	return []resident.MyRoom{{RoomID: r.room}}, nil
}

func TestOnlinePaymentsOnBillingsLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tenant, room, owner := store.NewID(), store.NewID(), store.NewID()
		rooms := oneRoom{room: room, community: store.NewID()}
		bill, err := billing.New(db, billing.Deps{Pricer: rooms, Rooms: rooms, Residents: rooms})
		if err != nil {
			t.Fatal(err)
		}
		k, idx := make([]byte, 32), make([]byte, 32)
		idx[0] = 1
		keys, err := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
		if err != nil {
			t.Fatal(err)
		}
		pay, err := payment.New(db, payment.Deps{Ledger: billingLedger{bill, residentOf{owner, room}}, Audit: audit.NewLog(db), Keys: keys},
			payment.Options{Sandbox: true})
		if err != nil {
			t.Fatal(err)
		}
		m, err := pay.CreateMerchant(ctx, tenant, payment.MerchantInput{Provider: "sandbox", Name: "沙箱"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := bill.PostCharge(ctx, tenant, billing.ChargeIn{RoomID: room, ItemCode: "property_fee", Amount: 26800, IdempotencyKey: "b1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pay.CreateOrder(ctx, tenant, payment.OrderInput{BillIDs: []uuid.UUID{b.ID}}, payment.Payer{UserID: store.NewID(), Resident: true}); err == nil {
			t.Fatal("a stranger opened an order for the bill")
		}
		var orders []payment.Order
		for i := 0; i < 2; i++ {
			o, err := pay.CreateOrder(ctx, tenant, payment.OrderInput{BillIDs: []uuid.UUID{b.ID}}, payment.Payer{UserID: owner, Resident: true})
			if err != nil || o.Amount != 26800 {
				t.Fatalf("order %+v %v", o, err)
			}
			orders = append(orders, o)
		}
		var wg sync.WaitGroup
		for _, o := range orders {
			wg.Add(1)
			go func(o payment.Order) {
				defer wg.Done()
				if _, err := pay.SandboxPay(ctx, m.PublicID, o.OrderNo, ""); err != nil {
					t.Error(err)
				}
			}(o)
		}
		wg.Wait()
		got := map[string]int{}
		for _, o := range orders {
			v, _ := pay.GetOrder(ctx, tenant, o.ID)
			got[v.Status]++
		}
		if got[payment.StatusPaid] != 1 || got[payment.StatusRefunded] != 1 {
			t.Fatalf("statuses %v", got)
		}
		v, err := bill.GetBill(ctx, tenant, b.ID)
		if err != nil || v.Outstanding != 0 || v.Paid != 26800 {
			t.Fatalf("bill %+v %v", v, err)
		}
		// The paid order's credit again (a notification delivered twice reaches
		// the ledger at most this way): the same payment, nothing more booked.
		l := billingLedger{bill, residentOf{owner, room}}
		for _, o := range orders {
			o, _ = pay.GetOrder(ctx, tenant, o.ID)
			if o.Status != payment.StatusPaid {
				continue
			}
			ref, err := l.CreditOnline(ctx, tenant, payment.Credit{OrderID: o.ID, OrderNo: o.OrderNo, Provider: o.Provider, TxnID: o.ProviderTxnID,
				BillIDs: []uuid.UUID{b.ID}, Amount: o.Money(), PaidAt: time.Now()})
			if err != nil || ref != o.LedgerRef {
				t.Fatalf("second credit: %q %v, want %q", ref, err, o.LedgerRef)
			}
		}
		if v2, _ := bill.GetBill(ctx, tenant, b.ID); v2.Paid != 26800 {
			t.Fatalf("paid %d after a repeated notification", v2.Paid)
		}
	})
}

// BenchmarkNotificationOnBilling is BenchmarkNotification (core/payment)
// with billing's real ledger: a sandbox notification verified, the order
// locked, the bill locked and paid in the ledger, all in one transaction.
func BenchmarkNotificationOnBilling(b *testing.B) {
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d)
			tenant, room := store.NewID(), store.NewID()
			rooms := oneRoom{room: room, community: store.NewID()}
			bill, err := billing.New(db, billing.Deps{Pricer: rooms, Rooms: rooms, Residents: rooms})
			if err != nil {
				b.Fatal(err)
			}
			k, idx := make([]byte, 32), make([]byte, 32)
			idx[0] = 1
			keys, _ := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
			pay, err := payment.New(db, payment.Deps{Ledger: billingLedger{bill, residentOf{}}, Audit: audit.NewLog(db), Keys: keys}, payment.Options{Sandbox: true})
			if err != nil {
				b.Fatal(err)
			}
			key := "bench-sandbox-key-0123456789abcdef"
			m, err := pay.CreateMerchant(ctx, tenant, payment.MerchantInput{Provider: "sandbox", Name: "沙箱", SandboxKey: key})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			prepare := func() payment.Inbound {
				n++
				bv, err := bill.PostCharge(ctx, tenant, billing.ChargeIn{RoomID: room, ItemCode: "property_fee", Amount: 15000, IdempotencyKey: "b" + strconv.Itoa(n)})
				if err != nil {
					b.Fatal(err)
				}
				o, err := pay.CreateOrder(ctx, tenant, payment.OrderInput{BillIDs: []uuid.UUID{bv.ID}}, payment.Payer{})
				if err != nil {
					b.Fatal(err)
				}
				body := []byte(`{"merchant":"` + m.PublicID + `","order_no":"` + o.OrderNo + `","txn_id":"T` + o.OrderNo + `","amount":15000,"currency":"CNY","status":"paid"}`)
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				h := http.Header{payment.SandboxTimestampHeader: {ts}, payment.SandboxSignatureHeader: {payment.SandboxSign([]byte(key), ts, body)}}
				return payment.Inbound{Provider: "sandbox", Merchant: m.PublicID, Header: h, Body: body}
			}
			deliver := func(in payment.Inbound) time.Duration {
				t0 := time.Now()
				a := pay.Notify(ctx, in)
				took := time.Since(t0)
				if a.Status != http.StatusOK {
					b.Fatalf("answered %d %s", a.Status, a.Body)
				}
				return took
			}
			for i := 0; i < 20; i++ {
				deliver(prepare())
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				in := prepare()
				b.StartTimer()
				took = append(took, deliver(in))
			}
			b.StopTimer()
			slices.Sort(took)
			pct := func(p int) float64 { return float64(took[(len(took)-1)*p/100].Microseconds()) / 1000 }
			b.ReportMetric(pct(50), "p50-ms")
			b.ReportMetric(pct(99), "p99-ms")
		})
	}
}
