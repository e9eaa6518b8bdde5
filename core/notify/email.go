package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Mailer is the email channel: one SMTP conversation per delivery. On port
// 465 it speaks TLS from the start; otherwise it upgrades with STARTTLS when
// the server offers it, and authenticates (PLAIN) when a user name is set —
// net/smtp refuses to send a password unencrypted except to localhost.
type Mailer struct {
	Host        string
	Port        int
	Username    string
	Password    string
	From        string
	FromName    string
	TLS         *tls.Config // nil: the system roots
	DialTimeout time.Duration
	Dialer      *net.Dialer // nil: a plain dialer with DialTimeout
}

// Deliver sends one plain-text UTF-8 message to o.To.
func (m Mailer) Deliver(ctx context.Context, o Outgoing) (string, error) {
	to, err := mail.ParseAddress(o.To)
	if err != nil {
		return "", Permanent(fmt.Errorf("email address %q: %w", o.To, err))
	}
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	timeout := m.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dialer := m.Dialer
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	conn, err := dialer.DialContext(dctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	_ = conn.SetDeadline(time.Now().Add(2 * timeout))
	tcfg := m.tlsConfig()
	if m.Port == 465 {
		conn = tls.Client(conn, tcfg)
	}
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		conn.Close()
		return "", err
	}
	defer c.Close()
	if err := c.Hello("wuye"); err != nil {
		return "", err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && m.Port != 465 {
		if err := c.StartTLS(tcfg); err != nil {
			return "", err
		}
	}
	if m.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return "", Permanent(errors.New("the SMTP server offers no AUTH but a user name is configured"))
		}
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, m.Host)); err != nil {
			return "", err
		}
	}
	if err := c.Mail(m.From); err != nil {
		return "", err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return "", err
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	msgID := "<" + o.ID.String() + "@wuye>"
	if _, err := w.Write(m.message(o, to, msgID)); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	_ = c.Quit()
	return msgID, nil
}

func (m Mailer) tlsConfig() *tls.Config {
	var c *tls.Config
	if m.TLS != nil {
		c = m.TLS.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	c.ServerName = m.Host
	return c
}

// message is the RFC 5322 text: headers with non-ASCII words encoded
// (RFC 2047), a base64 UTF-8 body wrapped at 76 columns.
func (m Mailer) message(o Outgoing, to *mail.Address, msgID string) []byte {
	var b bytes.Buffer
	from := (&mail.Address{Name: m.FromName, Address: m.From}).String()
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", to.String())
	hdr("Subject", mime.BEncoding.Encode("utf-8", o.Subject))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", msgID)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	body := o.Body
	if o.Link != "" {
		body += "\n\n" + o.Link
	}
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
