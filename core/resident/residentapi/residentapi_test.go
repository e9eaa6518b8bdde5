package residentapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/resident/residentapi"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// residentAuth maps bearer tokens to actors and grants permissions per actor.
type residentAuth struct {
	actors map[string]actor.Actor
	perms  map[uuid.UUID][]string
}

func (r residentAuth) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	a, ok := r.actors[cred]
	if !ok {
		return actor.Actor{}, apperr.Unauthenticated
	}
	return a, nil
}

func (r residentAuth) Allowed(_ context.Context, a actor.Actor, perm string) (bool, error) {
	for _, p := range r.perms[a.ID] {
		if p == perm {
			return true, nil
		}
	}
	return false, nil
}

// roomSet is resident.Rooms over known room ids.
type roomSet map[uuid.UUID]uuid.UUID // room -> tenant

func (r roomSet) RoomExists(_ context.Context, tenantID, roomID uuid.UUID) (bool, error) {
	return r[roomID] == tenantID, nil
}

func (r roomSet) SetOccupied(context.Context, uuid.UUID, uuid.UUID, bool) error { return nil }

func (r roomSet) FindRooms(context.Context, uuid.UUID, []resident.RoomPath) (map[resident.RoomPath]uuid.UUID, error) {
	return map[resident.RoomPath]uuid.UUID{}, nil
}

// RoomPaths names every known room of the tenant 阳光花园 1栋 1单元 101.
func (r roomSet) RoomPaths(_ context.Context, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]resident.RoomPath, error) {
	out := map[uuid.UUID]resident.RoomPath{}
	for _, id := range ids {
		if r[id] == tenantID {
			out[id] = resident.RoomPath{Community: "阳光花园", Building: "1栋", Unit: "1单元", Room: "101"}
		}
	}
	return out, nil
}

// residentAccounts: the given user ids are resident accounts.
type residentAccounts map[uuid.UUID]bool

func (a residentAccounts) AccountKind(_ context.Context, _, id uuid.UUID) (string, bool, error) {
	if a[id] {
		return resident.AccountKindResident, true, nil
	}
	return "", false, nil
}

func (a residentAccounts) AccountByUsername(context.Context, uuid.UUID, string) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}

type auditLog struct {
	mu sync.Mutex
	es []audit.Entry
}

func (l *auditLog) Record(_ context.Context, e audit.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.es = append(l.es, e)
	return nil
}

type residentAPI struct {
	t    *testing.T
	h    http.Handler
	log  *auditLog
	room uuid.UUID
	user uuid.UUID // the "resident" token's user id
}

func (api residentAPI) do(token, method, path string, body any) (int, map[string]any) {
	api.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	api.h.ServeHTTP(w, req)
	var out map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			var list []any
			if json.Unmarshal(w.Body.Bytes(), &list) == nil {
				out = map[string]any{"list": list}
			}
		}
	}
	return w.Code, out
}

func residentErrCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func newResidentAPI(t *testing.T, db *store.DB) residentAPI {
	tenant, other := store.NewID(), store.NewID()
	staff := actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "frontdesk", TenantID: tenant}
	manager := actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "manager", TenantID: tenant}
	stranger := actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "other-admin", TenantID: other}
	res := actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "resident", TenantID: tenant}
	auth := residentAuth{
		actors: map[string]actor.Actor{"staff": staff, "manager": manager, "stranger": stranger, "resident": res},
		perms: map[uuid.UUID][]string{
			staff.ID:    {resident.PermRead, resident.PermManage},
			manager.ID:  {resident.PermRead, resident.PermManage, resident.PermPIIRead},
			stranger.ID: {resident.PermRead, resident.PermManage, resident.PermPIIRead},
			res.ID:      {resident.PermSelf},
		},
	}
	room, room2 := store.NewID(), store.NewID()
	// Real rows: occupancies point at their room with a foreign key.
	err := db.InTenant(context.Background(), tenant, func(tx *gorm.DB) error {
		c, b, u := store.NewID(), store.NewID(), store.NewID()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO communities (tenant_id, id, name) VALUES (?, ?, 'c')", []any{tenant, c}},
			{"INSERT INTO buildings (tenant_id, id, community_id, name) VALUES (?, ?, ?, '1')", []any{tenant, b, c}},
			{"INSERT INTO units (tenant_id, id, building_id, name) VALUES (?, ?, ?, '1')", []any{tenant, u, b}},
			{"INSERT INTO rooms (tenant_id, id, community_id, building_id, unit_id, number) VALUES (?, ?, ?, ?, ?, '101'), (?, ?, ?, ?, ?, '102')", []any{tenant, room, c, b, u, tenant, room2, c, b, u}},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log := &auditLog{}
	svc, err := resident.New(db, resident.Config{PIIKeys: map[string][]byte{"k1": bytes.Repeat([]byte{1}, 32)}, ActiveKeyID: "k1", IndexKey: bytes.Repeat([]byte{2}, 32)},
		resident.Deps{Rooms: roomSet{room: tenant, room2: tenant}, Perms: auth, Audit: log, Accounts: residentAccounts{res.ID: true}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth, Authz: auth, Routes: residentapi.Routes(svc)})
	return residentAPI{t: t, h: srv.Handler(), log: log, room: room, user: res.ID}
}

// detailFields are the fields an error's details name.
func detailFields(body map[string]any) map[string]bool {
	out := map[string]bool{}
	e, _ := body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		if m, ok := d.(map[string]any); ok {
			out[m["field"].(string)] = true
		}
	}
	return out
}

func TestResidentHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		api := newResidentAPI(t, db)
		// Bad ID number: its own code, nothing written.
		code, body := api.do("staff", "POST", "/api/v1/persons", map[string]any{"name": "张三", "id_type": "resident_id", "id_number": "110105194912310021"})
		if code != 400 || residentErrCode(body) != "invalid_id_number" {
			t.Fatalf("bad id: %d %v", code, body)
		}
		code, body = api.do("staff", "POST", "/api/v1/persons", map[string]any{"name": "张三", "phones": []map[string]string{{"number": "555"}}})
		if code != 400 || residentErrCode(body) != "invalid_phone" {
			t.Fatalf("bad phone: %d %v", code, body)
		}
		code, body = api.do("staff", "POST", "/api/v1/persons", map[string]any{"name": "张三", "shoe_size": 42})
		if code != 400 || residentErrCode(body) != "unknown_field" {
			t.Fatalf("unknown field: %d %v", code, body)
		}
		code, body = api.do("staff", "POST", "/api/v1/persons", map[string]any{"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
			"phones": []map[string]string{{"label": "手机", "number": "13812345678"}}})
		if code != 201 {
			t.Fatalf("create: %d %v", code, body)
		}
		id := body["id"].(string)
		if body["id_number"] != "110***********002X" {
			t.Fatalf("create response not masked: %v", body)
		}
		// List and search are masked.
		code, body = api.do("staff", "GET", "/api/v1/persons?phone=13812345678", nil)
		items, _ := body["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["phone"] != "138****5678" {
			t.Fatalf("search: %d %v", code, body)
		}
		code, body = api.do("staff", "GET", "/api/v1/persons?room_id=nope", nil)
		if code != 400 {
			t.Fatalf("bad room filter: %d %v", code, body)
		}
		// A bad query value names its field, and every problem comes at once.
		code, body = api.do("staff", "GET", "/api/v1/persons?room_id=nope&page=0", nil)
		if fields := detailFields(body); code != 400 || !fields["room_id"] || !fields["page"] {
			t.Fatalf("bad room and page: %d %v", code, body)
		}
		code, body = api.do("staff", "GET", "/api/v1/vehicles?person_id=x", nil)
		if code != 400 || !detailFields(body)["person_id"] {
			t.Fatalf("bad person filter: %d %v", code, body)
		}
		code, body = api.do("staff", "GET", "/api/v1/exports/residents?room_id=x", nil)
		if code != 400 || !detailFields(body)["room_id"] {
			t.Fatalf("bad export filter: %d %v", code, body)
		}
		// Every field problem of a body at once, and Chinese messages all Chinese.
		code, body = api.do("staff", "POST", "/api/v1/persons", map[string]any{"name": "", "gender": "x", "id_type": "resident_id", "id_number": "110105194912310021",
			"phones": []map[string]string{{"number": "555"}}})
		if fields := detailFields(body); code != 400 || residentErrCode(body) != "invalid_input" || !fields["name"] || !fields["gender"] || !fields["id_number"] || !fields["phones[0].number"] {
			t.Fatalf("all problems at once: %d %v", code, body)
		}
		for _, d := range body["error"].(map[string]any)["details"].([]any) {
			zh, _ := d.(map[string]any)["message_zh"].(string)
			if strings.ContainsAny(zh, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				t.Errorf("Chinese message with Latin letters: %q", zh)
			}
		}
		// Reveal needs resident.pii.read and is audited.
		if code, body = api.do("staff", "GET", "/api/v1/persons/"+id+"/pii", nil); code != 403 {
			t.Fatalf("staff reveal: %d %v", code, body)
		}
		code, body = api.do("manager", "GET", "/api/v1/persons/"+id+"/pii", nil)
		if code != 200 || body["id_number"] != "11010519491231002X" {
			t.Fatalf("manager reveal: %d %v", code, body)
		}
		api.log.mu.Lock()
		n := 0
		for _, e := range api.log.es {
			if e.Action == resident.ActionReveal && e.Object == "person/"+id && e.Result == audit.ResultOK && e.ActorName == "manager" {
				n++
			}
		}
		api.log.mu.Unlock()
		if n != 1 {
			t.Fatalf("reveal audit entries = %d, want 1", n)
		}
		// Another tenant: 404 on every object route.
		for _, p := range []string{"/api/v1/persons/" + id, "/api/v1/persons/" + id + "/pii"} {
			if code, body = api.do("stranger", "GET", p, nil); code != 404 {
				t.Fatalf("stranger GET %s: %d %v", p, code, body)
			}
		}
		if code, _ = api.do("stranger", "POST", "/api/v1/persons/"+id+"/vehicles", map[string]string{"plate": "粤B·D12345"}); code != 404 {
			t.Fatalf("stranger add vehicle: %d", code)
		}
		// Vehicles: bad and duplicate plates.
		if code, body = api.do("staff", "POST", "/api/v1/persons/"+id+"/vehicles", map[string]string{"plate": "粤B·D1234X"}); code != 400 || residentErrCode(body) != "invalid_plate" {
			t.Fatalf("bad plate: %d %v", code, body)
		}
		if code, body = api.do("staff", "POST", "/api/v1/persons/"+id+"/vehicles", map[string]string{"plate": "粤B·D12345"}); code != 201 || body["plate"] != "粤B·D12345" {
			t.Fatalf("add vehicle: %d %v", code, body)
		}
		if code, body = api.do("staff", "POST", "/api/v1/persons/"+id+"/vehicles", map[string]string{"plate": "粤bd12345"}); code != 409 || residentErrCode(body) != "duplicate_plate" {
			t.Fatalf("duplicate plate: %d %v", code, body)
		}
		// Tags need a reason.
		if code, body = api.do("staff", "PUT", "/api/v1/persons/"+id+"/tags/elderly_alone", map[string]string{"reason": ""}); code != 400 || residentErrCode(body) != "tag_reason_required" {
			t.Fatalf("tag without reason: %d %v", code, body)
		}
		// Occupancy: move in, move out twice. Roles are accepted as the importer takes them.
		code, body = api.do("staff", "POST", "/api/v1/persons/"+id+"/occupancies", map[string]any{"room_id": api.room, "role": "业主", "relation": "本人", "move_in": "2020-01-01"})
		if code != 201 || body["role"] != "owner" {
			t.Fatalf("move in as 业主: %d %v", code, body)
		}
		code, body = api.do("staff", "POST", "/api/v1/occupancies/"+body["id"].(string)+"/move-out", map[string]string{"move_out": "2020-01-01"})
		if code != 200 {
			t.Fatalf("move out: %d %v", code, body)
		}
		code, body = api.do("staff", "POST", "/api/v1/persons/"+id+"/occupancies", map[string]any{"room_id": api.room, "role": "owner", "relation": "本人", "move_in": "2020-01-01"})
		if code != 201 {
			t.Fatalf("move in: %d %v", code, body)
		}
		occ := body["id"].(string)
		// The resident account sees its room and no other.
		const user = "resident"
		if code, body = api.do(user, "GET", "/api/v1/me/rooms", nil); code != 200 || len(body["list"].([]any)) != 0 {
			t.Fatalf("unlinked me/rooms: %d %v", code, body)
		}
		if code, body = api.do("staff", "PUT", "/api/v1/persons/"+id+"/account", map[string]any{"user_id": api.user}); code != 204 {
			t.Fatalf("link account: %d %v", code, body)
		}
		code, body = api.do(user, "GET", "/api/v1/me/rooms", nil)
		if list, _ := body["list"].([]any); code != 200 || len(list) != 1 || list[0].(map[string]any)["room"] != "101" || list[0].(map[string]any)["building"] != "1栋" {
			t.Fatalf("me/rooms: %d %v", code, body)
		}
		if code, _ = api.do(user, "GET", "/api/v1/me/rooms/"+api.room.String(), nil); code != 200 {
			t.Fatalf("me/rooms/mine: %d", code)
		}
		if code, _ = api.do(user, "GET", "/api/v1/me/rooms/"+store.NewID().String(), nil); code != 404 {
			t.Fatalf("me/rooms/other: %d", code)
		}
		if code, _ = api.do(user, "GET", "/api/v1/persons/"+id, nil); code != 403 {
			t.Fatalf("resident reading staff route: %d", code)
		}
		if code, body = api.do("staff", "POST", "/api/v1/occupancies/"+occ+"/move-out", map[string]string{"move_out": "2019-12-31"}); code != 400 || residentErrCode(body) != "move_out_before_move_in" {
			t.Fatalf("early move-out: %d %v", code, body)
		}
		if code, body = api.do("staff", "POST", "/api/v1/occupancies/"+occ+"/move-out", map[string]string{"move_out": "2024-01-01"}); code != 200 {
			t.Fatalf("move out: %d %v", code, body)
		}
		if code, body = api.do("staff", "POST", "/api/v1/occupancies/"+occ+"/move-out", map[string]string{"move_out": "2024-02-01"}); code != 409 || residentErrCode(body) != "already_moved_out" {
			t.Fatalf("second move out: %d %v", code, body)
		}
	})
}
