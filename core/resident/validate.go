package resident

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ID document types.
const (
	IDResident      = "resident_id"     // 居民身份证
	IDPassport      = "passport"        // 护照
	IDHKMacauPermit = "hk_macau_permit" // 港澳居民来往内地通行证
	IDTaiwanPermit  = "taiwan_permit"   // 台湾居民来往大陆通行证
	IDOther         = "other"
)

var idTypes = map[string]bool{IDResident: true, IDPassport: true, IDHKMacauPermit: true, IDTaiwanPermit: true, IDOther: true}

// normaliseID uppercases and drops spaces: the form stored and indexed.
func normaliseID(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

var otherID = regexp.MustCompile(`^[A-Z0-9()\-]{5,30}$`)

// validID checks a normalised number against its document type.
func validID(typ, num string) bool {
	if typ == IDResident {
		return ValidResidentID(num, time.Now())
	}
	return otherID.MatchString(num)
}

// ValidResidentID checks an 18-character mainland resident ID (GB 11643):
// 17 digits whose birth date (positions 7-14) is a real past date, and the
// ISO 7064 MOD 11-2 check character (0-9 or X).
func ValidResidentID(id string, now time.Time) bool {
	if len(id) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * weights[i]
	}
	if id[17] != "10X98765432"[sum%11] {
		return false
	}
	birth, err := time.Parse("20060102", id[6:14])
	return err == nil && birth.Year() >= 1900 && !birth.After(now)
}

// NormalisePhone reduces a phone number to the form stored and indexed:
// mainland numbers as bare digits (the +86/0086 prefix, spaces, dashes and
// brackets removed), other countries as "+" and digits. ok is false when the
// result is not a mainland mobile (1[3-9]xxxxxxxxx), a mainland landline
// with area code (0 + 9-11 digits) or an international number.
func NormalisePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case strings.HasPrefix(n, "86") && len(n) == 13:
		n = n[2:]
	case strings.HasPrefix(n, "+"):
		return n, len(n) >= 8 && len(n) <= 16
	}
	switch {
	case len(n) == 11 && n[0] == '1' && n[1] >= '3':
		return n, true
	case len(n) >= 10 && len(n) <= 12 && n[0] == '0' && n[1] != '0':
		return n, true
	}
	return "", false
}

// Plates: a province abbreviation, the city letter, then five characters
// (ordinary plates, I and O unused) or six (new-energy: D/F then a letter or
// digit and four digits for small cars, five digits then D/F for large ones).
var (
	plateOrdinary  = regexp.MustCompile(`^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳领]$`)
	plateNewEnergy = regexp.MustCompile(`^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z]([DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF])$`)
)

// NormalisePlate uppercases a plate and removes the separator dot and
// spaces (粤b·d12345 → 粤BD12345); ok reports whether it is a valid plate.
func NormalisePlate(s string) (string, bool) {
	p := strings.Map(func(r rune) rune {
		switch r {
		case '·', '•', '.', '-', ' ', '\u3000':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	return p, plateOrdinary.MatchString(p) || plateNewEnergy.MatchString(p)
}

// FormatPlate shows a stored plate with its dot: 粤BD12345 → 粤B·D12345.
func FormatPlate(p string) string {
	r := []rune(p)
	if len(r) < 3 {
		return p
	}
	return string(r[:2]) + "·" + string(r[2:])
}

// Care tags with a fixed meaning; any other tag of 1-32 characters is a custom one.
const (
	TagElderlyAlone = "elderly_alone" // 独居老人
	TagChild        = "child"         // 儿童
	TagDisabled     = "disabled"      // 残障
	TagNeedsVisits  = "needs_visits"  // 需定期探访
)

// KnownTags are the built-in care tags.
var KnownTags = []string{TagElderlyAlone, TagChild, TagDisabled, TagNeedsVisits}

// normaliseTag trims a tag, lowercases ASCII and turns a built-in tag's
// Chinese label (独居老人 …) into its code, so the API, the importer, search
// and the care list all store and match one value; ok is false for an empty,
// too long or space-containing tag.
func normaliseTag(s string) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	if code, ok := tagNames[t]; ok {
		t = code
	}
	n := utf8.RuneCountInString(t)
	return t, n >= 1 && n <= 32 && !strings.ContainsAny(t, " \t\n/")
}

// parseDate reads an ISO calendar date (2006-01-02).
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// Labels accepted besides the stored values, the same by the API and the
// importer (matched after trimming and lowercasing; see choice).
var (
	genderNames = map[string]string{"男": "male", "女": "female"}
	idTypeNames = map[string]string{"身份证": IDResident, "居民身份证": IDResident, "护照": IDPassport, "港澳通行证": IDHKMacauPermit,
		"港澳居民来往内地通行证": IDHKMacauPermit, "台湾通行证": IDTaiwanPermit, "台胞证": IDTaiwanPermit, "台湾居民来往大陆通行证": IDTaiwanPermit, "其他": IDOther}
	roleNames = map[string]string{"业主": RoleOwner, "租户": RoleTenant, "租客": RoleTenant, "家属": RoleFamily, "家庭成员": RoleFamily,
		RoleOwner: RoleOwner, RoleTenant: RoleTenant, RoleFamily: RoleFamily}
	tagNames = map[string]string{"独居老人": TagElderlyAlone, "儿童": TagChild, "残障": TagDisabled, "残疾": TagDisabled, "需定期探访": TagNeedsVisits, "需探访": TagNeedsVisits}
)
