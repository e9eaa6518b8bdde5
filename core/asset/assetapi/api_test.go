package assetapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/asset/assetapi"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/property/propertyapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// oneUser authenticates the token "a" as a user holding every permission.
type oneUser struct{ a actor.Actor }

func (u oneUser) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	if cred == "a" {
		return u.a, nil
	}
	return actor.Actor{}, apperr.Unauthenticated
}

func (oneUser) Allowed(context.Context, actor.Actor, string) (bool, error) { return true, nil }

type client struct {
	t testing.TB
	h http.Handler
}

func (c client) raw(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer a")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func (c client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	rec := c.raw(method, path, "application/json", b)
	out := map[string]any{}
	json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func newAPI(t testing.TB, db *store.DB) client {
	props, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := asset.New(db, app.AssetPlaces(props))
	if err != nil {
		t.Fatal(err)
	}
	u := oneUser{actor.Actor{Kind: actor.User, ID: uuid.New(), TenantID: uuid.New()}}
	s := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db,
		Log: slog.New(slog.DiscardHandler), Auth: u, Authz: u, Routes: append(propertyapi.Routes(props), assetapi.Routes(assets)...)})
	return client{t, s.Handler()}
}

// The API takes the category and status labels the spreadsheet import takes,
// and stores the code either way.
func TestAssetLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		st, as := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "DT-01", "name": "1号楼客梯", "category": "电梯", "status": "维修中"})
		if st != 201 || as["category"] != "elevator" || as["status"] != "under_repair" {
			t.Fatalf("create with labels %d %v", st, as)
		}
		st, as = a.do("PUT", "/api/v1/assets/"+as["id"].(string), map[string]any{"community_id": comm["id"], "code": "DT-01", "name": "1号楼客梯", "category": "空调", "status": "报废"})
		if st != 200 || as["category"] != "hvac" || as["status"] != "retired" {
			t.Fatalf("update with labels %d %v", st, as)
		}
		st, body := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "X", "name": "x", "category": "飞船", "status": "坏了"})
		details, _ := body["error"].(map[string]any)["details"].([]any)
		if st != 400 || len(details) != 2 {
			t.Fatalf("unknown labels %d %v", st, body)
		}
		file := []byte("小区,设备编号,设备名称,类别,状态\n阳光花园,SB-01,水泵,水泵,停用\n阳光花园,SB-02,水泵2,water_pump,\n")
		if rec := a.raw("POST", "/api/v1/imports/assets?format=csv", "text/csv", file); rec.Code != 200 {
			t.Fatalf("import %d %s", rec.Code, rec.Body.String())
		}
		for q, want := range map[string]float64{"category=暖通": 1, "category=hvac&status=报废": 1, "category=水泵": 2, "status=停用": 1, "status=在用": 1} {
			if st, page := a.do("GET", "/api/v1/assets?"+q, nil); st != 200 || page["total"].(float64) != want {
				t.Errorf("list ?%s: %d %v", q, st, page)
			}
		}
		_, page := a.do("GET", "/api/v1/assets?status=out_of_service", nil)
		if items := page["items"].([]any); len(items) != 1 || items[0].(map[string]any)["category"] != "water_pump" {
			t.Fatalf("imported with labels %v", page)
		}
	})
}
