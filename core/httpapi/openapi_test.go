package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/store"
)

func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// apiSample is one real call whose answer must match the document. Areas
// that add routes append their samples (in an init of their _test.go file);
// the test reports which routes still have none.
type apiSample struct {
	Name   string
	Method string
	// Path may use {widget} for an id created by the test env before the call.
	Path   string
	Body   string
	Auth   bool // send the env tenant's token
	Header map[string]string
	Status int
}

var apiSamples = []apiSample{
	{Name: "healthz", Method: "GET", Path: "/healthz", Status: 200},
	{Name: "readyz", Method: "GET", Path: "/readyz", Status: 200},
	{Name: "openapi", Method: "GET", Path: OpenAPIPath, Status: 200},
	{Name: "docs", Method: "GET", Path: "/api/docs", Status: 200},
	{Name: "metrics", Method: "GET", Path: MetricsPath, Status: 200},
	{Name: "no credential", Method: "GET", Path: "/api/v1/test/widgets", Status: 401},
	{Name: "bad credential", Method: "GET", Path: "/api/v1/test/widgets", Header: map[string]string{"Authorization": "Bearer nope"}, Status: 401},
	{Name: "list", Method: "GET", Path: "/api/v1/test/widgets?page_size=5&sort=-name", Auth: true, Status: 200},
	{Name: "list page too big", Method: "GET", Path: "/api/v1/test/widgets?page_size=201", Auth: true, Status: 400},
	{Name: "create", Method: "POST", Path: "/api/v1/test/widgets", Body: `{"name":"pump","size":3}`, Auth: true, Status: 201},
	{Name: "create invalid", Method: "POST", Path: "/api/v1/test/widgets", Body: `{"name":"","size":-1}`, Auth: true, Status: 400},
	{Name: "create bad key", Method: "POST", Path: "/api/v1/test/widgets", Body: `{"name":"a"}`, Auth: true, Header: map[string]string{"Idempotency-Key": ""}, Status: 400},
	{Name: "read", Method: "GET", Path: "/api/v1/test/widgets/{widget}", Auth: true, Status: 200},
	{Name: "operator route without credential", Method: "GET", Path: "/api/v1/operator/test/ping", Status: 401},
	{Name: "operator route as tenant user", Method: "GET", Path: "/api/v1/operator/test/ping", Auth: true, Status: 403},
	{Name: "read missing", Method: "GET", Path: "/api/v1/test/widgets/" + uuid.NewString(), Auth: true, Status: 404},
}

// fetchDoc loads the served document the way a client would.
func fetchDoc(t *testing.T, e *env) *openapi3.T {
	t.Helper()
	w := e.call("GET", OpenAPIPath, "", "")
	if w.Code != 200 {
		t.Fatalf("openapi.json: %d %s", w.Code, w.Body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatalf("load document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document does not validate: %v", err)
	}
	return doc
}

func TestOpenAPIHasEveryRoute(t *testing.T) {
	e := newEnv(t, store.SQLite)
	doc := fetchDoc(t, e)
	for _, r := range e.srv.Routes() {
		p, _ := openAPIPath(r.Path)
		item := doc.Paths.Value(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("%s %s is not in the document", r.Method, r.Path)
			continue
		}
		op := item.GetOperation(r.Method)
		if !r.Public && !r.Operator && r.Permission != "" && op.Extensions["x-permission"] != r.Permission {
			t.Errorf("%s %s: x-permission %v, want %s", r.Method, r.Path, op.Extensions["x-permission"], r.Permission)
		}
		if r.Public && (op.Security == nil || len(*op.Security) != 0) {
			t.Errorf("%s %s is public but the document asks for a credential", r.Method, r.Path)
		}
	}
	if doc.Components.Schemas["Pagewidget"] == nil || doc.Components.Schemas["Error"] == nil {
		t.Errorf("components lack Pagewidget or Error: %v", keys(doc.Components.Schemas))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOpenAPIResponsesMatch sends every sample through the real server and
// validates status, headers and body against the served document.
func TestOpenAPIResponsesMatch(t *testing.T) {
	e := newEnv(t, store.SQLite)
	doc := fetchDoc(t, e)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	created := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"seed","size":1}`)
	var wg widget
	json.Unmarshal(created.Body.Bytes(), &wg)

	covered := map[string]bool{}
	for _, s := range apiSamples {
		t.Run(s.Name, func(t *testing.T) {
			path := strings.ReplaceAll(s.Path, "{widget}", wg.ID.String())
			req := httptest.NewRequest(s.Method, path, strings.NewReader(s.Body))
			if s.Body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if s.Auth {
				req.Header.Set("Authorization", "Bearer "+e.token)
			}
			for k, v := range s.Header {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(w, req)
			if w.Code != s.Status {
				t.Fatalf("status %d, want %d: %s", w.Code, s.Status, w.Body)
			}
			req.Body = io.NopCloser(strings.NewReader(s.Body))
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no operation for %s %s: %v", s.Method, path, err)
			}
			covered[route.Method+" "+route.Path] = true
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			if s.Status < 400 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("sample request does not match the document: %v", err)
				}
			}
			err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: w.Code, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())),
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			})
			if err != nil {
				t.Errorf("response does not match the document: %v\n%s", err, w.Body)
			}
		})
	}

	// The validator is live: a body of the wrong shape is refused.
	req := httptest.NewRequest("GET", "/api/v1/test/widgets/"+wg.ID.String(), nil)
	route, params, _ := router.FindRoute(req)
	bad := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"id":"not-a-uuid","name":7}`)),
	})
	if bad == nil {
		t.Error("a widget with a bad id and a numeric name passed validation")
	}

	// An unknown path has no operation; its body must still be the Error schema.
	w := e.call("GET", "/api/v1/nope", "", "")
	var body any
	json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != 404 || doc.Components.Schemas["Error"].Value.VisitJSON(body) != nil {
		t.Errorf("unknown route: %d %s", w.Code, w.Body)
	}

	var missing []string
	for _, r := range e.srv.Routes() {
		p, _ := openAPIPath(r.Path)
		if !covered[r.Method+" "+p] {
			missing = append(missing, r.Method+" "+r.Path)
		}
	}
	if len(missing) > 0 {
		t.Logf("routes without a sample in apiSamples (add one): %v", missing)
	}
}

type embedded struct {
	Created time.Time `json:"created_at"`
}

type schemaProbe struct {
	embedded
	ID       uuid.UUID         `json:"id"`
	Parent   *schemaProbe      `json:"parent"`
	Count    int64             `json:"count,string"`
	Amounts  []int64           `json:"amounts,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Raw      json.RawMessage   `json:"raw,omitempty"`
	Skipped  string            `json:"-"`
	private  int
	Untagged bool
}

func TestSchemaReflection(t *testing.T) {
	g := newSchemaGen()
	ref := g.inline(reflect.TypeOf(Page[schemaProbe]{}), false)
	if ref.Ref != "#/components/schemas/PageschemaProbe" {
		t.Fatalf("generic page ref %q", ref.Ref)
	}
	p := g.schemas["schemaProbe"].Value
	want := map[string]string{"created_at": "string/date-time", "id": "string/uuid", "count": "string/", "amounts": "array/", "labels": "object/", "Untagged": "boolean/"}
	for name, tf := range want {
		sc := p.Properties[name]
		if sc == nil || sc.Value.Type == nil || (*sc.Value.Type)[0]+"/"+sc.Value.Format != tf {
			t.Errorf("property %s: %+v, want %s", name, sc, tf)
		}
	}
	for _, gone := range []string{"Skipped", "-", "private", "embedded"} {
		if p.Properties[gone] != nil {
			t.Errorf("property %s should not be in the schema", gone)
		}
	}
	if par := p.Properties["parent"].Value; !par.Nullable || par.AllOf[0].Ref != "#/components/schemas/schemaProbe" {
		t.Errorf("pointer to self: %+v", par)
	}
	if strings.Join(p.Required, ",") != "Untagged,count,created_at,id,parent" {
		t.Errorf("required %v", p.Required)
	}
}

func TestDocsPage(t *testing.T) {
	e := newEnv(t, store.SQLite)
	w := e.call("GET", "/api/docs", "", "")
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("docs: %d %s", w.Code, w.Header())
	}
	for _, want := range []string{"/api/v1/test/widgets/{id}", "permission widget.read", "honours Idempotency-Key", `id="tag-test"`, "Pagewidget", "created_at: date-time"} {
		if !strings.Contains(body, want) {
			t.Errorf("docs page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "http://", "https://"} {
		if strings.Contains(body, banned) {
			t.Errorf("docs page must be self-contained; found %q", banned)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("docs CSP %q", csp)
	}
}
