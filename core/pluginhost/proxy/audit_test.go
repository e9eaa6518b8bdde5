package proxy_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
)

type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recorder) Record(_ context.Context, e audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}
func (r *recorder) RecordPlatform(ctx context.Context, e audit.Entry) error { return r.Record(ctx, e) }

// TestAudit: a write through the proxy, and a refusal, are audited as a
// route of the table would be, under the plugin route's permission.
func TestAudit(t *testing.T) {
	e := newEnv(t, nil)
	rec := &recorder{}
	e.srv = httpapi.New(httpapi.Deps{Auth: e.toks, Authz: e.grants, Audit: rec, Routes: e.proxy.Routes(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.host.plugin.handle = ok(200, `{}`, nil)
	if w := e.do("PUT", "/api/v1/plugins/events/activities/42", "organiser", `{}`); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	expectError(t, e.do("PUT", "/api/v1/plugins/events/activities/43", "reader", `{}`), 403, "forbidden")
	if w := e.do("GET", "/api/v1/plugins/events/activities/42", "organiser", ``); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if len(rec.entries) != 2 {
		t.Fatalf("entries = %+v", rec.entries)
	}
	ok, denied := rec.entries[0], rec.entries[1]
	if ok.Action != "events.activity.manage" || ok.Route != "/api/v1/plugins/events/activities/:id" || ok.ObjectID != "42" ||
		ok.ObjectType != "activity" || ok.Result != audit.ResultOK || ok.TenantID != e.tenantA {
		t.Fatalf("write entry = %+v", ok)
	}
	if denied.Action != "events.activity.manage" || denied.Result != audit.ResultDenied || denied.Status != 403 {
		t.Fatalf("refusal entry = %+v", denied)
	}
}
