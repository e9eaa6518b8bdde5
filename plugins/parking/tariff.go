package main

import (
	"fmt"
	"slices"
	"time"
)

// Tariff prices temporary parking. All amounts are fen (int64).
type Tariff struct {
	FreeMinutes   int   `json:"free_minutes"`    // a stay this long or shorter is free
	HourlyRateFen int64 `json:"hourly_rate_fen"` // per started hour
	DailyCapFen   int64 `json:"daily_cap_fen"`   // at most this per 24 h from entry (0: no cap)
	// Night pricing, in the tenant's zone: hours that start in
	// [NightStart, NightEnd) cost NightRateFen each, or, when NightFlatFen
	// is set, one flat fee per night touched instead.
	NightStart   string `json:"night_start,omitempty"` // "20:00"
	NightEnd     string `json:"night_end,omitempty"`   // "08:00"
	NightRateFen int64  `json:"night_rate_fen,omitempty"`
	NightFlatFen int64  `json:"night_flat_fen,omitempty"`
	GraceMinutes int    `json:"grace_minutes,omitempty"` // time to leave after paying (default 15)
}

// Grace is the time a paid ticket has to leave.
func (t Tariff) Grace() time.Duration {
	if t.GraceMinutes <= 0 {
		return 15 * time.Minute
	}
	return time.Duration(t.GraceMinutes) * time.Minute
}

// hhmm parses "HH:MM" as minutes after midnight.
func hhmm(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return h*60 + m, nil
}

// Check reports a tariff that cannot price a stay.
func (t Tariff) Check() error {
	if t.FreeMinutes < 0 || t.HourlyRateFen < 0 || t.DailyCapFen < 0 || t.NightRateFen < 0 || t.NightFlatFen < 0 {
		return fmt.Errorf("tariff amounts and minutes are not negative")
	}
	if t.hasNight() {
		if _, err := hhmm(t.NightStart); err != nil {
			return err
		}
		if _, err := hhmm(t.NightEnd); err != nil {
			return err
		}
	}
	return nil
}

func (t Tariff) hasNight() bool {
	return t.NightStart != "" && t.NightEnd != "" && t.NightStart != t.NightEnd && (t.NightRateFen > 0 || t.NightFlatFen > 0)
}

// window is the night window in minutes after midnight.
type window struct{ start, end int }

// night reports whether at is in the night window, and the key of the
// night it belongs to (the day the night began, as yyyymmdd).
func (w window) night(at time.Time) (bool, int) {
	m := at.Hour()*60 + at.Minute()
	var in, early bool
	if w.start < w.end {
		in = m >= w.start && m < w.end
	} else { // wraps midnight: 20:00–08:00
		in = m >= w.start || m < w.end
		early = m < w.end
	}
	if !in {
		return false, 0
	}
	if early {
		at = at.AddDate(0, 0, -1)
	}
	y, mo, d := at.Date()
	return true, y*10000 + int(mo)*100 + d
}

// Fee prices a stay from entry to exit in loc: nothing within the free
// minutes; past them every started hour from entry, at the night rate when
// the hour starts at night (or one flat fee per night), capped per 24 h
// from entry.
func (t Tariff) Fee(entry, exit time.Time, loc *time.Location) int64 {
	d := exit.Sub(entry)
	if d <= time.Duration(t.FreeMinutes)*time.Minute {
		return 0
	}
	night := t.hasNight()
	var w window
	if night {
		w.start, _ = hhmm(t.NightStart)
		w.end, _ = hhmm(t.NightEnd)
	}
	var total int64
	var nights []int // a night is charged once, even across a 24 h boundary
	for ps := entry; ps.Before(exit); ps = ps.Add(24 * time.Hour) {
		pe := ps.Add(24 * time.Hour)
		if pe.After(exit) {
			pe = exit
		}
		var sum int64
		for hs := ps; hs.Before(pe); hs = hs.Add(time.Hour) {
			if night {
				if in, key := w.night(hs.In(loc)); in {
					if t.NightFlatFen > 0 {
						if !slices.Contains(nights, key) {
							nights = append(nights, key)
							sum += t.NightFlatFen
						}
					} else {
						sum += t.NightRateFen
					}
					continue
				}
			}
			sum += t.HourlyRateFen
		}
		if t.DailyCapFen > 0 && sum > t.DailyCapFen {
			sum = t.DailyCapFen
		}
		total += sum
	}
	return total
}
