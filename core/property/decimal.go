package property

import (
	"errors"
	"strings"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/decimal"
)

// Area is an exact area in hundredths of a square metre (two decimals, as on
// Chinese property certificates). JSON and spreadsheets carry it as "89.56".
type Area int64

// AreaScale is the number of decimals of an Area.
const AreaScale = 2

// MaxArea bounds any single area: nothing a property manager owns is larger
// than 100,000 m² as one room or common area.
const MaxArea Area = 100_000_00

// Coefficient is an exact fee coefficient in ten-thousandths ("1.0000" = 10000).
type Coefficient int64

// CoefficientScale is the number of decimals of a Coefficient.
const CoefficientScale = 4

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

// parseDecimal parses s strictly at scale decimals (core/decimal) and maps
// its failures to this field's errors: a sign is checked before precision so
// "-1.234" says negative, the more useful of the two.
func parseDecimal(s string, scale int, max int64, e decimalErrs) (int64, error) {
	n, err := decimal.ParseRound(s, scale, decimal.Up)
	switch {
	case errors.Is(err, decimal.ErrSyntax):
		return 0, e.invalid.Withf(s)
	case n < 0 || (strings.HasPrefix(strings.TrimSpace(s), "-") && errors.Is(err, decimal.ErrRange)):
		return 0, e.negative.Withf(s)
	case err != nil:
		return 0, e.tooLarge.Withf(s)
	}
	if n, err = decimal.Parse(s, scale); errors.Is(err, decimal.ErrPrecision) {
		return 0, e.precision.Withf(s)
	}
	if err != nil || n > max {
		return 0, e.tooLarge.Withf(s)
	}
	return n, nil
}

// ParseArea parses "89.56" strictly: at most two decimals, not negative, at most MaxArea.
func ParseArea(s string) (Area, error) {
	n, err := parseDecimal(s, AreaScale, int64(MaxArea), areaErrs)
	return Area(n), err
}

func (a Area) String() string { return decimal.Format(int64(a), AreaScale) }

func (a Area) MarshalJSON() ([]byte, error) { return []byte(`"` + a.String() + `"`), nil }

func (a *Area) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := decimal.JSONText(b)
	if err != nil {
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
	n, err := parseDecimal(s, CoefficientScale, int64(MaxCoefficient), coefErrs)
	return Coefficient(n), err
}

func (c Coefficient) String() string { return decimal.Format(int64(c), CoefficientScale) }

func (c Coefficient) MarshalJSON() ([]byte, error) { return []byte(`"` + c.String() + `"`), nil }

func (c *Coefficient) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := decimal.JSONText(b)
	if err != nil {
		return ErrCoefInvalid.Withf(string(b))
	}
	v, err := ParseCoefficient(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}
