package asset

import "testing"

// A currency field accepting any three letters was the bug: only ISO 4217 codes pass.
func TestRecordCurrencyIsISO(t *testing.T) {
	in := RecordInput{Result: "ok", CostMinor: 100}
	in.DoneOn = NewDate(2025, 1, 2)
	for cur, ok := range map[string]bool{"": true, "CNY": true, "usd": true, "ABC": false, "XX": false} {
		in.Currency = cur
		bad := false
		for _, f := range in.Validate() {
			bad = bad || f.Field == "currency"
		}
		if bad == ok {
			t.Errorf("currency %q: refused=%v", cur, bad)
		}
	}
}
