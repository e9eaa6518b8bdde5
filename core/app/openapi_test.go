package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
)

// TestLiveResponsesMatchOpenAPI calls every GET route of the wired server on
// the demo company's data, as its admin (tenant routes) or as the operator,
// and validates each answer against the served OpenAPI document.
func TestLiveResponsesMatchOpenAPI(t *testing.T) {
	for _, ct := range []string{"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	for _, ct := range []string{"text/html", "text/plain"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	r := start(t, store.SQLite)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
	first, err := r.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, body := r.call(t, "", "POST", "/api/v1/operator/auth/login", map[string]any{"login": "operator", "password": readPassword(t, first.OperatorPasswordFile)})
	op, _ := body["access_token"].(string)
	m, err := demoShort()
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Tenants.Apply(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	admin := r.login(t, m.Code, "admin", password(res, "admin"))
	if err := r.DB.InTenant(ctx, res.Tenant.ID, func(tx *gorm.DB) error {
		_, err := queue.StartJob(tx, "test", queue.Task{Type: "test.noop"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	uploadDocument(t, r, r.DB, res.Tenant.ID, admin)
	paymentFixtures(t, r, res.Tenant.ID)
	deviceFixture(t, r, res.Tenant.ID)
	ids := map[string]string{"tenants": res.Tenant.ID.String()}
	for seg, table := range fixtureTables {
		var id string
		r.DB.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Raw("SELECT CAST(id AS TEXT) FROM "+table+" WHERE tenant_id = ? ORDER BY id LIMIT 1", res.Tenant.ID).Scan(&id).Error
		})
		if id != "" {
			ids[seg] = id
		}
	}

	// The served document, loaded as a client would (refs resolved).
	raw := httptest.NewRecorder()
	r.API.Handler().ServeHTTP(raw, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	doc, err := openapi3.NewLoader().LoadFromData(raw.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is invalid: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	checked, exported := 0, 0
	for _, rt := range r.API.Routes() {
		if rt.Method != "GET" || strings.HasSuffix(rt.Path, "/*path") {
			continue // the plugin proxy: its routes are each plugin's (TestEventsPluginEndToEnd)
		}
		path, ok := fillPath(rt.Path, ids)
		if !ok {
			t.Errorf("GET %s has no fixture: add its table to fixtureTables (or its parameter to fillPath)", rt.Path)
			continue
		}
		token := admin
		if rt.Operator {
			token = op
		}
		req := httptest.NewRequest("GET", path, nil)
		if !rt.Public {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		r.API.Handler().ServeHTTP(w, req)
		if w.Code >= 500 || (w.Code != http.StatusOK && w.Code != http.StatusNotFound) {
			t.Errorf("GET %s: %d %s", path, w.Code, w.Body)
			continue
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("GET %s: not in the document: %v", path, err)
			continue
		}
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
			Status: w.Code, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		})
		if err != nil {
			t.Errorf("GET %s (%d) does not match the document: %v\n%.400s", path, w.Code, err, w.Body)
		}
		checked++
		if route.Operation.Parameters.GetByInAndName("query", "format") != nil && w.Code == http.StatusOK {
			// A list: its export is a file the document names too.
			for _, f := range []string{"csv", "xlsx"} {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				req := httptest.NewRequest("GET", path+sep+"format="+f, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				r.API.Handler().ServeHTTP(w, req)
				route, params, _ := router.FindRoute(req)
				err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
					RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
						Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
					Status: w.Code, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())),
					Options: &openapi3filter.Options{IncludeResponseStatus: true},
				})
				if w.Code != http.StatusOK || err != nil {
					t.Errorf("GET %s as %s: %d %v %.300s", path, f, w.Code, err, w.Body)
				}
				exported++
			}
		}
	}
	if checked < 40 {
		t.Fatalf("validated only %d GET routes", checked)
	}
	t.Logf("validated %d GET routes and %d lists exported as csv and xlsx", checked, exported/2)
	if exported < 2*20 {
		t.Fatalf("exported only %d lists", exported/2)
	}
}
