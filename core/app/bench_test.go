package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/tenant"
)

// BenchmarkAuthenticatedGet is the middleware target: GET of one
// tenant-scoped room through the whole wired stack (request id, security
// headers, body limit, access log, JWT check, tenant gate, casbin decision,
// metrics) against a bare gin handler doing the same InTenant read. It reports
// the p50 of each and their ratio (target ≤ 1.5).
func BenchmarkAuthenticatedGet(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			r := start(b, d)
			slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "bench"})
			m, err := tenant.LoadManifest("../../tenants/demo.yaml")
			if err != nil {
				b.Fatal(err)
			}
			res, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			tok := r.login(b, m.Code, "admin", password(res, "admin"))
			tid := res.Tenant.ID
			var room property.Room
			if err := r.DB.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.Order("id").Take(&room).Error }); err != nil {
				b.Fatal(err)
			}
			bare := gin.New()
			bare.GET("/rooms/:id", func(c *gin.Context) {
				id, _ := uuid.Parse(c.Param("id"))
				var got property.Room
				if err := r.DB.InTenant(c.Request.Context(), tid, func(tx *gorm.DB) error { return tx.Take(&got, "id = ?", id).Error }); err != nil {
					c.Status(http.StatusInternalServerError)
					return
				}
				c.JSON(http.StatusOK, got)
			})
			full := r.API.Handler()
			fullPath, barePath := "/api/v1/rooms/"+room.ID.String(), "/rooms/"+room.ID.String()
			run := func(h http.Handler, path, auth string) time.Duration {
				req := httptest.NewRequest("GET", path, nil)
				if auth != "" {
					req.Header.Set("Authorization", "Bearer "+auth)
				}
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				took := time.Since(t0)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
				return took
			}
			for i := 0; i < 100; i++ { // warm pools and caches
				run(full, fullPath, tok)
				run(bare, barePath, "")
			}
			fullT, bareT := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fullT = append(fullT, run(full, fullPath, tok))
				bareT = append(bareT, run(bare, barePath, ""))
			}
			b.StopTimer()
			slices.Sort(fullT)
			slices.Sort(bareT)
			pf, pb := fullT[len(fullT)/2], bareT[len(bareT)/2]
			b.ReportMetric(float64(pf.Microseconds()), "full-p50-µs")
			b.ReportMetric(float64(pb.Microseconds()), "bare-p50-µs")
			b.ReportMetric(float64(pf)/float64(pb), "ratio")
		})
	}
}
