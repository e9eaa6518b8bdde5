package httpapi_test

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// exportIDs reads the id column of an exported csv.
func exportIDs(t *testing.T, c client, path string) []string {
	t.Helper()
	rec := c.raw("GET", path, "", nil)
	if rec.Code != 200 {
		t.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "id" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no id column in %v", path, rows[0])
	}
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[col])
	}
	return ids
}

// TestExportKeyset: an export read by keyset in pages of 4 holds exactly
// the rows, in exactly the order, of the JSON list read at once — for every
// sort, with ties on the key (floors, areas, statuses) and with a filter.
func TestExportKeyset(t *testing.T) {
	defer httpapi.SetExportPageSize(4)()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, _, _ := newAPI(db)
		a := client{t, h, "a"}
		_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		if st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": 5, "rooms_per_floor": 5, "built_area": "89.56"}); st != 201 {
			t.Fatalf("generate %d %v", st, gen)
		}
		// Vary some keys so that sorting by them interleaves with id order.
		_, list := a.do("GET", "/api/v1/rooms?page_size=200", nil)
		for i, it := range list["items"].([]any) {
			if i%3 == 0 {
				id := it.(map[string]any)["id"]
				if st, r := a.do("PATCH", fmt.Sprintf("/api/v1/rooms/%s", id), map[string]any{"built_area": fmt.Sprintf("%d.5", 120-i), "status": "occupied"}); st != 200 {
					t.Fatalf("patch %d %v", st, r)
				}
			}
		}
		for _, q := range []string{"", "sort=number", "sort=-number", "sort=floor", "sort=-floor", "sort=built_area", "sort=-built_area", "sort=status", "sort=-created_at", "floor=3&sort=-number"} {
			_, page := a.do("GET", "/api/v1/rooms?page_size=200&"+q, nil)
			var want []string
			for _, it := range page["items"].([]any) {
				want = append(want, it.(map[string]any)["id"].(string))
			}
			got := exportIDs(t, a, "/api/v1/rooms?format=csv&"+q)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%q: export order\n got %v\nwant %v", q, got, want)
			}
		}
	})
}

// TestExportSnapshot: a room created and committed while an export is
// between its pages does not appear in the file, and the file still holds
// every row of the list as it was when the export began.
func TestExportSnapshot(t *testing.T) {
	defer httpapi.SetExportPageSize(4)()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, tk, _ := newAPI(db)
		routes := domainRoutes(db)
		var a client
		calls := 0
		for i, r := range routes {
			if r.Method == "GET" && r.Path == "/api/v1/rooms" {
				list := r.Handler
				routes[i].Handler = func(c *gin.Context) error {
					calls++
					if c.Query("page") == "2" {
						// Another request commits a room between the export's pages;
						// its number sorts first, so a page-by-page read would show it.
						if st, r := a.do("POST", "/api/v1/rooms", map[string]any{"unit_id": a.first("/api/v1/units"), "number": "0000", "floor": 1, "built_area": "50"}); st != 201 {
							t.Errorf("create during export: %d %v", st, r)
						}
					}
					return list(c)
				}
			}
		}
		s := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db, Log: slog.New(slog.DiscardHandler), Auth: tk, Authz: tk, Routes: routes})
		a = client{t, s.Handler(), "a"}
		_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
		if st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": 2, "rooms_per_floor": 5, "built_area": "89.56"}); st != 201 {
			t.Fatalf("generate %d %v", st, gen)
		}
		for _, sort := range []string{"number", "-created_at"} {
			calls = 0
			rec := a.raw("GET", "/api/v1/rooms?format=csv&sort="+sort, "", nil)
			if rec.Code != 200 || calls < 3 {
				t.Fatalf("export: %d after %d pages %.300s", rec.Code, calls, rec.Body)
			}
			if strings.Contains(rec.Body.String(), ",0000,") {
				t.Errorf("sort=%s: a room committed during the export is in the file", sort)
			}
			if n := strings.Count(strings.TrimSpace(rec.Body.String()), "\n"); n != 10 || rec.Header().Get("X-Total-Count") != fmt.Sprint(n) {
				t.Errorf("sort=%s: %d rows, X-Total-Count %s", sort, n, rec.Header().Get("X-Total-Count"))
			}
			// Remove it again for the next round.
			_, l := a.do("GET", "/api/v1/rooms?number=0000", nil)
			for _, it := range l["items"].([]any) {
				a.do("DELETE", fmt.Sprintf("/api/v1/rooms/%s", it.(map[string]any)["id"]), nil)
			}
		}
	})
}

// first is the id of the first item of a list.
func (c client) first(path string) any {
	_, l := c.do("GET", path, nil)
	items, _ := l["items"].([]any)
	if len(items) == 0 {
		return nil
	}
	return items[0].(map[string]any)["id"]
}
