package billing_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// The monthly schedule starts one run per listed community and month.
func TestStartDueRuns(t *testing.T) {
	f := newFixture(t, store.SQLite, 3)
	ctx := as(uuid.Nil)
	if n, err := f.svc.StartDueRuns(ctx, f.tenant); err != nil || n != 0 {
		t.Fatalf("nothing listed: %d %v", n, err)
	}
	if _, err := f.svc.PutSettings(ctx, f.tenant, billing.Settings{AutoRunCommunities: []uuid.UUID{store.NewID()}}); err == nil {
		t.Fatal("an unknown community was accepted")
	}
	set, err := f.svc.PutSettings(ctx, f.tenant, billing.Settings{AutoRunCommunities: []uuid.UUID{f.w.community}})
	if err != nil || len(set.AutoRunCommunities) != 1 {
		t.Fatalf("settings %+v %v", set, err)
	}
	for want := range []int{1, 0} {
		n, err := f.svc.StartDueRuns(ctx, f.tenant)
		if err != nil || n != 1-want {
			t.Fatalf("call %d started %d (%v)", want+1, n, err)
		}
	}
	runs, total, _ := f.svc.ListRuns(ctx, f.tenant, paging.Paging{Limit: 10})
	if total != 1 || runs[0].Period != "2026-03" || runs[0].Status != "queued" || runs[0].JobID == nil {
		t.Fatalf("runs %+v", runs)
	}
}

// A resident sees the bills of their own rooms only.
func TestMyBills(t *testing.T) {
	f := newFixture(t, store.SQLite, 3)
	f.bill(t, "2026-03")
	ctx := as(uuid.Nil)
	if bills, n, err := f.svc.MyBills(ctx, f.tenant, store.NewID(), paging.Paging{Limit: 10}); err != nil || n != 0 || bills == nil {
		t.Fatalf("no rooms: %v %d %v", bills, n, err)
	}
	f.w.mine = []uuid.UUID{f.w.rooms[1]}
	bills, n, err := f.svc.MyBills(ctx, f.tenant, store.NewID(), paging.Paging{Limit: 10})
	if err != nil || n != 1 || bills[0].RoomID != f.w.rooms[1] || len(bills[0].Lines) != 1 {
		t.Fatalf("my bills %+v %d %v", bills, n, err)
	}
}
