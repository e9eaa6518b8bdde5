package billing_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Late fees: none within the grace days, one entry per bill and day however
// often the job runs, 0.05 % a day of what is owed, never above the 10 % cap.
func TestLateFees(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d, 1)
			f.bill(t, "2026-03") // due 2026-03-16, grace 5 days
			room := f.w.rooms[0]
			amt := f.w.quote(room, period("2026-03")).Lines[0].Amount // 12500 fen
			ctx := as(uuid.Nil)
			day := civil.New(2026, 3, 21)
			if n, err := f.svc.AccrueLateFees(ctx, f.tenant, day); err != nil || n != 0 {
				t.Fatalf("within grace: %d %v", n, err)
			}
			day = day.AddDays(1)
			for range 2 {
				if _, err := f.svc.AccrueLateFees(ctx, f.tenant, day); err != nil {
					t.Fatal(err)
				}
			}
			bal, _ := f.svc.RoomBalance(ctx, f.tenant, room)
			daily := (amt*5 + 5000) / 10000 // 0.05 % half-up: 12500 × 0.0005 = 6.25 → 6
			if bal.Outstanding != amt+daily {
				t.Fatalf("after one day %d, want %d", bal.Outstanding, amt+daily)
			}
			for i := range 400 {
				if _, err := f.svc.AccrueLateFees(ctx, f.tenant, day.AddDays(i+1)); err != nil {
					t.Fatal(err)
				}
			}
			bal, _ = f.svc.RoomBalance(ctx, f.tenant, room)
			if bal.Outstanding != amt+amt/10 {
				t.Fatalf("capped at %d, want %d", bal.Outstanding-amt, amt/10)
			}
		})
	}
}
