package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// users is identity's side: accounts with their own phone, email and language.
type users map[uuid.UUID]notify.Recipient

func (u users) Contact(_ context.Context, _ uuid.UUID, id uuid.UUID) (notify.Recipient, bool, error) {
	r, ok := u[id]
	return r, ok, nil
}

// audience is the resident register's side: the members of each target.
type audience struct {
	members map[string][]notify.Member // by target kind + id or tag
}

func targetKey(t notify.Target) string {
	switch t.Kind {
	case notify.AudienceCommunity:
		return "c" + t.CommunityID.String()
	case notify.AudienceBuilding:
		return "b" + t.BuildingID.String()
	}
	return "t" + t.Tag
}

func (a *audience) Exists(_ context.Context, _ uuid.UUID, t notify.Target) (bool, error) {
	_, ok := a.members[targetKey(t)]
	return ok, nil
}

func (a *audience) Members(_ context.Context, _ uuid.UUID, t notify.Target) ([]notify.Member, error) {
	return a.members[targetKey(t)], nil
}

func shanghai(context.Context, uuid.UUID) *time.Location {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return loc
}

func keyring(t testing.TB) *pii.Keyring {
	k, idx := make([]byte, 32), make([]byte, 32)
	k[0], idx[0] = 7, 9
	keys, err := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func newService(t testing.TB, db *store.DB, u users, a *audience, opt notify.Options) *notify.Service {
	t.Helper()
	if a == nil {
		a = &audience{members: map[string][]notify.Member{}}
	}
	opt.AllowPrivate = true // the tests' SMTP, SMS and webhook peers listen on loopback
	s, err := notify.New(db, notify.Deps{Users: u, Audience: a, Keys: keyring(t), Zone: shanghai}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	if e, ok := apperr.As(err); ok {
		fe, _ := e.Details.([]apperr.FieldError)
		for _, f := range fe {
			out[f.Field] = f.Code
		}
	}
	return out
}

var page = paging.Paging{Limit: 50}

func TestInboxAndDedupe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid, other := store.NewID(), store.NewID()
		alice, bob := store.NewID(), store.NewID()
		svc := newService(t, db, users{alice: {Name: "Alice", Lang: "en"}, bob: {Name: "王伟"}}, nil, notify.Options{})

		msg := notify.Message{Event: "bill:r1:2026-03", Template: "bill.issued",
			Vars: map[string]string{"room": "1栋/1单元/101", "period": "2026-03", "amount": "¥256.40", "due_date": "2026-03-15"},
			To:   []notify.Recipient{{UserID: alice, Lang: "en"}, {UserID: bob}, {Name: "No account", Phone: "13900000000"}}, Link: "/bills"}
		if err := svc.Send(ctx, tid, msg); err != nil {
			t.Fatal(err)
		}
		if err := svc.Send(ctx, tid, msg); err != nil { // the same event again: nothing new
			t.Fatal(err)
		}
		items, total, err := svc.Inbox(ctx, tid, alice, notify.InboxFilter{}, page)
		if err != nil || total != 1 {
			t.Fatalf("alice's inbox: %d items, %v", total, err)
		}
		if items[0].Title != "Your 2026-03 bill" || !strings.Contains(items[0].Body, "¥256.40 due for 2026-03, please pay by 2026-03-15") || items[0].Link != "/bills" {
			t.Fatalf("alice reads English: %+v", items[0])
		}
		bobs, _, _ := svc.Inbox(ctx, tid, bob, notify.InboxFilter{}, page)
		if len(bobs) != 1 || !strings.Contains(bobs[0].Body, "应缴 ¥256.40") {
			t.Fatalf("bob reads Chinese: %+v", bobs)
		}
		// No SMS provider is configured: the phone-only recipient gets no delivery, and nothing is queued.
		ds, n, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{}, page)
		if n != 0 {
			t.Fatalf("deliveries without channels configured: %+v", ds)
		}

		// A second event, then read one and the rest.
		if err := svc.Send(ctx, tid, notify.Message{Event: "wo:1:resolved", Template: "workorder.resolved",
			Vars: map[string]string{"number": "WO-1", "title": "漏水"}, To: []notify.Recipient{{UserID: alice}}}); err != nil {
			t.Fatal(err)
		}
		if c, _ := svc.UnreadCount(ctx, tid, alice); c != 2 {
			t.Fatalf("unread %d, want 2", c)
		}
		items, _, _ = svc.Inbox(ctx, tid, alice, notify.InboxFilter{}, page)
		if _, err := svc.MarkRead(ctx, tid, bob, items[1].ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("bob marks alice's entry: %v", err)
		}
		if _, err := svc.MarkRead(ctx, other, alice, items[1].ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant marks it: %v", err)
		}
		if it, err := svc.MarkRead(ctx, tid, alice, items[1].ID); err != nil || it.ReadAt == nil {
			t.Fatalf("mark read: %+v %v", it, err)
		}
		items, _, _ = svc.Inbox(ctx, tid, alice, notify.InboxFilter{}, page)
		if items[0].ReadAt != nil || items[1].ReadAt == nil {
			t.Fatalf("unread first: %+v", items)
		}
		unread, _, _ := svc.Inbox(ctx, tid, alice, notify.InboxFilter{Unread: true, Category: "workorder"}, page)
		if len(unread) != 1 || unread[0].Template != "workorder.resolved" {
			t.Fatalf("unread workorder filter: %+v", unread)
		}
		if n, err := svc.MarkAllRead(ctx, tid, alice); err != nil || n != 1 {
			t.Fatalf("mark all: %d %v", n, err)
		}
		if c, _ := svc.UnreadCount(ctx, tid, alice); c != 0 {
			t.Fatalf("unread after all read: %d", c)
		}
		if _, _, err := svc.Inbox(ctx, tid, alice, notify.InboxFilter{Category: "nope"}, page); fieldCodes(err)["category"] != "unknown_category" {
			t.Fatalf("bad category: %v", err)
		}
		if err := svc.Send(ctx, tid, notify.Message{Event: "x", Template: "no.such"}); code(err) != "unknown_template" {
			t.Fatalf("unknown template: %v", err)
		}
	})
}

func TestTemplatesAndPreferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid, u := store.NewID(), store.NewID()
		svc := newService(t, db, users{u: {Name: "Li", Phone: "13800000009", Email: "li@example.com"}}, nil, notify.Options{})

		_, err := svc.PutTemplate(ctx, tid, "bill.overdue", "admin", notify.TemplateInput{Lang: "zh", Body: "{room} 欠费 {amount},{nickname} 请缴费"})
		if fieldCodes(err)["body"] != "unknown_variable" || !strings.Contains(err.(*apperr.Error).Details.([]apperr.FieldError)[0].EN, "{nickname}") {
			t.Fatalf("unknown variable must be refused when saved: %v", err)
		}
		if _, err := svc.PutTemplate(ctx, tid, "bill.overdue", "admin", notify.TemplateInput{Lang: "fr", Channel: "fax", Body: "x"}); len(fieldCodes(err)) != 2 {
			t.Fatalf("lang and channel: %v", fieldCodes(err))
		}
		if _, err := svc.PutTemplate(ctx, tid, "no.such", "admin", notify.TemplateInput{Lang: "zh", Body: "x"}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("unknown code: %v", err)
		}
		if _, err := svc.PutTemplate(ctx, tid, "bill.overdue", "admin", notify.TemplateInput{Lang: "zh", Subject: "欠费提醒", Body: "{name}您好,{room} 欠费 {amount}。"}); err != nil {
			t.Fatal(err)
		}
		ts, _ := svc.ListTemplates(ctx, tid)
		var found bool
		for _, x := range ts {
			if x.Code == "bill.overdue" && len(x.Overrides) == 1 && x.Defaults["en"].Subject == "Payment reminder" {
				found = true
			}
		}
		if !found {
			t.Fatal("the override is listed beside the defaults")
		}
		if err := svc.Send(ctx, tid, notify.Message{Event: "e1", Template: "bill.overdue", Vars: map[string]string{"room": "101", "amount": "¥9.00"},
			To: []notify.Recipient{{UserID: u, Name: "李四"}}}); err != nil {
			t.Fatal(err)
		}
		items, _, _ := svc.Inbox(ctx, tid, u, notify.InboxFilter{}, page)
		if items[0].Title != "欠费提醒" || items[0].Body != "李四您好,101 欠费 ¥9.00。" {
			t.Fatalf("the tenant's text: %+v", items[0])
		}

		// Preferences: unknown category and channel refused; a choice turns a default off.
		if _, err := svc.PutPreferences(ctx, tid, u, notify.Preferences{Channels: map[string]map[string]bool{"spam": {"sms": true}, "billing": {"fax": true}}}); len(fieldCodes(err)) != 2 {
			t.Fatalf("bad preferences: %v", err)
		}
		if _, err := svc.PutPreferences(ctx, tid, u, notify.Preferences{QuietStart: "25:00", QuietEnd: "07:00"}); fieldCodes(err)["quiet_start"] != "invalid_time" {
			t.Fatalf("bad quiet hours: %v", err)
		}
		if _, err := svc.PutSettings(ctx, tid, notify.Settings{SMS: notify.SMS{Provider: "aliyun", AccessKeyID: "id", Secret: "s", SignName: "阳光物业", Endpoint: "http://127.0.0.1:1/"},
			SMTP: notify.SMTP{Host: "127.0.0.1", Port: 2525, From: "noreply@example.com"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutPreferences(ctx, tid, u, notify.Preferences{Channels: map[string]map[string]bool{"billing": {"sms": false, "email": true}}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Send(ctx, tid, notify.Message{Event: "e2", Template: "bill.overdue", Vars: map[string]string{"room": "101"}, To: []notify.Recipient{{UserID: u}}}); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{Event: "e2"}, page)
		if len(ds) != 1 || ds[0].Channel != "email" || ds[0].Address != "l***@example.com" {
			t.Fatalf("sms turned off, email on, address masked: %+v", ds)
		}
		st, _ := svc.GetSettings(ctx, tid)
		if !st.SMS.SecretSet || st.SMS.Secret != "" || st.SMTP.PasswordSet {
			t.Fatalf("secrets are never shown: %+v", st)
		}
	})
}

func TestQuietHours(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	tid, u := store.NewID(), store.NewID()
	svc := newService(t, db, users{u: {Phone: "13800000009"}}, nil, notify.Options{})
	loc := shanghai(ctx, tid)
	svc.SetClock(func() time.Time { return time.Date(2026, 3, 10, 23, 30, 0, 0, loc) })
	if _, err := svc.PutSettings(ctx, tid, notify.Settings{QuietStart: "22:00", QuietEnd: "07:30",
		SMS: notify.SMS{Provider: "aliyun", AccessKeyID: "id", Secret: "s", SignName: "x"}}); err != nil {
		t.Fatal(err)
	}
	for _, urgent := range []bool{false, true} {
		ev := "quiet"
		if urgent {
			ev = "alarm"
		}
		if err := svc.Send(ctx, tid, notify.Message{Event: ev, Template: "bill.overdue", Urgent: urgent, To: []notify.Recipient{{UserID: u}}}); err != nil {
			t.Fatal(err)
		}
	}
	held, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{Event: "quiet"}, page)
	want := time.Date(2026, 3, 11, 7, 30, 0, 0, loc)
	if len(held) != 1 || held[0].Status != notify.StatusHeld || !held[0].NotBefore.Equal(want) {
		t.Fatalf("held until 07:30 the next morning: %+v", held)
	}
	alarm, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{Event: "alarm"}, page)
	if len(alarm) != 1 || alarm[0].Status != notify.StatusPending {
		t.Fatalf("urgent ignores quiet hours: %+v", alarm)
	}
	// The user's own window replaces the tenant's.
	if _, err := svc.PutPreferences(ctx, tid, u, notify.Preferences{QuietStart: "23:45", QuietEnd: "06:00"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Send(ctx, tid, notify.Message{Event: "mine", Template: "bill.overdue", To: []notify.Recipient{{UserID: u}}}); err != nil {
		t.Fatal(err)
	}
	mine, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{Event: "mine"}, page)
	if len(mine) != 1 || mine[0].Status != notify.StatusPending {
		t.Fatalf("23:30 is outside the user's 23:45–06:00: %+v", mine)
	}
}

// webhookReceiver verifies every request as a receiver would and counts
// them by webhook-id; fail makes the first n answers 500.
type webhookReceiver struct {
	secret string
	fail   atomic.Int32
	mu     sync.Mutex
	got    map[string]int
	bodies []string
	bad    atomic.Int32
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := notify.Verify(w.secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
		w.bad.Add(1)
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	if w.fail.Add(-1) >= 0 {
		http.Error(rw, "try later", http.StatusInternalServerError)
		return
	}
	w.mu.Lock()
	w.got[r.Header.Get("webhook-id")]++
	w.bodies = append(w.bodies, string(body))
	w.mu.Unlock()
}

func (w *webhookReceiver) count() (ids, total int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.got {
		total += n
	}
	return len(w.got), total
}

func TestWebhookDeliveredOnceUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := store.NewID()
		svc := newService(t, db, users{}, nil, notify.Options{})
		ep, err := svc.CreateEndpoint(ctx, tid, notify.EndpointInput{URL: "http://127.0.0.1:1/x", Events: []string{"workorder.*"}})
		if err != nil || !strings.HasPrefix(ep.Secret, "whsec_") {
			t.Fatalf("endpoint: %+v %v", ep, err)
		}
		rcv := &webhookReceiver{secret: ep.Secret, got: map[string]int{}}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		if _, err := svc.UpdateEndpoint(ctx, tid, ep.ID, notify.EndpointInput{URL: srv.URL + "/hook", Events: []string{"workorder.*"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateEndpoint(ctx, tid, notify.EndpointInput{URL: "ftp://x", Events: []string{"nope"}}); len(fieldCodes(err)) != 2 {
			t.Fatalf("bad endpoint: %v", err)
		}
		// An event the filter leaves out gets no delivery.
		if err := svc.Send(ctx, tid, notify.Message{Event: "bill:1", Template: "bill.issued"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Send(ctx, tid, notify.Message{Event: "wo:9:sla", Template: "workorder.sla_breached", Vars: map[string]string{"number": "WO-9"}}); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{}, page)
		if len(ds) != 1 || ds[0].Event != "wo:9:sla" {
			t.Fatalf("one delivery, for the filtered event: %+v", ds)
		}
		task := queue.Task{TenantID: tid, Payload: json.RawMessage(`{"id":"` + ds[0].ID.String() + `"}`)}
		// Eight workers get the same task at once (a redelivery racing the
		// first): exactly one request reaches the receiver.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = svc.HandleDeliver(ctx, task)
			}()
		}
		wg.Wait()
		if err := svc.HandleDeliver(ctx, task); err != nil { // and once more after it was marked sent
			t.Fatal(err)
		}
		if ids, total := rcv.count(); ids != 1 || total != 1 || rcv.bad.Load() != 0 {
			t.Fatalf("receiver got %d ids, %d requests, %d bad signatures", ids, total, rcv.bad.Load())
		}
		ds, _, _ = svc.Deliveries(ctx, tid, notify.DeliveryFilter{}, page)
		if ds[0].Status != notify.StatusSent || ds[0].Attempts != 1 || ds[0].SentAt == nil {
			t.Fatalf("log: %+v", ds[0])
		}
		var body struct {
			Type string
			Data struct {
				Event string
				Vars  map[string]string
			}
		}
		_ = json.Unmarshal([]byte(rcv.bodies[0]), &body)
		if body.Type != "workorder.sla_breached" || body.Data.Event != "wo:9:sla" || body.Data.Vars["number"] != "WO-9" {
			t.Fatalf("payload: %s", rcv.bodies[0])
		}
		// A tampered body fails verification.
		h := http.Header{}
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", "1700000000")
		sig, _ := notify.Sign(ep.Secret, "msg_1", 1700000000, []byte(`{"a":1}`))
		h.Set("webhook-signature", sig)
		if err := notify.Verify(ep.Secret, h, []byte(`{"a":2}`), time.Unix(1700000000, 0), time.Minute); !errors.Is(err, notify.ErrBadSignature) {
			t.Fatalf("tampered body: %v", err)
		}
		if err := notify.Verify(ep.Secret, h, []byte(`{"a":1}`), time.Unix(1700000000, 0), time.Minute); err != nil {
			t.Fatalf("good body: %v", err)
		}
	})
}

// TestInternalAddressesRefused: without AllowPrivate a webhook pointed at
// the server's own network (here loopback) is never called, and its
// delivery fails at once instead of retrying for twenty minutes.
func TestInternalAddressesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := store.NewID()
		s, err := notify.New(db, notify.Deps{Users: users{}, Audience: &audience{members: map[string][]notify.Member{}}, Keys: keyring(t), Zone: shanghai}, notify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rcv := &webhookReceiver{got: map[string]int{}}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		ep, err := s.CreateEndpoint(ctx, tid, notify.EndpointInput{URL: srv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = ep.Secret
		if err := s.Send(ctx, tid, notify.Message{Event: "wo:1:sla", Template: "workorder.sla_breached"}); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := s.Deliveries(ctx, tid, notify.DeliveryFilter{}, page)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %+v", ds)
		}
		task := queue.Task{TenantID: tid, Payload: json.RawMessage(`{"id":"` + ds[0].ID.String() + `"}`)}
		if err := s.HandleDeliver(ctx, task); err != nil {
			t.Fatalf("a refused address is a permanent failure, not a retry: %v", err)
		}
		ds, _, _ = s.Deliveries(ctx, tid, notify.DeliveryFilter{}, page)
		if _, total := rcv.count(); total != 0 || ds[0].Status != notify.StatusFailed || !strings.Contains(ds[0].LastError, "inside the server's network") {
			t.Fatalf("receiver got %d requests; delivery %+v", total, ds[0])
		}
	})
}

// aliyunFake is Aliyun's SendSms as far as signing goes: it recomputes the
// signature of each request from the shared secret and refuses a mismatch
// the way Aliyun does.
type aliyunFake struct {
	secret string
	mu     sync.Mutex
	sent   []url.Values
}

func (f *aliyunFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p := map[string]string{}
	for k := range r.PostForm {
		p[k] = r.PostForm.Get(k)
	}
	w.Header().Set("Content-Type", "application/json")
	for _, k := range []string{"AccessKeyId", "Action", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion", "Version", "PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"} {
		if p[k] == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Code":"MissingParameter","Message":"`+k+`"}`)
			return
		}
	}
	if notify.AliyunSign(r.Method, p, f.secret) != p["Signature"] {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","RequestId":"r1"}`)
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, r.PostForm)
	f.mu.Unlock()
	_, _ = io.WriteString(w, `{"Code":"OK","Message":"OK","BizId":"biz-`+p["OutId"]+`","RequestId":"r2"}`)
}

func TestAliyunSignature(t *testing.T) {
	// The worked example of Aliyun's signature documentation (RPC style, HMAC-SHA1).
	p := map[string]string{"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
		"RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
		"SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": `{"customer":"test"}`, "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
	if got := notify.AliyunSign("GET", p, "testSecret"); got != "zJDF+Lrzhj/ThnlvIToysFRq6t4=" {
		t.Fatalf("signature %q", got)
	}
	fake := &aliyunFake{secret: "right"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()
	out := notify.Outgoing{ID: store.NewID(), Template: "bill.overdue", To: "13800000009", Vars: map[string]string{"room": "101", "amount": "¥9.00"}}
	sms := notify.AliyunSMS{Endpoint: srv.URL + "/", Region: "cn-hangzhou", AccessKeyID: "id", AccessKeySecret: "right", SignName: "阳光物业",
		Templates: map[string]string{"bill.overdue": "SMS_1"}, Client: srv.Client()}
	id, err := sms.Deliver(ctx, out)
	if err != nil || id != "biz-"+out.ID.String() {
		t.Fatalf("good signature: %q %v", id, err)
	}
	if got := fake.sent[0]; got.Get("TemplateCode") != "SMS_1" || got.Get("SignName") != "阳光物业" || !strings.Contains(got.Get("TemplateParam"), `"amount":"¥9.00"`) {
		t.Fatalf("request: %v", got)
	}
	sms.AccessKeySecret = "wrong"
	if _, err := sms.Deliver(ctx, out); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("a bad signature is refused: %v", err)
	}
	sms.AccessKeySecret, sms.Templates = "right", nil
	if _, err := sms.Deliver(ctx, out); err == nil || !strings.Contains(err.Error(), "no Aliyun template code") {
		t.Fatalf("unmapped template: %v", err)
	}
}

func TestAnnouncements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid, community, building := store.NewID(), store.NewID(), store.NewID()
		u1, u2 := store.NewID(), store.NewID()
		p1, p2, p3 := store.NewID(), store.NewID(), store.NewID()
		aud := &audience{members: map[string][]notify.Member{
			"c" + community.String(): {{PersonID: p1, UserID: u1, Name: "张三"}, {PersonID: p2, UserID: u2, Name: "李四"}, {PersonID: p3, Name: "王五", Phone: "13900000003"}, {PersonID: p1, UserID: u1, Name: "张三"}},
			"b" + building.String():  {},
		}}
		svc := newService(t, db, users{}, aud, notify.Options{})
		in := notify.AnnouncementInput{Title: "停水通知", Body: "因管道检修,3 月 12 日 9:00–17:00 停水。", Audience: "community", CommunityID: &community}
		if _, err := svc.CreateAnnouncement(ctx, tid, "admin", notify.AnnouncementInput{Audience: "planet"}); len(fieldCodes(err)) != 3 {
			t.Fatalf("bad draft: %v", fieldCodes(err))
		}
		unknown := store.NewID()
		if _, err := svc.CreateAnnouncement(ctx, tid, "admin", notify.AnnouncementInput{Title: "x", Body: "y", Audience: "community", CommunityID: &unknown}); code(err) != "unknown_audience" {
			t.Fatalf("unknown community: %v", err)
		}
		empty, err := svc.CreateAnnouncement(ctx, tid, "admin", notify.AnnouncementInput{Title: "x", Body: "y", Audience: "building", BuildingID: &building})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PublishAnnouncement(ctx, tid, empty.ID); code(err) != "empty_audience" {
			t.Fatalf("nobody to tell: %v", err)
		}
		a, err := svc.CreateAnnouncement(ctx, tid, "admin", in)
		if err != nil || a.Status != notify.AnnDraft {
			t.Fatalf("draft: %+v %v", a, err)
		}
		if mine, _, _ := svc.MyAnnouncements(ctx, tid, u1, page); len(mine) != 0 {
			t.Fatal("a draft is not shown to residents")
		}
		a, err = svc.PublishAnnouncement(ctx, tid, a.ID)
		if err != nil || a.Status != notify.AnnPublished || a.Recipients != 3 {
			t.Fatalf("published: %+v %v", a, err)
		}
		if _, err := svc.UpdateAnnouncement(ctx, tid, a.ID, in); code(err) != "announcement_not_draft" {
			t.Fatalf("edit after publishing: %v", err)
		}
		if _, err := svc.PublishAnnouncement(ctx, tid, a.ID); code(err) != "announcement_not_draft" {
			t.Fatalf("publish twice: %v", err)
		}
		items, _, _ := svc.Inbox(ctx, tid, u1, notify.InboxFilter{}, page)
		if len(items) != 1 || items[0].Title != "停水通知" || !strings.Contains(items[0].Body, "停水") {
			t.Fatalf("inbox entry: %+v", items)
		}
		mine, _, _ := svc.MyAnnouncements(ctx, tid, u1, page)
		if len(mine) != 1 || mine[0].ReadAt != nil {
			t.Fatalf("u1's announcements: %+v", mine)
		}
		if _, err := svc.ReadMyAnnouncement(ctx, tid, store.NewID(), a.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("someone not addressed: %v", err)
		}
		if r, err := svc.ReadMyAnnouncement(ctx, tid, u1, a.ID); err != nil || r.ReadAt == nil {
			t.Fatalf("read: %+v %v", r, err)
		}
		if c, _ := svc.UnreadCount(ctx, tid, u1); c != 0 {
			t.Fatal("reading the announcement reads its inbox entry")
		}
		// u2 reads it from the inbox: the announcement counts it too.
		items, _, _ = svc.Inbox(ctx, tid, u2, notify.InboxFilter{}, page)
		if _, err := svc.MarkRead(ctx, tid, u2, items[0].ID); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.GetAnnouncement(ctx, tid, a.ID)
		if got.Recipients != 3 || got.Read != 2 {
			t.Fatalf("read counts: %d of %d", got.Read, got.Recipients)
		}
		no := false
		unread, total, _ := svc.Readers(ctx, tid, a.ID, notify.ReaderFilter{Read: &no}, page)
		if total != 1 || unread[0].Name != "王五" || unread[0].HasAccount {
			t.Fatalf("who has not read: %+v", unread)
		}
		list, _, _ := svc.ListAnnouncements(ctx, tid, notify.AnnouncementFilter{Status: "published"}, page)
		if len(list) != 1 || list[0].Read != 2 {
			t.Fatalf("list with read counts: %+v", list)
		}
		if _, err := svc.WithdrawAnnouncement(ctx, tid, a.ID); err != nil {
			t.Fatal(err)
		}
		if mine, _, _ := svc.MyAnnouncements(ctx, tid, u1, page); len(mine) != 0 {
			t.Fatal("a withdrawn announcement is not shown")
		}
		if _, err := svc.GetAnnouncement(ctx, store.NewID(), a.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant: %v", err)
		}
		if err := svc.DeleteAnnouncement(ctx, tid, a.ID); code(err) != "announcement_not_draft" {
			t.Fatalf("delete a published one: %v", err)
		}
		if err := svc.DeleteAnnouncement(ctx, tid, empty.ID); err != nil {
			t.Fatal(err)
		}
	})
}
