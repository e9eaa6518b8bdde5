package identityapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/identity/identityapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestOperatorManagementHTTP: an operator adds a colleague (idempotently,
// password policy checked), lists and disables them; the disabled colleague's
// refresh and sign-in are refused; nobody disables themselves or the last
// active operator; tenant users never reach these routes; writes are audited.
func TestOperatorManagementHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rec := &entries{}
		svc := identity.New(db, identity.Config{JWTSecret: []byte("http-test-secret-http-test-secret-32")}, rec, nil)
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: svc, Routes: identityapi.Routes(svc), Audit: rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		api := apiT{t: t, h: srv.Handler(), db: db, svc: svc}
		ctx := context.Background()
		rootPass, _, err := svc.EnsureOperator(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "root", "password": rootPass})
		root, _ := body["access_token"].(string)
		rootID, _ := body["subject_id"].(string)

		const base = "/api/v1/operator/operators"
		wang := map[string]any{"username": "wang", "name": "Wang Li", "email": "wang@ops.test", "password": goodPW}
		st, body, _ := api.call("POST", base, "", wang)
		wantErr(t, st, body, 401, "unauthenticated")
		acme := tenant(t, db, "acme")
		svc.CreateUser(ctx, acme, identity.NewUser{Username: "boss", Password: goodPW})
		_, body, _ = api.call("POST", "/api/v1/auth/login", "", map[string]any{"login": "boss", "password": goodPW})
		st, body, _ = api.call("POST", base, body["access_token"].(string), wang)
		wantErr(t, st, body, 403, "forbidden")

		st, body, _ = api.call("POST", base, root, map[string]any{"username": "wang", "name": "Wang", "password": "wang-wang-wang"})
		wantErr(t, st, body, 400, "weak_password")
		st, body, _ = api.call("POST", base, root, map[string]any{"username": "w", "password": goodPW})
		wantErr(t, st, body, 400, "invalid_input")
		st, body, _ = api.call("POST", base, root, wang, "Idempotency-Key", "add-wang-1")
		if st != 201 || body["username"] != "wang" || body["status"] != "active" || body["password_hash"] != nil {
			t.Fatalf("create: %d %v", st, body)
		}
		wangID := body["id"].(string)
		st, body, _ = api.call("POST", base, root, wang, "Idempotency-Key", "add-wang-1")
		if st != 201 || body["id"] != wangID {
			t.Fatalf("replay: %d %v", st, body)
		}
		st, body, _ = api.call("POST", base, root, wang, "Idempotency-Key", "add-wang-2")
		if e := wantErr(t, st, body, 409, "operator_exists"); e["details"].(map[string]any)["field"] != "username" {
			t.Fatalf("duplicate: %v", e)
		}

		st, body, _ = api.call("GET", base+"?sort=-username&page_size=1", root, nil)
		items, _ := body["items"].([]any)
		if st != 200 || body["total"].(float64) != 2 || len(items) != 1 || items[0].(map[string]any)["username"] != "wang" {
			t.Fatalf("list: %d %v", st, body)
		}
		st, body, _ = api.call("GET", base+"?status=gone", root, nil)
		wantErr(t, st, body, 400, "invalid_input")

		_, body, _ = api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "wang", "password": goodPW})
		wangAccess, wangRefresh := body["access_token"].(string), body["refresh_token"].(string)

		st, body, _ = api.call("PATCH", base+"/"+rootID, root, map[string]any{"status": "disabled"})
		wantErr(t, st, body, 409, "cannot_disable_self")
		st, body, _ = api.call("PATCH", base+"/"+wangID, root, map[string]any{"name": "Wang Lei", "status": "disabled"})
		if st != 200 || body["status"] != "disabled" || body["name"] != "Wang Lei" {
			t.Fatalf("disable: %d %v", st, body)
		}
		st, body, _ = api.call("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": wangRefresh})
		wantErr(t, st, body, 401, "invalid_refresh_token")
		st, body, _ = api.call("POST", "/api/v1/operator/auth/login", "", map[string]any{"login": "wang", "password": goodPW})
		wantErr(t, st, body, 403, "account_disabled")
		// Wang's access token is refused at once: he cannot take the platform's last operator.
		st, body, _ = api.call("PATCH", base+"/"+rootID, wangAccess, map[string]any{"status": "disabled"})
		wantErr(t, st, body, 401, "token_revoked")
		st, body, _ = api.call("PATCH", base+"/"+store.NewID().String(), root, map[string]any{"name": "x"})
		wantErr(t, st, body, 404, "not_found")

		// Every write is in the audit log as a platform event of its operator.
		want := map[string]string{"POST " + base: audit.ResultOK, "PATCH " + base + "/:id": audit.ResultOK}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, e := range rec.e {
			if r, ok := want[e.Action]; ok && e.Result == r && e.ActorKind == "operator" && e.ActorName == "root" {
				delete(want, e.Action)
			}
		}
		if len(want) > 0 {
			t.Fatalf("no audit entry for %v", want)
		}
	})
}

// TestOperatorRoutesMatchOpenAPI sends real operator-management calls and
// validates request and answer against the served OpenAPI document (the
// shared apiSamples run on a server without identity).
func TestOperatorRoutesMatchOpenAPI(t *testing.T) {
	db := storetest.SQLite(t)
	svc := identity.New(db, identity.Config{JWTSecret: []byte("http-test-secret-http-test-secret-32")}, &entries{}, nil)
	h := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: svc, Routes: identityapi.Routes(svc), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	serve := func(method, path, token, body string) (*http.Request, *httptest.ResponseRecorder) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		req.Body = io.NopCloser(strings.NewReader(body))
		return req, w
	}
	_, w := serve("GET", httpapi.OpenAPIPath, "", "")
	doc, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	pass, _, _ := svc.EnsureOperator(context.Background(), "root")
	_, w = serve("POST", "/api/v1/operator/auth/login", "", `{"login":"root","password":"`+pass+`"}`)
	var sess identity.Session
	json.Unmarshal(w.Body.Bytes(), &sess)

	const base = "/api/v1/operator/operators"
	var id string
	for _, c := range []struct{ method, path, body string }{
		{"POST", base, `{"username":"wang","name":"Wang","password":"` + goodPW + `"}`},
		{"POST", base, `{"username":"wang","name":"Wang","password":"` + goodPW + `"}`}, // 409
		{"GET", base + "?status=active&sort=-created_at&page_size=5", ""},
		{"PATCH", base + "/{id}", `{"name":"Wang Lei","status":"disabled"}`},
		{"PATCH", base + "/" + sess.SubjectID.String(), `{"status":"disabled"}`}, // 409
	} {
		path := strings.ReplaceAll(c.path, "{id}", id)
		req, w := serve(c.method, path, sess.AccessToken, c.body)
		if id == "" && w.Code == 201 {
			var o identity.Operator
			json.Unmarshal(w.Body.Bytes(), &o)
			id = o.ID.String()
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: no operation: %v", c.method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: request does not match the document: %v", c.method, path, err)
		}
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: w.Code, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		})
		if err != nil {
			t.Errorf("%s %s (%d): answer does not match the document: %v\n%s", c.method, path, w.Code, err, w.Body)
		}
	}
}
