package billing_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

func countBills(t testing.TB, f *fixture, p string) (n int64, sum int64) {
	t.Helper()
	bills, total, err := f.svc.ListBills(as(uuid.Nil), f.tenant, billing.BillFilter{Period: p}, paging.Paging{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bills {
		sum += b.Amount
		if b.Outstanding != b.Amount {
			t.Fatalf("bill %s outstanding %d, amount %d", b.ID, b.Outstanding, b.Amount)
		}
	}
	return total, sum
}

func expected(f *fixture, p string) (sum int64) {
	for _, r := range f.w.rooms {
		sum += f.w.quote(r, period(p)).Lines[0].Amount
	}
	return sum
}

// A run bills every room once; running it again creates nothing; a run
// killed after its first batch resumes after the last room it committed.
func TestRunOnceAndResume(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 25)
			pv, err := f.svc.PreviewRun(as(uuid.Nil), f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period("2026-03")})
			if err != nil {
				t.Fatal(err)
			}
			if pv.Bills != 25 || pv.Amount != expected(f, "2026-03") {
				t.Fatalf("preview %+v, want 25 bills of %d", pv, expected(f, "2026-03"))
			}
			if n, _ := countBills(t, f, "2026-03"); n != 0 {
				t.Fatalf("a dry run wrote %d bills", n)
			}
			r := f.bill(t, "2026-03")
			if r.Status != "done" || r.Bills != 25 {
				t.Fatalf("run %+v", r)
			}
			n, sum := countBills(t, f, "2026-03")
			if n != 25 || sum != expected(f, "2026-03") {
				t.Fatalf("%d bills of %d, want 25 of %d", n, sum, expected(f, "2026-03"))
			}
			// The list's filters by building and fee item.
			for _, c := range []struct {
				f    billing.BillFilter
				want int64
			}{
				{billing.BillFilter{Period: "2026-03", BuildingID: &f.w.building}, 25},
				{billing.BillFilter{Period: "2026-03", ItemID: &f.w.item}, 25},
				{billing.BillFilter{Period: "2026-03", BuildingID: &f.w.community}, 0},
				{billing.BillFilter{Period: "2026-03", ItemID: &f.w.community}, 0},
			} {
				if _, n, err := f.svc.ListBills(as(uuid.Nil), f.tenant, c.f, paging.Paging{Limit: 1}); err != nil || n != c.want {
					t.Fatalf("filter %+v: %d bills (%v), want %d", c.f, n, err, c.want)
				}
			}
			if r := f.bill(t, "2026-03"); r.Bills != 0 {
				t.Fatalf("re-run billed %d", r.Bills)
			}
			if n, _ := countBills(t, f, "2026-03"); n != 25 {
				t.Fatalf("after re-run %d bills", n)
			}

			// Killed after the first batch of 10 rooms.
			f.w.failAfter = 1
			ctx := as(store.NewID())
			run, err := f.svc.StartRun(ctx, f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period("2026-04")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.ExecuteRun(ctx, f.tenant, run.ID, nil); err == nil {
				t.Fatal("the killed run reported no error")
			}
			run, _ = f.svc.GetRun(ctx, f.tenant, run.ID)
			if run.Status != "failed" || run.Rooms != 10 || run.LastRoomID == nil || *run.LastRoomID != f.w.rooms[9] {
				t.Fatalf("killed run %+v", run)
			}
			f.w.failAfter = 0
			// Started again (a new job), the failed run keeps its position.
			again, err := f.svc.StartRun(ctx, f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period("2026-04")})
			if err != nil || again.ID != run.ID || again.LastRoomID == nil || *again.LastRoomID != f.w.rooms[9] {
				t.Fatalf("restart %+v %v", again, err)
			}
			if run, err = f.svc.ExecuteRun(ctx, f.tenant, run.ID, nil); err != nil {
				t.Fatal(err)
			}
			if run.Bills != 25 || run.Rooms != 25 {
				t.Fatalf("resumed run %+v", run)
			}
			if n, sum := countBills(t, f, "2026-04"); n != 25 || sum != expected(f, "2026-04") {
				t.Fatalf("after resume %d bills of %d", n, sum)
			}
			bal, err := f.svc.RoomBalance(ctx, f.tenant, f.w.rooms[0])
			if err != nil {
				t.Fatal(err)
			}
			want := f.w.quote(f.w.rooms[0], period("2026-03")).Lines[0].Amount * 2
			if bal.Outstanding != want || bal.Prepaid != 0 {
				t.Fatalf("balance %+v, want %d", bal, want)
			}
		})
	}
}

// A period beyond next month is not open.
func TestPeriodNotOpen(t *testing.T) {
	f := newFixture(t, store.SQLite, 1)
	_, err := f.svc.StartRun(as(uuid.Nil), f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period("2026-05")})
	wantCode(t, err, "period_not_open")
	if _, err := f.svc.PreviewRun(as(uuid.Nil), f.tenant, billing.RunIn{CommunityID: f.w.community, Period: period("2026-04")}); err != nil {
		t.Fatalf("next month: %v", err)
	}
	_, err = f.svc.StartRun(as(uuid.Nil), f.tenant, billing.RunIn{CommunityID: store.NewID(), Period: period("2026-03")})
	wantCode(t, err, "unknown_community")
}
