package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// TestLargeImportRunsAsJob: an import above the synchronous limit answers 202
// with a job the caller polls to the end; a bad large file fails its job with
// the report and writes nothing.
func TestLargeImportRunsAsJob(t *testing.T) {
	r := start(t, store.SQLite)
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
	m, err := demoWithoutBills()
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Tenants.Apply(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	tok := r.login(t, m.Code, "admin", password(res, "admin"))
	rooms := func() float64 {
		_, b := r.call(t, tok, "GET", "/api/v1/rooms?page_size=1", nil)
		return b["total"].(float64)
	}
	before := rooms()

	upload := func(bad bool) string {
		t.Helper()
		req, _ := http.NewRequest("GET", r.base+"/api/v1/imports/rooms/template?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		tpl, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var b strings.Builder
		b.Write(tpl)
		for i := 1; i <= 5001; i++ {
			area := "88.00"
			if bad && i == 4000 {
				area = "-1"
			}
			fmt.Fprintf(&b, "阳光花园,1栋,1单元,J%04d,%d,%s,,,,,,,,,,\n", i, 1+i%18, area)
		}
		req, _ = http.NewRequest("POST", r.base+"/api/v1/imports/rooms?format=csv", strings.NewReader(b.String()))
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
		if id == "" {
			t.Fatalf("no job id in %s", body)
		}
		return id
	}
	wait := func(id string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(jobDeadline)
		for time.Now().Before(deadline) {
			st, job := r.call(t, tok, "GET", "/api/v1/jobs/"+id, nil)
			if st != 200 {
				t.Fatalf("job: %d %v", st, job)
			}
			if s := job["state"]; s == "succeeded" || s == "failed" {
				return job
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("job did not finish in %v", jobDeadline)
		return nil
	}

	job := wait(upload(true))
	if job["state"] != "failed" || !strings.Contains(job["result"].(string), "negative_area") {
		t.Fatalf("bad file's job: %v", job)
	}
	if rooms() != before {
		t.Fatal("a rejected import wrote rooms")
	}
	job = wait(upload(false))
	if job["state"] != "succeeded" || job["done"].(float64) != job["total"].(float64) || job["total"].(float64) == 0 {
		t.Fatalf("good file's job: %v", job)
	}
	if got := rooms(); got != before+5001 {
		t.Fatalf("rooms %v after importing 5001 into %v", got, before)
	}
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

// jobDeadline is how long a test waits for a 5,001-row import job: a few
// seconds normally, over a minute under the race detector on a busy 2-core
// machine. The tests check that the job finishes, not how fast.
const jobDeadline = 5 * time.Minute
