package fee

import (
	"slices"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/civil"
)

// piece is a stretch of days with the same occupancy: whether anyone lives
// in the room and how many households.
type piece struct {
	from, to   civil.Date
	occupied   bool
	households int
}

// stay reports whether r covers day d: from move-in up to the day before
// move-out (the move-out day is the room's first empty day).
func stay(r Residence, d civil.Date) bool {
	return !d.Before(r.MoveIn) && (r.MoveOut.IsZero() || d.Before(r.MoveOut))
}

// timeline cuts [from, to] where the room's occupancy changes. A room with
// no residence records at all is judged by its status.
func timeline(room Room, res []Residence, from, to civil.Date) []piece {
	if len(res) == 0 {
		busy := room.Status == "occupied" || room.Status == "renovating"
		n := 0
		if busy {
			n = 1
		}
		return []piece{{from, to, busy, n}}
	}
	cuts := []civil.Date{from}
	for _, r := range res {
		for _, d := range []civil.Date{r.MoveIn, r.MoveOut} {
			if !d.IsZero() && d.After(from) && !d.After(to) {
				cuts = append(cuts, d)
			}
		}
	}
	slices.SortFunc(cuts, civil.Date.Compare)
	cuts = slices.Compact(cuts)
	var out []piece
	for i, a := range cuts {
		b := to
		if i+1 < len(cuts) {
			b = cuts[i+1].AddDays(-1)
		}
		homes := map[uuid.UUID]bool{}
		for _, r := range res {
			if stay(r, a) {
				homes[r.HouseholdID] = true
			}
		}
		p := piece{a, b, len(homes) > 0, len(homes)}
		if n := len(out); n > 0 && out[n-1].occupied == p.occupied && out[n-1].households == p.households {
			out[n-1].to = b
			continue
		}
		out = append(out, p)
	}
	return out
}

// hasOwner reports whether an owner lives in (or holds) the room at some
// point of [from, to].
func hasOwner(res []Residence, from, to civil.Date) bool {
	for _, r := range res {
		if r.Owner && !r.MoveIn.After(to) && (r.MoveOut.IsZero() || r.MoveOut.After(from)) {
			return true
		}
	}
	return false
}
