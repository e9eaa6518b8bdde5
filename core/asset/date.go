package asset

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/wuye-project/wuye/core/apperr"
)

// Date is a calendar day (no time, no zone), stored as a SQL DATE and
// written as "2006-01-02" in JSON and spreadsheets.
type Date struct{ t time.Time }

// ErrBadDate answers a date that is not YYYY-MM-DD.
var ErrBadDate = apperr.New(apperr.KindInvalid, "invalid_date", "Date %q is not a calendar day like 2024-05-31.", "日期 %q 不是有效日期,例如 2024-05-31。")

// NewDate returns the day y-m-d (normalised, as time.Date does).
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the calendar day of t in its own zone.
func DateOf(t time.Time) Date { return NewDate(t.Date()) }

// ParseDate parses YYYY-MM-DD (also YYYY/MM/DD, as Excel users type it).
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse("2006-01-02", strings.ReplaceAll(s, "/", "-"))
	if err != nil {
		if t2, err2 := time.Parse("2006-1-2", strings.ReplaceAll(s, "/", "-")); err2 == nil {
			return DateOf(t2), nil
		}
		return Date{}, ErrBadDate.Withf(s)
	}
	return DateOf(t), nil
}

func (d Date) IsZero() bool       { return d.t.IsZero() }
func (d Date) Time() time.Time    { return d.t }
func (d Date) String() string     { return d.t.Format("2006-01-02") }
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }
func (d Date) After(o Date) bool  { return d.t.After(o.t) }

// AddDays returns the day n days later.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// addMonths adds n months, clamping to the last day of a shorter month
// (Jan 31 + 1 month = Feb 28/29), unlike time.AddDate which overflows.
func (d Date) addMonths(n int, day int) Date {
	y, m, _ := d.t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date{first.AddDate(0, 0, min(day, last)-1)}
}

func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		*d = Date{}
		return nil
	}
	if len(s) < 2 || s[0] != '"' {
		return ErrBadDate.Withf(s)
	}
	v, err := ParseDate(s[1 : len(s)-1])
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores the day as text "2006-01-02": Postgres casts it to date and
// SQLite keeps it as text that sorts and compares as a day.
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
	case time.Time:
		*d = DateOf(x)
	case string:
		return d.scanText(x)
	case []byte:
		return d.scanText(string(x))
	default:
		return fmt.Errorf("asset: cannot scan %T into Date", v)
	}
	return nil
}

func (d *Date) scanText(s string) error {
	if len(s) >= 10 {
		s = s[:10]
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return fmt.Errorf("asset: scan date %q: %w", s, err)
	}
	*d = DateOf(t)
	return nil
}
