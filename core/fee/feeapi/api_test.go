package feeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/fee/feeapi"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/httpapi/httpapitest"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// nobody is a resident domain where nobody lives anywhere.
type nobody struct{}

func (nobody) Residences(context.Context, uuid.UUID, []uuid.UUID) ([]fee.Residence, error) {
	return nil, nil
}

type client struct {
	t      testing.TB
	h      *httpapi.Server
	tenant uuid.UUID
	comm   uuid.UUID
	room   uuid.UUID
}

func (c client) raw(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer a")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	c.h.Handler().ServeHTTP(rec, req)
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
	ctx := context.Background()
	props, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		t.Fatal(err)
	}
	fees, err := fee.New(db, app.FeeRooms(props), nobody{})
	if err != nil {
		t.Fatal(err)
	}
	a := actor.Actor{Kind: actor.User, ID: uuid.New(), TenantID: store.NewID()}
	s := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db,
		Log: slog.New(slog.DiscardHandler), Auth: httpapitest.TokenActors{"a": a}, Authz: httpapitest.AllowAll{}, Routes: feeapi.Routes(fees)})
	c := client{t: t, h: s, tenant: a.TenantID}
	comm, err := props.CreateCommunity(ctx, a.TenantID, property.CommunityInput{Name: "阳光花园"})
	if err != nil {
		t.Fatal(err)
	}
	area := property.Area(10000)
	if _, err := props.GenerateBuilding(ctx, a.TenantID, property.GenerateSpec{CommunityID: comm.ID, Name: "1栋", Units: 1, Floors: 1, RoomsPerFloor: 1, BuiltArea: &area}); err != nil {
		t.Fatal(err)
	}
	rooms, _, err := props.ListRooms(ctx, a.TenantID, property.RoomFilter{}, paging.Paging{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.comm, c.room = comm.ID, rooms[0].ID
	return c
}

// An item's life through the API: create, a draft previewed before it is
// activated, an overlapping or too precise version refused with nothing
// written, readings imported from a sheet and priced.
func TestFeeItemsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		st, item := a.do("POST", "/api/v1/fee-items", map[string]any{"community_id": a.comm, "code": "property_fee", "name": "物业费", "kind": "area", "unit": "m²"})
		if st != 201 {
			t.Fatalf("create %d %v", st, item)
		}
		id := item["id"].(string)
		st, rule := a.do("POST", "/api/v1/fee-items/"+id+"/versions", map[string]any{"valid_from": "2026-01-01", "rate": "2.50"})
		if st != 201 || rule["status"] != "draft" {
			t.Fatalf("version %d %v", st, rule)
		}
		// The draft prices in a preview (100 m² × 2.50 = 250.00, 30 % vacancy not set) but not in a quote.
		st, q := a.do("GET", "/api/v1/fee-items/preview?room_id="+a.room.String()+"&period=2026-03", nil)
		if lines, _ := q["lines"].([]any); st != 200 || len(lines) != 1 || lines[0].(map[string]any)["amount"].(float64) != 25000 {
			t.Fatalf("preview %d %v", st, q)
		}
		for _, c := range []struct {
			body map[string]any
			st   int
			code string
		}{
			{map[string]any{"valid_from": "2026-06-01", "rate": "3"}, 409, "overlapping_rules"},
			{map[string]any{"valid_from": "2025-01-01", "valid_to": "2025-12-31", "rate": "2.12345"}, 400, "rate_too_precise"},
			{map[string]any{"valid_from": "2025-01-01", "valid_to": "2025-12-31", "rate": "-1"}, 400, "negative_rate"},
		} {
			st, body := a.do("POST", "/api/v1/fee-items/"+id+"/versions", c.body)
			if e, _ := body["error"].(map[string]any); st != c.st || e["code"] != c.code || e["message_zh"] == "" {
				t.Errorf("%v: %d %v, want %d %s", c.body, st, body, c.st, c.code)
			}
		}
		if st, got := a.do("GET", "/api/v1/fee-items/"+id, nil); st != 200 || len(got["versions"].([]any)) != 1 {
			t.Fatalf("refused versions written: %v", got)
		}
		if st, body := a.do("POST", "/api/v1/fee-rules/"+rule["id"].(string)+"/activate", nil); st != 200 || body["status"] != "active" {
			t.Fatalf("activate %d %v", st, body)
		}
		// An unsaved item priced for one room: 100 m² quarterly from April, 12 % vacant discount, empty room.
		st, q = a.do("POST", "/api/v1/fee-items/preview", map[string]any{"room_id": a.room, "period": "2026-04",
			"item":  map[string]any{"community_id": a.comm, "code": "new_fee", "name": "新物业费", "kind": "area", "cycle": "quarterly", "vacancy_percent": "12"},
			"rules": []map[string]any{{"valid_from": "2026-01-01", "rate": "3.10"}}})
		if lines, _ := q["lines"].([]any); st != 200 || len(lines) != 1 || lines[0].(map[string]any)["amount"].(float64) != 81840 {
			// 100 × 3.10 × 3 months × 88 % = 818.40
			t.Fatalf("draft preview %d %v", st, q)
		}
		if st, body := a.do("POST", "/api/v1/fee-items/preview", map[string]any{"room_id": a.room, "period": "2026-04",
			"item":  map[string]any{"community_id": a.comm, "code": "x", "name": "x", "kind": "area"},
			"rules": []map[string]any{{"valid_from": "2026-01-01", "rate": "3"}, {"valid_from": "2026-03-01", "rate": "4"}}}); st != 409 {
			t.Fatalf("overlapping draft rules %d %v", st, body)
		}
		if st, _ := a.do("GET", "/api/v1/fee-items/"+uuid.NewString(), nil); st != 404 {
			t.Fatalf("unknown item %d", st)
		}
		if st, _ := a.do("GET", "/api/v1/fee-items/preview?room_id="+uuid.NewString(), nil); st != 404 {
			t.Fatalf("unknown room %d", st)
		}
	})
}

func TestReadingsImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		st, m := a.do("POST", "/api/v1/meters", map[string]any{"room_id": a.room, "kind": "water", "serial": "W-0101", "installed_on": "2025-12-01", "start_reading": "100"})
		if st != 201 {
			t.Fatalf("meter %d %v", st, m)
		}
		if rec := a.raw("GET", "/api/v1/imports/meter-readings/template?format=csv", "", nil); rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte("表号")) {
			t.Fatalf("template %d %s", rec.Code, rec.Body)
		}
		// A reading lower than the one before it in the file: the whole file is refused.
		bad := []byte("表具类型,表号,账期,抄表日期,读数\n水,W-0101,2026-01,2026-01-31,110\n水,W-0101,2026-02,2026-02-28,105\n")
		if rec := a.raw("POST", "/api/v1/imports/meter-readings?format=csv", "text/csv", bad); rec.Code == 200 || !bytes.Contains(rec.Body.Bytes(), []byte("reading_lower_than_previous")) {
			t.Fatalf("bad file %d %s", rec.Code, rec.Body)
		}
		good := []byte("表具类型,表号,账期,抄表日期,读数,走满归零\n水,W-0101,2026-01,2026-01-31,110,\nwater,W-0101,2026-02,2026-02-28,123.5,否\n")
		if rec := a.raw("POST", "/api/v1/imports/meter-readings?format=csv", "text/csv", good); rec.Code != 200 {
			t.Fatalf("import %d %s", rec.Code, rec.Body)
		}
		st, page := a.do("GET", "/api/v1/meter-readings?meter_id="+m["id"].(string), nil)
		items, _ := page["items"].([]any)
		if st != 200 || len(items) != 2 || items[0].(map[string]any)["consumption"] != "13.500" {
			t.Fatalf("readings %d %v", st, page)
		}
		if st, body := a.do("PUT", "/api/v1/meters/"+m["id"].(string), map[string]any{"serial": "W-0101A", "digits": 2}); st != 400 {
			t.Fatalf("too few digits %d %v", st, body)
		}
		if st, body := a.do("PUT", "/api/v1/meters/"+m["id"].(string), map[string]any{"serial": "W-0101A", "digits": 5}); st != 200 || body["serial"] != "W-0101A" {
			t.Fatalf("rename %d %v", st, body)
		}
		if st, body := a.do("POST", "/api/v1/meters/"+m["id"].(string)+"/readings", map[string]any{"period": "2026-03", "read_on": "2026-03-31", "value": "120"}); st != 400 {
			t.Fatalf("lower reading %d %v", st, body)
		}
	})
}
