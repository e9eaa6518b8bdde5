package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestManualOpenIsAudited: a guard opens the exit by hand with a reason;
// the car's session closes and the audit names the guard.
func TestManualOpenIsAudited(t *testing.T) {
	e := start(t, 10, nil)
	guard := testkit.Staff(permOperate)
	in := e.read(camIn, "浙A12345")
	st, b := e.Do("POST", "/gates/"+e.out.ID+"/open", map[string]string{"plate": "浙A12345"}, guard)
	if st != 400 || !strings.Contains(string(b), "reason") {
		t.Fatalf("without a reason: %d %s", st, b)
	}
	if st, b := e.Do("POST", "/gates/nope/open", map[string]string{"reason": "x"}, guard); st != 404 {
		t.Fatalf("unknown gate: %d %s", st, b)
	}
	if st, _ := e.Do("POST", "/gates/"+e.out.ID+"/open", map[string]string{"reason": "x"}, e.Resident(testkit.ResidentZhang)); st != 403 {
		t.Fatalf("a resident opened a gate: %d", st)
	}
	var p Passage
	e.DoJSON("POST", "/gates/"+e.out.ID+"/open", map[string]string{"plate": "浙A12345", "reason": "救护车"}, guard, &p)
	if !p.Manual || p.Decision != Open || e.session(in.SessionID).State != "closed" {
		t.Fatalf("manual passage %+v", p)
	}
	var found bool
	for _, a := range e.Host.AuditEntries() {
		if a.Action == "parking.gate.manual_open" && a.Caller.GetUserId() == guard.UserId {
			found = true
		}
	}
	if !found {
		t.Fatalf("no audit entry: %+v", e.Host.AuditEntries())
	}
	e.hw.silent[e.in.CameraID] = true
	if st, b := e.Do("POST", "/gates/"+e.in.ID+"/open", map[string]string{"reason": "测试"}, guard); st != 502 || errorCode(b) != "gate_not_opened" {
		t.Fatalf("silent gate: %d %s", st, b)
	}
}

// TestBadInputIs400: field errors in both languages, nothing written.
func TestBadInputIs400(t *testing.T) {
	e := start(t, 10, nil)
	for _, c := range []struct {
		path  string
		body  any
		field string
	}{
		{"/lots", map[string]any{"name": "", "capacity": 0, "community_id": "nope"}, "capacity"},
		{"/zones", map[string]any{"lot_id": "nope", "name": "x", "capacity": 1}, "lot_id"},
		{"/gates", map[string]any{"lot_id": e.lot.ID, "name": "x", "direction": "up", "camera_id": "c"}, "direction"},
		{"/spaces", map[string]any{"zone_id": e.zn.ID, "number": "A1", "kind": "owned"}, "resident_id"},
		{"/lists", map[string]any{"list": "grey", "plate": "浙A1", "reason": "x"}, "list"},
		{"/passes", map[string]any{"plate": "浙A12345", "lot_id": e.lot.ID, "from": "2026-06-30", "to": "2026-06-01"}, "to"},
		{"/passes", map[string]any{"plate": "浙A12345", "lot_id": e.lot.ID, "from": "2026-06-01", "to": "2026-06-30", "fee_fen": 30000}, "room_id"},
	} {
		before := len(e.Host.Calls())
		st, b := e.Do("POST", c.path, c.body, nil, testkit.IdempotencyKey("k"+c.path+c.field))
		if st != 400 || !strings.Contains(string(b), `"field":"`+c.field+`"`) || !strings.Contains(string(b), "message_zh") {
			t.Errorf("%s: %d %s", c.path, st, b)
		}
		for _, call := range e.Host.Calls()[before:] {
			if call.Method == "PutRecord" || call.Method == "PostCharge" {
				t.Errorf("%s wrote %s", c.path, call.Method)
			}
		}
	}
	if st, b := e.Do("GET", "/passages?decision=maybe", nil, nil); st != 400 {
		t.Errorf("decision filter: %d %s", st, b)
	}
	if st, _ := e.Do("GET", "/reports/occupancy?date=june", nil, nil); st != 400 {
		t.Errorf("occupancy date: %d", st)
	}
}

// TestPassIsChargedOncePerPeriod: a monthly pass is billed to the room
// through billing; the same request again charges nothing new.
func TestPassIsChargedOncePerPeriod(t *testing.T) {
	e := start(t, 10, nil)
	body := map[string]any{"plate": "浙A12345", "lot_id": e.lot.ID, "room_id": testkit.Room101, "resident_id": testkit.ResidentZhang,
		"from": "2026-06-01", "to": "2026-06-30", "fee_fen": 30000}
	var p Pass
	e.DoJSON("POST", "/passes", body, nil, &p, testkit.IdempotencyKey("pass-1"))
	e.DoJSON("POST", "/passes", body, nil, &p, testkit.IdempotencyKey("pass-1"))
	if ch := e.Host.Charges(); len(ch) != 1 || ch[0].AmountFen != 30000 || ch[0].RoomId != testkit.Room101 || p.ChargeID == "" {
		t.Fatalf("charges %+v, pass %+v", ch, p)
	}
	e.clk.Advance(time.Hour)
	if got := e.read(camIn, "浙A12345"); got.Reason != KindPass {
		t.Fatalf("pass holder: %+v", got)
	}
	var rev Revenue
	e.DoJSON("GET", "/reports/revenue?from=2026-06-01&to=2026-06-30", nil, nil, &rev)
	if rev.PassesFen != 30000 {
		t.Fatalf("revenue %+v", rev)
	}
}

// TestResidentsAuthoriseVisitors: only for their own rooms; the visitor
// then drives in once.
func TestResidentsAuthoriseVisitors(t *testing.T) {
	e := start(t, 10, nil)
	e.hw.vehicles["浙A11111"] = &wuyepb.Vehicle{Plate: "浙A11111", ResidentId: testkit.ResidentZhao, RoomId: testkit.Room201}
	zhao := e.Resident(testkit.ResidentZhao)
	st, b := e.Do("POST", "/my/visitors", map[string]any{"plate": "苏E12345", "room_id": testkit.Room101}, zhao)
	if st != 400 || !strings.Contains(string(b), "room_id") {
		t.Fatalf("another's room: %d %s", st, b)
	}
	if st, b := e.Do("POST", "/my/visitors", map[string]any{"plate": "x"}, zhao); st != 400 || !strings.Contains(string(b), "plate") {
		t.Fatalf("bad plate: %d %s", st, b)
	}
	var v Visitor
	e.DoJSON("POST", "/my/visitors", map[string]any{"plate": "苏E·12345", "hours": 4}, zhao, &v)
	if v.RoomID != testkit.Room201 || v.Plate != "苏E12345" || !v.SingleUse {
		t.Fatalf("visitor %+v", v)
	}
	if p := e.read(camIn, "苏E12345"); p.Reason != KindVisitor {
		t.Fatalf("visitor entry %+v", p)
	}
	e.read(camIn, "浙A11111")
	var mine struct{ Items []json.RawMessage }
	e.DoJSON("GET", "/my/vehicles", nil, zhao, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("my vehicles %d", len(mine.Items))
	}
	e.DoJSON("GET", "/my/sessions", nil, zhao, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("my sessions %d", len(mine.Items))
	}
	e.DoJSON("GET", "/my/visitors", nil, zhao, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("my visitors %d", len(mine.Items))
	}
	e.DoJSON("GET", "/my/visitors", nil, e.Resident(testkit.ResidentLi), &mine)
	if len(mine.Items) != 0 {
		t.Fatalf("another household sees %d visitors", len(mine.Items))
	}
}

// TestAbnormalEventsRaiseWorkOrders: a collision at a parking camera, a
// car in a space not its own, a stay over the limit; an offline gate
// device alerts the guard. Each once, however often delivered.
func TestAbnormalEventsRaiseWorkOrders(t *testing.T) {
	e := start(t, 10, map[string]any{"long_stay_days": 3})
	e.hw.vehicles["浙A11111"] = &wuyepb.Vehicle{Plate: "浙A11111", ResidentId: testkit.ResidentZhang, RoomId: testkit.Room101}
	var sp Space
	e.DoJSON("POST", "/spaces", map[string]any{"zone_id": e.zn.ID, "number": "A-001", "kind": "owned", "resident_id": testkit.ResidentZhang, "room_id": testkit.Room101, "camera_id": "cam-space-1"}, nil, &sp)

	alarm, _ := json.Marshal(driver.Alarm{V: 1, Kind: "collision", Active: true})
	id, err := e.Event(driver.CameraAlarm, driver.Envelope{Device: driver.DeviceRef{ID: camIn, Name: "东门入口"}, OccurredAt: monday, Data: alarm})
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Redeliver(id)
	motion, _ := json.Marshal(driver.Alarm{V: 1, Kind: "motion", Active: true})
	_, _ = e.Event(driver.CameraAlarm, driver.Envelope{Device: driver.DeviceRef{ID: camIn}, Data: motion})
	_, _ = e.Event(driver.CameraAlarm, driver.Envelope{Device: driver.DeviceRef{ID: "cam-lobby"}, Data: alarm}) // not a parking camera
	if n := len(e.Host.WorkOrders()); n != 1 {
		t.Fatalf("collision: %d work orders", n)
	}
	for _, plate := range []string{"浙A11111", "浙A99999"} { // the owner's car, then another
		if _, err := e.Event(driver.PlateRecognized, e.plateEvent("cam-space-1", plate)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.Host.WorkOrders()); n != 2 {
		t.Fatalf("wrong space: %d work orders", n)
	}
	e.read(camIn, "浙A77777")
	e.clk.Advance(4 * 24 * time.Hour)
	for range 2 {
		if err := e.RunTask("long-stay", nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.Host.WorkOrders()); n != 3 {
		t.Fatalf("long stay: %d work orders", n)
	}
	off, _ := json.Marshal(driver.StatusChange{V: 1, Status: "offline", Was: "online"})
	_, _ = e.Event(driver.DeviceOffline, driver.Envelope{Device: driver.DeviceRef{ID: camOut, Name: "东门出口"}, Data: off})
	var alerts struct{ Items []Alert }
	e.DoJSON("GET", "/alerts?kind=device_offline", nil, nil, &alerts)
	if len(alerts.Items) != 1 {
		t.Fatalf("offline alerts %+v", alerts.Items)
	}
	var rep Alert
	e.DoJSON("POST", "/spaces/"+sp.ID+"/report", map[string]string{"plate": "浙A55555", "note": "占用业主车位"}, testkit.Staff(permOperate), &rep)
	if rep.WorkOrderID == "" || len(e.Host.WorkOrders()) != 4 {
		t.Fatalf("manual report %+v", rep)
	}
	if n := len(e.Host.Notifications()); n < 5 {
		t.Fatalf("guards notified %d times", n)
	}
}

// TestPassagesPage: filters and keyset paging.
func TestPassagesPage(t *testing.T) {
	e := start(t, 100, map[string]any{"dedupe_seconds": 1})
	for i := range 60 {
		e.clk.Advance(time.Minute)
		e.read(camIn, "浙A1"+strings.Repeat("0", 4-len(itoa(i)))+itoa(i))
	}
	var page struct {
		Items      []Passage
		NextCursor string `json:"next_cursor"`
	}
	e.DoJSON("GET", "/passages?gate_id="+e.in.ID+"&date=2026-06-01", nil, nil, &page)
	if len(page.Items) != 50 || page.NextCursor == "" || page.Items[0].At < page.Items[1].At {
		t.Fatalf("first page: %d %q", len(page.Items), page.NextCursor)
	}
	e.DoJSON("GET", "/passages?gate_id="+e.in.ID+"&date=2026-06-01&cursor="+page.NextCursor, nil, nil, &page)
	if len(page.Items) != 10 || page.NextCursor != "" {
		t.Fatalf("second page: %d %q", len(page.Items), page.NextCursor)
	}
	e.DoJSON("GET", "/passages?plate=浙A10007", nil, nil, &page)
	if len(page.Items) != 1 {
		t.Fatalf("by plate: %d", len(page.Items))
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
