package app_test

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/web"
)

// TestConsoleServing: the console at / on the API's port — index.html
// (no-cache) for the SPA's routes, hashed assets cached for a year and
// gzipped, a missing asset 404 (never the page), the API's paths untouched,
// and the API's security headers with the console's policy.
func TestConsoleServing(t *testing.T) {
	r := start(t, store.SQLite)
	dist, _ := web.Dist()
	var asset string
	fs.WalkDir(dist, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && asset == "" && strings.HasSuffix(p, ".js") {
			asset = "/" + p
		}
		return nil
	})
	get := func(method, path string, h map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		tr := &http.Transport{DisableCompression: true}
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var rd io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			rd = zr
		}
		b, _ := io.ReadAll(rd)
		return res, string(b)
	}

	for _, p := range []string{"/", "/login", "/console/residents", "/h5/me"} {
		res, body := get("GET", p, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(body, `<div id="app">`) && !strings.Contains(body, "noui") {
			t.Fatalf("GET %s: %d %s", p, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("X-Frame-Options") != "DENY" ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("GET %s headers: %v", p, res.Header)
		}
		// Plugin page bundles are imported from blob: URLs the console makes.
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' blob:") {
			t.Fatalf("GET %s: CSP %q lets no plugin bundle run", p, csp)
		}
	}
	if asset != "" {
		res, body := get("GET", asset, map[string]string{"Accept-Encoding": "gzip"})
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
			res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("Content-Encoding") != "gzip" || len(body) == 0 {
			t.Fatalf("GET %s: %d %v", asset, res.StatusCode, res.Header)
		}
		if res, _ := get("GET", asset, map[string]string{"If-None-Match": res.Header.Get("ETag")}); res.StatusCode != 304 {
			t.Fatalf("conditional GET: %d", res.StatusCode)
		}
	}
	if res, body := get("GET", "/assets/missing-0000.js", nil); res.StatusCode != 404 || strings.Contains(body, "<div") {
		t.Fatalf("missing asset: %d %q", res.StatusCode, body)
	}
	if res, body := get("HEAD", "/console", nil); res.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %d %q", res.StatusCode, body)
	}
	// The API keeps its paths, its error shape and its no-store.
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/api/v1/nope", "route_not_found"},
		{"GET", "/api", "route_not_found"},
		{"POST", "/console", "route_not_found"},
		{"GET", "/healthz", `"ok"`},
		{"GET", "/api/v1/openapi.json", `"openapi"`},
	} {
		res, body := get(c.method, c.path, nil)
		if !strings.Contains(body, c.want) || strings.Contains(body, `<div id="app">`) {
			t.Fatalf("%s %s: %d %.200s", c.method, c.path, res.StatusCode, body)
		}
	}
}
