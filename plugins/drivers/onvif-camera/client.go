package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// maxSOAP bounds a SOAP answer; maxPicture a snapshot. A camera sending
// more is broken or hostile, and must not exhaust the driver's memory.
const (
	maxSOAP    = 1 << 20
	maxPicture = 8 << 20
)

// client speaks SOAP to one camera.
type client struct {
	base     *url.URL // scheme://host:port of the configured address
	user     string
	password string
	http     *http.Client

	mu     sync.Mutex
	events string // Events service address (from GetCapabilities)
	media  string // Media service address
	offset time.Duration
}

func newClient(cfg config, password string) *client {
	return &client{
		base: &url.URL{Scheme: cfg.Scheme, Host: cfg.Address},
		user: cfg.Username, password: password,
		// No client-wide timeout: each call carries its deadline, and a
		// pull is a long poll.
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
			ResponseHeaderTimeout: 0, TLSHandshakeTimeout: 10 * time.Second}},
	}
}

// local maps an address the camera advertised to the configured host:
// cameras behind NAT or with a second interface advertise addresses the
// driver cannot reach, but the path is theirs to choose.
func (c *client) local(addr string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(addr))
	if err != nil || u.Path == "" {
		return "", fmt.Errorf("%w: bad service address %q", errMalformed, addr)
	}
	out := *c.base
	out.Path, out.RawPath, out.RawQuery = u.Path, u.RawPath, u.RawQuery
	return out.String(), nil
}

func (c *client) deviceURL() string { return c.base.String() + "/onvif/device_service" }

// call posts one SOAP request to addr and reads the answer into out.
func (c *client) call(ctx context.Context, addr, action, body string, out any) error {
	return c.post(ctx, addr, action, "", body, true, out)
}

// post is call, with or without the UsernameToken, with extra headers.
func (c *client) post(ctx context.Context, addr, action, header, body string, auth bool, out any) error {
	c.mu.Lock()
	now := time.Now().Add(c.offset)
	c.mu.Unlock()
	user := c.user
	if !auth {
		user = ""
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, addr, bytes.NewReader(envelope(user, c.password, now, header, body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+action+`"`)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return noAnswer(ctx)
		}
		return fmt.Errorf("%w: %v", driver.ErrUnreachable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSOAP+1))
	if err != nil {
		if ctx.Err() != nil {
			return noAnswer(ctx)
		}
		return fmt.Errorf("%w: reading the answer: %v", driver.ErrUnreachable, err)
	}
	if len(data) > maxSOAP {
		return fmt.Errorf("%w: answer larger than %d bytes", errMalformed, maxSOAP)
	}
	// A fault usually comes with 400 or 500; read it when there is one.
	perr := parseEnvelope(data, out)
	var fault *Fault
	if errors.As(perr, &fault) {
		return fault
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return &Fault{Code: "HTTP", Subcode: "NotAuthorized", Reason: resp.Status}
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("camera answered %s", resp.Status)
	}
	return perr
}

// capabilities finds the Events and Media service addresses. It is also
// the first authenticated call, so a wrong password shows here.
func (c *client) capabilities(ctx context.Context) error {
	var out struct {
		Capabilities struct {
			Events struct {
				XAddr string `xml:"XAddr"`
			} `xml:"Events"`
			Media struct {
				XAddr string `xml:"XAddr"`
			} `xml:"Media"`
		} `xml:"Capabilities"`
	}
	err := c.call(ctx, c.deviceURL(), "http://www.onvif.org/ver10/device/wsdl/GetCapabilities",
		`<tds:GetCapabilities xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Category>All</tds:Category></tds:GetCapabilities>`, &out)
	if err != nil {
		return err
	}
	events, err := c.local(out.Capabilities.Events.XAddr)
	if err != nil {
		return fmt.Errorf("events service: %w", err)
	}
	media, err := c.local(out.Capabilities.Media.XAddr)
	if err != nil {
		return fmt.Errorf("media service: %w", err)
	}
	c.mu.Lock()
	c.events, c.media = events, media
	c.mu.Unlock()
	return nil
}

// syncClock reads the camera's clock: UsernameToken's Created is checked
// against it, and cameras' clocks drift. The call needs no credentials.
func (c *client) syncClock(ctx context.Context) error {
	var out struct {
		Info struct {
			UTC struct {
				Date struct {
					Year  int `xml:"Year"`
					Month int `xml:"Month"`
					Day   int `xml:"Day"`
				} `xml:"Date"`
				Time struct {
					Hour   int `xml:"Hour"`
					Minute int `xml:"Minute"`
					Second int `xml:"Second"`
				} `xml:"Time"`
			} `xml:"UTCDateTime"`
		} `xml:"SystemDateAndTime"`
	}
	sent := time.Now()
	req := `<tds:GetSystemDateAndTime xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/>`
	// No UsernameToken: the call is open to all, and its answer is what
	// the token's time must agree with.
	err := c.post(ctx, c.deviceURL(), "http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime", "", req, false, &out)
	if err != nil {
		return err
	}
	u := out.Info.UTC
	if u.Date.Year < 2000 {
		return nil // a camera that does not say: trust ours
	}
	cam := time.Date(u.Date.Year, time.Month(u.Date.Month), u.Date.Day, u.Time.Hour, u.Time.Minute, u.Time.Second, 0, time.UTC)
	mid := sent.Add(time.Since(sent) / 2)
	off := cam.Sub(mid)
	if off > -2*time.Second && off < 2*time.Second {
		off = 0 // within the clock's one-second resolution
	}
	c.mu.Lock()
	c.offset = off
	c.mu.Unlock()
	return nil
}

// noAnswer is the error of a call whose ctx ended; it wraps the ctx's
// error, so a deadline stays a deadline for the host.
func noAnswer(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the camera did not answer in time: %w", ctx.Err())
	}
	return ctx.Err()
}

// forget drops what connect learnt (service addresses, clock offset), so
// the next connect asks again: after a refusal the camera may have been
// reset or its clock moved.
func (c *client) forget() {
	c.mu.Lock()
	c.events, c.media, c.offset = "", "", 0
	c.mu.Unlock()
}

func (c *client) services() (events, media string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events, c.media
}
