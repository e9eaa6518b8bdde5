package fee

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
)

// exact is an amount in the currency's minor units as an exact fraction
// n/d, kept unrounded until the item's rounding rule applies.
type exact struct{ n, d *big.Int }

var bigOne = big.NewInt(1)

// product is Π nums / Π dens, times 10^exp (the currency's minor unit).
func product(nums, dens []int64, exp int) exact {
	n, d := big.NewInt(1), big.NewInt(1)
	t := new(big.Int)
	for _, v := range nums {
		n.Mul(n, t.SetInt64(v))
	}
	for _, v := range dens {
		d.Mul(d, t.SetInt64(v))
	}
	for range exp {
		n.Mul(n, big.NewInt(10))
	}
	return exact{n, d}
}

// round rounds e to whole minor units by mode (amounts are never negative).
func (e exact) round(m decimal.Mode) int64 {
	q, r := new(big.Int).QuoRem(e.n, e.d, new(big.Int))
	if r.Sign() != 0 {
		twice := new(big.Int).Lsh(r, 1)
		c := twice.Cmp(e.d)
		up := false
		switch m {
		case decimal.Up:
			up = true
		case decimal.HalfEven:
			up = c > 0 || (c == 0 && q.Bit(0) == 1)
		case decimal.HalfUp:
			up = c >= 0
		}
		if up {
			q.Add(q, bigOne)
		}
	}
	return q.Int64()
}

// roundTogether rounds lines so that they sum to the rounded sum of their
// exact amounts (per-bill rounding): each is cut down to whole units and the
// missing units go to the largest remainders (ties: the earlier line).
func roundTogether(parts []exact, m decimal.Mode) []int64 {
	sum := new(big.Rat)
	for _, p := range parts {
		sum.Add(sum, new(big.Rat).SetFrac(p.n, p.d))
	}
	total := exact{sum.Num(), sum.Denom()}.round(m)
	out := make([]int64, len(parts))
	rems := make([]*big.Rat, len(parts))
	var got int64
	for i, p := range parts {
		q, r := new(big.Int).QuoRem(p.n, p.d, new(big.Int))
		out[i], rems[i] = q.Int64(), new(big.Rat).SetFrac(r, p.d)
		got += out[i]
	}
	for _, i := range largest(len(parts), func(a, b int) int { return rems[a].Cmp(rems[b]) }) {
		if got >= total {
			break
		}
		out[i]++
		got++
	}
	return out
}

// largest orders indexes 0..n-1 by cmp descending, ties in index order.
func largest(n int, cmp func(a, b int) int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return cmp(idx[a], idx[b]) > 0 })
	return idx
}

// apportion splits total minor units by weights with the largest-remainder
// method: the parts sum to total exactly; ties go to the earlier weight.
func apportion(total int64, weights []int64) []int64 {
	var sum int64
	for _, w := range weights {
		sum += w
	}
	out := make([]int64, len(weights))
	if sum == 0 {
		return out
	}
	rems := make([]*big.Int, len(weights))
	var got int64
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(total), big.NewInt(w)), big.NewInt(sum), new(big.Int))
		out[i], rems[i] = q.Int64(), r
		got += out[i]
	}
	for _, i := range largest(len(weights), func(a, b int) int { return rems[a].Cmp(rems[b]) }) {
		if got >= total {
			break
		}
		out[i]++
		got++
	}
	return out
}

// monthsIn is the number of months from a to b inclusive as a fraction:
// whole months count 1, a part month days/days-in-month. text shows it.
func monthsIn(a, b civil.Date) (num, den int64, text string) {
	num, den = 0, 1
	var whole int64
	var parts []string
	for p := civil.PeriodOf(a); !p.Start().After(b); p = p.Add(1) {
		from, to := p.Start(), p.End()
		if from.Before(a) {
			from = a
		}
		if to.After(b) {
			to = b
		}
		days, dim := int64(from.DaysUntil(to)+1), int64(p.End().Day)
		if days == dim {
			whole++
			continue
		}
		// num/den + days/dim
		num, den = num*dim+days*den, den*dim
		g := gcd(num, den)
		num, den = num/g, den/g
		parts = append(parts, fmt.Sprintf("%d/%d days", days, dim))
	}
	num += whole * den
	if whole > 0 {
		parts = append([]string{fmt.Sprintf("%d month%s", whole, plural(whole))}, parts...)
	}
	return num, den, strings.Join(parts, " + ")
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

// tiered prices a consumption (ReadingScale) on tiers (rates at scale):
// each tier's slice at its rate. It returns the exact amount in minor
// units and the arithmetic as text.
func tiered(used int64, tiers []Tier, scale, exp int) (exact, string) {
	total := exact{big.NewInt(0), big.NewInt(1)}
	var lower int64
	var steps []string
	for i, t := range tiers {
		upper := int64(-1)
		if t.UpTo != "" {
			upper = mustRate(t.UpTo, ReadingScale)
		}
		slice := used - lower
		if upper >= 0 && used > upper {
			slice = upper - lower
		}
		if slice <= 0 && i > 0 {
			break
		}
		rate := mustRate(t.Rate, scale)
		part := product([]int64{slice, rate}, []int64{pow10(ReadingScale), pow10(scale)}, exp)
		total = add(total, part)
		steps = append(steps, fmt.Sprintf("%s × %s", decimal.Format(slice, ReadingScale), t.Rate))
		if upper < 0 || used <= upper {
			break
		}
		lower = upper
	}
	return total, strings.Join(steps, " + ")
}

func add(a, b exact) exact {
	n := new(big.Int).Add(new(big.Int).Mul(a.n, b.d), new(big.Int).Mul(b.n, a.d))
	return exact{n, new(big.Int).Mul(a.d, b.d)}
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}
