package fee

import (
	"math"
	"math/big"
	"testing"

	"github.com/wuye-project/wuye/core/decimal"
)

// The int64 fast path and the big path round alike, at every mode.
func TestExactRounding(t *testing.T) {
	cases := []struct{ n, d int64 }{{5, 2}, {7, 2}, {1, 3}, {2, 3}, {0, 7}, {10, 5}, {15, 10}, {25, 10}, {math.MaxInt64 - 1, math.MaxInt64}}
	for _, c := range cases {
		for _, m := range []decimal.Mode{decimal.HalfUp, decimal.HalfEven, decimal.Down, decimal.Up} {
			small := exact{n: c.n, d: c.d}.round(m)
			large := exact{bn: big.NewInt(c.n), bd: big.NewInt(c.d)}.round(m)
			if small != large {
				t.Errorf("%d/%d mode %d: %d vs %d", c.n, c.d, m, small, large)
			}
		}
	}
	if got := (exact{n: 5, d: 2}).round(decimal.HalfEven); got != 2 {
		t.Errorf("2.5 half-even = %d", got)
	}
	// A product too large for int64 takes the big path and stays exact.
	e := product([]int64{math.MaxInt64 / 2, 4}, []int64{8}, 0)
	if e.bn == nil || e.round(decimal.HalfUp) != math.MaxInt64/4+1 {
		t.Errorf("big product %v", e.round(decimal.HalfUp))
	}
}

// Largest remainder: parts sum exactly to the total, ties to the earlier.
func TestApportion(t *testing.T) {
	got := apportion(10000, []int64{1, 1, 1})
	if got[0] != 3334 || got[1] != 3333 || got[2] != 3333 {
		t.Fatalf("%v", got)
	}
	got = apportion(101, []int64{8956, 12030, 14300, 0})
	var sum int64
	for _, g := range got {
		sum += g
	}
	if sum != 101 || got[3] != 0 {
		t.Fatalf("%v", got)
	}
}

func TestPrepayPercent(t *testing.T) {
	in := ItemInput{PrepayTiers: []PrepayTier{{Months: 12, Percent: "5"}, {Months: 6, Percent: "2"}}}
	var it Item
	in.apply(&it)
	for months, want := range map[int]string{1: "0", 6: "2", 11: "2", 12: "5", 24: "5"} {
		if got := it.PrepayPercent(months); got != want {
			t.Errorf("%d months: %s, want %s", months, got, want)
		}
	}
}
