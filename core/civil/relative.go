package civil

import (
	"context"
	"strconv"
	"strings"
	"time"
)

type todayKey struct{}

// WithToday returns ctx carrying the day that relative dates count from
// (seeding a tenant: its today in its zone).
func WithToday(ctx context.Context, d Date) context.Context {
	return context.WithValue(ctx, todayKey{}, d)
}

// TodayOf is the day WithToday put in ctx, or today in UTC.
func TodayOf(ctx context.Context) Date {
	if d, ok := ctx.Value(todayKey{}).(Date); ok {
		return d
	}
	return Today(time.UTC)
}

// ParseRelative reads a day as "2026-11-29" or relative to today: "today",
// "+3d", "-2w", "-6m", "+1y" (months and years clamp to the month's end).
// Demo data uses it so a fresh install's dates are recent, not years old.
func ParseRelative(s string, today Date) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "today" {
		return today, nil
	}
	if len(s) >= 3 && (s[0] == '+' || s[0] == '-') {
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err == nil && n >= 0 && n <= 100_000 {
			if s[0] == '-' {
				n = -n
			}
			switch s[len(s)-1] {
			case 'd':
				return today.AddDays(n), nil
			case 'w':
				return today.AddDays(7 * n), nil
			case 'm':
				return today.AddMonths(n), nil
			case 'y':
				return today.AddMonths(12 * n), nil
			}
		}
		return Date{}, ErrBadDate.Withf(s)
	}
	return Parse(s)
}
