package propertyapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/property/propertyapi"
	"github.com/wuye-project/wuye/core/sheet"
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

// lived is an OccupancyChecker standing in for the residents' records: the
// rooms in it have someone living there.
type lived struct {
	mu    sync.Mutex
	rooms map[uuid.UUID]bool
}

func (l *lived) RoomOccupancy(_ context.Context, _ uuid.UUID, ids []uuid.UUID) (occupied, recorded int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if l.rooms[id] {
			occupied++
		}
	}
	return occupied, occupied, nil
}

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

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func newAPI(t testing.TB, db *store.DB, occ property.OccupancyChecker) client {
	props, err := property.New(db, property.Unlimited, occ)
	if err != nil {
		t.Fatal(err)
	}
	u := oneUser{actor.Actor{Kind: actor.User, ID: uuid.New(), TenantID: uuid.New()}}
	s := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db,
		Log: slog.New(slog.DiscardHandler), Auth: u, Authz: u, Routes: propertyapi.Routes(props)})
	return client{t, s.Handler()}
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func writeCSV(recs [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.Bytes()
}

func importReport(t *testing.T, rec *httptest.ResponseRecorder) sheet.Report {
	t.Helper()
	var rep sheet.Report
	body := rec.Body.Bytes()
	if rec.Code == 422 {
		var e struct {
			Error struct {
				Details json.RawMessage `json:"details"`
			} `json:"error"`
		}
		json.Unmarshal(body, &e)
		body = e.Error.Details
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("report %d %s: %v", rec.Code, rec.Body.String(), err)
	}
	return rep
}

// An edited export re-imports as updates of the rooms it names; a new row
// creates a room; rows that change nothing are counted unchanged; a status
// change obeys the API's occupancy rule.
func TestRoomImportUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		occ := &lived{rooms: map[uuid.UUID]bool{}}
		a := newAPI(t, db, occ)
		st, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		if st != 201 {
			t.Fatalf("community %d %v", st, comm)
		}
		st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": 2, "rooms_per_floor": 2, "built_area": "89.56"})
		if st != 201 {
			t.Fatalf("generate %d %v", st, gen)
		}
		// 102 is lived in (the residents' records say so) and marked occupied.
		_, page := a.do("GET", "/api/v1/rooms?number=102", nil)
		lived102 := page["items"].([]any)[0].(map[string]any)["id"].(string)
		occ.rooms[uuid.MustParse(lived102)] = true
		if st, r := a.do("PATCH", "/api/v1/rooms/"+lived102, map[string]any{"status": "occupied"}); st != 200 {
			t.Fatalf("patch %d %v", st, r)
		}

		rec := a.raw("GET", "/api/v1/exports/rooms?format=csv", "", nil)
		recs := readCSV(t, rec.Body.String())
		if rec.Code != 200 || len(recs) != 5 {
			t.Fatalf("export %d %v", rec.Code, recs)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[strings.Fields(h)[1]] = i
		}
		row := map[string][]string{}
		for _, r := range recs[1:] {
			row[r[col["number"]]] = r
		}
		row["101"][col["built_area"]] = "95.00"       // an area
		row["201"][col["status"]] = "装修中"             // a status, by its label
		extra := append([]string(nil), row["202"]...) // a new room
		extra[col["number"]], extra[col["floor"]] = "301", "3"
		recs = append(recs, extra)
		file := writeCSV(recs)

		// Dry run: the counts, nothing written.
		rep := importReport(t, a.raw("POST", "/api/v1/imports/rooms?format=csv&dry_run=true", "text/csv", file))
		if !rep.DryRun || rep.Written || rep.Created != 1 || rep.Updated != 2 || rep.Unchanged != 2 || rep.BadRows != 0 {
			t.Fatalf("dry run %+v", rep)
		}
		if _, page := a.do("GET", "/api/v1/rooms", nil); page["total"].(float64) != 4 {
			t.Fatalf("dry run wrote: %v", page["total"])
		}
		rep = importReport(t, a.raw("POST", "/api/v1/imports/rooms?format=csv", "text/csv", file))
		if !rep.Written || rep.Imported != 3 || rep.Created != 1 || rep.Updated != 2 || rep.Unchanged != 2 {
			t.Fatalf("import %+v", rep)
		}
		rooms := map[string]map[string]any{}
		_, page = a.do("GET", "/api/v1/rooms?page_size=50", nil)
		for _, it := range page["items"].([]any) {
			r := it.(map[string]any)
			rooms[r["number"].(string)] = r
		}
		if len(rooms) != 5 || rooms["101"]["built_area"] != "95.00" || rooms["101"]["shared_area"] != "0.00" ||
			rooms["201"]["status"] != "renovating" || rooms["301"]["floor"].(float64) != 3 || rooms["102"]["status"] != "occupied" {
			t.Fatalf("rooms after import %v", rooms)
		}
		// The same file again changes nothing.
		rep = importReport(t, a.raw("POST", "/api/v1/imports/rooms?format=csv", "text/csv", file))
		if rep.Written || rep.Imported != 0 || rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 5 {
			t.Fatalf("second import %+v", rep)
		}

		// A blank cell leaves a field as it is; a file of the key columns and
		// a status is a bulk status change, under the API's rule: the lived-in
		// room may not be emptied, as PATCH refuses it.
		if st, body := a.do("PATCH", "/api/v1/rooms/"+lived102, map[string]any{"status": "空置"}); st != 409 || errCode(body) != "room_occupied" {
			t.Fatalf("API vacated a lived-in room: %d %v", st, body)
		}
		status := []byte("小区,楼栋,单元,房号,状态\n阳光花园,1栋,1单元,102,空置\n阳光花园,1栋,1单元,201,vacant\n")
		rec = a.raw("POST", "/api/v1/imports/rooms?format=csv", "text/csv", status)
		rep = importReport(t, rec)
		if rec.Code != 422 || rep.BadRows != 1 || len(rep.Problems) != 1 || rep.Problems[0].Line != 2 ||
			rep.Problems[0].Column != "status" || rep.Problems[0].Code != "room_occupied" {
			t.Fatalf("vacating a lived-in room: %d %+v", rec.Code, rep)
		}
		rep = importReport(t, a.raw("POST", "/api/v1/imports/rooms?format=csv&good_rows_only=true", "text/csv", status))
		if rep.Updated != 1 || rep.Imported != 1 {
			t.Fatalf("good rows %+v", rep)
		}
		_, page = a.do("GET", "/api/v1/rooms?status=空置&page_size=50", nil)
		n := map[string]bool{}
		for _, it := range page["items"].([]any) {
			r := it.(map[string]any)
			n[r["number"].(string)] = true
			if r["number"] == "101" && r["built_area"] != "95.00" {
				t.Fatalf("blank cells changed 101: %v", r)
			}
		}
		if !n["201"] || n["102"] {
			t.Fatalf("vacant rooms %v", n)
		}
	})
}

// Rooms take the same usage and status labels on the API as in a file.
func TestRoomLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db, property.NoResidents{})
		_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		_, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": 1, "rooms_per_floor": 1, "usage": "车位"})
		unit := gen["unit_ids"].([]any)[0].(string)
		st, r := a.do("POST", "/api/v1/rooms", map[string]any{"unit_id": unit, "number": "501", "usage": "商业", "status": "装修中"})
		if st != 201 || r["usage"] != "commercial" || r["status"] != "renovating" {
			t.Fatalf("create with labels %d %v", st, r)
		}
		st, r = a.do("PATCH", "/api/v1/rooms/"+r["id"].(string), map[string]any{"usage": "储藏室", "status": "已售未入住"})
		if st != 200 || r["usage"] != "storage" || r["status"] != "sold_unoccupied" {
			t.Fatalf("patch with labels %d %v", st, r)
		}
		if st, body := a.do("POST", "/api/v1/rooms", map[string]any{"unit_id": unit, "number": "502", "usage": "城堡", "status": "x"}); st != 400 || len(body["error"].(map[string]any)["details"].([]any)) != 2 {
			t.Fatalf("unknown labels %d %v", st, body)
		}
		file := []byte("小区,楼栋,单元,房号,用途,状态\n阳光花园,1栋,1单元,601,储藏室,已售未入住\n")
		if rep := importReport(t, a.raw("POST", "/api/v1/imports/rooms?format=csv", "text/csv", file)); rep.Created != 1 {
			t.Fatalf("import %+v", rep)
		}
		st, page := a.do("GET", "/api/v1/rooms?usage=储藏室&status=已售未入住", nil)
		if st != 200 || page["total"].(float64) != 2 {
			t.Fatalf("filter by labels %d %v", st, page)
		}
		_, page = a.do("GET", "/api/v1/rooms?usage=车位", nil)
		if page["total"].(float64) != 1 || page["items"].([]any)[0].(map[string]any)["usage"] != "parking" {
			t.Fatalf("generated with a label %v", page)
		}
	})
}
