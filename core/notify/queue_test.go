package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// mailbox is a real SMTP server (go-smtp) on a local port: STARTTLS with a
// certificate of its own, AUTH PLAIN, and the messages it accepted.
type mailbox struct {
	mu    sync.Mutex
	msgs  []received
	user  string
	pass  string
	roots *x509.CertPool
	addr  string
}

type received struct {
	from, to string
	tls      bool
	authed   bool
	data     []byte
}

type session struct {
	box    *mailbox
	conn   *smtp.Conn
	authed bool
	cur    received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.box.user || pass != s.box.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return errors.New("authenticate first")
	}
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.cur.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.authed, s.cur.data = s.authed, b
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func startMailbox(t testing.TB) *mailbox {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test mail"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	box := &mailbox{user: "notices", pass: "s3cret", roots: x509.NewCertPool()}
	box.roots.AddCert(cert)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{box: box, conn: c}, nil }))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box
}

func (b *mailbox) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// TestDeliveriesThroughTheQueue sends one event to a user who wants email
// and SMS, a resident reachable only by phone and a webhook endpoint that
// fails twice: every delivery goes through the real queue (Redis), the
// webhook is retried with backoff, and each arrives exactly once.
func TestDeliveriesThroughTheQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid, u := store.NewID(), store.NewID()
		box := startMailbox(t)
		sms := &aliyunFake{secret: "sms-secret"}
		smsSrv := httptest.NewServer(sms)
		defer smsSrv.Close()
		svc := newService(t, db, users{u: {Name: "李秀英", Phone: "138-0000-0002", Email: "manager@sunshine.example", Lang: "zh"}}, nil,
			notify.Options{SMTPTLS: &tls.Config{RootCAs: box.roots}})
		host, port, _ := net.SplitHostPort(box.addr)
		var p int
		for _, c := range port {
			p = p*10 + int(c-'0')
		}
		if _, err := svc.PutSettings(ctx, tid, notify.Settings{
			SMTP: notify.SMTP{Host: host, Port: p, Username: "notices", Password: "s3cret", From: "noreply@sunshine.example", FromName: "阳光物业"},
			SMS: notify.SMS{Provider: "aliyun", Endpoint: smsSrv.URL + "/", AccessKeyID: "LTAI-test", Secret: "sms-secret", SignName: "阳光物业",
				Templates: map[string]string{"workorder.sla_breached": "SMS_900"}},
		}); err != nil {
			t.Fatal(err)
		}
		ep, err := svc.CreateEndpoint(ctx, tid, notify.EndpointInput{URL: "http://127.0.0.1:1/"})
		if err != nil {
			t.Fatal(err)
		}
		rcv := &webhookReceiver{secret: ep.Secret, got: map[string]int{}}
		rcv.fail.Store(2)
		hook := httptest.NewServer(rcv)
		defer hook.Close()
		if _, err := svc.UpdateEndpoint(ctx, tid, ep.ID, notify.EndpointInput{URL: hook.URL}); err != nil {
			t.Fatal(err)
		}

		q := queuetest.Open(t, db, queuetest.Config(t))
		q.Handle(notify.TaskDeliver, svc.HandleDeliver)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		msg := notify.Message{Event: "wo:42:sla", Template: "workorder.sla_breached", Link: "/workorders/42",
			Vars: map[string]string{"number": "WO-42", "title": "电梯困人", "location": "1栋1单元", "status": "assigned"},
			To:   []notify.Recipient{{UserID: u}, {Name: "王五", Phone: "13900000003"}}}
		if err := svc.Send(ctx, tid, msg); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			ds, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{Status: notify.StatusSent}, page)
			if len(ds) == 4 {
				break
			}
			if time.Now().After(deadline) {
				all, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{}, page)
				t.Fatalf("not all sent: %+v", all)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := svc.Send(ctx, tid, msg); err != nil { // the same event again
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)

		msgs := box.all()
		if len(msgs) != 1 {
			t.Fatalf("%d emails, want 1", len(msgs))
		}
		m := msgs[0]
		if !m.tls || !m.authed || m.from != "noreply@sunshine.example" || m.to != "manager@sunshine.example" {
			t.Fatalf("envelope: tls %v auth %v from %q to %q", m.tls, m.authed, m.from, m.to)
		}
		parsed, err := mail.ReadMessage(bytes.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		rawSubject := parsed.Header.Get("Subject")
		subject, _ := new(mime.WordDecoder).DecodeHeader(rawSubject)
		if !strings.HasPrefix(rawSubject, "=?utf-8?b?") || subject != "工单超时 WO-42" {
			t.Fatalf("subject %q (raw %q)", subject, rawSubject)
		}
		if ct := parsed.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("content type %q", ct)
		}
		from, _ := parsed.Header.AddressList("From")
		if len(from) != 1 || from[0].Name != "阳光物业" {
			t.Fatalf("from %v", from)
		}
		body, _ := io.ReadAll(base64Reader(parsed.Body))
		if !strings.Contains(string(body), "工单 WO-42:电梯困人(1栋1单元)已超出服务时限,当前状态 assigned。") || !strings.Contains(string(body), "/workorders/42") {
			t.Fatalf("body %q", body)
		}
		sms.mu.Lock()
		phones := []string{}
		for _, v := range sms.sent {
			phones = append(phones, v.Get("PhoneNumbers"))
		}
		sms.mu.Unlock()
		if len(phones) != 2 || !((phones[0] == "13800000002" && phones[1] == "13900000003") || (phones[1] == "13800000002" && phones[0] == "13900000003")) {
			t.Fatalf("SMS to %v", phones)
		}
		if ids, total := rcv.count(); ids != 1 || total != 1 {
			t.Fatalf("webhook: %d ids, %d deliveries", ids, total)
		}
		hooks, _, _ := svc.Deliveries(ctx, tid, notify.DeliveryFilter{Channel: notify.ChannelWebhook}, page)
		if hooks[0].Attempts != 3 || hooks[0].LastError != "" {
			t.Fatalf("webhook retried twice then sent: %+v", hooks[0])
		}
		items, _, _ := svc.Inbox(ctx, tid, u, notify.InboxFilter{}, page)
		if len(items) != 1 {
			t.Fatalf("inbox %d", len(items))
		}
	})
}

func base64Reader(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }
