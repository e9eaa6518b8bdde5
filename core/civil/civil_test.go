package civil

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTodayIsTheZonesDay(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-11-28 17:30 UTC is already the 29th in Shanghai.
	at := time.Date(2026, 11, 28, 17, 30, 0, 0, time.UTC)
	if got := On(at, sh); got != (Date{2026, 11, 29}) {
		t.Fatal(got)
	}
	if got := On(at, time.UTC); got != (Date{2026, 11, 28}) {
		t.Fatal(got)
	}
	if Today(sh).IsZero() {
		t.Fatal("zero today")
	}
}

func TestAddMonthsClamps(t *testing.T) {
	for _, c := range []struct {
		d    Date
		n    int
		want Date
	}{
		{Date{2026, 1, 31}, 1, Date{2026, 2, 28}},
		{Date{2028, 1, 31}, 1, Date{2028, 2, 29}},
		{Date{2026, 3, 31}, -1, Date{2026, 2, 28}},
		{Date{2026, 12, 15}, 2, Date{2027, 2, 15}},
		{Date{2026, 5, 31}, -12, Date{2025, 5, 31}},
	} {
		if got := c.d.AddMonths(c.n); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.d, c.n, got, c.want)
		}
	}
	if d := (Date{2026, 2, 27}).AddDays(3); d != (Date{2026, 3, 2}) {
		t.Fatal(d)
	}
	if n := (Date{2026, 1, 1}).DaysUntil(Date{2026, 3, 1}); n != 59 {
		t.Fatal(n)
	}
}

func TestPeriod(t *testing.T) {
	p := PeriodOf(Date{2028, 2, 10})
	if p.Start() != (Date{2028, 2, 1}) || p.End() != (Date{2028, 2, 29}) || p.String() != "2028-02" {
		t.Fatal(p.Start(), p.End(), p)
	}
	if p.Add(11) != (Period{2029, 1}) || !p.Contains(Date{2028, 2, 29}) || p.Contains(Date{2028, 3, 1}) {
		t.Fatal(p.Add(11))
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	s, e := p.Bounds(sh)
	if s.UTC() != time.Date(2028, 1, 31, 16, 0, 0, 0, time.UTC) || e.UTC() != time.Date(2028, 2, 29, 16, 0, 0, 0, time.UTC) {
		t.Fatal(s.UTC(), e.UTC())
	}
}

func TestJSON(t *testing.T) {
	b, _ := json.Marshal(struct {
		D Date   `json:"d"`
		Z Date   `json:"z"`
		P Period `json:"p"`
	}{D: Date{2026, 11, 29}, P: Period{2026, 11}})
	if string(b) != `{"d":"2026-11-29","z":null,"p":"2026-11"}` {
		t.Fatal(string(b))
	}
	var d Date
	if err := json.Unmarshal([]byte(`"2026-02-29"`), &d); err == nil {
		t.Fatal("2026-02-29 accepted")
	}
	if err := json.Unmarshal([]byte(`"2028-02-29"`), &d); err != nil || d != (Date{2028, 2, 29}) {
		t.Fatal(d, err)
	}
	var p Period
	if err := json.Unmarshal([]byte(`"2026-13"`), &p); err == nil {
		t.Fatal("month 13 accepted")
	}
	var s Date
	if err := s.Scan("2026-11-29T00:00:00Z"); err != nil || s != (Date{2026, 11, 29}) {
		t.Fatal(s, err)
	}
}

func TestParseRelative(t *testing.T) {
	today := Date{2026, 1, 31}
	for s, want := range map[string]Date{"today": today, "+3d": {2026, 2, 3}, "-2w": {2026, 1, 17}, "+1m": {2026, 2, 28}, "-1y": {2025, 1, 31}, "2024-06-15": {2024, 6, 15}} {
		if got, err := ParseRelative(s, today); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"+d", "3d", "+3x", "-1.5m", "yesterday", "+-3d"} {
		if _, err := ParseRelative(s, today); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
