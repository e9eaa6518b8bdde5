package money

import (
	"encoding/json"
	"strings"

	"github.com/wuye-project/wuye/core/apperr"
)

// Currency is an ISO 4217 alphabetic code of an active currency. Only codes
// in the table below are valid: three letters alone are not a currency.
type Currency string

// CNY is the currency of every amount today (fees are fen).
const CNY Currency = "CNY"

// exponents are the active ISO 4217 currencies with their minor-unit
// exponent (digits after the decimal point). Codes without minor units in
// the standard (precious metals, XDR, test and fund codes) are left out:
// they are not money a tenant bills.
var exponents = map[Currency]int{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BOV": 2,
	"BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2,
	"CHW": 2, "CLF": 4, "CLP": 0, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2,
	"DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2,
	"GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2,
	"HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3,
	"JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2,
	"LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2,
	"MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2,
	"MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2,
	"PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0,
	"SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2,
	"SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2,
	"TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2,
	"UYW": 4, "UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XCG": 2,
	"XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// symbols are the signs written before an amount for the currencies a
// tenant here is likely to show; others are written as "123.45 XXX".
var symbols = map[Currency]string{"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "MOP": "MOP$", "TWD": "NT$"}

// ParseCurrency returns the currency with code s (upper case; surrounding
// space and lower case are accepted), or a field error naming field.
func ParseCurrency(field, s string) (Currency, error) {
	c := Currency(strings.ToUpper(strings.TrimSpace(s)))
	if _, ok := exponents[c]; !ok {
		if s == "" {
			return "", invalid(field, "required", "currency is required (an ISO 4217 code such as CNY)", "币种必填(ISO 4217 代码,如 CNY)")
		}
		return "", invalid(field, "invalid_currency", "currency must be an active ISO 4217 code such as CNY", "币种须为有效的 ISO 4217 代码,如 CNY")
	}
	return c, nil
}

// Valid reports whether c is an active currency of the table.
func (c Currency) Valid() bool { _, ok := exponents[c]; return ok }

// Exponent is the number of minor-unit digits (CNY 2, JPY 0, KWD 3); -1 for an invalid currency.
func (c Currency) Exponent() int {
	if e, ok := exponents[c]; ok {
		return e
	}
	return -1
}

// UnmarshalJSON accepts only a known code.
func (c *Currency) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return invalid("currency", "invalid_currency", "currency must be a string such as \"CNY\"", "币种须为字符串,如 \"CNY\"")
	}
	v, err := ParseCurrency("currency", s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

func invalid(field, code, en, zh string) error {
	return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: field, Code: code, EN: en, ZH: zh}})
}
