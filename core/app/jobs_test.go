package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/store"
)

// TestQueuedImportRunsOnAnotherNode: a large import accepted by one process
// is run by another (a second node, or the same database after a restart),
// because its input is kept in the database, not in the accepting process.
// The first App never starts its queue: it is closed with the task unsent.
func TestQueuedImportRunsOnAnotherNode(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := testConfig(t, d)
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})

			first, err := app.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			m, err := demoWithoutBills()
			if err != nil {
				t.Fatal(err)
			}
			res, err := first.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(first.API.Handler())
			r1 := &running{App: first, base: srv.URL}
			tok := r1.login(t, m.Code, "admin", password(res, "admin"))
			var b strings.Builder
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/imports/rooms/template?format=csv", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			tpl, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			b.Write(tpl)
			for i := 1; i <= 5001; i++ {
				fmt.Fprintf(&b, "阳光花园,1栋,1单元,N%04d,%d,88.00,,,,,,,,,,\n", i, 1+i%18)
			}
			req, _ = http.NewRequest("POST", srv.URL+"/api/v1/imports/rooms?format=csv", strings.NewReader(b.String()))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "text/csv")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("large import: %d %s", resp.StatusCode, body)
			}
			id := between(string(body), `"job_id":"`, `"`)
			srv.Close()
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}

			second := startWith(t, cfg)
			tok = second.login(t, m.Code, "admin", password(res, "admin"))
			deadline := time.Now().Add(jobDeadline)
			var job map[string]any
			for time.Now().Before(deadline) {
				var st int
				if st, job = second.call(t, tok, "GET", "/api/v1/jobs/"+id, nil); st != 200 {
					t.Fatalf("job: %d %v", st, job)
				}
				if s := job["state"]; s == "succeeded" || s == "failed" {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if job["state"] != "succeeded" || job["done"].(float64) != 5001 {
				t.Fatalf("job on the second node: %v", job)
			}
			_, rooms := second.call(t, tok, "GET", "/api/v1/rooms?page_size=1", nil)
			if rooms["total"].(float64) < 5001 {
				t.Fatalf("rooms after the job: %v", rooms["total"])
			}
			// The job ended: its input is gone from the database.
			var left int64
			second.DB.Platform(context.Background(), func(tx *gorm.DB) error { return tx.Table("job_payloads").Count(&left).Error })
			if left != 0 {
				t.Fatalf("%d job payloads left after the job ended", left)
			}
		})
	}
}
