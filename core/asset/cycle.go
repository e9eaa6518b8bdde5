package asset

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wuye-project/wuye/core/apperr"
)

// CycleKind is how a maintenance plan repeats.
type CycleKind string

const (
	EveryDays   CycleKind = "days"
	EveryWeeks  CycleKind = "weeks"
	EveryMonths CycleKind = "months"
	FixedDates  CycleKind = "fixed_dates" // the same calendar days every year
)

// Cycle is a plan's repetition: every N days/weeks/months from the plan's
// start date, or on fixed days of the year ("03-15", "09-15").
type Cycle struct {
	Kind  CycleKind `json:"kind"`
	Every int       `json:"every,omitempty"`
	Dates []string  `json:"dates,omitempty"` // MM-DD, for fixed_dates
}

// ErrCycle answers a cycle that cannot be scheduled.
var ErrCycle = apperr.New(apperr.KindInvalid, "invalid_cycle", "The cycle is invalid: %s.", "周期无效:%s。")

// Validate checks the cycle and normalises its fixed dates (sorted, unique).
func (c *Cycle) Validate() error {
	switch c.Kind {
	case EveryDays, EveryWeeks, EveryMonths:
		if c.Every < 1 || c.Every > 3660 {
			return ErrCycle.Withf("every must be a whole number from 1")
		}
		c.Dates = nil
	case FixedDates:
		if len(c.Dates) == 0 || len(c.Dates) > 366 {
			return ErrCycle.Withf("fixed_dates needs 1 to 366 dates as MM-DD")
		}
		seen := map[string]bool{}
		var out []string
		for _, s := range c.Dates {
			m, d, ok := monthDay(s)
			if !ok {
				return ErrCycle.Withf(fmt.Sprintf("%q is not a day of the year as MM-DD", s))
			}
			k := fmt.Sprintf("%02d-%02d", m, d)
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
		sort.Strings(out)
		c.Dates, c.Every = out, 0
	default:
		return ErrCycle.Withf("kind must be days, weeks, months or fixed_dates")
	}
	return nil
}

func monthDay(s string) (time.Month, int, bool) {
	ms, ds, ok := strings.Cut(strings.TrimSpace(s), "-")
	m, err1 := strconv.Atoi(ms)
	d, err2 := strconv.Atoi(ds)
	if !ok || err1 != nil || err2 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, false
	}
	// The longest the month can be (Feb 29 is allowed; it falls on Feb 28 in common years).
	if d > time.Date(2024, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, false
	}
	return time.Month(m), d, true
}

// Next returns the first occurrence of the cycle that is on or after start
// and, when after is set, strictly after it. Occurrences are counted from
// start, so a monthly plan starting Jan 31 falls on Feb 28/29, Mar 31,
// Apr 30 … (clamped to each month's end, never drifting).
func (c Cycle) Next(start, after Date) Date {
	if after.IsZero() || after.Before(start) {
		after = start.AddDays(-1)
	}
	switch c.Kind {
	case EveryDays, EveryWeeks:
		step := c.Every
		if c.Kind == EveryWeeks {
			step *= 7
		}
		days := int(after.t.Sub(start.t).Hours() / 24)
		k := 0
		if days >= 0 {
			k = days/step + 1
		}
		return start.AddDays(k * step)
	case EveryMonths:
		sy, sm, sd := start.t.Date()
		ay, am, _ := after.t.Date()
		months := (ay-sy)*12 + int(am-sm)
		k := max(0, months/c.Every)
		for {
			d := start.addMonths(k*c.Every, sd)
			if d.After(after) {
				return d
			}
			k++
		}
	case FixedDates:
		if len(c.Dates) == 0 {
			return start
		}
		for y := max(start.t.Year(), after.t.Year()); ; y++ {
			for _, s := range c.Dates {
				m, d, _ := monthDay(s)
				day := NewDate(y, m, 1).addMonths(0, d)
				if day.After(after) {
					return day
				}
			}
		}
	}
	return start
}
