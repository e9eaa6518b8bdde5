package app_test

import (
	"context"
	"testing"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// TestOccupancyKeepsRoomStatus: the demo seed moves residents in, so their
// rooms read occupied; moving everyone out of a room makes it vacant again,
// and the room file lists its residents from the resident package.
func TestOccupancyKeepsRoomStatus(t *testing.T) {
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
			st, body := r.call(t, tok, "GET", "/api/v1/rooms?status=occupied&page_size=200", nil)
			items, _ := body["items"].([]any)
			if st != 200 || len(items) == 0 {
				t.Fatalf("occupied rooms after the demo seed: %d %v", st, body)
			}
			room := items[0].(map[string]any)["id"].(string)
			st, file := r.call(t, tok, "GET", "/api/v1/rooms/"+room+"/file", nil)
			sections, _ := file["sections"].(map[string]any)
			if st != 200 || sections["residents"] == nil {
				t.Fatalf("room file: %d %v", st, file)
			}
			st, ppl := r.call(t, tok, "GET", "/api/v1/persons?room_id="+room, nil)
			if st != 200 || len(ppl["items"].([]any)) == 0 {
				t.Fatalf("persons of room: %d %v", st, ppl)
			}
			for _, p := range ppl["items"].([]any) {
				st, person := r.call(t, tok, "GET", "/api/v1/persons/"+p.(map[string]any)["id"].(string), nil)
				if st != 200 {
					t.Fatalf("person: %d %v", st, person)
				}
				occs, _ := person["occupancies"].([]any)
				for _, o := range occs {
					o := o.(map[string]any)
					if o["room_id"] != room || o["move_out"] != "" && o["move_out"] != nil {
						continue
					}
					if st, b := r.call(t, tok, "POST", "/api/v1/occupancies/"+o["id"].(string)+"/move-out", map[string]any{"move_out": "2030-01-01"}); st != 200 {
						t.Fatalf("move out: %d %v", st, b)
					}
				}
			}
			if st, b := r.call(t, tok, "GET", "/api/v1/rooms/"+room, nil); st != 200 || b["status"] != "vacant" {
				t.Fatalf("room after everyone moved out: %d %v", st, b)
			}
		})
	}
}

// TestResidentSelfService: a resident account linked to a person sees the
// rooms that person lives in and the people there, and nothing else.
func TestResidentSelfService(t *testing.T) {
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
			admin := r.login(t, m.Code, "admin", password(res, "admin"))
			_, people := r.call(t, admin, "GET", "/api/v1/persons?page_size=50", nil)
			var person map[string]any
			for _, p := range people["items"].([]any) {
				if rooms, _ := p.(map[string]any)["room_ids"].([]any); len(rooms) > 0 {
					person = p.(map[string]any)
					break
				}
			}
			if person == nil {
				t.Fatal("no demo resident lives in a room")
			}
			myRoom := person["room_ids"].([]any)[0].(string)
			st, u := r.call(t, admin, "POST", "/api/v1/users", map[string]any{"username": "owner101", "name": person["name"], "kind": "resident", "password": "Resident-pass-2024"})
			if st != 201 {
				t.Fatalf("create resident user: %d %v", st, u)
			}
			if st, b := r.call(t, admin, "PUT", "/api/v1/users/"+u["id"].(string)+"/roles", map[string]any{"roles": []string{"resident"}}); st != 200 {
				t.Fatalf("give resident role: %d %v", st, b)
			}
			if st, b := r.call(t, admin, "PUT", "/api/v1/persons/"+person["id"].(string)+"/account", map[string]any{"user_id": u["id"]}); st != 204 {
				t.Fatalf("link account: %d %v", st, b)
			}
			me := r.login(t, m.Code, "owner101", "Resident-pass-2024")
			st, mine := r.call(t, me, "GET", "/api/v1/me/rooms/"+myRoom, nil)
			if st != 200 {
				t.Fatalf("own room: %d %v", st, mine)
			}
			_, rooms := r.call(t, admin, "GET", "/api/v1/rooms?page_size=200", nil)
			for _, rm := range rooms["items"].([]any) {
				if id := rm.(map[string]any)["id"].(string); id != myRoom {
					if st, b := r.call(t, me, "GET", "/api/v1/me/rooms/"+id, nil); st != 404 {
						t.Fatalf("another resident's room: %d %v", st, b)
					}
					break
				}
			}
			// Staff lists stay closed to residents.
			for _, path := range []string{"/api/v1/persons", "/api/v1/rooms", "/api/v1/users"} {
				if st, b := r.call(t, me, "GET", path, nil); st != 403 {
					t.Fatalf("resident GET %s: %d %v", path, st, b)
				}
			}
		})
	}
}
