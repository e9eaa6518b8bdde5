package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/store"
)

// auditItems reads the tenant's audit log with query q.
func auditItems(t *testing.T, r *running, tok, q string) []map[string]any {
	t.Helper()
	st, body := r.call(t, tok, "GET", "/api/v1/audit?page_size=200&"+q, nil)
	if st != 200 {
		t.Fatalf("audit %s: %d %v", q, st, body)
	}
	var out []map[string]any
	for _, it := range body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// TestAuditSaysWhatHappened (issue 6 §5 and §4): entries name the method,
// route, object and changes; dry runs are marked; role grants list roles;
// personal data is masked; filters work; and an API key's secret is never
// replayed.
func TestAuditSaysWhatHappened(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			first, err := r.Bootstrap(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			_, body := r.call(t, "", "POST", "/api/v1/operator/auth/login", map[string]any{"login": "operator", "password": readPassword(t, first.OperatorPasswordFile)})
			op := body["access_token"].(string)
			if st, body := r.call(t, op, "POST", "/api/v1/operator/tenants", map[string]any{
				"code": "acme", "name": "Acme", "plan": "trial",
				"admin": map[string]any{"username": "boss", "name": "Boss Wang", "password": "Str0ng-enough-pass"},
			}); st != 201 {
				t.Fatalf("create tenant: %d %v", st, body)
			}
			tok := r.login(t, "acme", "boss", "Str0ng-enough-pass")

			st, body := r.call(t, tok, "POST", "/api/v1/communities", map[string]any{"name": "一期"})
			if st != 201 {
				t.Fatalf("community: %d %v", st, body)
			}
			cid := body["id"].(string)
			if st, body := r.call(t, tok, "PUT", "/api/v1/communities/"+cid, map[string]any{"name": "二期"}); st != 200 {
				t.Fatalf("put community: %d %v", st, body)
			}
			st, body = r.call(t, tok, "POST", "/api/v1/buildings", map[string]any{"community_id": cid, "name": "1栋", "floors": 3})
			if st != 201 {
				t.Fatalf("building: %d %v", st, body)
			}
			bid := body["id"].(string)
			if st, body := r.call(t, tok, "DELETE", "/api/v1/buildings/"+bid, nil); st != 204 {
				t.Fatalf("delete building: %d %v", st, body)
			}

			// A PUT and a DELETE differ in method, route and object.
			put := auditItems(t, r, tok, "object_type=community&object_id="+cid+"&method=PUT")
			if len(put) != 1 || put[0]["route"] != "/api/v1/communities/:id" || put[0]["status"].(float64) != 200 {
				t.Fatalf("PUT community entry: %v", put)
			}
			ch := put[0]["changes"].([]any)
			if len(ch) != 1 || ch[0].(map[string]any)["field"] != "name" || ch[0].(map[string]any)["before"] != "一期" || ch[0].(map[string]any)["after"] != "二期" {
				t.Fatalf("PUT community changes: %v", ch)
			}
			del := auditItems(t, r, tok, "object_type=building&object_id="+bid)
			if len(del) != 2 || del[0]["method"] != "DELETE" || del[1]["method"] != "POST" || del[0]["object_id"] != bid || del[1]["object_id"] != bid {
				t.Fatalf("building entries (newest first): %v", del)
			}

			// A person's phone and name are masked in the changes.
			st, body = r.call(t, tok, "POST", "/api/v1/persons", map[string]any{"name": "张三丰", "phones": []any{map[string]any{"number": "13812345678"}}})
			if st != 201 {
				t.Fatalf("person: %d %v", st, body)
			}
			pid := body["id"].(string)
			if st, body := r.call(t, tok, "PATCH", "/api/v1/persons/"+pid, map[string]any{"name": "李四", "phones": []any{map[string]any{"number": "13987654321"}}}); st != 200 {
				t.Fatalf("patch person: %d %v", st, body)
			}
			pe := auditItems(t, r, tok, "object_type=person&method=PATCH")
			raw, _ := json.Marshal(pe)
			if len(pe) != 1 || strings.Contains(string(raw), "13987654321") || strings.Contains(string(raw), "李四") || strings.Contains(string(raw), "张三丰") ||
				!strings.Contains(string(raw), "139****4321") || !strings.Contains(string(raw), `"field":"name"`) {
				t.Fatalf("person PATCH entry must mask phone and name: %s", raw)
			}

			// A role grant lists the roles before and after.
			_, body = r.call(t, tok, "GET", "/api/v1/users", nil)
			uid := body["items"].([]any)[0].(map[string]any)["id"].(string)
			if st, body := r.call(t, tok, "PUT", "/api/v1/users/"+uid+"/roles", map[string]any{"roles": []string{"admin", "finance"}}); st != 200 {
				t.Fatalf("set roles: %d %v", st, body)
			}
			re := auditItems(t, r, tok, "object_type=user&object_id="+uid+"&method=PUT")
			raw, _ = json.Marshal(re)
			if len(re) != 1 || !strings.Contains(string(raw), `"after":["admin","finance"]`) || !strings.Contains(re[0]["detail"].(string), "granted: finance") {
				t.Fatalf("role grant entry: %s", raw)
			}

			// A dry-run import is marked as one.
			req, _ := http.NewRequest("GET", r.base+"/api/v1/imports/rooms/template?format=csv", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			tpl, _ := io.ReadAll(res.Body)
			res.Body.Close()
			req, _ = http.NewRequest("POST", r.base+"/api/v1/imports/rooms?format=csv&dry_run=true", bytes.NewReader(append(tpl, "二期,1栋,1单元,J0001,1,88.00,,,,,,,,,,\n"...)))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "text/csv")
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			dry := auditItems(t, r, tok, "dry_run=true")
			if len(dry) != 1 || dry[0]["route"] != "/api/v1/imports/rooms" || dry[0]["dry_run"] != true || dry[0]["status"].(float64) != 200 {
				t.Fatalf("dry-run import entry (answer %d): %v", res.StatusCode, dry)
			}

			// Filters by actor name; the tenant route refuses another tenant.
			if got := auditItems(t, r, tok, "actor_name=boss"); len(got) < 6 {
				t.Fatalf("actor_name filter: %d entries", len(got))
			}
			if got := auditItems(t, r, tok, "actor_name=nobody"); len(got) != 0 {
				t.Fatalf("actor_name=nobody: %v", got)
			}
			if st, body := r.call(t, tok, "GET", "/api/v1/audit?tenant="+store.NewID().String(), nil); st != 400 || !strings.Contains(toJSON(body), "invalid_filter") {
				t.Fatalf("tenant filter on the tenant route: %d %v", st, body)
			}
			tid := tenantID(t, r, op, "acme")
			st, body = r.call(t, op, "GET", "/api/v1/operator/audit?object_type=community&tenant="+url.QueryEscape(tid), nil)
			if st != 200 || body["total"].(float64) != 2 {
				t.Fatalf("operator audit of the tenant: %d %v", st, body)
			}

			// An API key's secret is shown once: the replay does not hold it.
			key := func() (int, map[string]any, http.Header) {
				b, _ := json.Marshal(map[string]any{"name": "ci", "roles": []string{"admin"}})
				req, _ := http.NewRequest("POST", r.base+"/api/v1/api-keys", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "k1")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				raw, _ := io.ReadAll(res.Body)
				var out map[string]any
				json.Unmarshal(raw, &out)
				return res.StatusCode, out, res.Header
			}
			st1, k1, _ := key()
			st2, k2, h2 := key()
			if st1 != 201 || !strings.HasPrefix(k1["key"].(string), "wyk_") {
				t.Fatalf("create key: %d %v", st1, k1)
			}
			if st2 != 201 || h2.Get("Idempotent-Replayed") != "true" || h2.Get("Idempotent-Redacted") != "key" || k2["id"] != k1["id"] || k2["key"] != nil {
				t.Fatalf("replayed key answer must not hold the secret: %d %v %v", st2, h2, k2)
			}
		})
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
