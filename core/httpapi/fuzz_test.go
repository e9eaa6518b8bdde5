package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/store"
)

// checkAnswer fails unless w is below 500 and, when an error, the error shape.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, allowed ...string) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("server error %d: %s", w.Code, w.Body)
	}
	if w.Code < 400 {
		return
	}
	var b struct {
		Error *errorDetail `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error == nil || b.Error.Code == "" || b.Error.Message == "" || b.Error.RequestID == "" {
		t.Fatalf("status %d without the error shape (%v): %q", w.Code, err, w.Body)
	}
	if len(allowed) > 0 && !strings.Contains(","+strings.Join(allowed, ",")+",", ","+b.Error.Code+",") {
		t.Fatalf("unexpected error code %q: %s", b.Error.Code, w.Body)
	}
}

// FuzzBindJSON throws arbitrary bodies at the strict decoder and Validate of
// a representative request type.
func FuzzBindJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"pump","size":3,"tags":["a"]}`,
		``, `null`, `[]`, `"x"`, `{`, `{"name":1}`, `{"name":"a","size":1e400}`,
		`{"name":"a","size":99999999999999999999}`, `{"name":"a","size":1.5}`, `{"name":"a","extra":1}`,
		`{"name":"a"} {"name":"b"}`, "{\"name\":\"\xff\"}", `{"name":"\ud800"}`,
		strings.Repeat(`{"tags":`, 300) + "1" + strings.Repeat("}", 300),
		strings.Repeat("[", 10001), `{"name":"a","tags":null}`, `{"NAME":"a"}`, "\xef\xbb\xbf{}",
		`{"name":"a\u0000b"}`, `{"name":"a","tags":["x\u0000"]}`, `{"name\u0000":"a"}`, "{\"name\":\"a\x00\"}",
		`{"name":"a","name":"b"}`, `{"name":"a","NAME":"b"}`,
	} {
		f.Add([]byte(seed))
	}
	s := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 64 << 10, MetricsDisabled: true,
		Routes: []Route{{Method: "POST", Path: "/fuzz", Public: true, Request: widgetRequest{}, Handler: func(c *gin.Context) error {
			var req widgetRequest
			if err := BindJSON(c, &req); err != nil {
				return err
			}
			if fe := req.Validate(); len(fe) > 0 {
				panic("bindJSON accepted a request its Validate refuses")
			}
			c.JSON(http.StatusOK, req)
			return nil
		}}}})
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/fuzz", bytes.NewReader(body)))
		checkAnswer(t, w, "malformed_json", "invalid_input", "body_too_large", "duplicate_json_key", "unknown_field")
		// The same body through a real create route into each engine's store:
		// whatever the decoder lets through must be storable (no 500).
		for _, e := range envs {
			checkAnswer(t, e.call("POST", "/api/v1/test/widgets", e.token, string(body)),
				"malformed_json", "invalid_input", "body_too_large", "duplicate_json_key", "unknown_field")
		}
	})
}

// validHeader mirrors what net/http's server lets through to a handler.
func validHeader(k, v string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return !strings.ContainsAny(v, "\r\n\x00")
}

// FuzzRequest runs arbitrary method, path, headers and body through the
// whole server (with a real SQLite store and real credentials available).
func FuzzRequest(f *testing.F) {
	f.Add("GET", "/healthz", "", "", false)
	f.Add("GET", "/api/v1/test/widgets?page=2&page_size=500&sort=-name", "Accept-Language: zh\n", "", true)
	f.Add("POST", "/api/v1/test/widgets", "Content-Type: application/json\nIdempotency-Key: k1\n", `{"name":"a","size":1}`, true)
	f.Add("POST", "/api/v1/test/widgets", "Idempotency-Key: \n", `{"name":`, true)
	f.Add("GET", "/api/v1/test/widgets/not-a-uuid", "", "", true)
	f.Add("GET", "/api/v1/test/widgets/0193a0d2-7a3e-7c4c-9e53-3b6f1f1f1f1f", "X-Request-Id: ../../x\n", "", true)
	f.Add("DELETE", "/api/v1/openapi.json", "Authorization: Bearer x.y\n", "", false)
	f.Add("PUT", "//api//v1/../test/widgets", "Content-Length: 5\n", "{}", true)
	f.Add("GET", "/api/v1/test/widgets?page=%zz", "Authorization: bearer    \n", "", false)
	f.Add("POST", "/api/v1/test/widgets", "Idempotency-Key: a\nIdempotency-Key: b\n", `{"name":"x"}`, true)
	f.Add("GET", "/api/v1/test/widgets?name=%00", "", "", true)
	f.Add("GET", "/api/v1/test/widgets/0193a0d2-7a3e-7c4c-9e53-3b6f1f1f1f1f%00", "", "", true)
	f.Add("POST", "/api/v1/test/widgets?x=a%00", "", `{"name":"a\u0000"}`, true)
	f.Add("GET", "/api/v1/test/widgets", "X-Forwarded-For: 10.0.0.1\nX-Real-IP: ::1\n", "", false)

	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, method, target, headers, body string, auth bool) {
		if method == "" || strings.ContainsFunc(method, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) }) {
			return // the HTTP server refuses such a request line before any handler
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Host != "" || !strings.HasPrefix(target, "/") {
			return
		}
		req := &http.Request{Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: "example.test", RemoteAddr: "192.0.2.1:1234",
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
		for _, line := range strings.Split(headers, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && validHeader(k, strings.TrimSpace(v)) {
				req.Header.Add(k, strings.TrimSpace(v))
			}
		}
		for _, e := range envs {
			r := req.Clone(req.Context())
			r.Body = io.NopCloser(strings.NewReader(body))
			if auth {
				r.Header.Set("Authorization", "Bearer "+e.token)
			}
			w := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(w, r)
			checkAnswer(t, w)
		}
	})
}

// fuzzEnvs are the servers a fuzz input runs against: SQLite always, and
// PostgreSQL when WUYE_TEST_POSTGRES_URL is set (required under CI), since
// the engines refuse different input (NUL in text, for one).
func fuzzEnvs(f *testing.F) []*env {
	envs := []*env{newEnv(f, store.SQLite)}
	if os.Getenv("WUYE_TEST_POSTGRES_URL") != "" || os.Getenv("CI") == "true" {
		envs = append(envs, newEnv(f, store.Postgres))
	}
	for _, e := range envs {
		e.faults = false
	}
	return envs
}
