package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/tenant"
)

// fixtureTables maps the first path segment of an object route to the table
// holding that object; the walker takes tenant A's first row of each.
var fixtureTables = map[string]string{
	"communities": "communities", "buildings": "buildings", "units": "units", "rooms": "rooms",
	"locations": "common_areas", "assets": "assets", "maintenance-plans": "maintenance_plans",
	"persons": "persons", "occupancies": "occupancies", "households": "households",
	"vehicles": "vehicles", "pets": "pets", "users": "users", "roles": "roles",
	"api-keys": "api_keys", "jobs": "jobs", "me": "rooms",
	"fee-items": "fee_items", "fee-rules": "fee_rules", "meters": "meters",
	"bills": "bills", "bill-runs": "bill_runs", "payments": "payments", "receipts": "payments", "refunds": "refunds",
	"expenses":    "expenses",
	"work-orders": "work_orders", "technicians": "technicians", "dispatch-rules": "dispatch_rules", // the :doc of /work-orders/:id/files/:doc is the asset document's id
	"patrol-routes": "patrol_routes", "patrol-checkpoints": "patrol_checkpoints", "patrol-rounds": "patrol_rounds",
	"surveys":       "surveys",
	"devices":       "devices",                                                 // see deviceFixture
	"announcements": "announcements", "webhook-endpoints": "webhook_endpoints", // the demo's notify section
	"attachments":        "attachments", // the :doc of /assets/:id/documents/:doc (see uploadDocument)
	"payments/merchants": "payment_merchants", "payments/orders": "payment_orders", "payments/refunds": "payment_refunds",
	"payments/reconciliations": "payment_reconciliations", // see paymentFixtures
}

// fillPath fills a route's path parameters with tenant A's fixtures: :id by
// the path's first segment after /api/v1/ (and operator/), found in ids, :doc (and :photo)
// by the uploaded document, :tag by a care tag. ok is false when a parameter
// has no fixture: the route cannot be called validly, and the tests fail.
func fillPath(path string, ids map[string]string) (string, bool) {
	segs := strings.Split(path, "/")
	rest := strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, "/api/v1/"), "operator/"), "/")
	if rest[0] == "payments" && len(rest) > 1 && !strings.HasPrefix(rest[1], ":") { // /payments/<kind>/:id (online); /payments/:id is a counter payment
		rest[0] += "/" + rest[1]
	}
	for i, s := range segs {
		if len(s) < 2 || (s[0] != ':' && s[0] != '*') {
			continue
		}
		var v string
		switch s[1:] {
		case "id":
			v = ids[rest[0]]
		case "doc", "photo": // a patrol round's :photo is a stored file too
			v = ids["attachments"]
		case "tag":
			v = "elderly_alone"
		case "provider", "merchant", "order": // public payment routes: an unknown account answers 404
			v = "unknown"
		case "name": // a plugin of the catalogue; one not registered or enabled answers 404
			v = "events"
		case "version":
			v = "1.0.0"
		}
		if v == "" {
			return path, false
		}
		segs[i] = v
	}
	return strings.Join(segs, "/"), true
}

// hasPathParam reports whether a gin path names something (:x or *x).
func hasPathParam(path string) bool {
	return strings.Contains(path, "/:") || strings.Contains(path, "/*")
}

// uploadDocument uploads a small PDF to the tenant's first asset through the
// API, so that the document routes have a fixture.
func uploadDocument(t *testing.T, r *running, db *store.DB, tenantID uuid.UUID, token string) {
	t.Helper()
	var assetID string
	db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Raw("SELECT CAST(id AS TEXT) FROM assets WHERE tenant_id = ? ORDER BY id LIMIT 1", tenantID).Scan(&assetID).Error
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "保修卡.pdf")
	fw.Write([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"))
	mw.Close()
	req, _ := http.NewRequest("POST", r.base+"/api/v1/assets/"+assetID+"/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("upload a document to asset %q: %d %s", assetID, res.StatusCode, raw)
	}
}

// bodies are plausible request bodies, so that a route which validates before
// it looks up still reaches the lookup; other writes get {}.
var bodies = map[string]any{
	"PUT /api/v1/communities/:id":                 map[string]any{"name": "改名"},
	"PUT /api/v1/buildings/:id":                   map[string]any{"name": "改名"},
	"PATCH /api/v1/rooms/:id":                     map[string]any{"notes": "x"},
	"PUT /api/v1/locations/:id":                   map[string]any{"name": "改名", "category": "lobby"},
	"PUT /api/v1/assets/:id":                      map[string]any{"code": "X", "name": "改名", "category": "elevator"},
	"POST /api/v1/assets/:id/maintenance-records": map[string]any{"done_on": "2024-01-01", "performed_by": "刘强", "result": "ok"},
	"PUT /api/v1/maintenance-plans/:id":           map[string]any{"name": "x", "cycle": map[string]any{"kind": "days", "every": 7}, "start_date": "2024-01-01"},
	"PATCH /api/v1/persons/:id":                   map[string]any{"name": "改名"},
	"POST /api/v1/persons/:id/occupancies":        map[string]any{"room_id": uuid.NewString(), "role": "owner", "move_in": "2024-01-01"},
	"POST /api/v1/occupancies/:id/move-out":       map[string]any{"move_out": "2030-01-01"},
	"PUT /api/v1/persons/:id/tags/:tag":           map[string]any{"reason": "x"},
	"POST /api/v1/persons/:id/vehicles":           map[string]any{"plate": "粤B·D99999"},
	"POST /api/v1/persons/:id/pets":               map[string]any{"name": "x", "species": "dog"},
	"PUT /api/v1/persons/:id/account":             map[string]any{"user_id": uuid.NewString()},
	"PATCH /api/v1/users/:id":                     map[string]any{"name": "改名"},
	"POST /api/v1/users/:id/reset-password":       map[string]any{"password": "An0ther-long-pass"},
	"PATCH /api/v1/roles/:id":                     map[string]any{"description": "x"},
	"PUT /api/v1/users/:id/roles":                 map[string]any{"roles": []string{"manager"}},
	"POST /api/v1/bills/:id/cancel":               map[string]any{"reason": "x"},
	"PUT /api/v1/expenses/:id":                    map[string]any{"category": "repairs", "amount": "1.00", "spent_on": "2026-01-01"},
	"POST /api/v1/bills/:id/write-off":            map[string]any{"reason": "x"},
	"POST /api/v1/rooms/:id/adjustments":          map[string]any{"amount": 100, "reason": "x"},
	"POST /api/v1/payments/:id/refunds":           map[string]any{"amount": 1, "reason": "x"},
	"POST /api/v1/rooms/:id/prepay":               map[string]any{"months": 12, "channel": "cash"},
	"POST /api/v1/work-orders/:id/assign":         map[string]any{"technician_id": uuid.NewString()},
	"POST /api/v1/work-orders/:id/follow-up":      map[string]any{"note": "x"},
	"POST /api/v1/work-orders/:id/resolve":        map[string]any{"result": "x"},
	"POST /api/v1/work-orders/:id/cancel":         map[string]any{"note": "x"},
	"POST /api/v1/me/work-orders/:id/cancel":      map[string]any{"note": "x"},
	"POST /api/v1/me/work-orders/:id/rate":        map[string]any{"stars": 5},
	"PUT /api/v1/technicians/:id":                 map[string]any{"skills": []string{"plumbing"}},
	"PUT /api/v1/webhook-endpoints/:id":           map[string]any{"url": "https://example.com/hook"},
	"PUT /api/v1/announcements/:id":               map[string]any{"title": "x", "body": "y", "audience": "tag", "tag": "elderly_alone"},
}

// TestBOLA walks the route table: for every tenant route with a path
// parameter (or declaring Object), tenant B's admin asking for tenant A's
// object, with a valid body, gets 404, and tenant A's data is unchanged. A
// route is left out only when its row says why (NotObject); a route the
// walker cannot fill a path for fails.
func TestBOLA(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
			m, err := demoShort()
			if err != nil {
				t.Fatal(err)
			}
			m.Code = "t-a"
			resA, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			m.Code, m.Seed = "t-b", nil
			resB, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			tokA := r.login(t, "t-a", "admin", password(resA, "admin"))
			tokB := r.login(t, "t-b", "admin", password(resB, "admin"))

			// Objects the demo seed does not make.
			if st, b := r.call(t, tokA, "POST", "/api/v1/roles", map[string]any{"name": "night_guard", "permissions": []string{"property.read"}}); st != 201 {
				t.Fatalf("role: %d %v", st, b)
			}
			if st, b := r.call(t, tokA, "POST", "/api/v1/api-keys", map[string]any{"name": "gate", "roles": []string{"admin"}}); st != 201 {
				t.Fatalf("api key: %d %v", st, b)
			}
			a := resA.Tenant.ID
			uploadDocument(t, r, r.DB, a, tokA)
			paymentFixtures(t, r, a)
			deviceFixture(t, r, a)
			if err := r.DB.InTenant(ctx, a, func(tx *gorm.DB) error {
				_, err := queue.StartJob(tx, "test", queue.Task{Type: "test.noop"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{}
			for seg, table := range fixtureTables {
				var id string
				err := r.DB.Platform(ctx, func(tx *gorm.DB) error {
					return tx.Raw("SELECT CAST(id AS TEXT) FROM "+table+" WHERE tenant_id = ? ORDER BY id LIMIT 1", a).Scan(&id).Error
				})
				if err != nil || id == "" {
					t.Fatalf("no fixture in %s for tenant A (err %v)", table, err)
				}
				ids[seg] = id
			}
			before := snapshot(t, r.DB, a)

			walked := 0
			for _, rt := range r.API.Routes() {
				if rt.Operator || rt.Public || (!rt.Object && !hasPathParam(rt.Path)) {
					continue
				}
				if rt.NotObject != "" {
					t.Logf("%s %s left out: %s", rt.Method, rt.Path, rt.NotObject)
					continue
				}
				if !rt.Object {
					t.Errorf("%s %s has a path parameter: declare Object or NotObject", rt.Method, rt.Path)
				}
				path, ok := fillPath(rt.Path, ids)
				if !ok {
					t.Errorf("%s %s has no fixture: add its table to fixtureTables (or its parameter to fillPath)", rt.Method, rt.Path)
					continue
				}
				var body any
				if rt.Method != "GET" && rt.Method != "DELETE" {
					body = bodies[rt.Method+" "+rt.Path]
					if body == nil {
						body = map[string]any{}
					}
				}
				st, resp := r.call(t, tokB, rt.Method, path, body)
				walked++
				if st == 404 {
					continue
				}
				t.Errorf("%s %s as tenant B: %d %v, want 404 (give the route a valid body in bodies if it validates first)", rt.Method, rt.Path, st, resp)
			}
			if walked < 30 {
				t.Fatalf("walked only %d object routes", walked)
			}
			if after := snapshot(t, r.DB, a); after != before {
				t.Fatalf("tenant A's data changed while tenant B probed it:\n%s\nvs\n%s", before, after)
			}
		})
	}
}

func password(res tenant.ApplyResult, user string) string {
	for _, p := range res.Passwords {
		if p.Username == user {
			return p.Password
		}
	}
	return ""
}

// snapshot fingerprints every fixture table's rows of one tenant.
func snapshot(t *testing.T, db *store.DB, tenantID uuid.UUID) string {
	t.Helper()
	var tables []string
	for _, table := range fixtureTables {
		// jobs move on by themselves as the queue runs them.
		if table != "jobs" && !slices.Contains(tables, table) {
			tables = append(tables, table)
		}
	}
	slices.Sort(tables)
	var b strings.Builder
	for _, table := range tables {
		cols := "*"
		if table == "attachments" { // a blob does not scan into a map; its length and hash stand for it
			cols = "id, owner_kind, owner_id, name, content_type, size, sha256, length(data) AS data_len"
		}
		var rows []map[string]any
		err := db.Platform(context.Background(), func(tx *gorm.DB) error {
			return tx.Raw("SELECT "+cols+" FROM "+table+" WHERE tenant_id = ? ORDER BY id", tenantID).Scan(&rows).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x\n", table, len(rows), sha256.Sum256([]byte(fmt.Sprint(rows))))
	}
	return b.String()
}

// TestRouteTableDeclaresAccess checks the wired route table: every route says
// who may call it (New panics otherwise) and every permission it names is in
// the RBAC catalogue, so a tenant admin can grant it.
func TestRouteTableDeclaresAccess(t *testing.T) {
	r := start(t, store.SQLite)
	n := 0
	for _, rt := range r.API.Routes() {
		if rt.Permission != "" && !rbac.Known(rt.Permission) {
			t.Errorf("%s %s names permission %q, which the catalogue lacks", rt.Method, rt.Path, rt.Permission)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("only %d routes wired", n)
	}
}
