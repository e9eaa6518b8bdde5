package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
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

// tokens maps a bearer token to its actor and the permissions it holds.
type tokens map[string]struct {
	a     actor.Actor
	perms map[string]bool
}

func (t tokens) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	if v, ok := t[cred]; ok {
		return v.a, nil
	}
	return actor.Actor{}, apperr.Unauthenticated
}

func (t tokens) Allowed(_ context.Context, a actor.Actor, perm string) (bool, error) {
	for _, v := range t {
		if v.a.ID == a.ID {
			return v.perms[perm], nil
		}
	}
	return false, nil
}

type client struct {
	t     testing.TB
	h     http.Handler
	token string
}

func (c client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	out := map[string]any{}
	json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func (c client) raw(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func newAPI(db *store.DB) (http.Handler, tokens, *httpapi.Server) {
	all := map[string]bool{"property.read": true, "property.manage": true, "asset.read": true, "asset.manage": true}
	tk := tokens{
		"a":        {actor.Actor{Kind: actor.User, ID: uuid.New(), TenantID: uuid.New()}, all},
		"b":        {actor.Actor{Kind: actor.User, ID: uuid.New(), TenantID: uuid.New()}, all},
		"readonly": {actor.Actor{Kind: actor.User, ID: uuid.New()}, map[string]bool{"property.read": true}},
	}
	ro := tk["readonly"]
	ro.a.TenantID = tk["a"].a.TenantID
	tk["readonly"] = ro
	s := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db, Log: slog.New(slog.DiscardHandler), Auth: tk, Authz: tk, Routes: domainRoutes(db)})
	return s.Handler(), tk, s
}

// domainRoutes are the property and asset routes over db, wired as core/app
// does (the property domain running without residents).
func domainRoutes(db *store.DB) []httpapi.Route {
	props, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		panic(err)
	}
	assets, err := asset.New(db, app.AssetPlaces(props))
	if err != nil {
		panic(err)
	}
	return append(propertyapi.Routes(props), assetapi.Routes(assets)...)
}

func TestPropertyAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, _, _ := newAPI(db)
		a, b, ro := client{t, h, "a"}, client{t, h, "b"}, client{t, h, "readonly"}

		st, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		if st != 201 {
			t.Fatalf("create community %d %v", st, comm)
		}
		st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 2, "floors": 3, "rooms_per_floor": 2, "built_area": "89.56", "preview": true})
		if st != 200 || gen["rooms"].(float64) != 12 {
			t.Fatalf("preview %d %v", st, gen)
		}
		st, gen = a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 2, "floors": 3, "rooms_per_floor": 2, "built_area": "89.56"})
		if st != 201 {
			t.Fatalf("generate %d %v", st, gen)
		}
		bld := gen["building"].(map[string]any)["id"].(string)
		unit := gen["unit_ids"].([]any)[0].(string)

		// Bad areas answer 400 with their own codes; nothing is written.
		for in, want := range map[string]string{"-5": "negative_area", "12.345": "area_too_precise", "200000": "area_too_large", "abc": "invalid_area"} {
			st, body := a.do("POST", "/api/v1/rooms", map[string]any{"unit_id": unit, "number": "X1", "built_area": in})
			if st != 400 || errCode(body) != want {
				t.Errorf("area %s: %d %v", in, st, body)
			}
		}
		st, body := a.do("POST", "/api/v1/rooms", map[string]any{"unit_id": unit, "number": "101"})
		if st != 409 || errCode(body) != "duplicate_room_number" {
			t.Fatalf("duplicate: %d %v", st, body)
		}
		st, room := a.do("POST", "/api/v1/rooms", map[string]any{"unit_id": unit, "number": "401", "floor": 4, "built_area": "100.00", "interior_area": "80.5", "status": "已入住", "fee_coefficient": "1.2"})
		if st != 201 || room["shared_area"] != "19.50" || room["fee_coefficient"] != "1.2000" || room["status"] != "occupied" {
			t.Fatalf("create room %d %v", st, room)
		}
		roomID := room["id"].(string)
		st, page := a.do("GET", "/api/v1/rooms?building_id="+bld+"&floor=1&sort=-number&page_size=2", nil)
		if st != 200 || page["total"].(float64) != 4 || len(page["items"].([]any)) != 2 || page["items"].([]any)[0].(map[string]any)["number"] != "102" {
			t.Fatalf("list %d %v", st, page)
		}
		if st, body := a.do("DELETE", "/api/v1/buildings/"+bld, nil); st != 409 || errCode(body) != "building_has_occupied_rooms" {
			t.Fatalf("delete occupied building: %d %v", st, body)
		}
		if st, file := a.do("GET", "/api/v1/rooms/"+roomID+"/file", nil); st != 200 || file["sections"] == nil {
			t.Fatalf("room file %d %v", st, file)
		}
		if st, _ := ro.do("PATCH", "/api/v1/rooms/"+roomID, map[string]any{"notes": "x"}); st != 403 {
			t.Fatalf("read-only caller patched: %d", st)
		}
		if st, r := a.do("PATCH", "/api/v1/rooms/"+roomID, map[string]any{"status": "vacant"}); st != 200 || r["status"] != "vacant" {
			t.Fatalf("patch %d %v", st, r)
		}

		// Another tenant: 404 on every object route, with a real id of tenant A.
		_, ca := a.do("POST", "/api/v1/locations", map[string]any{"community_id": comm["id"], "name": "会所", "category": "clubhouse"})
		_, as := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "E1", "name": "1号电梯", "category": "elevator", "location_id": ca["id"]})
		_, plan := a.do("POST", "/api/v1/maintenance-plans", map[string]any{"asset_id": as["id"], "name": "月检", "cycle": map[string]any{"kind": "months", "every": 1}, "start_date": "2024-01-31"})
		if plan["next_due"] != "2024-01-31" {
			t.Fatalf("plan %v", plan)
		}
		ids := map[string]string{"communities": comm["id"].(string), "buildings": bld, "units": unit, "rooms": roomID,
			"locations": ca["id"].(string), "assets": as["id"].(string), "maintenance-plans": plan["id"].(string)}
		_, _, srv := newAPI(db)
		for _, r := range srv.Routes() {
			if !r.Object {
				continue
			}
			seg := strings.Split(strings.TrimPrefix(r.Path, "/api/v1/"), "/")[0]
			id, ok := ids[seg]
			if !ok {
				continue // another area's route: the app-level BOLA test covers it
			}
			path := strings.Replace(r.Path, ":id", id, 1)
			var body any
			if r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
				body = map[string]any{}
			}
			if st, resp := b.do(r.Method, path, body); st != 404 {
				// A body the route rejects before lookup must not leak existence either.
				if st != 400 {
					t.Errorf("%s %s from another tenant: %d %v", r.Method, r.Path, st, resp)
				}
			}
		}
		if st, _ := a.do("GET", "/api/v1/locations/"+ca["id"].(string), nil); st != 200 {
			t.Fatalf("tenant A lost its location: %d", st)
		}

		// Import: template, upload (multipart and raw CSV), all-or-nothing answer 422.
		tpl := a.raw("GET", "/api/v1/imports/rooms/template?format=csv", "", nil)
		if tpl.Code != 200 || !strings.Contains(tpl.Body.String(), "建筑面积 built_area") {
			t.Fatalf("template %d %q", tpl.Code, tpl.Body.String())
		}
		good := string(tpl.Body.Bytes()) + "阳光花园,1栋,1单元,501,5,90.00,,,,,,,,,,\n"
		bad := good + "阳光花园,1栋,1单元,502,5,-1,,,,,,,,,,\n"
		rec := a.raw("POST", "/api/v1/imports/rooms?format=csv", "text/csv", []byte(bad))
		if rec.Code != 422 || !strings.Contains(rec.Body.String(), `"import_rejected"`) || !strings.Contains(rec.Body.String(), `"negative_area"`) {
			t.Fatalf("rejected import %d %s", rec.Code, rec.Body.String())
		}
		rec = a.raw("POST", "/api/v1/imports/rooms?format=csv&good_rows_only=true", "text/csv", []byte(bad))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"imported":1`) {
			t.Fatalf("good rows import %d %s", rec.Code, rec.Body.String())
		}
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		fw, _ := mw.CreateFormFile("file", "rooms.csv")
		fw.Write([]byte(strings.Replace(good, "501", "601", 1)))
		mw.Close()
		rec = a.raw("POST", "/api/v1/imports/rooms", mw.FormDataContentType(), mp.Bytes())
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"imported":1`) {
			t.Fatalf("multipart import %d %s", rec.Code, rec.Body.String())
		}
		if rec := ro.raw("POST", "/api/v1/imports/rooms?format=csv", "text/csv", []byte(good)); rec.Code != 403 {
			t.Fatalf("read-only import: %d", rec.Code)
		}

		// Export with filters; the other tenant's export is empty.
		rec = a.raw("GET", "/api/v1/exports/rooms?format=csv&floor=5", "", nil)
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
		if rec.Code != 200 || err != nil || len(recs) != 3 || recs[1][3] != "501" || recs[1][5] != "90.00" {
			t.Fatalf("export %d %v %v", rec.Code, recs, err)
		}
		if rec := a.raw("GET", "/api/v1/exports/rooms?format=xlsx", "", nil); rec.Code != 200 || rec.Header().Get("X-Total-Count") != "15" {
			t.Fatalf("xlsx export %d %s", rec.Code, rec.Header().Get("X-Total-Count"))
		}
		if rec := b.raw("GET", "/api/v1/exports/rooms?format=csv", "", nil); strings.Count(rec.Body.String(), "\n") != 1 {
			t.Fatalf("other tenant export: %q", rec.Body.String())
		}
		if rec := a.raw("GET", "/api/v1/exports/assets?format=csv&category=elevator", "", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "1号电梯") {
			t.Fatalf("asset export %d %s", rec.Code, rec.Body.String())
		}
		if st, body := a.do("GET", "/api/v1/maintenance-plans?view=overdue", nil); st != 200 || body["total"].(float64) != 1 {
			t.Fatalf("overdue view %d %v", st, body)
		}
	})
}
