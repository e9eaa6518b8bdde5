package proxy_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// BenchmarkProxyOverhead compares a GET through the proxy (route match,
// permission, Caller with the plugin's permissions, answer filtering) with
// the same answer from a route of the table, the plugin in process (no gRPC):
// what the core adds besides the transport.
func BenchmarkProxyOverhead(b *testing.B) {
	e := newEnv(&testing.T{}, nil)
	e.host.plugin.handle = ok(200, `{"items":[]}`, map[string]string{"Content-Type": "application/json"})
	direct := httpapi.New(httpapi.Deps{Auth: tokensOf(e), Authz: grantsOf(e), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Routes: []httpapi.Route{{Method: "GET", Path: "/api/v1/direct", Permission: "events.activity.read", Handler: func(c *gin.Context) error {
			r, _ := e.host.plugin.handle(context.Background(), &wuyepb.HTTPRequest{})
			c.Data(http.StatusOK, "application/json", r.Body)
			return nil
		}}}})
	run := func(b *testing.B, h http.Handler, path string) {
		for b.Loop() {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Authorization", "Bearer organiser")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, direct.Handler(), "/api/v1/direct") })
	b.Run("proxied", func(b *testing.B) { run(b, e.srv.Handler(), "/api/v1/plugins/events/activities/42") })
}
