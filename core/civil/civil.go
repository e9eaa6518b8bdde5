// Package civil is calendar days and months without a clock: the day a fee
// falls due, the month a bill covers. "Today" depends on where one stands,
// so it is always asked for in a zone (a tenant's, see tenant.Service.Location),
// never the server's.
package civil

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/wuye-project/wuye/core/apperr"
)

// Date is a calendar day. The zero Date is "no date" (JSON null).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrBadDate answers text that is not a day like 2026-11-29.
var ErrBadDate = apperr.New(apperr.KindInvalid, "invalid_date", "Date %q is not a calendar day like 2026-11-29.", "日期 %q 不是有效日期,例如 2026-11-29。")

// DateOf is the day of t in t's own zone.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Today is the current day in loc (UTC when nil).
func Today(loc *time.Location) Date { return On(time.Now(), loc) }

// On is the day instant t falls on in loc (UTC when nil).
func On(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	return DateOf(t.In(loc))
}

// New returns y-m-d normalised as time.Date does (Feb 30 → Mar 2).
func New(y int, m time.Month, d int) Date { return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) }

// Parse reads YYYY-MM-DD.
func Parse(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, ErrBadDate.Withf(s)
	}
	return DateOf(t), nil
}

func (d Date) IsZero() bool { return d == Date{} }

// String is "2026-11-29".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In is the first instant of the day in loc (UTC when nil): the start of a
// period, or the deadline "end of the due day" as d.AddDays(1).In(loc).
func (d Date) In(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func (d Date) utc() time.Time { return d.In(time.UTC) }

func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }
func (d Date) After(o Date) bool  { return d.Compare(o) > 0 }

// Compare is -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int { return d.utc().Compare(o.utc()) }

// AddDays is the day n days later (earlier when negative).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// DaysUntil is the number of days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int { return int(o.utc().Sub(d.utc()).Hours() / 24) }

// AddMonths is the same day n months later, clamped to the end of a shorter
// month: Jan 31 + 1 month is Feb 28 (29), not Mar 3 as time.AddDate gives.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date{first.Year(), first.Month(), min(d.Day, last)}
}

func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Date{}
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return ErrBadDate.Withf(s)
	}
	v, err := Parse(s[1 : len(s)-1])
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores the day as text "2026-11-29" (Postgres casts it to date; SQLite compares it as text).
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

func (d *Date) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = DateOf(x)
		return nil
	case []byte:
		v = string(x)
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("civil: cannot scan %T into Date", v)
	}
	if len(s) >= 10 {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("civil: scan date %q: %w", s, err)
	}
	*d = DateOf(t)
	return nil
}

// Period is a calendar month: what a monthly fee or report covers.
type Period struct {
	Year  int
	Month time.Month
}

// PeriodOf is the month d falls in.
func PeriodOf(d Date) Period { return Period{d.Year, d.Month} }

// ParsePeriod reads "2026-11".
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return Period{}, apperr.New(apperr.KindInvalid, "invalid_period", "Period %q is not a month like 2026-11.", "账期 %q 不是有效月份,例如 2026-11。").Withf(s)
	}
	return Period{t.Year(), t.Month()}, nil
}

func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, p.Month) }

// Start is the first day of the month.
func (p Period) Start() Date { return Date{p.Year, p.Month, 1} }

// End is the last day of the month (inclusive).
func (p Period) End() Date { return p.Start().AddMonths(1).AddDays(-1) }

// Add is the month n months later.
func (p Period) Add(n int) Period { return PeriodOf(p.Start().AddMonths(n)) }

// Contains reports whether d falls in the month.
func (p Period) Contains(d Date) bool { return PeriodOf(d) == p }

// Bounds are the instants the month starts and the next one starts in loc:
// a half-open range [start, end) for timestamps.
func (p Period) Bounds(loc *time.Location) (start, end time.Time) {
	return p.Start().In(loc), p.Add(1).Start().In(loc)
}

func (p Period) MarshalJSON() ([]byte, error) { return []byte(`"` + p.String() + `"`), nil }

func (p *Period) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		_, err := ParsePeriod(s)
		return err
	}
	v, err := ParsePeriod(s[1 : len(s)-1])
	if err != nil {
		return err
	}
	*p = v
	return nil
}
