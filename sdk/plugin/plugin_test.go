package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

func testPlugin() *Plugin {
	p := &Plugin{Name: "demo", Version: "1.0.0"}
	p.Permission("thing.read", "Read things", "查看")
	p.Handle("GET", "/things/:id", "thing.read", func(_ context.Context, r *Request) (*Response, error) {
		return JSON(200, map[string]string{"id": r.Params["id"], "route": r.Route}), nil
	})
	p.Handle("GET", "/things/stats", "thing.read", func(context.Context, *Request) (*Response, error) {
		return JSON(200, map[string]string{"stats": "yes"}), nil
	})
	p.Handle("POST", "/things", "thing.read", func(_ context.Context, r *Request) (*Response, error) {
		var in struct{ Name string }
		if err := r.Bind(&in); err != nil {
			return nil, err
		}
		return nil, hostError(status.New(codes.NotFound, "gone").Err())
	}, Idempotent())
	p.On("resident.moved_in", func(context.Context, Event) error { return nil })
	return p
}

func TestRoutingPrefersLiteralSegments(t *testing.T) {
	p := testPlugin()
	for path, want := range map[string]string{"/things/42": `"id":"42"`, "/things/stats": `"stats":"yes"`, "/things/a b": `"id":"a b"`} {
		resp := p.serveHTTP(context.Background(), &Request{Method: "GET", Path: path})
		if resp.Status != 200 || !contains(resp.Body, want) {
			t.Errorf("%s: %d %s, want %s", path, resp.Status, resp.Body, want)
		}
	}
	if resp := p.serveHTTP(context.Background(), &Request{Method: "DELETE", Path: "/things/1"}); resp.Status != 404 || !contains(resp.Body, "route_not_found") {
		t.Errorf("unknown route: %d %s", resp.Status, resp.Body)
	}
}

func TestErrorsKeepTheirCodesInTheCallersLanguage(t *testing.T) {
	p := testPlugin()
	resp := p.serveHTTP(context.Background(), &Request{Method: "POST", Path: "/things", Body: []byte(`{"Nom":1}`), Caller: Caller{Lang: "zh"}})
	if resp.Status != http.StatusBadRequest || !contains(resp.Body, "invalid_json") || !contains(resp.Body, "请求正文") {
		t.Errorf("bad body: %d %s", resp.Status, resp.Body)
	}
	resp = p.serveHTTP(context.Background(), &Request{Method: "POST", Path: "/things", Body: []byte(`{"Name":"x"}`)})
	if resp.Status != http.StatusNotFound || !contains(resp.Body, `"not_found"`) {
		t.Errorf("host not found: %d %s", resp.Status, resp.Body)
	}
}

func TestHostErrorCarriesTheCoreCode(t *testing.T) {
	st, _ := status.New(codes.Aborted, "stale").WithDetails(&wuyepb.ErrorDetail{Code: "version_conflict", MessageEn: "changed", MessageZh: "已变更"})
	err := hostError(st.Err())
	if !IsConflict(err) || Code(err) != "version_conflict" || IsNotFound(err) {
		t.Fatalf("got %v", err)
	}
	var he *HostError
	if !errors.As(err, &he) || he.ZH != "已变更" {
		t.Fatalf("zh lost: %#v", he)
	}
}

func TestManifestListsRoutesSubscriptionsAndPermissions(t *testing.T) {
	m := testPlugin().Manifest()
	if m.Kind != Feature || m.ApiVersion != sdk.APIVersion || len(m.Routes) != 3 || len(m.Permissions) != 1 || len(m.Subscriptions) != 1 {
		t.Fatalf("manifest: %v", m)
	}
	if !m.Routes[2].Idempotent {
		t.Error("route option lost")
	}
	if err := (&Plugin{Name: "Bad Name", Version: "1"}).check(); err == nil {
		t.Error("bad name accepted")
	}
}

func contains(b []byte, s string) bool { return json.Valid(b) && strings.Contains(string(b), s) }
