package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/store"
)

// isListRoute: a GET answering a body with an items slice (Page[T], List[T]
// or a type embedding one).
func isListRoute(rt httpapi.Route) bool {
	if rt.Method != "GET" || rt.Response == nil {
		return false
	}
	t := reflect.TypeOf(rt.Response)
	if t.Kind() != reflect.Struct {
		return false
	}
	f, ok := t.FieldByName("Items")
	return ok && f.Type.Kind() == reflect.Slice
}

// TestListItemsNeverNull calls every list route of the wired server, on the
// demo company and on a tenant with no data, and requires items to be a JSON
// array: [] when empty, never null.
func TestListItemsNeverNull(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
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
			demo, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			m.Code, m.Seed = "empty", nil
			empty, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			demoTok := r.login(t, demo.Tenant.Code, "admin", password(demo, "admin"))
			emptyTok := r.login(t, "empty", "admin", password(empty, "admin"))
			uploadDocument(t, r, r.DB, demo.Tenant.ID, demoTok)
			paymentFixtures(t, r, demo.Tenant.ID)
			deviceFixture(t, r, demo.Tenant.ID)
			ids := map[string]string{"tenants": demo.Tenant.ID.String()}
			for seg, table := range fixtureTables {
				var id string
				r.DB.Platform(ctx, func(tx *gorm.DB) error {
					return tx.Raw("SELECT CAST(id AS TEXT) FROM "+table+" WHERE tenant_id = ? ORDER BY id LIMIT 1", demo.Tenant.ID).Scan(&id).Error
				})
				if id != "" {
					ids[seg] = id
				}
			}

			lists, emptyLists := 0, 0
			check := func(who, token, path string) {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				r.API.Handler().ServeHTTP(w, req)
				var got struct {
					Items json.RawMessage `json:"items"`
				}
				if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil {
					t.Errorf("GET %s (%s): %d %.300s", path, who, w.Code, w.Body)
					return
				}
				if len(got.Items) == 0 || got.Items[0] != '[' {
					t.Errorf("GET %s (%s): items is %.40s, want a JSON array", path, who, got.Items)
				}
				if string(got.Items) == "[]" {
					emptyLists++
				}
				lists++
			}
			for _, rt := range r.API.Routes() {
				if !isListRoute(rt) {
					continue
				}
				if rt.Operator {
					path, ok := fillPath(rt.Path, ids) // a tenant's lists name the demo tenant
					if !ok {
						t.Errorf("operator list GET %s has no fixture", rt.Path)
						continue
					}
					check("operator", op, path)
					continue
				}
				path, ok := fillPath(rt.Path, ids)
				if !ok {
					t.Errorf("list GET %s has no fixture: add its table to fixtureTables", rt.Path)
					continue
				}
				check("demo", demoTok, path)
				if !hasPathParam(rt.Path) {
					// The empty tenant has no object to name in a path.
					check("empty tenant", emptyTok, rt.Path)
				}
			}
			if lists < 30 || emptyLists < 10 {
				t.Fatalf("checked %d lists (%d empty)", lists, emptyLists)
			}
		})
	}
}
