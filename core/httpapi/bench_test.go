package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// BenchmarkTenantRead measures what the middleware stack costs on top of the
// read itself: each iteration sends one authenticated GET of a tenant object
// through the full Server (request id, headers, body limit, JSON access log,
// metrics, token check, permission check, error wrapper) and one GET to a bare
// gin handler doing the same store.InTenant read. It reports the p50 of each
// and their ratio (target ≤ 1.5).
//
// The credential check is the test's HMAC token (hmacAuth), a stand-in for
// identity's JWT Authenticator; the lead switches it at integration.
func BenchmarkTenantRead(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			if d == store.Postgres {
				storetest.PostgresURL(b)
			}
			e := newEnv(b, d)
			// Log as production does (JSON lines), into the void.
			e.srv = New(Deps{Tx: e.db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(e.db), Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Auth: e.auth, Authz: claimRoles{}, Routes: e.widgetRoutes()})
			w := widget{Name: "bench", Size: 1}
			if err := e.db.InTenant(context.Background(), e.tenant, func(tx *gorm.DB) error { return tx.Create(&w).Error }); err != nil {
				b.Fatal(err)
			}
			bare := gin.New()
			bare.GET("/w/:id", func(c *gin.Context) {
				id, err := uuid.Parse(c.Param("id"))
				if err != nil {
					c.Status(http.StatusNotFound)
					return
				}
				var got widget
				if err := e.db.InTenant(c.Request.Context(), e.tenant, func(tx *gorm.DB) error { return tx.Take(&got, "id = ?", id).Error }); err != nil {
					c.Status(http.StatusInternalServerError)
					return
				}
				c.JSON(http.StatusOK, got)
			})
			full := e.srv.Handler()
			fullPath, barePath := "/api/v1/test/widgets/"+w.ID.String(), "/w/"+w.ID.String()
			auth := "Bearer " + e.token

			run := func(h http.Handler, path string, withAuth bool) time.Duration {
				req := httptest.NewRequest("GET", path, nil)
				if withAuth {
					req.Header.Set("Authorization", auth)
				}
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				took := time.Since(start)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
				return took
			}
			for i := 0; i < 50; i++ { // warm pools and caches
				run(full, fullPath, true)
				run(bare, barePath, false)
			}
			fullT, bareT := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fullT = append(fullT, run(full, fullPath, true))
				bareT = append(bareT, run(bare, barePath, false))
			}
			b.StopTimer()
			pf, pb := p50(fullT), p50(bareT)
			b.ReportMetric(float64(pf.Nanoseconds()), "full-p50-ns")
			b.ReportMetric(float64(pb.Nanoseconds()), "bare-p50-ns")
			b.ReportMetric(float64(pf)/float64(pb), "ratio")
		})
	}
}

func p50(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
