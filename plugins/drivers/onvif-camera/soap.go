package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Namespaces of the SOAP 1.2 envelope and the WS-Security UsernameToken.
const (
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	digestPW = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
	b64Nonce = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// envelope wraps body (one request element, namespaces declared on it) in
// a SOAP 1.2 envelope, with a UsernameToken header when user is set and
// the extra header elements given.
func envelope(user, password string, now time.Time, header, body string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Header>`)
	if user != "" {
		nonce := make([]byte, 16)
		_, _ = rand.Read(nonce)
		created := now.UTC().Format("2006-01-02T15:04:05.000Z")
		fmt.Fprintf(&b, `<wsse:Security s:mustUnderstand="1" xmlns:wsse="%s" xmlns:wsu="%s"><wsse:UsernameToken>`+
			`<wsse:Username>%s</wsse:Username><wsse:Password Type="%s">%s</wsse:Password>`+
			`<wsse:Nonce EncodingType="%s">%s</wsse:Nonce><wsu:Created>%s</wsu:Created>`+
			`</wsse:UsernameToken></wsse:Security>`,
			nsWSSE, nsWSU, escape(user), digestPW, PasswordDigest(nonce, created, password),
			b64Nonce, base64.StdEncoding.EncodeToString(nonce), created)
	}
	b.WriteString(header)
	b.WriteString(`</s:Header><s:Body>`)
	b.WriteString(body)
	b.WriteString(`</s:Body></s:Envelope>`)
	return b.Bytes()
}

// PasswordDigest is the UsernameToken digest:
// Base64(SHA1(nonce + created + password)).
func PasswordDigest(nonce []byte, created, password string) string {
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(created))
	h.Write([]byte(password))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Fault is a SOAP fault the camera answered with.
type Fault struct {
	Code    string // env:Sender, env:Receiver
	Subcode string // ter:NotAuthorized, wsrf-rw:ResourceUnknownFault ...
	Reason  string
}

func (f *Fault) Error() string {
	s := "soap fault " + f.Code
	if f.Subcode != "" {
		s += "/" + f.Subcode
	}
	if f.Reason != "" {
		s += ": " + f.Reason
	}
	return s
}

// Auth reports whether the camera refused the credentials.
func (f *Fault) Auth() bool {
	s := strings.ToLower(f.Subcode + " " + f.Reason)
	return strings.Contains(s, "notauthorized") || strings.Contains(s, "failedauthentication") ||
		strings.Contains(s, "not authorized")
}

// errMalformed wraps every answer that is not a SOAP envelope we can read.
var errMalformed = errors.New("malformed SOAP answer")

// soapFault is a SOAP 1.2 or 1.1 Fault element; elements are matched by
// local name, since cameras pick their own prefixes.
type soapFault struct {
	// SOAP 1.2
	Code struct {
		Value   string `xml:"Value"`
		Subcode struct {
			Value string `xml:"Value"`
		} `xml:"Subcode"`
	} `xml:"Code"`
	Reason struct {
		Text []string `xml:"Text"`
	} `xml:"Reason"`
	// SOAP 1.1
	FaultCode   string `xml:"faultcode"`
	FaultString string `xml:"faultstring"`
}

// parseEnvelope reads a SOAP answer into out (the struct of the expected
// body element, nil to ignore it), in one pass: the envelope, past the
// header, into the body's first element. A fault is a *Fault; anything
// else unreadable wraps errMalformed.
func parseEnvelope(data []byte, out any) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	root, err := nextElement(d)
	if err != nil {
		return err
	}
	if root == nil || root.Name.Local != "Envelope" || (root.Name.Space != nsSOAP12 && root.Name.Space != nsSOAP11) {
		return fmt.Errorf("%w: not a SOAP envelope", errMalformed)
	}
	for {
		el, err := nextElement(d)
		if err != nil {
			return err
		}
		if el == nil {
			return fmt.Errorf("%w: no body", errMalformed)
		}
		if el.Name.Local == "Body" {
			break
		}
		if err := d.Skip(); err != nil { // the header
			return fmt.Errorf("%w: %v", errMalformed, err)
		}
	}
	el, err := nextElement(d)
	if err != nil {
		return err
	}
	if el == nil {
		if out == nil {
			return nil
		}
		return fmt.Errorf("%w: empty body", errMalformed)
	}
	if el.Name.Local == "Fault" {
		var f soapFault
		if err := d.DecodeElement(&f, el); err != nil {
			return fmt.Errorf("%w: fault: %v", errMalformed, err)
		}
		fault := &Fault{Code: strings.TrimSpace(f.Code.Value), Subcode: strings.TrimSpace(f.Code.Subcode.Value),
			Reason: strings.TrimSpace(strings.Join(f.Reason.Text, "; "))}
		if fault.Code == "" {
			fault.Code, fault.Reason = strings.TrimSpace(f.FaultCode), strings.TrimSpace(f.FaultString)
		}
		return fault
	}
	if out == nil {
		return nil
	}
	if err := d.DecodeElement(out, el); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	return nil
}

// nextElement returns the next child element's start, nil at the end of
// the current element.
func nextElement(d *xml.Decoder) (*xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return &t, nil
		case xml.EndElement:
			return nil, nil
		}
	}
}

// parseDuration reads the xs:duration forms cameras use (PT5S, PT1M30S,
// PT0.5S, P1DT2H).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	var d time.Duration
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexAny(rest, "YMWDHS")
		if i <= 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		var n float64
		if _, err := fmt.Sscanf(rest[:i], "%g", &n); err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		unit := map[byte]time.Duration{'D': 24 * time.Hour, 'W': 7 * 24 * time.Hour, 'H': time.Hour, 'S': time.Second}[rest[i]]
		if rest[i] == 'M' {
			unit = time.Minute
			if !inTime {
				unit = 30 * 24 * time.Hour
			}
		}
		if rest[i] == 'Y' {
			unit = 365 * 24 * time.Hour
		}
		d += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	return d, nil
}

// formatDuration writes d as xs:duration in whole seconds.
func formatDuration(d time.Duration) string {
	return fmt.Sprintf("PT%dS", int(d.Round(time.Second)/time.Second))
}
