package httpapi_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestExportAnyList: every Page route answers ?format=csv|xlsx with all the
// rows its filters match, across pages, in the list's order, columns named as
// the JSON fields; tenant scope, permissions and validation are the list's.
func TestExportAnyList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, tk, _ := newAPI(db)
		a, b, ro := client{t, h, "a"}, client{t, h, "b"}, client{t, h, "readonly"}
		_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		// 2 × 11 × 10 = 220 rooms: more than one page of MaxPageSize.
		st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 2, "floors": 11, "rooms_per_floor": 10, "built_area": "89.56"})
		if st != 201 {
			t.Fatalf("generate %d %v", st, gen)
		}

		// Without format the list is the JSON page it always was.
		if rec := a.raw("GET", "/api/v1/rooms", "", nil); rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(rec.Body.String(), `"page_size":20`) {
			t.Fatalf("json list %d %s", rec.Code, rec.Header())
		}

		rec := a.raw("GET", "/api/v1/rooms?format=csv&sort=-number", "", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" || rec.Header().Get("X-Total-Count") != "220" {
			t.Fatalf("csv export %d %v %.300s", rec.Code, rec.Header(), rec.Body)
		}
		if cd, want := rec.Header().Get("Content-Disposition"), "attachment; filename=rooms-"+time.Now().UTC().Format("20060102")+".csv"; cd != want {
			t.Errorf("disposition %q, want %q", cd, want)
		}
		recs := readCSV(t, rec.Body.Bytes())
		want := "id,community_id,building_id,unit_id,number,floor,built_area,interior_area,shared_area,layout,orientation,structure,year_built,usage,status,fee_coefficient,notes,created_at,updated_at"
		if strings.Join(recs[0], ",") != want || len(recs) != 221 {
			t.Fatalf("header %v, %d lines", recs[0], len(recs))
		}
		// Same rows, same order and same text as the JSON pages.
		var jsonIDs []string
		for p := 1; p <= 2; p++ {
			_, page := a.do("GET", "/api/v1/rooms?sort=-number&page_size=200&page="+string(rune('0'+p)), nil)
			for _, it := range page["items"].([]any) {
				jsonIDs = append(jsonIDs, it.(map[string]any)["id"].(string))
			}
		}
		seen := map[string]bool{}
		for i, r := range recs[1:] {
			if r[0] != jsonIDs[i] || seen[r[0]] {
				t.Fatalf("row %d: id %s, JSON list has %s (or repeated)", i+1, r[0], jsonIDs[i])
			}
			seen[r[0]] = true
			if r[6] != "89.56" || r[15] != "1.0000" || r[14] != "vacant" {
				t.Fatalf("row %d cells: %v", i+1, r)
			}
			if _, err := time.Parse(time.RFC3339Nano, r[17]); err != nil {
				t.Fatalf("created_at %q: %v", r[17], err)
			}
		}

		// xlsx with a filter; opens in excelize, header in bold row 1.
		rec = a.raw("GET", "/api/v1/rooms?format=xlsx&floor=3&sort=number", "", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != sheetXLSX {
			t.Fatalf("xlsx %d %v", rec.Code, rec.Header())
		}
		x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		x.Close()
		if len(rows) != 21 || rows[0][4] != "number" || rows[1][4] != "301" || rows[1][5] != "3" || rows[20][4] != "310" {
			t.Fatalf("xlsx rows %d: %v … %v", len(rows), rows[0], rows[len(rows)-1])
		}

		// Nested objects flatten one level, arrays join with "; ".
		_, as := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "E1", "name": "1号电梯", "category": "elevator"})
		a.do("POST", "/api/v1/maintenance-plans", map[string]any{"asset_id": as["id"], "name": "半月保养", "cycle": map[string]any{"kind": "weeks", "every": 2}, "start_date": "2024-01-01", "checklist": []string{"曳引机", "门锁回路"}})
		rec = a.raw("GET", "/api/v1/maintenance-plans?view=overdue&format=csv", "", nil)
		recs = readCSV(t, rec.Body.Bytes())
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		if rec.Code != 200 || len(recs) != 2 || recs[1][col["cycle.kind"]] != "weeks" || recs[1][col["cycle.every"]] != "2" ||
			recs[1][col["checklist"]] != "曳引机; 门锁回路" || recs[1][col["state"]] != "overdue" || recs[1][col["start_date"]] != "2024-01-01" {
			t.Fatalf("plans export %d %v", rec.Code, recs)
		}
		if _, ok := col["cycle"]; ok {
			t.Error("nested cycle kept as one column")
		}
		// A list under an object: the object route's 404 for another tenant holds.
		if rec := a.raw("GET", "/api/v1/assets/"+as["id"].(string)+"/maintenance-records?format=csv", "", nil); rec.Code != 200 ||
			!strings.Contains(rec.Header().Get("Content-Disposition"), "assets-maintenance-records-") {
			t.Fatalf("records export %d %v", rec.Code, rec.Header())
		}
		if rec := b.raw("GET", "/api/v1/assets/"+as["id"].(string)+"/maintenance-records?format=csv", "", nil); rec.Code != 404 {
			t.Fatalf("other tenant's records export %d", rec.Code)
		}

		// Another tenant exports only its own (none); the list's permission applies.
		if rec := b.raw("GET", "/api/v1/rooms?format=csv", "", nil); rec.Code != 200 || len(readCSV(t, rec.Body.Bytes())) != 1 {
			t.Fatalf("other tenant's export %d %q", rec.Code, rec.Body)
		}
		if rec := ro.raw("GET", "/api/v1/maintenance-plans?format=csv", "", nil); rec.Code != 403 {
			t.Fatalf("export without asset.read: %d", rec.Code)
		}
		// Bad input answers as the list would, or with the exports' format code.
		if st, body := a.do("GET", "/api/v1/rooms?format=pdf", nil); st != 400 || errCode(body) != "unsupported_format" {
			t.Fatalf("format=pdf: %d %v", st, body)
		}
		if st, body := a.do("GET", "/api/v1/rooms?format=csv&sort=secret", nil); st != 400 || errCode(body) != "invalid_input" {
			t.Fatalf("bad sort: %d %v", st, body)
		}

		// The cap: beyond it 400 with a code, within it the file.
		capped := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db, Log: slog.New(slog.DiscardHandler), Auth: tk, Authz: tk, Routes: domainRoutes(db), MaxExportRows: 219})
		c := client{t, capped.Handler(), "a"}
		if st, body := c.do("GET", "/api/v1/rooms?format=xlsx", nil); st != 400 || errCode(body) != "export_too_large" {
			t.Fatalf("over the cap: %d %v", st, body)
		}
		if rec := c.raw("GET", "/api/v1/rooms?format=csv&floor=1", "", nil); rec.Code != 200 || rec.Header().Get("X-Total-Count") != "20" {
			t.Fatalf("under the cap: %d %s", rec.Code, rec.Body)
		}
	})
}

const sheetXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
