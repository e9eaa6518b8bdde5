package sim

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strings"
	"sync"
)

const realm = "IP Camera(sim)"

// nonce is the digest nonce the camera hands out (one for its life: a
// simulator need not rotate them).
const nonce = "4e6f6e63652d73696d2d63616d657261"

var (
	pictureOnce sync.Once
	picture     []byte
)

// Picture is the JPEG the camera serves as its snapshot.
func Picture() []byte {
	pictureOnce.Do(func() {
		img := image.NewRGBA(image.Rect(0, 0, 320, 240))
		for y := range 240 {
			for x := range 320 {
				img.Set(x, y, color.RGBA{uint8(x * 255 / 320), uint8(y * 255 / 240), 128, 255})
			}
		}
		var b bytes.Buffer
		_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 70})
		picture = b.Bytes()
	})
	return picture
}

// snapshot serves the JPEG behind the configured HTTP authentication.
func (c *Camera) snapshot(w http.ResponseWriter, r *http.Request) {
	if !c.wait(r) {
		return
	}
	if !knownProfile(r.URL.Query().Get("profile")) {
		http.Error(w, "no such profile", http.StatusNotFound)
		return
	}
	if c.opt.Username != "" && !c.httpAuthorized(r) {
		if c.opt.SnapshotAuth == "basic" {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Digest realm="`+realm+`", qop="auth", nonce="`+nonce+`", algorithm=MD5, stale=FALSE`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(Picture())
}

func (c *Camera) httpAuthorized(r *http.Request) bool {
	switch c.opt.SnapshotAuth {
	case "none":
		return true
	case "basic":
		u, p, ok := r.BasicAuth()
		return ok && u == c.opt.Username && p == c.opt.Password
	}
	h := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(h, "Digest ")
	if !ok {
		return false
	}
	p := params(rest)
	if p["username"] != c.opt.Username || p["nonce"] != nonce || p["realm"] != realm || p["uri"] != r.URL.RequestURI() {
		return false
	}
	md := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := md(c.opt.Username + ":" + realm + ":" + c.opt.Password)
	ha2 := md(r.Method + ":" + p["uri"])
	want := md(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
	if p["qop"] == "" {
		want = md(ha1 + ":" + nonce + ":" + ha2)
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) == 1
}

// params reads the k=v, k="v" pairs of an Authorization header.
func params(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				break
			}
			v, rest = rest[1:1+end], rest[2+end:]
		} else {
			v, rest, _ = strings.Cut(rest, ",")
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		s = rest
	}
	return out
}
