package decimal

import (
	"errors"
	"math"
	"testing"
)

func TestParseStrict(t *testing.T) {
	good := map[string]int64{"89.56": 8956, "89.5": 8950, "89": 8900, "0": 0, "-0": 0, "0.01": 1, " 120.00 ": 12000,
		"007.10": 710, "-1.5": -150, "+2": 200, "1.230000": 123}
	for in, want := range good {
		if got, err := Parse(in, 2); err != nil || got != want {
			t.Errorf("Parse(%q, 2) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]error{"1.234": ErrPrecision, "abc": ErrSyntax, "": ErrSyntax, "1e3": ErrSyntax, "1.": ErrSyntax,
		".5": ErrSyntax, "1,5": ErrSyntax, "--1": ErrSyntax, "99999999999999999999": ErrRange, "1 2": ErrSyntax}
	for in, want := range bad {
		if _, err := Parse(in, 2); !errors.Is(err, want) {
			t.Errorf("Parse(%q, 2) error %v, want %v", in, err, want)
		}
	}
	if got, err := Parse("9223372036854775807", 0); err != nil || got != math.MaxInt64 {
		t.Errorf("max int64: %d %v", got, err)
	}
	if _, err := Parse("9223372036854775808", 0); !errors.Is(err, ErrRange) {
		t.Errorf("max int64 + 1: %v", err)
	}
	if _, err := Parse("1", 19); !errors.Is(err, ErrScale) {
		t.Errorf("scale 19: %v", err)
	}
}

func TestRoundingModes(t *testing.T) {
	cases := []struct {
		in                     string
		halfUp, halfEven, down int64
		up                     int64
	}{
		{"1.005", 101, 100, 100, 101},
		{"1.015", 102, 102, 101, 102},
		{"1.0051", 101, 101, 100, 101},
		{"1.0049", 100, 100, 100, 101},
		{"1.001", 100, 100, 100, 101},
		{"-1.005", -101, -100, -100, -101},
		{"-1.015", -102, -102, -101, -102},
		{"2.50", 250, 250, 250, 250},
		{"0.995", 100, 100, 99, 100},
	}
	for _, c := range cases {
		for m, want := range map[Mode]int64{HalfUp: c.halfUp, HalfEven: c.halfEven, Down: c.down, Up: c.up} {
			if got, err := ParseRound(c.in, 2, m); err != nil || got != want {
				t.Errorf("ParseRound(%q, 2, %d) = %d, %v; want %d", c.in, m, got, err, want)
			}
		}
	}
	// Rescale rounds the same way.
	for m, want := range map[Mode]int64{HalfUp: -3, HalfEven: -2, Down: -2, Up: -3} {
		if got, err := Rescale(-250, 2, 0, m); err != nil || got != want {
			t.Errorf("Rescale(-2.50, mode %d) = %d, %v; want %d", m, got, err, want)
		}
	}
	if got, _ := Rescale(-350, 2, 0, HalfEven); got != -4 {
		t.Errorf("Rescale(-3.50, HalfEven) = %d", got)
	}
	if got, err := Rescale(12, 0, 4, HalfUp); err != nil || got != 120000 {
		t.Errorf("Rescale up: %d %v", got, err)
	}
	if _, err := Rescale(math.MaxInt64, 0, 1, HalfUp); !errors.Is(err, ErrRange) {
		t.Errorf("Rescale overflow: %v", err)
	}
}

func TestMul(t *testing.T) {
	// 89.56 m² × 2.35 fen/m² (scale 4: 23500) = 210.466 fen → 210 (HalfUp).
	if got, err := Mul(8956, 2, 23500, 4, 0, HalfUp); err != nil || got != 210 {
		t.Errorf("Mul = %d, %v", got, err)
	}
	// 0.5 × 1 → 0 or 1 by mode.
	for m, want := range map[Mode]int64{HalfUp: 1, HalfEven: 0, Down: 0, Up: 1} {
		if got, _ := Mul(5, 1, 1, 0, 0, m); got != want {
			t.Errorf("Mul(0.5) mode %d = %d, want %d", m, got, want)
		}
	}
	if _, err := Mul(math.MaxInt64, 0, 2, 0, 0, HalfUp); !errors.Is(err, ErrRange) {
		t.Errorf("Mul overflow: %v", err)
	}
}

func TestFormatAndJSON(t *testing.T) {
	for n, want := range map[int64]string{8956: "89.56", 1: "0.01", 0: "0.00", -150: "-1.50", math.MinInt64: "-92233720368547758.08"} {
		if got := Format(n, 2); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
	if Format(7, 0) != "7" {
		t.Error("scale 0")
	}
	for in, want := range map[string]string{`"89.56"`: "89.56", `89.56`: "89.56", ` -1 `: "-1"} {
		if got, err := JSONText([]byte(in)); err != nil || got != want {
			t.Errorf("JSONText(%s) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{`{}`, `[1]`, `true`, `null`, ``, `"unterminated`} {
		if _, err := JSONText([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("JSONText(%s): %v", in, err)
		}
	}
}
