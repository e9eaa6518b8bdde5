package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/wuye-project/wuye/core/web"
)

// consoleCSP is the API's policy plus what Element Plus and Vant need: inline
// style attributes and data: fonts/images (Vant's icon font is a data: URL),
// and blob: scripts: a plugin's page bundle is served to signed-in users only,
// so the console fetches it with the bearer token and imports it from a blob:
// URL it made itself (views/console/plugins/pages.ts).
const consoleCSP = "default-src 'self'; script-src 'self' blob:; img-src 'self' data: blob:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"

// consoleTypes pins the content types of the bundle's files, so they do not
// depend on the host's mime database.
var consoleTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
	".ico": "image/x-icon", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".txt": "text/plain; charset=utf-8",
	".webmanifest": "application/manifest+json",
}

// consoleFile is one file of the bundle held in memory, gzipped once when that helps.
type consoleFile struct {
	body, gz []byte
	ctype    string
	etag     string
}

// console serves the web console at / on the API's port: the files of
// core/web/dist, and index.html for any other GET (the SPA's routes). API
// and operations paths (/api/, /metrics, /healthz, … — every route of the
// table that is not under /api/) always go to the API.
type console struct {
	api      http.Handler
	reserved []string // path prefixes that are never the console's
	once     sync.Once
	files    map[string]*consoleFile
}

// withConsole puts the console in front of the API handler.
func (a *App) withConsole(api http.Handler) http.Handler {
	c := &console{api: api, reserved: []string{"/api/", "/api"}}
	for _, r := range a.API.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") {
			seg := "/" + strings.SplitN(strings.TrimPrefix(r.Path, "/"), "/", 2)[0]
			c.reserved = append(c.reserved, seg)
		}
	}
	return c
}

func (c *console) isReserved(p string) bool {
	for _, r := range c.reserved {
		if p == r || strings.HasPrefix(p, strings.TrimSuffix(r, "/")+"/") {
			return true
		}
	}
	return false
}

func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || c.isReserved(r.URL.Path) {
		c.api.ServeHTTP(w, r)
		return
	}
	c.once.Do(c.load)
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	f, ok := c.files[name]
	hashed := strings.HasPrefix(name, "assets/")
	switch {
	case ok && hashed:
		// Vite names assets by their content hash: they never change.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	case !ok && (hashed || path.Ext(name) != ""):
		// A missing script or image must not turn into the HTML page.
		consoleHeaders(w)
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	case !ok:
		f = c.files["index.html"]
		fallthrough
	default:
		w.Header().Set("Cache-Control", "no-cache")
	}
	if f == nil {
		c.api.ServeHTTP(w, r)
		return
	}
	consoleHeaders(w)
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		body = f.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// consoleHeaders are the API's security headers, with the console's policy.
func consoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
}

// load reads the bundle into memory once (a few MB), gzipping text files.
func (c *console) load() {
	c.files = map[string]*consoleFile{}
	dist, _ := web.Dist()
	fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		f := &consoleFile{body: b, ctype: consoleTypes[path.Ext(p)], etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		if f.ctype == "" {
			f.ctype = http.DetectContentType(b)
		}
		if len(b) > 1024 && !strings.HasPrefix(f.ctype, "image/png") && !strings.HasPrefix(f.ctype, "font/woff") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			if buf.Len() < len(b) {
				f.gz = buf.Bytes()
			}
		}
		c.files[p] = f
		return nil
	})
}

// OpenAPIJSON builds the API's OpenAPI document (the route table's, as
// served) on a throwaway SQLite, without serving: `wuye openapi` writes it to
// core/web/openapi.json, from which the console's types are generated.
func OpenAPIJSON(ctx context.Context) ([]byte, error) {
	dir, err := os.MkdirTemp("", "wuye-openapi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	a, err := New(ctx, Config{DataDir: dir, NoSeed: true, LogLevel: "error", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	b, err := json.MarshalIndent(a.API.OpenAPI(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
