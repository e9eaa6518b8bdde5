package main

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/wuye-project/wuye/sdk/driver"
)

const nsMedia = "http://www.onvif.org/ver10/media/wsdl"

// profile picks the media profile: the configured token, or the camera's
// first.
func (c *client) profile(ctx context.Context, want string) (string, error) {
	_, media := c.services()
	var out struct {
		Profiles []struct {
			Token string `xml:"token,attr"`
			Name  string `xml:"Name"`
		} `xml:"Profiles"`
	}
	if err := c.call(ctx, media, nsMedia+"/GetProfiles", `<trt:GetProfiles xmlns:trt="`+nsMedia+`"/>`, &out); err != nil {
		return "", err
	}
	if len(out.Profiles) == 0 {
		return "", fmt.Errorf("the camera has no media profiles")
	}
	if want == "" {
		return out.Profiles[0].Token, nil
	}
	for _, p := range out.Profiles {
		if p.Token == want {
			return p.Token, nil
		}
	}
	return "", driver.Invalid(fmt.Sprintf("the camera has no media profile %q", want))
}

type mediaURI struct {
	URI string `xml:"MediaUri>Uri"`
}

// snapshotURI asks for the profile's JPEG snapshot address.
func (c *client) snapshotURI(ctx context.Context, profile string) (string, error) {
	_, media := c.services()
	var out mediaURI
	body := `<trt:GetSnapshotUri xmlns:trt="` + nsMedia + `"><trt:ProfileToken>` + escape(profile) + `</trt:ProfileToken></trt:GetSnapshotUri>`
	if err := c.call(ctx, media, nsMedia+"/GetSnapshotUri", body, &out); err != nil {
		return "", err
	}
	return checkURI(out.URI, "http", "https")
}

// streamURI asks for the profile's RTSP address.
func (c *client) streamURI(ctx context.Context, profile string) (string, error) {
	_, media := c.services()
	var out mediaURI
	body := `<trt:GetStreamUri xmlns:trt="` + nsMedia + `" xmlns:tt="http://www.onvif.org/ver10/schema"><trt:StreamSetup>` +
		`<tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>` +
		`<trt:ProfileToken>` + escape(profile) + `</trt:ProfileToken></trt:GetStreamUri>`
	if err := c.call(ctx, media, nsMedia+"/GetStreamUri", body, &out); err != nil {
		return "", err
	}
	return checkURI(out.URI, "rtsp", "rtsps")
}

// checkURI checks the scheme of a URI the camera gave.
func checkURI(s string, schemes ...string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: bad media URI %q", errMalformed, s)
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) {
			return u.String(), nil
		}
	}
	return "", fmt.Errorf("%w: media URI %q is not %s", errMalformed, s, strings.Join(schemes, " or "))
}

// public strips credentials from a URI handed to clients: cameras often
// embed them, and a client must not learn the device's password.
func public(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	u.User = nil
	q := u.Query()
	changed := false
	for k := range q {
		switch strings.ToLower(k) {
		case "user", "username", "password", "pwd", "passwd", "auth":
			q.Del(k)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// fetchPicture GETs the snapshot with basic or digest authentication, as
// the camera asks.
func (c *client) fetchPicture(ctx context.Context, uri string) ([]byte, string, error) {
	uri, err := c.pinned(uri)
	if err != nil {
		return nil, "", err
	}
	get := func(auth string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, noAnswer(ctx)
			}
			return nil, fmt.Errorf("%w: snapshot: %v", driver.ErrUnreachable, err)
		}
		return resp, nil
	}
	resp, err := get("")
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		challenge := resp.Header.Get("WWW-Authenticate")
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		auth, err := c.authorization(challenge, http.MethodGet, uri)
		if err != nil {
			return nil, "", err
		}
		if resp, err = get(auth); err != nil {
			return nil, "", err
		}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, "", &Fault{Code: "HTTP", Subcode: "NotAuthorized", Reason: "snapshot: " + resp.Status}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("snapshot: camera answered %s", resp.Status)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "image/") {
		return nil, "", fmt.Errorf("%w: snapshot is %q, not an image", errMalformed, ct)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPicture+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: snapshot: %v", driver.ErrUnreachable, err)
	}
	if len(data) > maxPicture {
		return nil, "", fmt.Errorf("%w: snapshot larger than %d bytes", errMalformed, maxPicture)
	}
	if len(data) == 0 {
		return nil, "", fmt.Errorf("%w: empty snapshot", errMalformed)
	}
	return data, ct, nil
}

// pinned points uri at the configured camera, keeping its port: the
// camera may advertise an address the driver cannot reach, and must not
// be able to send the driver — and its credentials — to another host.
func (c *client) pinned(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("%w: bad snapshot URI %q", errMalformed, uri)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	u.Host = net.JoinHostPort(c.base.Hostname(), port)
	u.User = nil
	return u.String(), nil
}

// authorization answers an HTTP challenge (RFC 7617 basic, RFC 7616
// digest with MD5 and qop auth).
func (c *client) authorization(challenge, method, uri string) (string, error) {
	scheme, params, _ := strings.Cut(strings.TrimSpace(challenge), " ")
	switch strings.ToLower(scheme) {
	case "basic":
		req, _ := http.NewRequest(method, uri, nil)
		req.SetBasicAuth(c.user, c.password)
		return req.Header.Get("Authorization"), nil
	case "digest":
	default:
		return "", fmt.Errorf("snapshot: unsupported authentication %q", scheme)
	}
	p := authParams(params)
	if alg := strings.ToUpper(p["algorithm"]); alg != "" && alg != "MD5" {
		return "", fmt.Errorf("snapshot: unsupported digest algorithm %q", alg)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	path := u.RequestURI()
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := h(c.user + ":" + p["realm"] + ":" + c.password)
	ha2 := h(method + ":" + path)
	cn := make([]byte, 8)
	_, _ = rand.Read(cn)
	cnonce := hex.EncodeToString(cn)
	var resp, qop string
	if strings.Contains(p["qop"], "auth") {
		qop = "auth"
		resp = h(ha1 + ":" + p["nonce"] + ":00000001:" + cnonce + ":auth:" + ha2)
	} else {
		resp = h(ha1 + ":" + p["nonce"] + ":" + ha2)
	}
	s := fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q, algorithm=MD5`,
		c.user, p["realm"], p["nonce"], path, resp)
	if qop != "" {
		s += fmt.Sprintf(`, qop=auth, nc=00000001, cnonce=%q`, cnonce)
	}
	if p["opaque"] != "" {
		s += fmt.Sprintf(`, opaque=%q`, p["opaque"])
	}
	return s, nil
}

// authParams reads k=v and k="v" pairs of a challenge.
func authParams(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				v, rest = rest[1:], ""
			} else {
				v, rest = rest[1:1+end], rest[2+end:]
			}
		} else {
			v, rest, _ = strings.Cut(rest, ",")
		}
		out[k] = strings.TrimSpace(v)
		s = rest
	}
	return out
}
