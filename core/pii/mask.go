package pii

import "strings"

// MaskPhone shows the first three and last four digits of a phone number
// (13812345678 → 138****5678); short numbers keep only their last two.
func MaskPhone(s string) string {
	return mask(s, 3, 4)
}

// MaskID shows the first three and last four characters of an ID document
// number (110101199003071234 → 110***********1234).
func MaskID(s string) string {
	return mask(s, 3, 4)
}

// mask keeps head and tail characters and stars the rest. Shorter values
// (passports, landlines without area code) keep only their tail, and very
// short ones only their last character.
func mask(s string, head, tail int) string {
	r := []rune(s)
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n < 4:
		head, tail = 0, 0
	case n < 7:
		head, tail = 0, 1
	case n < 10:
		head = 0
	}
	return string(r[:head]) + strings.Repeat("*", n-head-tail) + string(r[n-tail:])
}
