// Package money is an amount of one currency in its minor units (fen for
// CNY), never a float: sums, differences and parsing are exact, and overflow
// is an error rather than a wrapped value.
package money

import (
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/wuye-project/wuye/core/apperr"
)

// Money is Amount minor units of Currency. JSON: {"amount": 12345, "currency": "CNY"}.
type Money struct {
	Amount   int64    `json:"amount"`
	Currency Currency `json:"currency"`
}

// Errors of this package.
var (
	ErrCurrencyMismatch = apperr.New(apperr.KindInvalid, "currency_mismatch",
		"Amounts in different currencies cannot be added or compared.", "不同币种的金额不能相加或比较。")
	ErrOverflow = apperr.New(apperr.KindInvalid, "amount_out_of_range",
		"The amount is too large.", "金额过大。")
)

// New returns amount minor units of c.
func New(amount int64, c Currency) Money { return Money{Amount: amount, Currency: c} }

// Fen returns an amount in CNY fen.
func Fen(fen int64) Money { return Money{Amount: fen, Currency: CNY} }

// Add returns m + o; both must be of the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, ErrCurrencyMismatch
	}
	s := m.Amount + o.Amount
	// Overflow when both operands share a sign the sum lacks.
	if (m.Amount >= 0) == (o.Amount >= 0) && (s >= 0) != (m.Amount >= 0) {
		return Money{}, ErrOverflow
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Sub returns m - o; both must be of the same currency.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, ErrCurrencyMismatch
	}
	d := m.Amount - o.Amount
	if (m.Amount >= 0) != (o.Amount >= 0) && (d >= 0) != (m.Amount >= 0) {
		return Money{}, ErrOverflow
	}
	return Money{Amount: d, Currency: m.Currency}, nil
}

// Mul returns m times n (a quantity: months, square metres in whole units).
func (m Money) Mul(n int64) (Money, error) {
	hi, lo := bits.Mul64(uint64(abs(m.Amount)), uint64(abs(n)))
	if hi != 0 || lo > math.MaxInt64 {
		return Money{}, ErrOverflow
	}
	v := int64(lo)
	if (m.Amount < 0) != (n < 0) {
		v = -v
	}
	return Money{Amount: v, Currency: m.Currency}, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v // MinInt64 stays 2^63 as uint64, which Mul reports as overflow
	}
	return v
}

// IsZero reports a zero amount.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Decimal writes the amount with the currency's exponent: 12345 CNY → "123.45", 500 JPY → "500".
func (m Money) Decimal() string {
	exp := m.Currency.Exponent()
	if exp < 0 {
		exp = 2
	}
	neg := m.Amount < 0
	u := uint64(m.Amount)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// String is the amount and the code: "123.45 CNY".
func (m Money) String() string { return m.Decimal() + " " + string(m.Currency) }

// Format writes the amount with the currency's sign when it has a common
// one ("¥123.45", "-$5.00") and as String otherwise.
func (m Money) Format() string {
	sym, ok := symbols[m.Currency]
	if !ok {
		return m.String()
	}
	d := m.Decimal()
	if strings.HasPrefix(d, "-") {
		return "-" + sym + d[1:]
	}
	return sym + d
}

// Parse reads a decimal string ("123.45", "-0.5", "+7", "1,234.56") as an
// amount of c, exactly. More decimals than the currency has are refused
// unless they are zeros ("123.450" CNY is 12345 fen, "123.456" is an error):
// rounding money is a business decision, not a parser's.
func Parse(s string, c Currency) (Money, error) {
	exp := c.Exponent()
	if exp < 0 {
		return Money{}, invalid("currency", "invalid_currency", "currency must be an active ISO 4217 code such as CNY", "币种须为有效的 ISO 4217 代码,如 CNY")
	}
	bad := func() (Money, error) {
		return Money{}, invalid("amount", "invalid_amount", "amount must be a decimal number such as 123.45", "金额须为十进制数,如 123.45")
	}
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return bad()
	}
	// Thousands separators only between groups of three digits.
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) == 0 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return bad()
			}
		}
		intPart = strings.Join(groups, "")
	}
	trimmed := strings.TrimRight(frac, "0")
	if len(trimmed) > exp {
		return Money{}, invalid("amount", "too_many_decimals",
			"amount has more decimal places than "+string(c)+" allows ("+strconv.Itoa(exp)+")",
			"金额的小数位数超过 "+string(c)+" 允许的位数("+strconv.Itoa(exp)+" 位)")
	}
	digits := intPart + trimmed + strings.Repeat("0", exp-len(trimmed))
	if digits == "" {
		digits = "0"
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return bad()
		}
	}
	u, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || u > math.MaxInt64 {
		return Money{}, ErrOverflow
	}
	v := int64(u)
	if neg {
		v = -v
	}
	return Money{Amount: v, Currency: c}, nil
}

// UnmarshalJSON reads {"amount": 12345, "currency": "CNY"} and reports every
// field problem at once; the amount must be an integer of minor units.
func (m *Money) UnmarshalJSON(b []byte) error {
	var raw struct {
		Amount   json.RawMessage `json:"amount"`
		Currency *string         `json:"currency"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return invalid("amount", "invalid_money", `money is an object {"amount": 12345, "currency": "CNY"} (amount in minor units)`, `金额须为对象 {"amount": 12345, "currency": "CNY"}(金额以最小单位计,如分)`)
	}
	var fe []apperr.FieldError
	var out Money
	switch {
	case raw.Amount == nil || string(raw.Amount) == "null":
		fe = append(fe, apperr.FieldError{Field: "amount", Code: "required", EN: "amount is required (an integer in minor units, e.g. fen)", ZH: "金额必填(以最小单位计的整数,如分)"})
	default:
		// Digits only: a string, a fraction or an exponent is not minor units.
		v, err := strconv.ParseInt(string(raw.Amount), 10, 64)
		if err != nil {
			fe = append(fe, apperr.FieldError{Field: "amount", Code: "invalid_amount", EN: "amount is an integer in minor units (fen for CNY): 123.45 yuan is 12345", ZH: "金额须为以最小单位计的整数(人民币为分):123.45 元写作 12345"})
		}
		out.Amount = v
	}
	s := ""
	if raw.Currency != nil {
		s = *raw.Currency
	}
	c, err := ParseCurrency("currency", s)
	if err != nil {
		e, _ := apperr.As(err)
		fe = append(fe, e.Details.([]apperr.FieldError)...)
	}
	out.Currency = c
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	*m = out
	return nil
}
