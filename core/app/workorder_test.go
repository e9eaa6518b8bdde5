package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// upload posts data as multipart field "file" named name.
func (r *running) upload(t *testing.T, token, path, name string, data []byte) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", r.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// TestWorkOrdersOverHTTP: the demo's desk through the API — a resident files
// for their own room only, photos are sniffed and capped, another resident
// cannot see or rate the order, an illegal step is a 409 naming from and to,
// and the room file shows the order.
func TestWorkOrdersOverHTTP(t *testing.T) {
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
	admin := r.login(t, m.Code, "admin", password(res, "admin"))
	// The demo has orders in every state, some breaching SLA.
	st, list := r.call(t, admin, "GET", "/api/v1/work-orders?sla_breached=true&page_size=5", nil)
	if st != 200 || list["total"].(float64) < 5 {
		t.Fatalf("breached demo orders: %d %v", st, list["total"])
	}
	_, people := r.call(t, admin, "GET", "/api/v1/persons?page_size=100", nil)
	var residents []map[string]any
	for _, p := range people["items"].([]any) {
		if rooms, _ := p.(map[string]any)["room_ids"].([]any); len(rooms) == 1 {
			residents = append(residents, p.(map[string]any))
		}
	}
	var tokens []string
	var rooms []string
	for i, p := range residents {
		room := p["room_ids"].([]any)[0].(string)
		if len(rooms) == 1 && rooms[0] == room {
			continue
		}
		name := []string{"wo_owner_a", "wo_owner_b"}[len(rooms)]
		st, u := r.call(t, admin, "POST", "/api/v1/users", map[string]any{"username": name, "name": p["name"], "kind": "resident", "password": "Resident-pass-2024"})
		if st != 201 {
			t.Fatalf("user %d: %d %v", i, st, u)
		}
		r.call(t, admin, "PUT", "/api/v1/users/"+u["id"].(string)+"/roles", map[string]any{"roles": []string{"resident"}})
		if st, b := r.call(t, admin, "PUT", "/api/v1/persons/"+p["id"].(string)+"/account", map[string]any{"user_id": u["id"]}); st != 204 {
			t.Fatalf("link: %d %v", st, b)
		}
		tokens = append(tokens, r.login(t, m.Code, name, "Resident-pass-2024"))
		rooms = append(rooms, room)
		if len(rooms) == 2 {
			break
		}
	}
	if len(rooms) < 2 {
		t.Fatal("the demo needs two residents in different rooms")
	}
	a, b := tokens[0], tokens[1]
	if st, body := r.call(t, a, "POST", "/api/v1/me/work-orders", map[string]any{"type": "repair", "category": "plumbing", "room_id": rooms[1], "description": "漏水"}); st != 403 || errCode(body) != "room_not_yours" {
		t.Fatalf("someone else's room: %d %v", st, body)
	}
	st, o := r.call(t, a, "POST", "/api/v1/me/work-orders", map[string]any{"type": "repair", "category": "plumbing", "room_id": rooms[0], "description": "卫生间漏水"})
	if st != 201 {
		t.Fatalf("file: %d %v", st, o)
	}
	id := o["id"].(string)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	st, photo := r.upload(t, a, "/api/v1/me/work-orders/"+id+"/files", "漏水.png", png)
	if st != 201 {
		t.Fatalf("photo: %d %v", st, photo)
	}
	// The photo comes back as a download that cannot run in a browser; the
	// other resident gets 404.
	get := func(token string) *http.Response {
		req, _ := http.NewRequest("GET", r.base+"/api/v1/me/work-orders/"+id+"/files/"+photo["id"].(string), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	dl := get(a)
	body, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if dl.StatusCode != 200 || !bytes.Equal(body, png) || dl.Header.Get("Content-Type") != "image/png" ||
		dl.Header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" || !strings.Contains(dl.Header.Get("Content-Disposition"), "filename*=UTF-8''%E6%BC%8F%E6%B0%B4.png") {
		t.Fatalf("download: %d %q %v", dl.StatusCode, body, dl.Header)
	}
	dl = get(b)
	dl.Body.Close()
	if dl.StatusCode != 404 {
		t.Fatalf("another resident downloads it: %d", dl.StatusCode)
	}
	if st, f := r.upload(t, a, "/api/v1/me/work-orders/"+id+"/files", "photo.jpg", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 512)...)); st != 415 || errCode(f) != "unsupported_media_type" {
		t.Fatalf("an executable as a photo: %d %v", st, f)
	}
	if st, f := r.upload(t, a, "/api/v1/me/work-orders/"+id+"/files", "big.jpg", make([]byte, 25<<20)); st != 413 {
		t.Fatalf("a 25 MiB upload: %d %v", st, f)
	}
	if st, body := r.call(t, b, "GET", "/api/v1/me/work-orders/"+id, nil); st != 404 {
		t.Fatalf("another resident reads it: %d %v", st, body)
	}
	if st, body := r.call(t, b, "POST", "/api/v1/me/work-orders/"+id+"/rate", map[string]any{"stars": 1}); st != 404 {
		t.Fatalf("another resident rates it: %d %v", st, body)
	}
	if st, body := r.call(t, admin, "POST", "/api/v1/work-orders/"+id+"/close", nil); st != 409 || errCode(body) != "illegal_transition" {
		t.Fatalf("close a submitted order: %d %v", st, body)
	}
	st, v := r.call(t, a, "GET", "/api/v1/me/work-orders/"+id, nil)
	if st != 200 || len(v["files"].([]any)) != 1 || len(v["timeline"].([]any)) != 2 {
		t.Fatalf("resident view: %d %v", st, v)
	}
	// Assigning it tells the resident through their inbox, in words.
	_, techs := r.call(t, admin, "GET", "/api/v1/technicians", nil)
	tech := techs["items"].([]any)[0].(map[string]any)
	if st, body := r.call(t, admin, "POST", "/api/v1/work-orders/"+id+"/assign", map[string]any{"technician_id": tech["id"]}); st != 200 {
		t.Fatalf("assign: %d %v", st, body)
	}
	st, inbox := r.call(t, a, "GET", "/api/v1/me/notifications", nil)
	items, _ := inbox["items"].([]any)
	if st != 200 || len(items) != 1 {
		t.Fatalf("resident inbox after assignment: %d %v", st, inbox)
	}
	note := items[0].(map[string]any)
	if body := note["body"].(string); note["template"] != "workorder.assigned" || !strings.Contains(body, "卫生间漏水") ||
		!strings.Contains(body, tech["name"].(string)) || !strings.Contains(note["title"].(string), "WO-") {
		t.Fatalf("assignment notice: %v", note)
	}
	st, file := r.call(t, admin, "GET", "/api/v1/rooms/"+rooms[0]+"/file", nil)
	sec, _ := file["sections"].(map[string]any)["workorders"].(map[string]any)
	if st != 200 || sec["open"].(float64) < 1 {
		t.Fatalf("room file: %d %v", st, file["sections"])
	}
	if st, s := r.call(t, admin, "GET", "/api/v1/work-order-stats", nil); st != 200 || s["total"].(float64) < 50 {
		t.Fatalf("stats: %d %v", st, s)
	}
}
