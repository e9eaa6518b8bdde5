package httpapi

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/store"
)

func countWidgets(t *testing.T, e *env) (n int64) {
	t.Helper()
	if err := e.db.InTenant(context.Background(), e.tenant, func(tx *gorm.DB) error { return tx.Model(&widget{}).Count(&n).Error }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIdempotencyKey(t *testing.T) {
	dialects(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d)
		const path = "/api/v1/test/widgets"
		first := e.call("POST", path, e.token, `{"name":"boiler","size":2}`, "Idempotency-Key", "k-1")
		if first.Code != 201 || first.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %s", first.Code, first.Body)
		}
		again := e.call("POST", path, e.token, `{"name":"boiler","size":2}`, "Idempotency-Key", "k-1")
		if again.Code != 201 || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" ||
			again.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
			t.Fatalf("replay: %d %q %v, want the first answer %q", again.Code, again.Body, again.Header(), first.Body)
		}
		if n := countWidgets(t, e); n != 1 || e.creates.Load() != 1 {
			t.Fatalf("%d widgets after a replay (handler ran %d times), want 1", n, e.creates.Load())
		}

		reused := e.call("POST", path, e.token, `{"name":"boiler","size":3}`, "Idempotency-Key", "k-1")
		if reused.Code != 409 || apiError(t, reused).Code != "idempotency_key_reused" {
			t.Fatalf("different body: %d %s", reused.Code, reused.Body)
		}

		// The key belongs to (tenant, actor): another user of the tenant, and
		// another tenant, may use the same key for their own request.
		other := e.tokenFor(e.tenant, "widget.create")
		if w := e.call("POST", path, other, `{"name":"other","size":1}`, "Idempotency-Key", "k-1"); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("other actor: %d %s", w.Code, w.Body)
		}
		elsewhere := e.tokenFor(store.NewID(), "widget.create")
		if w := e.call("POST", path, elsewhere, `{"name":"boiler","size":2}`, "Idempotency-Key", "k-1"); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "" || w.Body.String() == first.Body.String() {
			t.Fatalf("other tenant replayed tenant A's answer: %d %s", w.Code, w.Body)
		}

		// A 4xx answer is remembered, a 5xx is not.
		bad := e.call("POST", path, e.token, `{"name":""}`, "Idempotency-Key", "k-4xx")
		bad2 := e.call("POST", path, e.token, `{"name":""}`, "Idempotency-Key", "k-4xx")
		if bad.Code != 400 || bad2.Code != 400 || bad2.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("4xx replay: %d, %d %v", bad.Code, bad2.Code, bad2.Header())
		}
		before := e.creates.Load()
		for i := 0; i < 2; i++ {
			w := e.call("POST", path, e.token, `{"name":"explode"}`, "Idempotency-Key", "k-5xx")
			if w.Code != 500 || w.Header().Get("Idempotent-Replayed") != "" {
				t.Fatalf("5xx try %d: %d %v", i, w.Code, w.Header())
			}
		}
		if e.creates.Load()-before != 2 {
			t.Fatalf("a 5xx answer was replayed instead of retried")
		}

		for _, k := range []string{"", strings.Repeat("x", 201), "tab\there", "中文"} {
			w := e.call("POST", path, e.token, `{"name":"a"}`, "Idempotency-Key", k)
			if w.Code != 400 || apiError(t, w).Code != "invalid_idempotency_key" {
				t.Errorf("key %q: %d %s", k, w.Code, w.Body)
			}
		}
		if w := e.call("POST", path, e.token, `{"name":"a"}`, "Idempotency-Key", strings.Repeat("x", 200)); w.Code != 201 {
			t.Errorf("200-char key: %d %s", w.Code, w.Body)
		}
	})
}

// TestIdempotencyInFlight: a tenant's write holds its idempotency record in
// its request transaction, so a duplicate sent while the first runs waits
// for it to commit and then replays its answer: one create, two 201s.
func TestIdempotencyInFlight(t *testing.T) {
	dialects(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		replayed := make([]string, 2)
		for i := range codes {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 100 * time.Millisecond) // the second starts while the first sleeps
				w := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"slow"}`, "Idempotency-Key", "same")
				codes[i], replayed[i] = w.Code, w.Header().Get("Idempotent-Replayed")
			}(i)
		}
		wg.Wait()
		if codes[0] != 201 || codes[1] != 201 || replayed[0] != "" || replayed[1] != "true" || e.creates.Load() != 1 {
			t.Fatalf("concurrent duplicate: codes %v replayed %v creates %d", codes, replayed, e.creates.Load())
		}
		if w := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"slow"}`, "Idempotency-Key", "same"); w.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("after the first finished the retry was not replayed: %d", w.Code)
		}
	})
}

func TestIdempotencyExpiryAndPurge(t *testing.T) {
	dialects(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d)
		ctx := context.Background()
		if w := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"a"}`, "Idempotency-Key", "old"); w.Code != 201 {
			t.Fatal(w.Code)
		}
		// An expired key is as good as new: a different body is accepted.
		err := e.db.InTenant(ctx, e.tenant, func(tx *gorm.DB) error {
			return tx.Model(&idempotency.Record{}).Where("key = ?", "old").Update("expires_at", time.Now().Add(-time.Minute)).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		if w := e.call("POST", "/api/v1/test/widgets", e.token, `{"name":"b"}`, "Idempotency-Key", "old"); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("expired key: %d %s", w.Code, w.Body)
		}
		// An operator's key lives under the nil tenant, through the platform scope.
		op := e.auth.issue(tokenClaims{Kind: actor.Operator, ID: store.NewID()})
		e.srv = New(Deps{Tx: e.db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(e.db), Log: e.srv.log, Auth: e.auth, Authz: claimRoles{}, Routes: []Route{{
			Method: "POST", Path: "/api/v1/test/ops", Operator: true, Idempotent: true, Response: HealthStatus{}, Status: 201,
			Handler: func(c *gin.Context) error { c.JSON(201, HealthStatus{Status: "made"}); return nil }}}})
		for i := 0; i < 2; i++ {
			if w := e.call("POST", "/api/v1/test/ops", op, `{}`, "Idempotency-Key", "op-1"); w.Code != 201 || (i == 1) != (w.Header().Get("Idempotent-Replayed") == "true") {
				t.Fatalf("operator try %d: %d %v", i, w.Code, w.Header())
			}
		}
		if n, err := idempotency.New(e.db).Purge(ctx, time.Now()); err != nil || n != 0 {
			t.Fatalf("purge now removed %d (err %v); fresh keys must stay 24 h", n, err)
		}
		n, err := idempotency.New(e.db).Purge(ctx, time.Now().Add(IdempotencyTTL+time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("purge after the TTL removed %d (err %v), want 2", n, err)
		}
	})
}
