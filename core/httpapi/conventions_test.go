package httpapi

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
)

func TestErrorShapeAndLanguage(t *testing.T) {
	e := newEnv(t, store.SQLite)
	en := apiError(t, e.call("GET", "/api/v1/test/widgets", "", ""))
	zh := apiError(t, e.call("GET", "/api/v1/test/widgets", "", "", "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"))
	if en.Code != "unauthenticated" || en.Message != apperr.Unauthenticated.EN || zh.Message != apperr.Unauthenticated.ZH {
		t.Fatalf("en %+v zh %+v", en, zh)
	}
	if en.RequestID == "" {
		t.Error("error body lacks request_id")
	}
	if w := e.call("GET", "/api/v1/nope", "", ""); w.Code != 404 || apiError(t, w).Code != "route_not_found" {
		t.Errorf("unknown route: %d %s", w.Code, w.Body)
	}
	// A tenant user without the permission is refused with the permission named.
	w := e.call("GET", "/api/v1/test/widgets", e.tokenFor(e.tenant, "other.read"), "")
	if w.Code != 403 || apiError(t, w).Code != "forbidden" || !strings.Contains(w.Body.String(), "widget.read") {
		t.Errorf("missing permission: %d %s", w.Code, w.Body)
	}
	// An object of another tenant does not exist for the caller.
	created := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"mine"}`)
	id := strings.Split(strings.Split(created.Body.String(), `"id":"`)[1], `"`)[0]
	if w := e.call("GET", "/api/v1/test/widgets/"+id, e.tokenFor(store.NewID(), "widget.read"), ""); w.Code != 404 || apiError(t, w).Code != "not_found" {
		t.Errorf("other tenant's widget: %d %s", w.Code, w.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, store.SQLite)
	e.srv = New(Deps{Tx: e.db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(e.db), Log: e.srv.log, Auth: e.auth, Authz: claimRoles{}, Routes: e.widgetRoutes(), MaxBodyBytes: 1024})
	big := `{"name":"` + strings.Repeat("a", 2000) + `"}`
	// Declared length.
	if w := e.call("POST", "/api/v1/test/widgets", e.token, big); w.Code != 413 || apiError(t, w).Code != "body_too_large" {
		t.Errorf("declared: %d %s", w.Code, w.Body)
	}
	// Chunked: no length declared, the cap stops the read.
	for _, key := range []string{"", "chunked-1"} {
		req := httptest.NewRequest("POST", "/api/v1/test/widgets", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.Header.Set("Authorization", "Bearer "+e.token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, req)
		if w.Code != 413 || apiError(t, w).Code != "body_too_large" {
			t.Errorf("chunked (key %q): %d %s", key, w.Code, w.Body)
		}
	}
}

func TestRequestIDAndSecurityHeaders(t *testing.T) {
	e := newEnv(t, store.SQLite)
	w := e.call("GET", "/healthz", "", "", "X-Request-Id", "abc-123")
	if w.Header().Get("X-Request-Id") != "abc-123" {
		t.Errorf("sane request id not echoed: %q", w.Header().Get("X-Request-Id"))
	}
	for _, bad := range []string{strings.Repeat("x", 65), "has space", "new\x01line"} {
		w := e.call("GET", "/api/v1/nope", "", "", "X-Request-Id", bad)
		got := w.Header().Get("X-Request-Id")
		if got == bad || len(got) != 24 || apiError(t, w).RequestID != got {
			t.Errorf("request id %q: answered %q", bad, got)
		}
	}
	if a, b := e.call("GET", "/healthz", "", "").Header().Get("X-Request-Id"), e.call("GET", "/healthz", "", "").Header().Get("X-Request-Id"); a == "" || a == b {
		t.Errorf("generated ids %q %q", a, b)
	}
	w = e.call("GET", "/api/v1/test/widgets", "", "")
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"Cache-Control": "no-store", "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
	} {
		if got := w.Header().Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP %q", w.Header().Get("Content-Security-Policy"))
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, store.SQLite)
	for i := 0; i < 3; i++ {
		e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"w`+string(rune('a'+i))+`"}`)
	}
	w := e.call("GET", "/api/v1/test/widgets?page_size=2&page=2&sort=-name", e.token, "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"total":3`) || !strings.Contains(w.Body.String(), `"name":"wa"`) || strings.Contains(w.Body.String(), `"name":"wb"`) {
		t.Fatalf("page 2: %d %s", w.Code, w.Body)
	}
	for q, field := range map[string]string{"page_size=201": "page_size", "page_size=0": "page_size", "page=0": "page", "page=x": "page", "sort=secret": "sort"} {
		w := e.call("GET", "/api/v1/test/widgets?"+q, e.token, "", "Accept-Language", "zh")
		er := apiError(t, w)
		d, _ := er.Details.([]any)
		if w.Code != 400 || er.Code != "invalid_input" || len(d) != 1 || d[0].(map[string]any)["field"] != field {
			t.Errorf("%s: %d %s", q, w.Code, w.Body)
		}
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, store.SQLite)
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "wuye_queue_test_total", Help: "test"})
	extra.Add(7)
	e.srv = New(Deps{Tx: e.db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(e.db), Log: e.srv.log, Auth: e.auth, Authz: claimRoles{}, Routes: e.widgetRoutes(), Collectors: []prometheus.Collector{extra, collectors.NewDBStatsCollector(e.db.SQL(), string(e.db.Dialect()))}})
	e.call("GET", "/api/v1/test/widgets/"+store.NewID().String(), e.token, "")
	e.call("GET", "/no/such/thing", "", "")
	w := e.call("GET", MetricsPath, "", "")
	body := w.Body.String()
	for _, want := range []string{
		`wuye_http_request_duration_seconds_count{code="404",method="GET",route="/api/v1/test/widgets/:id"} 1`,
		`wuye_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`,
		`wuye_http_requests_in_flight 1`, // the scrape itself
		`go_sql_open_connections{db_name="sqlite"}`,
		`go_goroutines`, `process_`, `wuye_queue_test_total 7`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// A second server in the same process has its own registry, and can turn /metrics off.
	off := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MetricsDisabled: true})
	w = httptest.NewRecorder()
	off.Handler().ServeHTTP(w, httptest.NewRequest("GET", MetricsPath, nil))
	if w.Code != 404 {
		t.Errorf("disabled metrics answered %d", w.Code)
	}
}
