package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

func TestGreetingUsesTheTenantsConfig(t *testing.T) {
	h := testkit.Start(t, New(), testkit.Options{Config: map[string]string{"greeting": "您好"}})
	var out struct{ Greeting string }
	h.DoJSON("GET", "/greetings/小王", nil, testkit.Staff("greet"), &out)
	if out.Greeting != "您好, 小王" {
		t.Fatalf("greeting %q", out.Greeting)
	}
	if st, _ := h.Do("GET", "/greetings/x", nil, testkit.Staff("tip")); st != http.StatusForbidden {
		t.Fatalf("without the permission: %d", st)
	}
}

func TestGuestbookIsUniqueByNameEvenUnderConcurrency(t *testing.T) {
	h := testkit.Start(t, New(), testkit.Options{})
	var wg sync.WaitGroup
	statuses := make(chan int, 8)
	for range 8 {
		wg.Go(func() {
			st, _ := h.Do("POST", "/entries", map[string]string{"name": "Ann", "message": "hi"}, nil)
			statuses <- st
		})
	}
	wg.Wait()
	close(statuses)
	created := 0
	for st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", st)
		}
	}
	if created != 1 || len(h.Host.Records("entries")) != 1 {
		t.Fatalf("created %d, stored %d", created, len(h.Host.Records("entries")))
	}
	audit := h.Host.AuditEntries()
	if len(audit) != 1 || audit[0].Action != "hello.entry.create" || audit[0].Caller.GetUsername() != "admin" {
		t.Fatalf("audit %+v", audit)
	}
	if st, b := h.Do("POST", "/entries", `{"name": 1`, nil); st != http.StatusBadRequest || !strings.Contains(string(b), "invalid_json") {
		t.Fatalf("garbage: %d %s", st, b)
	}
}

func TestGuestbookPages(t *testing.T) {
	h := testkit.Start(t, New(), testkit.Options{})
	for i := range 25 {
		h.DoJSON("POST", "/entries", map[string]string{"name": fmt.Sprintf("n%02d", i), "message": "m"}, nil, nil)
	}
	var page struct {
		Entries    []struct{ Name string }
		NextCursor string `json:"next_cursor"`
	}
	h.DoJSON("GET", "/entries", nil, nil, &page)
	if len(page.Entries) != 20 || page.NextCursor == "" {
		t.Fatalf("first page: %d entries, cursor %q", len(page.Entries), page.NextCursor)
	}
	h.DoJSON("GET", "/entries?cursor="+page.NextCursor, nil, nil, &page)
	if len(page.Entries) != 5 || page.NextCursor != "" {
		t.Fatalf("second page: %d entries, cursor %q", len(page.Entries), page.NextCursor)
	}
	h.DoJSON("GET", "/entries?prefix=n1", nil, nil, &page)
	if len(page.Entries) != 10 {
		t.Fatalf("prefix: %d", len(page.Entries))
	}
}

func TestTipsChargeOncePerKey(t *testing.T) {
	h := testkit.Start(t, New(), testkit.Options{})
	tip := map[string]any{"room_id": testkit.Room101, "amount_fen": 500}
	if st, b := h.Do("POST", "/tips", tip, nil); st != http.StatusBadRequest || !strings.Contains(string(b), "idempotency_key_required") {
		t.Fatalf("no key: %d %s", st, b)
	}
	st1, b1 := h.Do("POST", "/tips", tip, nil, testkit.IdempotencyKey("k1"))
	st2, b2 := h.Do("POST", "/tips", tip, nil, testkit.IdempotencyKey("k1"))
	if st1 != http.StatusCreated || st2 != st1 || string(b1) != string(b2) || len(h.Host.Charges()) != 1 {
		t.Fatalf("replay: %d %s / %d %s, %d charges", st1, b1, st2, b2, len(h.Host.Charges()))
	}
	if st, _ := h.Do("POST", "/tips", map[string]any{"room_id": "nowhere", "amount_fen": 1}, nil, testkit.IdempotencyKey("k2")); st != http.StatusNotFound {
		t.Fatalf("unknown room: %d", st)
	}
	if c := h.Host.Charges()[0]; c.AmountFen != 500 || c.RoomId != testkit.Room101 || c.Currency != "CNY" {
		t.Fatalf("charge %+v", c)
	}
}

func TestWelcomeIsSentOncePerEvent(t *testing.T) {
	h := testkit.Start(t, New(), testkit.Options{})
	id, err := h.Event("resident.moved_in", map[string]string{"resident_id": testkit.ResidentZhao, "room_id": testkit.Room201})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	n := h.Host.Notifications()
	if len(n) != 1 || n[0].Template != "welcome" || n[0].Vars["room"] != "2栋/1单元/201" || n[0].Recipients[0].ResidentId != testkit.ResidentZhao {
		t.Fatalf("notifications %+v", n)
	}
	if _, err := h.Event("resident.moved_in", json.RawMessage(`"garbage"`)); err != nil {
		t.Fatalf("a malformed event is dropped, not retried: %v", err)
	}
	if _, err := h.Event("bill.overdue", nil); err == nil {
		t.Fatal("an unsubscribed event was delivered")
	}
}

func TestTidyRemovesOldEntries(t *testing.T) {
	h := testkit.Start(t, New(), testkit.Options{})
	h.DoJSON("POST", "/entries", map[string]string{"name": "new", "message": "m"}, nil, nil)
	old, _ := json.Marshal(entry{Name: "old", At: 1})
	if _, err := h.Host.PutRecord(t.Context(), &wuyepb.PutRecordRequest{Collection: "entries", Id: "old", Document: old}); err != nil {
		t.Fatal(err)
	}
	if err := h.RunTask("tidy", nil); err != nil {
		t.Fatal(err)
	}
	if recs := h.Host.Records("entries"); len(recs) != 1 || !strings.Contains(string(recs[0].Document), `"new"`) {
		t.Fatalf("left %v", recs)
	}
	if err := h.RunTask("nonesuch", nil); err == nil {
		t.Fatal("unknown task ran")
	}
}
