package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// client calls one camera's ISAPI with HTTP digest or basic auth. It keeps
// the last digest challenge, so after the first call a command costs one
// round trip, not two (a barrier opening is waited for by a driver).
type client struct {
	base, user, pass string
	http             *http.Client

	mu        sync.Mutex
	challenge *digestChallenge
	basic     bool   // the camera asked for basic auth
	nc        uint32 // digest nonce count for the current nonce
}

func newClient(c *config, password string) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	if c.TLSSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the device config asks for it: cameras carry self-signed certificates
	}
	return &client{base: c.baseURL(), user: c.Username, pass: password, http: &http.Client{Transport: tr}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// do sends one request, answering an auth challenge once. The caller
// closes the response body.
func (c *client) do(ctx context.Context, method, path string, body []byte, contentType string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		c.authorize(req)
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, netErr(ctx, err)
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 || c.user == "" {
			return resp, nil
		}
		// Learn the challenge and try once more.
		if !c.learn(resp.Header.Values("WWW-Authenticate")) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
}

// netErr sorts a transport error: the camera never answered in time (no
// acknowledgement) or could not be reached at all.
func netErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %v", driver.ErrNoAck, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %v", driver.ErrNoAck, err)
	}
	return fmt.Errorf("%w: %v", driver.ErrUnreachable, err)
}

func (c *client) authorize(req *http.Request) {
	if c.user == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.challenge != nil:
		c.nc++
		req.Header.Set("Authorization", c.challenge.answer(c.user, c.pass, req.Method, req.URL.RequestURI(), c.nc))
	case c.basic:
		req.SetBasicAuth(c.user, c.pass)
	}
}

// learn keeps the strongest challenge the camera offered; false when there
// was none the client can answer.
func (c *client) learn(headers []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var basic bool
	var best *digestChallenge
	for _, h := range headers {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
		switch strings.ToLower(scheme) {
		case "digest":
			d := parseChallenge(rest)
			if d.newHash() != nil && d.nonce != "" && (best == nil || d.algorithm == "SHA-256") {
				best = d
			}
		case "basic":
			basic = true
		}
	}
	if best != nil {
		stale := c.challenge != nil && c.challenge.nonce == best.nonce
		if stale {
			return false // the same nonce refused twice: wrong password
		}
		c.challenge, c.nc, c.basic = best, 0, false
		return true
	}
	if basic && !c.basic {
		c.basic, c.challenge = true, nil
		return true
	}
	return false
}

// digestChallenge is a WWW-Authenticate: Digest challenge (RFC 7616).
type digestChallenge struct {
	realm, nonce, opaque, qop, algorithm string
}

func parseChallenge(s string) *digestChallenge {
	d := &digestChallenge{}
	for _, kv := range splitParams(s) {
		k, v, _ := strings.Cut(kv, "=")
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "realm":
			d.realm = v
		case "nonce":
			d.nonce = v
		case "opaque":
			d.opaque = v
		case "qop":
			for _, q := range strings.Split(v, ",") {
				if strings.TrimSpace(q) == "auth" {
					d.qop = "auth"
				}
			}
		case "algorithm":
			d.algorithm = strings.ToUpper(v)
		}
	}
	return d
}

// splitParams splits auth parameters on commas outside quotes.
func splitParams(s string) []string {
	var out []string
	var quoted bool
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (d *digestChallenge) newHash() func() hash.Hash {
	switch d.algorithm {
	case "", "MD5":
		return md5.New
	case "SHA-256":
		return sha256.New
	}
	return nil
}

func (d *digestChallenge) answer(user, pass, method, uri string, nc uint32) string {
	h := func(s string) string {
		x := d.newHash()()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := h(user + ":" + d.realm + ":" + pass)
	ha2 := h(method + ":" + uri)
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s", realm="%s", nonce="%s", uri="%s"`, user, d.realm, d.nonce, uri)
	if d.qop == "auth" {
		cnonce := make([]byte, 8)
		_, _ = rand.Read(cnonce)
		cn := hex.EncodeToString(cnonce)
		ncs := fmt.Sprintf("%08x", nc)
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce="%s", response="%s"`, ncs, cn, h(ha1+":"+d.nonce+":"+ncs+":"+cn+":auth:"+ha2))
	} else {
		fmt.Fprintf(&b, `, response="%s"`, h(ha1+":"+d.nonce+":"+ha2))
	}
	if d.algorithm != "" {
		fmt.Fprintf(&b, ", algorithm=%s", d.algorithm)
	}
	if d.opaque != "" {
		fmt.Fprintf(&b, `, opaque="%s"`, d.opaque)
	}
	return b.String()
}
