package sim

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

const realm = "IP Camera(sim)"

// authorized checks the request's credentials as the camera's web server
// does, answering 401 with a challenge when they are missing or wrong.
func (c *Camera) authorized(w http.ResponseWriter, r *http.Request) bool {
	if c.o.Username == "" {
		return true
	}
	if c.o.Auth == "basic" {
		u, p, ok := r.BasicAuth()
		if ok && equal(u, c.o.Username) && equal(p, c.o.Password) {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	} else {
		if c.digestOK(r) {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Digest qop="auth", realm="`+realm+`", nonce="`+c.nonce+`", stale="FALSE", opaque="`+c.nonce[:8]+`", algorithm=MD5`)
	}
	writeStatus(w, http.StatusUnauthorized, 4, "Invalid Operation", "unAuthorized")
	return false
}

// digestOK verifies an RFC 7616 digest answer (MD5, qop auth or none).
func (c *Camera) digestOK(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false
	}
	p := map[string]string{}
	for _, kv := range splitQuoted(rest) {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		p[strings.ToLower(k)] = strings.Trim(v, `"`)
	}
	if p["username"] != c.o.Username || p["realm"] != realm || p["nonce"] != c.nonce || p["uri"] != r.URL.RequestURI() {
		return false
	}
	if a := p["algorithm"]; a != "" && !strings.EqualFold(a, "MD5") {
		return false
	}
	ha1 := md5hex(c.o.Username + ":" + realm + ":" + c.o.Password)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	want := md5hex(ha1 + ":" + c.nonce + ":" + ha2)
	if p["qop"] == "auth" {
		want = md5hex(ha1 + ":" + c.nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	}
	return equal(p["response"], want)
}

func splitQuoted(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			quoted = !quoted
		} else if s[i] == ',' && !quoted {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
