// Package decimal is exact decimal arithmetic at a fixed scale, without
// floats: a value is an int64 count of 10^-scale units ("89.56" at scale 2
// is 8956). Areas (scale 2), fee coefficients (scale 4) and billing rates
// use it; money stays int64 fen. Text comes from JSON (a string or a number
// literal, both read exactly) or from spreadsheets.
package decimal

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Mode says how a value with more decimals than the scale is rounded.
type Mode int

const (
	// HalfUp rounds half away from zero (四舍五入), the default of Chinese
	// fee calculation.
	HalfUp Mode = iota
	// HalfEven rounds half to the even neighbour (banker's rounding).
	HalfEven
	// Down truncates toward zero.
	Down
	// Up rounds away from zero.
	Up
)

// MaxScale bounds a scale; 10^18 is the largest power of ten in an int64.
const MaxScale = 18

// Errors of parsing and arithmetic; callers map them to their own messages.
var (
	ErrSyntax    = errors.New("decimal: not a plain decimal number")
	ErrPrecision = errors.New("decimal: more decimals than the scale")
	ErrRange     = errors.New("decimal: out of range")
	ErrScale     = errors.New("decimal: scale out of range")
)

// Parse reads a plain decimal ("12", "-12.5", "+12.50") exactly at scale
// decimals: more non-zero decimals than the scale are ErrPrecision.
// Exponents, commas, a bare "." and "1." are ErrSyntax.
func Parse(s string, scale int) (int64, error) { return parse(s, scale, HalfUp, true) }

// ParseRound is Parse that rounds extra decimals by m instead of refusing them.
func ParseRound(s string, scale int, m Mode) (int64, error) { return parse(s, scale, m, false) }

func parse(s string, scale int, m Mode, strict bool) (int64, error) {
	if scale < 0 || scale > MaxScale {
		return 0, ErrScale
	}
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (dot && (frac == "" || !digits(frac))) {
		return 0, ErrSyntax
	}
	frac = strings.TrimRight(frac, "0")
	var extra string
	if len(frac) > scale {
		if strict {
			return 0, ErrPrecision
		}
		frac, extra = frac[:scale], frac[scale:]
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole)+scale > 19 { // ParseInt catches the rest
		return 0, ErrRange
	}
	text := whole + frac + strings.Repeat("0", scale-len(frac))
	var n int64
	if t := strings.TrimLeft(text, "0"); t != "" {
		v, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, ErrRange
		}
		n = v
	}
	if extra != "" && roundAway(m, n, extra[0]-'0', strings.Trim(extra[1:], "0") != "") {
		if n == math.MaxInt64 {
			return 0, ErrRange
		}
		n++
	}
	if neg {
		n = -n
	}
	return n, nil
}

// roundAway decides whether the magnitude n grows by one given the first
// dropped digit and whether any later dropped digit is non-zero.
func roundAway(m Mode, n int64, first byte, rest bool) bool {
	switch m {
	case Down:
		return false
	case Up:
		return first > 0 || rest
	case HalfEven:
		if first == 5 && !rest {
			return n%2 == 1
		}
		return first >= 5
	default: // HalfUp
		return first >= 5
	}
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Format writes n at scale decimals, always with all of them ("1.2000").
func Format(n int64, scale int) string {
	if scale <= 0 {
		return strconv.FormatInt(n, 10)
	}
	neg := n < 0
	u := strconv.FormatUint(abs(n), 10)
	if len(u) <= scale {
		u = strings.Repeat("0", scale-len(u)+1) + u
	}
	out := u[:len(u)-scale] + "." + u[len(u)-scale:]
	if neg {
		out = "-" + out
	}
	return out
}

func abs(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}

// Rescale changes n from scale from to scale to, rounding by m when
// decimals are dropped; ErrRange when the result does not fit an int64.
func Rescale(n int64, from, to int, m Mode) (int64, error) {
	if from < 0 || from > MaxScale || to < 0 || to > MaxScale {
		return 0, ErrScale
	}
	v := big.NewInt(n)
	if to >= from {
		v.Mul(v, pow10(to-from))
		return fit(v)
	}
	return divRound(v, pow10(from-to), m)
}

// Mul multiplies a (at scale as) by b (at scale bs) and gives the product at
// scale out, rounded by m: an area in m² (scale 2) times a rate in fen per m²
// (scale 4) is a charge in fen (scale 0) rounded once, at the end.
func Mul(a int64, as int, b int64, bs int, out int, m Mode) (int64, error) {
	if as < 0 || bs < 0 || out < 0 || as+bs > 2*MaxScale || out > MaxScale {
		return 0, ErrScale
	}
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	if s := as + bs; out >= s {
		p.Mul(p, pow10(out-s))
		return fit(p)
	} else {
		return divRound(p, pow10(s-out), m)
	}
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// divRound divides v by d (> 0), rounding the quotient by m.
func divRound(v, d *big.Int, m Mode) (int64, error) {
	q, r := new(big.Int).QuoRem(v, d, new(big.Int)) // truncated toward zero
	if r.Sign() != 0 {
		twice := new(big.Int).Abs(r)
		twice.Lsh(twice, 1)
		cmp := twice.Cmp(d) // against half
		away := false
		switch m {
		case Down:
		case Up:
			away = true
		case HalfEven:
			away = cmp > 0 || (cmp == 0 && q.Bit(0) == 1)
		default:
			away = cmp >= 0
		}
		if away {
			if v.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return fit(q)
}

func fit(v *big.Int) (int64, error) {
	if !v.IsInt64() {
		return 0, ErrRange
	}
	return v.Int64(), nil
}

// JSONText returns the decimal text of a JSON value: a string ("89.56") or a
// number literal (89.56), read as text so no float is ever involved. Objects,
// arrays, booleans and null are ErrSyntax.
func JSONText(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return "", ErrSyntax
		}
		return s, nil
	}
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return "", ErrSyntax
	}
	return string(b), nil
}
