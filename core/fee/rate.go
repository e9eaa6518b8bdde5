package fee

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/decimal"
)

// RateScale is the most decimals a rate may have (per m², per unit, per
// day): four, as price notices give them.
const RateScale = 4

// ReadingScale is the decimals of a meter reading (0.001 m³ or kWh).
const ReadingScale = 3

// parseRate parses a non-negative exact decimal with at most scale decimals.
// Blank is refused unless optional.
func parseRate(field, s string, scale int) (int64, error) {
	s = strings.TrimSpace(s)
	n, err := decimal.Parse(s, scale)
	if _, e := decimal.ParseRound(s, scale, decimal.Down); e == nil && strings.HasPrefix(s, "-") {
		n, err = -1, nil // a sign is the more useful complaint than precision
	}
	switch {
	case errors.Is(err, decimal.ErrPrecision):
		return 0, ErrTooPrecise.Withf(scale).WithDetails([]apperr.FieldError{{Field: field, Code: "rate_too_precise",
			EN: fmt.Sprintf("%s has more than %d decimals", field, scale), ZH: fmt.Sprintf("%s 超过 %d 位小数", field, scale)}})
	case err != nil:
		return 0, ErrBadRate.WithDetails([]apperr.FieldError{{Field: field, Code: "invalid_rate",
			EN: field + " must be a decimal number such as 2.50", ZH: field + " 须为十进制数,例如 2.50"}})
	case n < 0:
		return 0, ErrNegative.WithDetails([]apperr.FieldError{{Field: field, Code: "negative_rate",
			EN: field + " cannot be negative", ZH: field + " 不能为负数"}})
	}
	return n, nil
}

// mustRate parses a stored rate (validated when written).
func mustRate(s string, scale int) int64 {
	n, _ := decimal.ParseRound(s, scale, decimal.HalfUp)
	return n
}

// modes maps the stored rounding name to its mode.
var modes = map[string]decimal.Mode{"half_up": decimal.HalfUp, "half_even": decimal.HalfEven, "down": decimal.Down, "up": decimal.Up}
