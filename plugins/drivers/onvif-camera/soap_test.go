package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseEnvelope(t *testing.T) {
	var out struct {
		URI string `xml:"MediaUri>Uri"`
	}
	ok := `<e:Envelope xmlns:e="` + nsSOAP12 + `"><e:Body><x:R xmlns:x="u"><x:MediaUri><x:Uri>rtsp://a/b</x:Uri></x:MediaUri></x:R></e:Body></e:Envelope>`
	if err := parseEnvelope([]byte(ok), &out); err != nil || out.URI != "rtsp://a/b" {
		t.Fatalf("%v %q", err, out.URI)
	}
	fault12 := `<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code><s:Reason><s:Text>no</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`
	var f *Fault
	if err := parseEnvelope([]byte(fault12), &out); !errors.As(err, &f) || !f.Auth() || f.Reason != "no" {
		t.Errorf("1.2 fault: %v", err)
	}
	fault11 := `<s:Envelope xmlns:s="` + nsSOAP11 + `"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>bad</faultstring></s:Fault></s:Body></s:Envelope>`
	if err := parseEnvelope([]byte(fault11), nil); !errors.As(err, &f) || f.Code != "s:Client" || f.Reason != "bad" {
		t.Errorf("1.1 fault: %v", err)
	}
	for _, bad := range []string{"", "garbage", "<html>500</html>", `<s:Envelope xmlns:s="other"/>`,
		`<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Body></s:Body></s:Envelope>`, `<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Body><a>`} {
		if err := parseEnvelope([]byte(bad), &out); !errors.Is(err, errMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPasswordDigest(t *testing.T) {
	// The widely published UsernameToken example: nonce
	// "LKqI6G/AikKCQrN0zqZFlg==" (base64), created "2010-09-16T07:50:45Z",
	// password "userpassword".
	nonce := []byte{0x2c, 0xaa, 0x88, 0xe8, 0x6f, 0xc0, 0x8a, 0x42, 0x82, 0x42, 0xb3, 0x74, 0xce, 0xa6, 0x45, 0x96}
	if got := PasswordDigest(nonce, "2010-09-16T07:50:45Z", "userpassword"); got != "tuOSpGlFlIXsozq4HFNeeGeFLEI=" {
		t.Errorf("digest %s", got)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"PT5S": 5 * time.Second, "PT1M30S": 90 * time.Second, "PT0.5S": 500 * time.Millisecond,
		"P1DT2H": 26 * time.Hour, "PT10M": 10 * time.Minute} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "5S", "P", "PTXS", "PT-1S"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseEnvelope: whatever a camera sends, the parser answers without
// a panic.
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Body><tev:PullMessagesResponse xmlns:tev="x"><wsnt:NotificationMessage xmlns:wsnt="y"><wsnt:Topic>tns1:VideoSource/MotionAlarm</wsnt:Topic><wsnt:Message><tt:Message xmlns:tt="z" UtcTime="2026-01-01T00:00:00Z"><tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage></tev:PullMessagesResponse></s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault></s:Body></s:Envelope>`))
	f.Add([]byte(`<<<>>>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out struct {
			times
			Messages []notification `xml:"NotificationMessage"`
		}
		if err := parseEnvelope(data, &out); err == nil {
			for _, m := range out.Messages {
				alarmOf(m, "1")
			}
		}
	})
}

// BenchmarkParsePull measures reading a PullMessages answer of 100 alarms.
func BenchmarkParsePull(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<s:Envelope xmlns:s="` + nsSOAP12 + `"><s:Body><tev:PullMessagesResponse xmlns:tev="x" xmlns:wsnt="y" xmlns:tt="z"><tev:CurrentTime>2026-01-01T00:00:00Z</tev:CurrentTime><tev:TerminationTime>2026-01-01T00:01:00Z</tev:TerminationTime>`)
	for i := range 100 {
		fmt.Fprintf(&sb, `<wsnt:NotificationMessage><wsnt:Topic>tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic><wsnt:Message><tt:Message UtcTime="2026-01-01T00:00:%02dZ" PropertyOperation="Changed"><tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VS1"/></tt:Source><tt:Data><tt:SimpleItem Name="IsMotion" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`, i%60)
	}
	sb.WriteString(`</tev:PullMessagesResponse></s:Body></s:Envelope>`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var out struct {
			times
			Messages []notification `xml:"NotificationMessage"`
		}
		if err := parseEnvelope(data, &out); err != nil || len(out.Messages) != 100 {
			b.Fatal(err)
		}
		for _, m := range out.Messages {
			alarmOf(m, "")
		}
	}
}
