package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// forwarded are the request headers a plugin sees. Credentials
// (Authorization, Cookie) and the proxy's own hop headers never reach it:
// the core has authenticated the caller and says who it is in Caller.
var forwarded = []string{
	"Accept", "Accept-Language", "Content-Type", "Idempotency-Key",
	"If-Match", "If-None-Match", "If-Modified-Since", "User-Agent",
}

// forwardHeaders picks the forwarded headers (canonical names; repeated
// values joined with ", ").
func forwardHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(forwarded))
	for _, k := range forwarded {
		if vs := h.Values(k); len(vs) > 0 {
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

// answered are the response headers a plugin may set. The core keeps its
// own security headers, cookies and caching (no-store on the API).
var answered = []string{"Content-Disposition", "Content-Language", "ETag", "Last-Modified", "Location", "Retry-After"}

// responseTypes are the media types a plugin may answer with on an API
// route; anything else (HTML, SVG, scripts) goes out as a download so it
// cannot run in the API's origin.
var responseTypes = map[string]bool{
	"application/json": true, "application/problem+json": true, "text/plain": true, "text/csv": true,
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"application/octet-stream": true, "application/zip": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true,
}

// writeResponse writes a plugin's answer, its status already checked.
func writeResponse(c *gin.Context, resp *wuyepb.HTTPResponse) {
	h := c.Writer.Header()
	got := canonical(resp.GetHeaders())
	for _, k := range answered {
		v, ok := got[http.CanonicalHeaderKey(k)]
		if !ok || strings.ContainsAny(v, "\r\n\x00") {
			continue
		}
		if k == "Location" && !localPath(v) {
			continue
		}
		h.Set(k, v)
	}
	ct := got["Content-Type"]
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "" && len(resp.GetBody()) == 0:
		ct = ""
	case ct == "":
		ct = "application/json; charset=utf-8"
	case err != nil || !responseTypes[mt]:
		ct = "application/octet-stream"
		if h.Get("Content-Disposition") == "" {
			h.Set("Content-Disposition", "attachment")
		}
	default:
		ct = mime.FormatMediaType(mt, params)
	}
	status := int(resp.GetStatus())
	if ct == "" || status == http.StatusNoContent || status == http.StatusNotModified {
		c.Status(status)
		c.Writer.WriteHeaderNow()
		return
	}
	c.Data(status, ct, resp.GetBody())
}

// canonical keys a plugin's header map by canonical header name.
func canonical(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[http.CanonicalHeaderKey(k)] = v
	}
	return out
}

// localPath: a Location the plugin sets stays on this server (no open redirect).
func localPath(v string) bool {
	return strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") && !strings.HasPrefix(v, "/\\")
}

// assetTypes are the media types of a console bundle.
var assetTypes = map[string]bool{
	"text/javascript": true, "application/javascript": true, "text/css": true, "application/json": true,
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/svg+xml": true,
	"font/woff2": true, "font/woff": true, "text/plain": true, "application/wasm": true,
}

// validAssetPath: a relative, clean path of printable characters.
func validAssetPath(p string) bool {
	if p == "" || len(p) > 256 || strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '\\' {
			return false
		}
	}
	return true
}

// etag names an asset's bytes (the same path may change with the version).
func etag(version string, body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + version + "-" + hex.EncodeToString(sum[:8]) + `"`
}
