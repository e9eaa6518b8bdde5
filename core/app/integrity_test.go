package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// TestRoomsWithResidentsAreKept: a room people live in cannot be deleted,
// nor its unit or building, whatever its status says (the status cannot be
// set vacant while they live there); once they moved out, the history keeps
// it; the database refuses the delete as well. A room nobody ever lived in
// goes. Care tags given by their Chinese label land in the care list.
func TestRoomsWithResidentsAreKept(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
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
			want := func(what string, st int, body map[string]any, wantSt int, code string) {
				t.Helper()
				if st != wantSt || errCode(body) != code {
					t.Fatalf("%s: %d %s, want %d %s (%v)", what, st, errCode(body), wantSt, code, body)
				}
			}
			_, body := r.call(t, tok, "GET", "/api/v1/rooms?status=occupied&page_size=1", nil)
			room := body["items"].([]any)[0].(map[string]any)
			id, unit, bld := room["id"].(string), room["unit_id"].(string), room["building_id"].(string)

			st, b := r.call(t, tok, "PATCH", "/api/v1/rooms/"+id, map[string]any{"status": "vacant"})
			want("set vacant while lived in", st, b, 409, "room_occupied")
			st, b = r.call(t, tok, "PATCH", "/api/v1/rooms/"+id, map[string]any{"status": "renovating"})
			want("renovating while lived in", st, b, 200, "")
			st, b = r.call(t, tok, "DELETE", "/api/v1/rooms/"+id, nil)
			want("delete renovating room with residents", st, b, 409, "room_occupied")
			st, b = r.call(t, tok, "DELETE", "/api/v1/units/"+unit, nil)
			want("delete unit", st, b, 409, "building_has_occupied_rooms")
			st, b = r.call(t, tok, "DELETE", "/api/v1/buildings/"+bld, nil)
			want("delete building", st, b, 409, "building_has_occupied_rooms")

			// Everyone moves out: the room is kept for its history.
			_, ppl := r.call(t, tok, "GET", "/api/v1/persons?room_id="+id, nil)
			var someone string
			for _, p := range ppl["items"].([]any) {
				someone = p.(map[string]any)["id"].(string)
				_, person := r.call(t, tok, "GET", "/api/v1/persons/"+someone, nil)
				for _, o := range person["occupancies"].([]any) {
					o := o.(map[string]any)
					if o["room_id"] == id && (o["move_out"] == "" || o["move_out"] == nil) {
						st, b := r.call(t, tok, "POST", "/api/v1/occupancies/"+o["id"].(string)+"/move-out", map[string]any{"move_out": "2030-01-01"})
						want("move out", st, b, 200, "")
					}
				}
			}
			st, b = r.call(t, tok, "PATCH", "/api/v1/rooms/"+id, map[string]any{"status": "vacant"})
			want("set vacant after move-out", st, b, 200, "")
			st, b = r.call(t, tok, "DELETE", "/api/v1/rooms/"+id, nil)
			want("delete room with history", st, b, 409, "room_has_history")

			// The database refuses too (foreign keys), whatever the code does.
			tn, err := r.Tenants.Get(ctx, m.Code)
			if err != nil {
				t.Fatal(err)
			}
			err = r.DB.InTenant(context.Background(), tn.ID, func(tx *gorm.DB) error {
				return tx.Exec("DELETE FROM rooms WHERE tenant_id = ? AND id = ?", tn.ID, uuid.MustParse(id)).Error
			})
			if err == nil {
				t.Fatal("database deleted a room its residents' records point at")
			}

			// A room nobody ever lived in may go.
			st, fresh := r.call(t, tok, "POST", "/api/v1/rooms", map[string]any{"unit_id": unit, "number": "X01"})
			want("create room", st, fresh, 201, "")
			st, b = r.call(t, tok, "DELETE", "/api/v1/rooms/"+fresh["id"].(string), nil)
			want("delete empty room", st, b, 204, "")

			// 独居老人 is the built-in elderly_alone, as in the importer.
			st, b = r.call(t, tok, "PUT", "/api/v1/persons/"+someone+"/tags/"+url.PathEscape("独居老人"), map[string]any{"reason": "子女在外地"})
			if st != 200 || b["tag"] != "elderly_alone" {
				t.Fatalf("tag by label: %d %v", st, b)
			}
			_, list := r.call(t, tok, "GET", "/api/v1/care-tags?tag=elderly_alone&page_size=100", nil)
			found := false
			for _, it := range list["items"].([]any) {
				found = found || it.(map[string]any)["person_id"] == someone
			}
			if !found {
				t.Fatalf("care list misses the person: %v", list)
			}
		})
	}
}
