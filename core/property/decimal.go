package property

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/wuye-project/wuye/core/apperr"
)

// Area is an exact area in hundredths of a square metre (two decimals, as on
// Chinese property certificates). JSON and spreadsheets carry it as "89.56".
type Area int64

// MaxArea bounds any single area: nothing a property manager owns is larger
// than 100,000 m² as one room or common area.
const MaxArea Area = 100_000_00

// Coefficient is an exact fee coefficient in ten-thousandths ("1.0000" = 10000).
type Coefficient int64

// MaxCoefficient bounds a fee coefficient; 100× a base fee is already absurd.
const MaxCoefficient Coefficient = 100_0000

// Area and coefficient errors.
var (
	ErrAreaInvalid   = apperr.New(apperr.KindInvalid, "invalid_area", "Area %q is not a number of square metres like 89.56.", "面积 %q 不是有效的平方米数,例如 89.56。")
	ErrAreaNegative  = apperr.New(apperr.KindInvalid, "negative_area", "Area %q is negative; areas are zero or more.", "面积 %q 为负数;面积不能小于零。")
	ErrAreaPrecision = apperr.New(apperr.KindInvalid, "area_too_precise", "Area %q has more than two decimals; certificates give areas to 0.01 m².", "面积 %q 超过两位小数;产权证面积精确到 0.01 平方米。")
	ErrAreaTooLarge  = apperr.New(apperr.KindInvalid, "area_too_large", "Area %q is larger than 100000 m²; check the unit and the decimal point.", "面积 %q 超过 100000 平方米,请检查单位和小数点。")

	ErrCoefInvalid   = apperr.New(apperr.KindInvalid, "invalid_fee_coefficient", "Fee coefficient %q is not a decimal like 1.0000.", "收费系数 %q 不是有效的小数,例如 1.0000。")
	ErrCoefNegative  = apperr.New(apperr.KindInvalid, "negative_fee_coefficient", "Fee coefficient %q is negative.", "收费系数 %q 为负数。")
	ErrCoefPrecision = apperr.New(apperr.KindInvalid, "fee_coefficient_too_precise", "Fee coefficient %q has more than four decimals.", "收费系数 %q 超过四位小数。")
	ErrCoefTooLarge  = apperr.New(apperr.KindInvalid, "fee_coefficient_too_large", "Fee coefficient %q is larger than 100.", "收费系数 %q 大于 100。")
)

type decimalErrs struct{ invalid, negative, precision, tooLarge *apperr.Error }

var (
	areaErrs = decimalErrs{ErrAreaInvalid, ErrAreaNegative, ErrAreaPrecision, ErrAreaTooLarge}
	coefErrs = decimalErrs{ErrCoefInvalid, ErrCoefNegative, ErrCoefPrecision, ErrCoefTooLarge}
)

// parseDecimal parses a plain decimal ("12", "12.5", "12.50") into an integer
// of 10^-places units, without ever going through float.
func parseDecimal(s string, places int, max int64, e decimalErrs) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (strings.Contains(s, ".") && (frac == "" || !digits(frac))) {
		return 0, e.invalid.Withf(orig)
	}
	if neg && strings.Trim(whole+frac, "0") != "" {
		return 0, e.negative.Withf(orig)
	}
	if len(strings.TrimRight(frac, "0")) > places {
		return 0, e.precision.Withf(orig)
	}
	frac = strings.TrimRight(frac, "0")
	frac += strings.Repeat("0", places-len(frac))
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 {
		return 0, e.tooLarge.Withf(orig)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if whole == "" && frac == "" {
		n, err = 0, nil
	}
	if err != nil {
		return 0, e.invalid.Withf(orig)
	}
	if n > max {
		return 0, e.tooLarge.Withf(orig)
	}
	return n, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func formatDecimal(n int64, places int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	out := s[:len(s)-places] + "." + s[len(s)-places:]
	if neg {
		out = "-" + out
	}
	return out
}

// unquote accepts a JSON string ("89.56") or a JSON number (89.56) as text.
func unquote(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		s, err := strconv.Unquote(string(b))
		return s, err == nil
	}
	return string(b), len(b) > 0 && b[0] != '{' && b[0] != '[' && b[0] != 't' && b[0] != 'f'
}

// ParseArea parses "89.56" strictly: at most two decimals, not negative, at most MaxArea.
func ParseArea(s string) (Area, error) {
	n, err := parseDecimal(s, 2, int64(MaxArea), areaErrs)
	return Area(n), err
}

func (a Area) String() string { return formatDecimal(int64(a), 2) }

func (a Area) MarshalJSON() ([]byte, error) { return []byte(`"` + a.String() + `"`), nil }

func (a *Area) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, ok := unquote(b)
	if !ok {
		return ErrAreaInvalid.Withf(string(b))
	}
	v, err := ParseArea(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseCoefficient parses "1.0000" strictly: at most four decimals, 0 to 100.
func ParseCoefficient(s string) (Coefficient, error) {
	n, err := parseDecimal(s, 4, int64(MaxCoefficient), coefErrs)
	return Coefficient(n), err
}

func (c Coefficient) String() string { return formatDecimal(int64(c), 4) }

func (c Coefficient) MarshalJSON() ([]byte, error) { return []byte(`"` + c.String() + `"`), nil }

func (c *Coefficient) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, ok := unquote(b)
	if !ok {
		return ErrCoefInvalid.Withf(string(b))
	}
	v, err := ParseCoefficient(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}
