package main

import (
	"testing"
	"time"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func TestTariffFee(t *testing.T) {
	demo := Tariff{FreeMinutes: 30, HourlyRateFen: 500, DailyCapFen: 3000}
	night := Tariff{FreeMinutes: 15, HourlyRateFen: 500, NightStart: "20:00", NightEnd: "08:00", NightRateFen: 100}
	flat := Tariff{FreeMinutes: 15, HourlyRateFen: 500, NightStart: "20:00", NightEnd: "08:00", NightFlatFen: 1000}
	capped := night
	capped.DailyCapFen = 3000
	day := func(d, h, m int) time.Time { return time.Date(2026, 6, d, h, m, 0, 0, shanghai) }
	cases := []struct {
		name        string
		t           Tariff
		entry, exit time.Time
		want        int64
	}{
		{"zero stay", demo, day(1, 9, 0), day(1, 9, 0), 0},
		{"exactly the free minutes", demo, day(1, 9, 0), day(1, 9, 30), 0},
		{"one second past free", demo, day(1, 9, 0), day(1, 9, 30).Add(time.Second), 500},
		{"exactly one hour", demo, day(1, 9, 0), day(1, 10, 0), 500},
		{"a started second hour", demo, day(1, 9, 0), day(1, 10, 1), 1000},
		{"capped within the day", demo, day(1, 9, 0), day(1, 20, 0), 3000},
		{"across midnight counts from entry", demo, day(1, 22, 0), day(2, 1, 30), 2000},
		{"24 h exactly is one cap", demo, day(1, 9, 0), day(2, 9, 0), 3000},
		{"a started second day", demo, day(1, 9, 0), day(2, 10, 0), 3500},
		{"three days", demo, day(1, 9, 0), day(4, 9, 0), 9000},
		{"no free minutes, no cap", Tariff{HourlyRateFen: 300}, day(1, 9, 0), day(1, 9, 1), 300},
		{"night hours at the night rate", night, day(1, 19, 0), day(1, 22, 0), 500 + 100 + 100},
		{"the hour starting at 08:00 is day", night, day(2, 7, 0), day(2, 9, 0), 100 + 500},
		{"a whole night", night, day(1, 20, 0), day(2, 8, 0), 12 * 100},
		{"night rate capped", capped, day(1, 8, 0), day(2, 8, 0), 3000},
		{"flat night once", flat, day(1, 19, 0), day(2, 9, 0), 500 + 1000 + 500},
		{"flat night twice over two nights", flat, day(1, 21, 0), day(3, 7, 0), 1000 + 12*500 + 1000},
		{"flat night across the 24 h boundary is one night", flat, day(1, 2, 0), day(2, 3, 0), 1000 + 12*500 + 1000},
		{"flat night within free minutes", flat, day(1, 21, 0), day(1, 21, 10), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.t.Fee(c.entry, c.exit, shanghai); got != c.want {
				t.Fatalf("Fee = %d, want %d", got, c.want)
			}
		})
	}
}

func TestTariffCheck(t *testing.T) {
	for _, bad := range []Tariff{{HourlyRateFen: -1}, {NightStart: "25:00", NightEnd: "08:00", NightRateFen: 1}, {NightStart: "x", NightEnd: "08:00", NightFlatFen: 1}} {
		if bad.Check() == nil {
			t.Errorf("%+v passed", bad)
		}
	}
	if (Tariff{FreeMinutes: 30, HourlyRateFen: 500, DailyCapFen: 3000}).Check() != nil {
		t.Error("the demo tariff failed")
	}
}

func BenchmarkTariffFeeWeek(b *testing.B) {
	tr := Tariff{FreeMinutes: 15, HourlyRateFen: 500, DailyCapFen: 3000, NightStart: "20:00", NightEnd: "08:00", NightFlatFen: 1000}
	entry := time.Date(2026, 6, 1, 9, 0, 0, 0, shanghai)
	for b.Loop() {
		tr.Fee(entry, entry.Add(7*24*time.Hour), shanghai)
	}
}
