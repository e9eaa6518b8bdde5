package queueapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/httpapi/httpapitest"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queueapi"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// queueTokens maps a bearer credential straight to an actor: the identity
// package is not this test's subject.
type queueTokens map[string]actor.Actor

func (t queueTokens) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	a, ok := t[cred]
	if !ok {
		return actor.Actor{}, apperr.Unauthenticated
	}
	return a, nil
}

func TestQueueRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := queuetest.Open(t, db, queuetest.Config(t))
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		a, b := store.NewID(), store.NewID()
		auth := httpapitest.TokenActors{
			"a":  {Kind: actor.User, ID: store.NewID(), TenantID: a},
			"b":  {Kind: actor.User, ID: store.NewID(), TenantID: b},
			"op": {Kind: actor.Operator, ID: store.NewID()},
		}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: auth, Authz: httpapitest.AllowAll{}, Routes: queueapi.Routes(q)})
		var job queue.Job
		err := db.InTenant(ctx, a, func(tx *gorm.DB) (err error) {
			job, err = queue.StartJob(tx, "import", queue.Task{Type: "import.rooms"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		call := func(method, path, token string) (int, map[string]any) {
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			var body map[string]any
			json.Unmarshal(rec.Body.Bytes(), &body)
			return rec.Code, body
		}
		code, body := call("GET", "/api/v1/jobs/"+job.ID.String(), "a")
		if code != 200 || body["state"] != "queued" || body["kind"] != "import" {
			t.Errorf("own job: %d %v", code, body)
		}
		if code, _ := call("GET", "/api/v1/jobs/"+job.ID.String(), "b"); code != 404 {
			t.Errorf("another tenant's job answered %d, want 404", code)
		}
		if code, _ := call("GET", "/api/v1/jobs/not-a-uuid", "a"); code != 404 {
			t.Errorf("malformed id answered %d, want 404", code)
		}
		if code, _ := call("GET", "/api/v1/operator/queue/stats", "a"); code != 403 {
			t.Errorf("tenant user on operator route answered %d, want 403", code)
		}
		req := httptest.NewRequest("GET", "/api/v1/operator/queue/stats", nil)
		req.Header.Set("Authorization", "Bearer op")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		var stats []queue.QueueStats
		if err := json.Unmarshal(rec.Body.Bytes(), &stats); rec.Code != 200 || err != nil || len(stats) != 3 {
			t.Errorf("stats: %d %s", rec.Code, rec.Body.String())
		}
		if code, body := call("GET", "/api/v1/operator/queue/archived?queue=urgent", "op"); code != 400 || body["error"].(map[string]any)["code"] != "unknown_queue" {
			t.Errorf("unknown queue: %d %v", code, body)
		}
		if code, body := call("GET", "/api/v1/operator/queue/archived", "op"); code != 200 || body["items"] == nil {
			t.Errorf("archived list: %d %v", code, body)
		}
		if code, _ := call("POST", "/api/v1/operator/queue/archived/default/"+uuid.NewString()+"/retry", "op"); code != 404 {
			t.Errorf("retry of unknown task answered %d, want 404", code)
		}
	})
}
