package billing_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Adjustments and write-offs are new entries naming who and why; the
// balance is their sum and nothing is edited.
func TestAdjustAndWriteOff(t *testing.T) {
	f := newFixture(t, store.SQLite, 1)
	f.bill(t, "2026-03")
	room := f.w.rooms[0]
	b := roomBills(t, f, room)[0]
	boss := store.NewID()
	ctx := as(boss)
	_, err := f.svc.Adjust(ctx, f.tenant, billing.AdjustIn{RoomID: room, Amount: 100})
	wantCode(t, err, "reason_required")
	_, err = f.svc.Adjust(ctx, f.tenant, billing.AdjustIn{RoomID: room, Amount: 0, Reason: "x"})
	wantCode(t, err, "invalid_amount")
	_, err = f.svc.Adjust(ctx, f.tenant, billing.AdjustIn{RoomID: room, BillID: &b.ID, Amount: -b.Amount - 1, Reason: "x"})
	wantCode(t, err, "write_off_exceeds_outstanding")
	e, err := f.svc.Adjust(ctx, f.tenant, billing.AdjustIn{RoomID: room, BillID: &b.ID, Amount: -500, Reason: "面积核减"})
	if err != nil || e.Kind != "adjustment" || e.Reason != "面积核减" || e.Actor == "" {
		t.Fatalf("adjustment %+v %v", e, err)
	}
	_, err = f.svc.WriteOff(ctx, f.tenant, b.ID, billing.WriteOffIn{Amount: b.Amount, Reason: "x"})
	wantCode(t, err, "write_off_exceeds_outstanding")
	if _, err := f.svc.WriteOff(ctx, f.tenant, b.ID, billing.WriteOffIn{Reason: "无法收回"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.WriteOff(ctx, f.tenant, b.ID, billing.WriteOffIn{Reason: "again"})
	wantCode(t, err, "bill_already_paid")
	bal, _ := f.svc.RoomBalance(ctx, f.tenant, room)
	if bal.Outstanding != 0 {
		t.Fatalf("balance %+v", bal)
	}
	es, n, err := f.svc.Entries(ctx, f.tenant, room, billing.EntryFilter{}, paging.Paging{Limit: 10})
	if err != nil || n != 3 || es[0].Kind != "charge" || es[1].Kind != "adjustment" || es[2].Kind != "write_off" || es[2].Amount != -(b.Amount-500) {
		t.Fatalf("entries %+v %d %v", es, n, err)
	}
	if _, _, err := f.svc.Entries(ctx, f.tenant, store.NewID(), billing.EntryFilter{}, paging.Paging{Limit: 10}); err == nil {
		t.Fatal("ledger of an unknown room")
	}
	_ = uuid.Nil
}
