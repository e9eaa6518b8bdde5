package fee

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"sort"
	"strings"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
)

// exact is an amount in the currency's minor units as an exact fraction
// n/d, kept unrounded until the item's rounding rule applies. Most amounts
// fit int64 (n, d); a product that would overflow is kept in big (bn, bd).
type exact struct {
	n, d   int64
	bn, bd *big.Int
}

var bigOne = big.NewInt(1)

// mul64 multiplies without overflow; ok is false when it would overflow.
func mul64(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return int64(lo), hi == 0 && lo <= math.MaxInt64
}

// product is Π nums / Π dens, times 10^exp (the currency's minor unit).
func product(nums, dens []int64, exp int) exact {
	n, d, ok := int64(1), int64(1), true
	for _, v := range nums {
		if n, ok = mul64(n, v); !ok {
			break
		}
	}
	for i := 0; ok && i < exp; i++ {
		n, ok = mul64(n, 10)
	}
	for _, v := range dens {
		if !ok {
			break
		}
		d, ok = mul64(d, v)
	}
	if ok {
		return exact{n: n, d: d}
	}
	bn, bd := big.NewInt(1), big.NewInt(1)
	for _, v := range nums {
		bn.Mul(bn, big.NewInt(v))
	}
	for range exp {
		bn.Mul(bn, big.NewInt(10))
	}
	for _, v := range dens {
		bd.Mul(bd, big.NewInt(v))
	}
	return exact{bn: bn, bd: bd}
}

// bigs is e as two big integers.
func (e exact) bigs() (*big.Int, *big.Int) {
	if e.bn != nil {
		return e.bn, e.bd
	}
	return big.NewInt(e.n), big.NewInt(e.d)
}

// round rounds e to whole minor units by mode (amounts are never negative).
func (e exact) round(m decimal.Mode) int64 {
	if e.bn == nil {
		q, r := e.n/e.d, e.n%e.d
		if r != 0 && roundsUp(m, q%2 == 1, compareHalf(r, e.d)) {
			q++
		}
		return q
	}
	q, r := new(big.Int).QuoRem(e.bn, e.bd, new(big.Int))
	if r.Sign() != 0 && roundsUp(m, q.Bit(0) == 1, new(big.Int).Lsh(r, 1).Cmp(e.bd)) {
		q.Add(q, bigOne)
	}
	return q.Int64()
}

// compareHalf compares the remainder r with half of d: -1, 0 or 1.
func compareHalf(r, d int64) int {
	switch rest := d - r; { // 2r may overflow; r against d − r does not
	case r > rest:
		return 1
	case r == rest:
		return 0
	}
	return -1
}

// roundsUp decides a non-zero remainder by mode; c compares it with half.
func roundsUp(m decimal.Mode, odd bool, c int) bool {
	switch m {
	case decimal.Up:
		return true
	case decimal.HalfEven:
		return c > 0 || (c == 0 && odd)
	case decimal.HalfUp:
		return c >= 0
	}
	return false
}

// roundTogether rounds lines so that they sum to the rounded sum of their
// exact amounts (per-bill rounding): each is cut down to whole units and the
// missing units go to the largest remainders (ties: the earlier line).
func roundTogether(parts []exact, m decimal.Mode) []int64 {
	sum := new(big.Rat)
	for _, p := range parts {
		n, d := p.bigs()
		sum.Add(sum, new(big.Rat).SetFrac(n, d))
	}
	total := exact{bn: sum.Num(), bd: sum.Denom()}.round(m)
	out := make([]int64, len(parts))
	rems := make([]*big.Rat, len(parts))
	var got int64
	for i, p := range parts {
		n, d := p.bigs()
		q, r := new(big.Int).QuoRem(n, d, new(big.Int))
		out[i], rems[i] = q.Int64(), new(big.Rat).SetFrac(r, d)
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
func tiered(rate func(string, int) int64, used int64, tiers []Tier, scale, exp int) (exact, string) {
	total := exact{n: 0, d: 1}
	var lower int64
	var steps []string
	for i, t := range tiers {
		upper := int64(-1)
		if t.UpTo != "" {
			upper = rate(t.UpTo, ReadingScale)
		}
		slice := used - lower
		if upper >= 0 && used > upper {
			slice = upper - lower
		}
		if slice <= 0 && i > 0 {
			break
		}
		part := product([]int64{slice, rate(t.Rate, scale)}, []int64{pow10(ReadingScale), pow10(scale)}, exp)
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
	if a.bn == nil && b.bn == nil {
		x, ok1 := mul64(a.n, b.d)
		y, ok2 := mul64(b.n, a.d)
		d, ok3 := mul64(a.d, b.d)
		if ok1 && ok2 && ok3 && x <= math.MaxInt64-y {
			g := gcd(x+y, d)
			return exact{n: (x + y) / g, d: d / g}
		}
	}
	an, ad := a.bigs()
	bn, bd := b.bigs()
	n := new(big.Int).Add(new(big.Int).Mul(an, bd), new(big.Int).Mul(bn, ad))
	return exact{bn: n, bd: new(big.Int).Mul(ad, bd)}
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}
