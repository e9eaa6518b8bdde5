package sim

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const soapNS = `xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ` +
	`xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ` +
	`xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" ` +
	`xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:tns1="http://www.onvif.org/ver10/topics" ` +
	`xmlns:ter="http://www.onvif.org/ver10/error" xmlns:dom0="urn:wuye:sim:event"`

// request is a SOAP request as the camera reads it: the UsernameToken and
// the body's one element.
type request struct {
	XMLName xml.Name
	Token   struct {
		Username string `xml:"Username"`
		Password struct {
			Type  string `xml:"Type,attr"`
			Value string `xml:",chardata"`
		} `xml:"Password"`
		Nonce   string `xml:"Nonce"`
		Created string `xml:"Created"`
	} `xml:"Header>Security>UsernameToken"`
	// SubscriptionID is the reference parameter of ReferenceParameters mode.
	SubscriptionID string `xml:"Header>SubscriptionId"`
	Body           struct {
		Op struct {
			XMLName                xml.Name
			InitialTerminationTime string `xml:"InitialTerminationTime"`
			TerminationTime        string `xml:"TerminationTime"`
			Timeout                string `xml:"Timeout"`
			MessageLimit           int    `xml:"MessageLimit"`
			ProfileToken           string `xml:"ProfileToken"`
		} `xml:",any"`
	} `xml:"Body"`
}

// soap serves every SOAP call.
func (c *Camera) soap(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
	if err != nil {
		fault(w, http.StatusRequestEntityTooLarge, "s:Sender", "ter:InvalidArgVal", "request too large")
		return
	}
	if !c.wait(r) {
		return
	}
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if c.misbehave(w, broken) {
		return
	}
	var req request
	if err := xml.Unmarshal(data, &req); err != nil || req.XMLName.Local != "Envelope" {
		fault(w, http.StatusBadRequest, "s:Sender", "ter:WellFormed", "not a SOAP envelope")
		return
	}
	op := req.Body.Op.XMLName.Local
	if op != "GetSystemDateAndTime" && !c.authorized(req) {
		c.mu.Lock()
		c.authBad++
		c.mu.Unlock()
		fault(w, http.StatusBadRequest, "s:Sender", "ter:NotAuthorized", "Sender not Authorized")
		return
	}
	o := req.Body.Op
	now := c.now()
	subID := r.PathValue("id")
	if subID == "" {
		subID = strings.TrimSpace(req.SubscriptionID)
	}
	switch op {
	case "GetSystemDateAndTime":
		reply(w, fmt.Sprintf(`<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>`+
			`<tt:UTCDateTime><tt:Time><tt:Hour>%d</tt:Hour><tt:Minute>%d</tt:Minute><tt:Second>%d</tt:Second></tt:Time>`+
			`<tt:Date><tt:Year>%d</tt:Year><tt:Month>%d</tt:Month><tt:Day>%d</tt:Day></tt:Date></tt:UTCDateTime>`+
			`</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
			now.Hour(), now.Minute(), now.Second(), now.Year(), int(now.Month()), now.Day()))
	case "GetCapabilities":
		base := "http://" + c.Addr()
		reply(w, `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>`+base+`/onvif/device_service</tt:XAddr></tt:Device>`+
			`<tt:Events><tt:XAddr>`+base+`/onvif/events_service</tt:XAddr><tt:WSPullPointSupport>true</tt:WSPullPointSupport></tt:Events>`+
			`<tt:Media><tt:XAddr>`+base+`/onvif/media_service</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`)
	case "CreatePullPointSubscription":
		ttl, err := termination(o.InitialTerminationTime, now)
		if err != nil {
			fault(w, http.StatusBadRequest, "s:Sender", "ter:InvalidArgVal", err.Error())
			return
		}
		id, terminates := c.subscribe(ttl)
		ref := `<wsa:Address>http://` + c.Addr() + `/onvif/subscription/` + id + `</wsa:Address>`
		if c.opt.ReferenceParameters {
			// dom0 is declared on the envelope only: the client must carry
			// the namespace over when it echoes the parameter.
			ref = `<wsa:Address>http://` + c.Addr() + `/onvif/subscription</wsa:Address><wsa:ReferenceParameters>` +
				`<dom0:SubscriptionId>` + id + `</dom0:SubscriptionId></wsa:ReferenceParameters>`
		}
		reply(w, `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>`+ref+`</tev:SubscriptionReference>`+
			times(now, terminates)+`</tev:CreatePullPointSubscriptionResponse>`)
	case "PullMessages":
		c.pullMessages(w, r, subID, o.Timeout, o.MessageLimit)
	case "Renew":
		ttl, err := termination(o.TerminationTime, now)
		if err != nil {
			fault(w, http.StatusBadRequest, "s:Sender", "ter:InvalidArgVal", err.Error())
			return
		}
		c.mu.Lock()
		s, ok := c.live(subID)
		var t time.Time
		if ok {
			s.terminates = now.Add(min(ttl, c.opt.MaxTTL))
			t = s.terminates
			c.renewed++
		}
		c.mu.Unlock()
		if !ok {
			unknownSub(w)
			return
		}
		reply(w, `<wsnt:RenewResponse><wsnt:TerminationTime>`+stamp(t)+`</wsnt:TerminationTime><wsnt:CurrentTime>`+
			stamp(now)+`</wsnt:CurrentTime></wsnt:RenewResponse>`)
	case "Unsubscribe":
		c.mu.Lock()
		s, ok := c.live(subID)
		if ok {
			close(s.wake)
			delete(c.subs, s.id)
			c.unsubs++
		}
		c.mu.Unlock()
		if !ok {
			unknownSub(w)
			return
		}
		reply(w, `<wsnt:UnsubscribeResponse/>`)
	case "GetProfiles":
		reply(w, `<trt:GetProfilesResponse><trt:Profiles token="Profile_1" fixed="true"><tt:Name>mainStream</tt:Name></trt:Profiles>`+
			`<trt:Profiles token="Profile_2" fixed="true"><tt:Name>subStream</tt:Name></trt:Profiles></trt:GetProfilesResponse>`)
	case "GetSnapshotUri":
		if !knownProfile(o.ProfileToken) {
			fault(w, http.StatusBadRequest, "s:Sender", "ter:NoProfile", "no such profile")
			return
		}
		reply(w, `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://`+c.Addr()+`/onvif/snapshot?profile=`+o.ProfileToken+
			`</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect></trt:MediaUri></trt:GetSnapshotUriResponse>`)
	case "GetStreamUri":
		if !knownProfile(o.ProfileToken) {
			fault(w, http.StatusBadRequest, "s:Sender", "ter:NoProfile", "no such profile")
			return
		}
		host, _, _ := strings.Cut(c.Addr(), ":")
		ch := map[string]string{"Profile_1": "101", "Profile_2": "102"}[o.ProfileToken]
		// Cameras often embed credentials in the URI; the driver must not
		// hand them on.
		uri := fmt.Sprintf("rtsp://%s:%s@%s:554/Streaming/Channels/%s?transportmode=unicast", c.opt.Username, c.opt.Password, host, ch)
		reply(w, `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>`+escape(uri)+`</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>`)
	default:
		fault(w, http.StatusBadRequest, "s:Receiver", "ter:ActionNotSupported", "action "+op+" is not supported")
	}
}

// rule is the analytics rule an alarm of kind names, as cameras do for
// their rule-engine events.
func rule(kind string) string {
	switch kind {
	case Motion:
		return `<tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/>`
	case Intrusion:
		return `<tt:SimpleItem Name="Rule" Value="Field1"/>`
	}
	return ""
}

func knownProfile(t string) bool { return t == "Profile_1" || t == "Profile_2" }

// pullMessages long-polls the subscription named by the path.
func (c *Camera) pullMessages(w http.ResponseWriter, r *http.Request, id, timeout string, limit int) {
	wait, err := parseDuration(timeout)
	if err != nil {
		fault(w, http.StatusBadRequest, "s:Sender", "ter:InvalidArgVal", err.Error())
		return
	}
	wait = min(wait, time.Minute)
	if limit <= 0 {
		limit = 1
	}
	c.mu.Lock()
	c.pulls++
	c.mu.Unlock()
	msgs, terminates, ok := c.pull(r.Context(), id, wait, limit)
	if !ok {
		unknownSub(w)
		return
	}
	var b strings.Builder
	b.WriteString(`<tev:PullMessagesResponse>` + times(c.now(), terminates))
	for _, m := range msgs {
		t := topics[m.kind]
		fmt.Fprintf(&b, `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">%s</wsnt:Topic>`+
			`<wsnt:Message><tt:Message UtcTime="%s" PropertyOperation="%s"><tt:Source>`+
			`<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="%s"/>%s</tt:Source>`+
			`<tt:Data><tt:SimpleItem Name="%s" Value="%t"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`,
			t.topic, stamp(m.at), m.op, escape(c.opt.VideoSource), rule(m.kind), t.item, m.active)
	}
	b.WriteString(`</tev:PullMessagesResponse>`)
	reply(w, b.String())
}

// authorized checks the UsernameToken: the user, the digest of nonce,
// created and password, and created within five minutes of the camera's
// clock.
func (c *Camera) authorized(r request) bool {
	if c.opt.Username == "" {
		return true
	}
	t := r.Token
	if t.Username != c.opt.Username {
		return false
	}
	if !strings.HasSuffix(t.Password.Type, "#PasswordDigest") {
		return t.Password.Value == c.opt.Password && strings.HasSuffix(t.Password.Type, "#PasswordText")
	}
	nonce, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t.Nonce))
	if err != nil {
		return false
	}
	created, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(t.Created))
	if err != nil {
		return false
	}
	if d := c.now().Sub(created); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	h := sha1.New()
	h.Write(nonce)
	h.Write([]byte(strings.TrimSpace(t.Created)))
	h.Write([]byte(c.opt.Password))
	want := base64.StdEncoding.EncodeToString(h.Sum(nil))
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(t.Password.Value))) == 1
}

// misbehave answers in the Break mode; false when there is none.
func (c *Camera) misbehave(w http.ResponseWriter, mode string) bool {
	switch mode {
	case BreakGarbage:
		w.Header().Set("Content-Type", "application/soap+xml")
		_, _ = io.WriteString(w, "\x00\x01 this is <not xml at all")
	case BreakHuge:
		w.Header().Set("Content-Type", "application/soap+xml")
		chunk := bytes.Repeat([]byte("<a>xxxxxxxxxxxxxxxxxxxxxxxxxxxx</a>"), 1024)
		_, _ = io.WriteString(w, `<?xml version="1.0"?><s:Envelope `+soapNS+`><s:Body>`)
		for range 4 << 20 / len(chunk) { // 4 MiB, more than any client should read
			if _, err := w.Write(chunk); err != nil {
				return true
			}
		}
	case BreakHTTP:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><body>500 Internal Server Error</body></html>")
	case BreakFault:
		fault(w, http.StatusInternalServerError, "s:Receiver", "ter:Action", "the camera is busy")
	default:
		return false
	}
	return true
}

func unknownSub(w http.ResponseWriter) {
	fault(w, http.StatusBadRequest, "s:Sender", "wsrf-rw:ResourceUnknownFault", "subscription unknown or terminated")
}

func reply(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><s:Envelope `+soapNS+`><s:Header/><s:Body>`+body+`</s:Body></s:Envelope>`)
}

func fault(w http.ResponseWriter, status int, code, subcode, reason string) {
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><s:Envelope `+soapNS+`><s:Body><s:Fault>`+
		`<s:Code><s:Value>`+code+`</s:Value><s:Subcode><s:Value>`+subcode+`</s:Value></s:Subcode></s:Code>`+
		`<s:Reason><s:Text xml:lang="en">`+escape(reason)+`</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`)
}

func times(now, terminates time.Time) string {
	return `<wsnt:CurrentTime>` + stamp(now) + `</wsnt:CurrentTime><wsnt:TerminationTime>` + stamp(terminates) + `</wsnt:TerminationTime>`
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// termination reads a requested termination: a duration (PT60S) or an
// absolute time; empty is ten minutes.
func termination(s string, now time.Time) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 10 * time.Minute, nil
	}
	if strings.HasPrefix(s, "P") {
		return parseDuration(s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("bad termination time %q", s)
	}
	return t.Sub(now), nil
}

// parseDuration reads PTnHnMnS durations.
func parseDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "PT")
	if !ok || rest == "" {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	var d time.Duration
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		unit := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}[rest[i]]
		d += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	return d, nil
}
