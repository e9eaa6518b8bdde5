package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkExportRooms: the generic list export (?format=) of 300 rooms (the
// demo company's) and of 10,000, per engine and format, against the
// dedicated rooms export of the same rows.
func BenchmarkExportRooms(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, n := range []int{300, 10_000} {
			b.Run(fmt.Sprintf("%s/rooms=%d", d, n), func(b *testing.B) {
				var db *store.DB
				if d == store.SQLite {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				h, _, _ := newAPI(db)
				a := client{t: b, h: h, token: "a"}
				_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
				for i, left := 0, n; left > 0; i++ { // buildings of up to 5,000: units × 10 floors × 10 rooms
					k := min(left, 5000)
					left -= k
					if st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": strconv.Itoa(i+1) + "栋", "units": k / 100, "floors": 10, "rooms_per_floor": 10, "built_area": "89.56"}); st != 201 {
						b.Fatalf("generate %d %v", st, gen)
					}
				}
				for _, c := range []struct{ name, path string }{
					{"list-csv", "/api/v1/rooms?format=csv"},
					{"list-xlsx", "/api/v1/rooms?format=xlsx"},
					{"dedicated-csv", "/api/v1/exports/rooms?format=csv"},
				} {
					b.Run(c.name, func(b *testing.B) {
						var rec *httptest.ResponseRecorder
						for b.Loop() {
							rec = a.raw("GET", c.path, "", nil)
						}
						if got, _ := strconv.Atoi(rec.Header().Get("X-Total-Count")); rec.Code != 200 || got != n {
							b.Fatalf("%s: %d, %d rows", c.path, rec.Code, got)
						}
						b.ReportMetric(float64(rec.Body.Len())/1024, "KiB/file")
					})
				}
			})
		}
	}
}
