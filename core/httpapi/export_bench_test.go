package httpapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkExportRooms: the generic list export (?format=) of 300 rooms (the
// demo company's), 10,000 and 100,000 (the cap), per engine and format,
// against the dedicated rooms export of the same rows. WUYE_BENCH_ROOMS
// picks one size (e.g. 100000).
func BenchmarkExportRooms(b *testing.B) {
	sizes := []int{300, 10_000, 100_000}
	if v, err := strconv.Atoi(os.Getenv("WUYE_BENCH_ROOMS")); err == nil {
		sizes = []int{v}
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/rooms=%d", d, n), func(b *testing.B) {
				var db *store.DB
				if d == store.SQLite {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				h, tk, _ := newAPI(db)
				a := client{t: b, h: h, token: "a"}
				seedRooms(b, db, a, tk["a"].a.TenantID, n)
				cases := []struct{ name, path string }{
					{"list-csv", "/api/v1/rooms?format=csv"},
					{"list-csv-sorted", "/api/v1/rooms?format=csv&sort=-number"},
					{"list-xlsx", "/api/v1/rooms?format=xlsx"},
					{"dedicated-csv", "/api/v1/exports/rooms?format=csv"},
				}
				for _, c := range cases {
					b.Run(c.name, func(b *testing.B) {
						var rec *httptest.ResponseRecorder
						cpu := cpuTime()
						for b.Loop() {
							rec = a.raw("GET", c.path, "", nil)
						}
						// The process's CPU (the export's, the GC's; not
						// Postgres's): steadier than ns/op on a loaded machine.
						b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
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

// seedRooms makes n rooms of one tenant: one generated building for the
// community, building and unit, then the rest copied from its first room
// in bulk inserts (generating 100,000 rooms through the API takes minutes).
func seedRooms(b *testing.B, db *store.DB, a client, tid uuid.UUID, n int) {
	b.Helper()
	_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
	k := min(n, 100)
	if st, gen := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": k / 10, "rooms_per_floor": 10, "built_area": "89.56"}); st != 201 {
		b.Fatalf("generate %d %v", st, gen)
	}
	if n <= k {
		return
	}
	err := db.InTenant(context.Background(), tid, func(tx *gorm.DB) error {
		var first property.Room
		if err := tx.Order("number").First(&first).Error; err != nil {
			return err
		}
		batch := make([]property.Room, 0, 1000)
		for i := k; i < n; i++ {
			r := first
			r.ID, r.Number, r.Floor = store.NewID(), fmt.Sprintf("B%06d", i), 100+i/10
			batch = append(batch, r)
			if len(batch) == cap(batch) || i == n-1 {
				if err := tx.CreateInBatches(batch, 500).Error; err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
