package billing_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/store"
)

func TestAmountInWords(t *testing.T) {
	cases := map[int64]string{
		0: "零元整", 100: "壹元整", 12345: "壹佰贰拾叁元肆角伍分", 10: "壹角", 5: "伍分", 105: "壹元零伍分",
		100000: "壹仟元整", 1000100: "壹万零壹元整", 10000000: "壹拾万元整", 1234567890: "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角",
		10000000000: "壹亿元整", 100000000000: "壹拾亿元整", 10000000100: "壹亿零壹元整", 10010000: "壹拾万零壹佰元整", 20000500: "贰拾万零伍元整",
	}
	for fen, want := range cases {
		if got := billing.AmountInWords(fen); got != want {
			t.Errorf("%d: %s, want %s", fen, got, want)
		}
	}
}

// Receipt numbers run on without gaps in receipt order, and the printed
// receipt names the amount in words.
func TestReceipt(t *testing.T) {
	f := newFixture(t, store.SQLite, 1)
	f.bill(t, "2026-03")
	b := roomBills(t, f, f.w.rooms[0])[0]
	p, err := f.svc.RecordPayment(as(store.NewID()), f.tenant, billing.PaymentIn{BillIDs: []uuid.UUID{b.ID}, Amount: b.Amount, Channel: "cash", Payer: "李四"})
	if err != nil {
		t.Fatal(err)
	}
	html, err := f.svc.ReceiptHTML(as(uuid.Nil), f.tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A5", p.ReceiptNo, billing.AmountInWords(b.Amount), "李四", "现金", "物业费", "2026-03"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("receipt lacks %q", want)
		}
	}
}
