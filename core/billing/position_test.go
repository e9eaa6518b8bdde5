package billing

import (
	"testing"

	"github.com/google/uuid"
)

// TestPositionNeverAheadOfACommittedPrefix: with batches committing out of
// order, the saved resume position never passes a batch that has not
// committed, so a killed run never skips rooms.
func TestPositionNeverAheadOfACommittedPrefix(t *testing.T) {
	start := uuid.New()
	p := &position{run: &Run{LastRoomID: &start}}
	var last [3]uuid.UUID
	for _, i := range []int{1, 0, 2} { // writers pick batches up in any order
		last[i] = uuid.New()
		p.add(i, last[i])
	}
	at := func(got *uuid.UUID, want uuid.UUID, what string) {
		t.Helper()
		if got == nil || *got != want {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
	at(p.safe(0), last[0], "first batch, nothing before it")
	at(p.safe(1), start, "second batch while the first is in flight")
	p.done(1, batchCounts{rooms: 5, bills: 4, amount: 100})
	at(p.run.LastRoomID, start, "second committed before the first")
	at(p.safe(2), start, "third batch, first still in flight")
	p.done(0, batchCounts{rooms: 5, bills: 5, amount: 50, skipped: 1})
	at(p.run.LastRoomID, last[1], "first and second committed")
	at(p.safe(2), last[2], "third batch, all before it committed")
	p.done(2, batchCounts{rooms: 2, bills: 2, amount: 7})
	at(p.run.LastRoomID, last[2], "all committed")
	if r := p.run; r.Rooms != 12 || r.Bills != 11 || r.Amount != 157 || r.Exceptions != 1 {
		t.Fatalf("counts %+v", r)
	}
}
