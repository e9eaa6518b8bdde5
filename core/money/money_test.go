package money

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/wuye-project/wuye/core/apperr"
)

func TestExponents(t *testing.T) {
	for c, want := range map[Currency]int{"CNY": 2, "JPY": 0, "KWD": 3, "BHD": 3, "CLF": 4, "KRW": 0, "USD": 2, "XYZ": -1, "cny": -1} {
		if got := c.Exponent(); got != want {
			t.Errorf("%s exponent %d, want %d", c, got, want)
		}
	}
	if len(exponents) < 150 {
		t.Fatalf("only %d currencies in the table", len(exponents))
	}
}

func TestJSON(t *testing.T) {
	b, _ := json.Marshal(Fen(12345))
	if string(b) != `{"amount":12345,"currency":"CNY"}` {
		t.Fatal(string(b))
	}
	var m Money
	if err := json.Unmarshal([]byte(`{"amount": 500, "currency": "jpy"}`), &m); err != nil || m != New(500, "JPY") {
		t.Fatal(m, err)
	}
	for body, fields := range map[string][]string{
		`{"amount": 1, "currency": "ABC"}`:    {"currency"}, // three letters are not a currency
		`{"amount": 1}`:                       {"currency"},
		`{"currency": "CNY"}`:                 {"amount"},
		`{"amount": 1.5, "currency": "XX"}`:   {"amount", "currency"},
		`{"amount": 1e30, "currency": "CNY"}`: {"amount"},
		`"12.30"`:                             {"amount"},
		`{"amount": "12", "currency": "CNY"}`: {"amount"},
	} {
		err := json.Unmarshal([]byte(body), &m)
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.KindInvalid {
			t.Errorf("%s: %v, want invalid", body, err)
			continue
		}
		fe, _ := e.Details.([]apperr.FieldError)
		var got []string
		for _, f := range fe {
			got = append(got, f.Field)
			if f.EN == "" || f.ZH == "" {
				t.Errorf("%s: message missing: %+v", body, f)
			}
		}
		if len(got) != len(fields) {
			t.Errorf("%s: fields %v, want %v", body, got, fields)
		}
	}
	var c Currency
	if err := json.Unmarshal([]byte(`"QQQ"`), &c); err == nil {
		t.Fatal("QQQ accepted")
	}
}

func TestAddSub(t *testing.T) {
	s, err := Fen(100).Add(Fen(23))
	if err != nil || s.Amount != 123 {
		t.Fatal(s, err)
	}
	d, err := Fen(100).Sub(Fen(230))
	if err != nil || d.Amount != -130 {
		t.Fatal(d, err)
	}
	if _, err := Fen(1).Add(New(1, "USD")); !errors.Is(err, ErrCurrencyMismatch) {
		t.Fatal(err)
	}
	if _, err := Fen(math.MaxInt64).Add(Fen(1)); !errors.Is(err, ErrOverflow) {
		t.Fatal("add overflow", err)
	}
	if _, err := Fen(math.MinInt64).Sub(Fen(1)); !errors.Is(err, ErrOverflow) {
		t.Fatal("sub overflow", err)
	}
	if _, err := Fen(0).Sub(Fen(math.MinInt64)); !errors.Is(err, ErrOverflow) {
		t.Fatal("negate overflow", err)
	}
	if v, err := Fen(-1).Sub(Fen(math.MaxInt64)); err != nil || v.Amount != math.MinInt64 {
		t.Fatal(v, err)
	}
	if _, err := Fen(-5).Sub(Fen(math.MaxInt64)); !errors.Is(err, ErrOverflow) {
		t.Fatal("sub overflow below MinInt64", err)
	}
	if v, err := Fen(250).Mul(-3); err != nil || v.Amount != -750 {
		t.Fatal(v, err)
	}
	if _, err := Fen(math.MaxInt64 / 2).Mul(3); !errors.Is(err, ErrOverflow) {
		t.Fatal("mul overflow", err)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		m       Money
		str, fm string
	}{
		{Fen(12345), "123.45 CNY", "¥123.45"},
		{Fen(5), "0.05 CNY", "¥0.05"},
		{Fen(-120), "-1.20 CNY", "-¥1.20"},
		{New(500, "JPY"), "500 JPY", "¥500"},
		{New(1234, "KWD"), "1.234 KWD", "1.234 KWD"},
		{Fen(math.MinInt64), "-92233720368547758.08 CNY", "-¥92233720368547758.08"},
	} {
		if c.m.String() != c.str || c.m.Format() != c.fm {
			t.Errorf("%d %s: %q %q", c.m.Amount, c.m.Currency, c.m.String(), c.m.Format())
		}
	}
}

func TestParse(t *testing.T) {
	ok := map[string]int64{"123.45": 12345, "0.1": 10, ".5": 50, "-0.05": -5, "+7": 700, "1,234.56": 123456, "123.450": 12345, "10.": 1000, "92233720368547758.07": math.MaxInt64}
	for s, want := range ok {
		m, err := Parse(s, CNY)
		if err != nil || m.Amount != want {
			t.Errorf("%q: %v %v, want %d", s, m.Amount, err, want)
		}
	}
	// 0.1 + 0.2 is exact in minor units, unlike floats.
	a, _ := Parse("0.1", CNY)
	b, _ := Parse("0.2", CNY)
	if s, _ := a.Add(b); s.Amount != 30 {
		t.Fatal(s)
	}
	if m, err := Parse("1.5", "JPY"); err == nil {
		t.Fatal("1.5 JPY accepted", m)
	}
	if m, err := Parse("1.234", "KWD"); err != nil || m.Amount != 1234 {
		t.Fatal(m, err)
	}
	for _, s := range []string{"", "-", ".", "1.2.3", "abc", "1e5", "12,34", "1,2345", "123.456", "92233720368547758.08", "١٢"} {
		if _, err := Parse(s, CNY); err == nil {
			t.Errorf("%q accepted", s)
		} else if _, ok := apperr.As(err); !ok {
			t.Errorf("%q: %v is not an apperr", s, err)
		}
	}
	if _, err := Parse("1", "ABC"); err == nil {
		t.Fatal("currency ABC accepted")
	}
}
