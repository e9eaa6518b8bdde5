package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
)

// BenchmarkAuthenticatedGet is the request-cost target: GET /api/v1/rooms/{id}
// through the whole wired server (request id, security headers, body limit,
// access log at info level, JWT check, tenant gate, casbin decision, metrics, audit,
// InTenant, RLS) against what a bare app would do: a gin handler and plain
// gorm on a plain pool, logged in as the table owner (no RLS), no transaction,
// no tenant setting; on SQLite a plain read connection, not Wuye's writer pool.
// Both are served on loopback and called by one HTTP client loop, alternating,
// on the same database. It reports p50 and p99 of each and the p50 ratio
// (target ≤ 1.5).
func BenchmarkAuthenticatedGet(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			cfg := testConfig(b, d)
			// The access log is part of a request's cost: log at info, as
			// production does, into /dev/null (the logger writes to stderr).
			cfg.LogLevel = "info"
			devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { devNull.Close() })
			stderr := os.Stderr
			os.Stderr = devNull
			r := startWith(b, cfg)
			os.Stderr = stderr
			slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "bench"})
			m, err := demoWithoutBills()
			if err != nil {
				b.Fatal(err)
			}
			res, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			tok := r.login(b, m.Code, "admin", password(res, "admin"))
			var room property.Room
			if err := r.DB.InTenant(ctx, res.Tenant.ID, func(tx *gorm.DB) error { return tx.Order("id").Take(&room).Error }); err != nil {
				b.Fatal(err)
			}

			bareDB := openBare(b, d, cfg)
			bare := gin.New()
			bare.GET("/rooms/:id", func(c *gin.Context) {
				id, err := uuid.Parse(c.Param("id"))
				if err != nil {
					c.Status(http.StatusNotFound)
					return
				}
				var got property.Room
				if err := bareDB.WithContext(c.Request.Context()).Take(&got, "id = ?", id).Error; err != nil {
					c.Status(http.StatusInternalServerError)
					return
				}
				c.JSON(http.StatusOK, got)
			})
			bareSrv := httptest.NewServer(bare)
			b.Cleanup(bareSrv.Close)

			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.Cleanup(client.CloseIdleConnections)
			fullURL, bareURL := r.base+"/api/v1/rooms/"+room.ID.String(), bareSrv.URL+"/rooms/"+room.ID.String()
			run := func(url, auth string) time.Duration {
				req, _ := http.NewRequest("GET", url, nil)
				if auth != "" {
					req.Header.Set("Authorization", "Bearer "+auth)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				took := time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d %s", url, resp.StatusCode, body)
				}
				return took
			}
			for i := 0; i < 200; i++ { // warm pools, caches and keep-alive connections
				run(fullURL, tok)
				run(bareURL, "")
			}
			fullT, bareT := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fullT = append(fullT, run(fullURL, tok))
				bareT = append(bareT, run(bareURL, ""))
			}
			b.StopTimer()
			slices.Sort(fullT)
			slices.Sort(bareT)
			pct := func(ds []time.Duration, p int) float64 { return float64(ds[(len(ds)-1)*p/100].Microseconds()) }
			b.ReportMetric(pct(fullT, 50), "full-p50-µs")
			b.ReportMetric(pct(bareT, 50), "bare-p50-µs")
			b.ReportMetric(pct(fullT, 99), "full-p99-µs")
			b.ReportMetric(pct(bareT, 99), "bare-p99-µs")
			b.ReportMetric(pct(fullT, 50)/pct(bareT, 50), "ratio-p50")
		})
	}
}

// openBare opens what a bare app would: plain gorm on a plain pool of the same
// database. On Postgres it logs in as the table owner (the migration login),
// so no RLS and no role switch; on SQLite it is a read-only connection pool.
func openBare(b *testing.B, d store.Dialect, c app.Config) *gorm.DB {
	b.Helper()
	var dial gorm.Dialector
	if d == store.Postgres {
		url := c.MigrateURL
		if url == "" {
			url = c.DatabaseURL
		}
		dial = postgres.Open(url)
	} else {
		dial = sqlite.Open("file:" + filepath.Join(c.DataDir, "wuye.db") + "?mode=ro&_pragma=busy_timeout(10000)")
	}
	gdb, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		b.Fatal(err)
	}
	sqlDB, _ := gdb.DB()
	sqlDB.SetMaxIdleConns(4)
	b.Cleanup(func() { sqlDB.Close() })
	return gdb
}
