package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// download GETs a file and returns status and body.
func (r *running) download(t testing.TB, token, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", r.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func csvRecords(t testing.TB, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not a csv file (%v): %.300s", err, b)
	}
	return recs
}

// TestExportListsOnDemoData: the demo company's lists export whole, with
// their filters, for staff; not for residents; and never another tenant's rows.
func TestExportListsOnDemoData(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
			m, err := demoWithoutBills()
			if err != nil {
				t.Fatal(err)
			}
			m.Code = "t-a"
			resA, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			m.Code = "t-b"
			resB, err := r.Tenants.Apply(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			a := r.login(t, "t-a", "admin", password(resA, "admin"))
			b := r.login(t, "t-b", "admin", password(resB, "admin"))

			// Occupied rooms: every row occupied, as many as the list's total.
			_, list := r.call(t, a, "GET", "/api/v1/rooms?status=occupied&page_size=1", nil)
			total := int(list["total"].(float64))
			st, body := r.download(t, a, "/api/v1/rooms?format=csv&status=occupied")
			recs := csvRecords(t, body)
			status := -1
			for i, h := range recs[0] {
				if h == "status" {
					status = i
				}
			}
			if st != 200 || status < 0 || total == 0 || len(recs)-1 != total {
				t.Fatalf("occupied export %d: %d rows, list total %d, header %v", st, len(recs)-1, total, recs[0])
			}
			for _, rec := range recs[1:] {
				if rec[status] != "occupied" {
					t.Fatalf("row not occupied: %v", rec)
				}
			}

			// The care list as xlsx.
			st, body = r.download(t, a, "/api/v1/care-tags?format=xlsx")
			x, err := excelize.OpenReader(bytes.NewReader(body))
			if st != 200 || err != nil {
				t.Fatalf("care-tags xlsx %d %v %.200s", st, err, body)
			}
			rows, _ := x.GetRows(x.GetSheetName(0))
			x.Close()
			if want := "person_id,tag,reason,set_by,set_by_id,set_at,person_name,room_ids"; len(rows) < 2 || strings.Join(rows[0], ",") != want {
				t.Fatalf("care-tags header %v (%d rows), want %s", rows[0], len(rows), want)
			}

			// The person list exports masked, as it lists.
			_, body = r.download(t, a, "/api/v1/persons?format=csv")
			recs = csvRecords(t, body)
			if recs[0][3] != "phone" || len(recs) < 2 || !strings.Contains(recs[1][3], "****") {
				t.Fatalf("persons export not masked: %v %v", recs[0], recs[1])
			}

			// Tenant B's rooms export never holds one of tenant A's rooms.
			_, body = r.download(t, a, "/api/v1/rooms?format=csv")
			ofA := map[string]bool{}
			for _, rec := range csvRecords(t, body)[1:] {
				ofA[rec[0]] = true
			}
			_, body = r.download(t, b, "/api/v1/rooms?format=csv")
			recsB := csvRecords(t, body)
			if len(ofA) < 300 || len(recsB)-1 != len(ofA) {
				t.Fatalf("rooms: A %d, B %d", len(ofA), len(recsB)-1)
			}
			for _, rec := range recsB[1:] {
				if ofA[rec[0]] {
					t.Fatalf("tenant B's export holds tenant A's room %s", rec[0])
				}
			}

			// A resident account exports no staff list.
			st, u := r.call(t, a, "POST", "/api/v1/users", map[string]any{"username": "owner1", "name": "业主", "kind": "resident", "password": "Resident-pass-2024"})
			if st != 201 {
				t.Fatalf("resident user: %d %v", st, u)
			}
			if st, body := r.call(t, a, "PUT", "/api/v1/users/"+u["id"].(string)+"/roles", map[string]any{"roles": []string{"resident"}}); st != 200 {
				t.Fatalf("resident role: %d %v", st, body)
			}
			me := r.login(t, "t-a", "owner1", "Resident-pass-2024")
			for _, path := range []string{"/api/v1/rooms?format=csv", "/api/v1/persons?format=xlsx", "/api/v1/care-tags?format=csv", "/api/v1/users?format=csv", "/api/v1/audit?format=csv"} {
				if st, body := r.download(t, me, path); st != 403 {
					t.Errorf("resident GET %s: %d %.200s", path, st, body)
				}
			}
		})
	}
}
