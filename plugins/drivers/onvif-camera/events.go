package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

const (
	nsEvents = "http://www.onvif.org/ver10/events/wsdl"
	nsWSNT   = "http://docs.oasis-open.org/wsn/b-2"
	nsWSA    = "http://www.w3.org/2005/08/addressing"
)

// subscription is a PullPoint subscription on the camera.
type subscription struct {
	addr        string        // where PullMessages, Renew and Unsubscribe go
	refParams   string        // WS-Addressing reference parameters, echoed as headers
	remaining   time.Duration // until it terminates, by the camera's clock
	refreshedAt time.Time     // when remaining was read, by ours
}

// expiresIn is how long the subscription has left.
func (s *subscription) expiresIn() time.Duration { return s.remaining - time.Since(s.refreshedAt) }

// times is the CurrentTime/TerminationTime pair answers carry.
type times struct {
	Current     string `xml:"CurrentTime"`
	Termination string `xml:"TerminationTime"`
}

// left is the time until termination by the camera's own clock (so a
// camera's clock skew does not matter); fallback when it does not say.
func (t times) left(fallback time.Duration) time.Duration {
	cur, err1 := time.Parse(time.RFC3339Nano, strings.TrimSpace(t.Current))
	term, err2 := time.Parse(time.RFC3339Nano, strings.TrimSpace(t.Termination))
	if err1 != nil || err2 != nil {
		return fallback
	}
	return term.Sub(cur)
}

// subscribe creates a PullPoint subscription asking for ttl.
func (c *client) subscribe(ctx context.Context, ttl time.Duration) (*subscription, error) {
	events, _ := c.services()
	var out struct {
		Ref struct {
			Address string `xml:"Address"`
			Params  struct {
				Elements []element `xml:",any"`
			} `xml:"ReferenceParameters"`
		} `xml:"SubscriptionReference"`
		times
	}
	body := `<tev:CreatePullPointSubscription xmlns:tev="` + nsEvents + `"><tev:InitialTerminationTime>` +
		formatDuration(ttl) + `</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`
	if err := c.call(ctx, events, nsEvents+"/EventPortType/CreatePullPointSubscriptionRequest", body, &out); err != nil {
		return nil, err
	}
	addr, err := c.local(out.Ref.Address)
	if err != nil {
		return nil, fmt.Errorf("subscription reference: %w", err)
	}
	var params strings.Builder
	for _, e := range out.Ref.Params.Elements {
		e.write(&params, true)
	}
	return &subscription{addr: addr, refParams: params.String(), remaining: out.left(ttl), refreshedAt: time.Now()}, nil
}

// callSub calls the subscription manager: WS-Addressing To and Action, and
// the reference parameters some cameras identify the subscription by
// (rather than by its address).
func (c *client) callSub(ctx context.Context, s *subscription, action, body string, out any) error {
	header := `<wsa:Action xmlns:wsa="` + nsWSA + `">` + escape(action) + `</wsa:Action><wsa:To xmlns:wsa="` + nsWSA + `">` +
		escape(s.addr) + `</wsa:To>` + s.refParams
	return c.post(ctx, s.addr, action, header, body, true, out)
}

// element is any XML element, kept to be written back: a reference
// parameter, whose namespaces may be declared on ancestors the camera
// wrote and we do not echo.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []element  `xml:",any"`
}

// write writes e with its namespace declared on it; top marks it as a
// reference parameter.
func (e element) write(b *strings.Builder, top bool) {
	b.WriteString(`<p:` + e.XMLName.Local + ` xmlns:p="` + escape(e.XMLName.Space) + `"`)
	if top {
		b.WriteString(` xmlns:wsa="` + nsWSA + `" wsa:IsReferenceParameter="true"`)
	}
	for _, a := range e.Attrs {
		if a.Name.Space == "" {
			b.WriteString(" " + a.Name.Local + `="` + escape(a.Value) + `"`)
		}
	}
	b.WriteString(">")
	if len(e.Children) == 0 {
		b.WriteString(escape(e.Text))
	}
	for _, c := range e.Children {
		c.write(b, false)
	}
	b.WriteString(`</p:` + e.XMLName.Local + `>`)
}

// notification is one wsnt:NotificationMessage.
type notification struct {
	Topic   string `xml:"Topic"`
	Message struct {
		Message struct {
			UtcTime   string       `xml:"UtcTime,attr"`
			Operation string       `xml:"PropertyOperation,attr"`
			Source    []simpleItem `xml:"Source>SimpleItem"`
			Data      []simpleItem `xml:"Data>SimpleItem"`
		} `xml:"Message"`
	} `xml:"Message"`
}

type simpleItem struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:"Value,attr"`
}

// pull long-polls the subscription for up to wait.
func (c *client) pull(ctx context.Context, s *subscription, wait time.Duration, limit int) ([]notification, error) {
	var out struct {
		times
		Messages []notification `xml:"NotificationMessage"`
	}
	body := fmt.Sprintf(`<tev:PullMessages xmlns:tev="%s"><tev:Timeout>%s</tev:Timeout><tev:MessageLimit>%d</tev:MessageLimit></tev:PullMessages>`,
		nsEvents, formatDuration(wait), limit)
	if err := c.callSub(ctx, s, nsEvents+"/PullPointSubscription/PullMessagesRequest", body, &out); err != nil {
		return nil, err
	}
	if out.Termination != "" {
		s.remaining, s.refreshedAt = out.left(s.remaining), time.Now()
	}
	return out.Messages, nil
}

// renew extends the subscription by ttl.
func (c *client) renew(ctx context.Context, s *subscription, ttl time.Duration) error {
	var out times
	body := `<wsnt:Renew xmlns:wsnt="` + nsWSNT + `"><wsnt:TerminationTime>` + formatDuration(ttl) + `</wsnt:TerminationTime></wsnt:Renew>`
	if err := c.callSub(ctx, s, "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest", body, &out); err != nil {
		return err
	}
	s.remaining, s.refreshedAt = out.left(ttl), time.Now()
	return nil
}

// unsubscribe ends the subscription.
func (c *client) unsubscribe(ctx context.Context, s *subscription) error {
	return c.callSub(ctx, s, "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
		`<wsnt:Unsubscribe xmlns:wsnt="`+nsWSNT+`"/>`, nil)
}

// alarmKind maps an event topic to a camera.alarm kind ("" for topics
// that are not alarms).
func alarmKind(topic string) string {
	t := strings.ToLower(strings.TrimSpace(topic))
	// Drop the prefix: cameras bind tns1 to different prefixes.
	if i := strings.IndexByte(t, ':'); i >= 0 && !strings.Contains(t[:i], "/") {
		t = t[i+1:]
	}
	switch {
	case strings.HasPrefix(t, "videosource/motionalarm"), strings.HasPrefix(t, "ruleengine/cellmotiondetector/motion"):
		return "motion"
	case strings.HasPrefix(t, "ruleengine/fielddetector/objectsinside"):
		return "intrusion"
	case strings.HasPrefix(t, "videosource/globalscenechange"), strings.Contains(t, "tamper"):
		return "tamper"
	case strings.Contains(t, "smoke"):
		return "smoke"
	}
	return ""
}

// activeItems are the data items that carry an alarm's state.
var activeItems = []string{"State", "IsMotion", "IsInside", "IsTamper", "IsSmoke", "LogicalState"}

// channelItems are the source items naming the video source.
var channelItems = []string{"VideoSourceConfigurationToken", "VideoSourceToken", "Source", "InputToken", "VideoSource"}

// alarmOf turns a notification into a camera.alarm event; ok is false for
// topics that are not alarms or data without a state.
func alarmOf(n notification, defaultChannel string) (driver.Event, bool) {
	kind := alarmKind(n.Topic)
	if kind == "" {
		return driver.Event{}, false
	}
	m := n.Message.Message
	active, found := false, false
	for _, name := range activeItems {
		if v, ok := item(m.Data, name); ok {
			v = strings.ToLower(strings.TrimSpace(v))
			active, found = v == "true" || v == "1", true
			break
		}
	}
	if !found {
		return driver.Event{}, false
	}
	// Initialized messages state what holds when the subscription starts:
	// an alarm not active then is nothing to report.
	if m.Operation == "Initialized" && !active {
		return driver.Event{}, false
	}
	channel, source := defaultChannel, ""
	for _, name := range channelItems {
		if v, ok := item(m.Source, name); ok && v != "" {
			channel, source = v, v
			break
		}
	}
	// Analytics name the rule (a drawn field or line) that fired.
	region, _ := item(m.Source, "Rule")
	at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(m.UtcTime))
	if err != nil {
		at = time.Time{}
	}
	return driver.Event{
		Type: driver.CameraAlarm,
		At:   at,
		// The camera's time, topic and source name one occurrence: a
		// message seen twice (a re-created subscription) is dropped.
		Key:  strings.TrimSpace(m.UtcTime) + "|" + strings.TrimSpace(n.Topic) + "|" + source + "|" + fmt.Sprint(active),
		Data: driver.Alarm{Kind: kind, Channel: channel, Active: active, Region: region},
	}, true
}

func item(items []simpleItem, name string) (string, bool) {
	for _, it := range items {
		if it.Name == name {
			return it.Value, true
		}
	}
	return "", false
}
