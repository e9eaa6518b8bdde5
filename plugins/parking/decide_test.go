package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// TestDecisionTable: who is let in and out, and why.
func TestDecisionTable(t *testing.T) {
	e := start(t, 50, nil)
	e.hw.vehicles["粤B11111"] = &wuyepb.Vehicle{Id: "v1", Plate: "粤B11111", ResidentId: testkit.ResidentZhang, RoomId: testkit.Room101}
	ms := monday.UnixMilli()
	e.add(colPasses, Pass{Plate: "粤B22222", LotID: e.lot.ID, ValidFrom: ms - 86400000, ValidTo: ms + 30*86400000})
	e.add(colPasses, Pass{Plate: "粤B22223", LotID: e.lot.ID, ValidFrom: ms - 60*86400000, ValidTo: ms - 86400000}) // expired
	e.add(colLists, ListEntry{List: ListBlack, Plate: "粤B44444", Reason: "欠费逃逸"})
	e.add(colLists, ListEntry{List: ListBlack, Plate: "粤B44445", Reason: "已解除", Until: ms - 1})
	e.add(colLists, ListEntry{List: ListWhite, Plate: "粤B55555", Reason: "消防车"})
	e.add(colVisitors, Visitor{Plate: "粤B33333", ResidentID: testkit.ResidentZhao, RoomID: testkit.Room201, ValidFrom: ms - 1, ValidTo: ms + 3600000, SingleUse: true})

	cases := []struct {
		camera, plate    string
		decision, reason string
		alert            bool
	}{
		{camIn, "粤B11111", Open, KindResident, false},
		{camIn, "粤B·22222", Open, KindPass, false}, // normalised
		{camIn, "粤B22223", Open, KindTemporary, false},
		{camIn, "粤B44444", Refuse, "blacklisted", true},
		{camIn, "粤B44445", Open, KindTemporary, false},
		{camIn, "粤B55555", Open, KindWhitelist, false},
		{camIn, "粤B33333", Open, KindVisitor, false},
		{camIn, "", Refuse, "unreadable", true},
		{camIn, "粤B66666", Open, KindTemporary, false},
		{camOut, "粤B11111", Open, KindResident, false},
		{camOut, "粤B22222", Open, KindPass, false},
		{camOut, "粤B33333", Open, KindVisitor, false},
		{camOut, "粤B77777", Refuse, "no_entry_record", true},
		{camOut, "粤B66666", Open, "free", false}, // within the free 30 minutes
	}
	for _, c := range cases {
		e.clk.Advance(time.Minute)
		alerts := len(e.Host.Records(colAlerts))
		p := e.read(c.camera, c.plate)
		if p.Decision != c.decision || p.Reason != c.reason {
			t.Errorf("%s %q: %s %s, want %s %s", c.camera, c.plate, p.Decision, p.Reason, c.decision, c.reason)
		}
		if got := len(e.Host.Records(colAlerts)) > alerts; got != c.alert {
			t.Errorf("%s %q: alert %v, want %v", c.camera, c.plate, got, c.alert)
		}
		if p.Picture == "" {
			t.Errorf("%s %q: no picture on the passage", c.camera, c.plate)
		}
	}
	// The single-use visitor authorisation is spent: next time it is a temporary car.
	e.clk.Advance(time.Minute)
	if p := e.read(camIn, "粤B33333"); p.Reason != KindTemporary {
		t.Errorf("a spent visitor pass: %s", p.Reason)
	}
	if n := len(e.Host.Notifications()); n < 3 {
		t.Errorf("guards notified %d times, want 3", n)
	}
	if lines := e.hw.lastShown(dispOut); len(lines) == 0 {
		t.Error("the exit display showed nothing")
	}
}

// TestTemporaryParkingPaidByQR: refused unpaid with the amount and pay URL,
// let out within the grace period after paying, charged again past it.
func TestTemporaryParkingPaidByQR(t *testing.T) {
	e := start(t, 50, nil)
	in := e.read(camIn, "浙A12345")
	if in.Decision != Open || in.SessionID == "" {
		t.Fatalf("entry: %+v", in)
	}
	e.clk.Advance(2*time.Hour + 10*time.Minute)
	out := e.read(camOut, "浙A12345")
	if out.Decision != Refuse || out.Reason != "unpaid" || out.FeeFen != 1500 || out.PayURL == "" {
		t.Fatalf("unpaid exit: %+v", out)
	}
	if lines := e.hw.lastShown(dispOut); len(lines) != 2 || lines[1] != "请缴费 ¥15.00" {
		t.Fatalf("display: %v", lines)
	}
	// The guard's ticket view opens the same payment (same key).
	var tk Ticket
	e.DoJSON("GET", "/tickets/浙A12345", nil, nil, &tk)
	if tk.DueFen != 1500 || tk.PayURL != out.PayURL {
		t.Fatalf("ticket %+v, passage pay URL %s", tk, out.PayURL)
	}
	s := e.session(in.SessionID)
	id := e.payReceived(s.ID, s.PaymentID, 1500)
	if err := e.Redeliver(id); err != nil { // at-least-once: counted once
		t.Fatal(err)
	}
	e.payReceived(s.ID, s.PaymentID, 1500) // a second delivery with another event id
	if s = e.session(in.SessionID); s.PaidFen != 1500 || s.GraceUntil != e.clk.Now().Add(15*time.Minute).UnixMilli() {
		t.Fatalf("paid session: %+v", s)
	}
	// Past the grace period the extra hour is due.
	e.clk.Advance(16 * time.Minute) // 2h26m: still inside the third hour, nothing more due
	e.clk.Advance(40 * time.Minute) // 3h06m: a fourth hour started
	late := e.read(camOut, "浙A12345")
	if late.Decision != Refuse || late.FeeFen != 2000 {
		t.Fatalf("late exit: %+v", late)
	}
	s = e.session(in.SessionID)
	e.payReceived(s.ID, s.PaymentID, 500)
	e.clk.Advance(5 * time.Minute)
	final := e.read(camOut, "浙A12345")
	if final.Decision != Open || final.Reason != "paid" {
		t.Fatalf("paid exit: %+v", final)
	}
	if s = e.session(in.SessionID); s.State != "closed" || s.PaidFen != 2000 || s.ExitPicture == "" {
		t.Fatalf("closed session: %+v", s)
	}
	if n := e.hw.opens(e.out.CameraID); n != 1 {
		t.Fatalf("exit opened %d times", n)
	}
	var rev Revenue
	e.DoJSON("GET", "/reports/revenue?from=2026-06-01&to=2026-06-01", nil, nil, &rev)
	if rev.TemporaryFen != 2000 || rev.Tickets != 1 {
		t.Fatalf("revenue: %+v", rev)
	}
}

// TestFullLotRefusesTemporaryCars: residents still get in.
func TestFullLotRefusesTemporaryCars(t *testing.T) {
	e := start(t, 1, nil)
	e.hw.vehicles["粤B11111"] = &wuyepb.Vehicle{Plate: "粤B11111", ResidentId: testkit.ResidentZhang}
	if p := e.read(camIn, "浙A00001"); p.Decision != Open {
		t.Fatalf("first car: %+v", p)
	}
	if lines := e.hw.lastShown(zoneLED); len(lines) != 2 || lines[1] != "空位 0" {
		t.Fatalf("zone display: %v", lines)
	}
	p := e.read(camIn, "浙A00002")
	if p.Decision != Refuse || p.Reason != "full" {
		t.Fatalf("second car: %+v", p)
	}
	if lines := e.hw.lastShown(dispIn); lines[1] != "车位已满" {
		t.Fatalf("entry display: %v", lines)
	}
	if p := e.read(camIn, "粤B11111"); p.Decision != Open {
		t.Fatalf("resident: %+v", p)
	}
	var free struct{ Zones []FreeZone }
	e.DoJSON("GET", "/free", nil, nil, &free)
	if len(free.Zones) != 1 || free.Zones[0].Free != 0 || free.Zones[0].Occupied != 2 {
		t.Fatalf("free: %+v", free)
	}
}

// TestGateThatDoesNotAcknowledge: recorded, alerted, no session.
func TestGateThatDoesNotAcknowledge(t *testing.T) {
	e := start(t, 10, nil)
	e.hw.silent[camIn] = true
	p := e.read(camIn, "浙A12345")
	if p.Decision != GateNotOpened {
		t.Fatalf("passage: %+v", p)
	}
	if n := len(e.Host.Records(colInside)); n != 0 {
		t.Fatalf("%d cars inside", n)
	}
	if al := e.Host.Records(colAlerts); len(al) != 1 {
		t.Fatalf("alerts: %d", len(al))
	}
}

// TestReadTwice: the same plate at the same gate within seconds is one
// passage through the gate, and a redelivered event decides nothing new.
func TestReadTwice(t *testing.T) {
	e := start(t, 10, nil)
	id, err := e.Event(driver.PlateRecognized, e.plateEvent(camIn, "浙A12345"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Second)
	if p := e.read(camIn, "浙A12345"); p.Decision != Duplicate {
		t.Fatalf("read again: %+v", p)
	}
	if n := e.hw.opens(camIn); n != 1 {
		t.Fatalf("%d openings", n)
	}
	if n := len(e.Host.Records(colSessions)); n != 1 {
		t.Fatalf("%d sessions", n)
	}
}

// TestConcurrentIdenticalEvents: one event delivered many times at once,
// and many reads of one car at once, start exactly one session and open
// the gate once; the exit's payment is one.
func TestConcurrentIdenticalEvents(t *testing.T) {
	e := start(t, 10, nil)
	env := e.plateEvent(camIn, "浙A12345")
	b, _ := jsonBytes(env)
	ev := &wuyepb.Event{Id: "ev-same", Type: driver.PlateRecognized, Source: "core", OccurredAtUnixMs: monday.UnixMilli(), Payload: b, Attempt: 1}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Client.HandleEvent(context.Background(), ev); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for range 8 { // distinct events of the same car at once
		wg.Add(1)
		read := e.plateEvent(camIn, "浙A12345")
		go func() {
			defer wg.Done()
			if _, err := e.Event(driver.PlateRecognized, read); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(e.Host.Records(colSessions)); n != 1 {
		t.Fatalf("%d sessions", n)
	}
	if n := len(e.Host.Records(colInside)); n != 1 {
		t.Fatalf("%d inside", n)
	}
	e.clk.Advance(3 * time.Hour)
	exit := e.plateEvent(camOut, "浙A12345")
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Event(driver.PlateRecognized, exit); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if e.hw.payCount() != 1 {
		t.Fatalf("%d payments opened", e.hw.payCount())
	}
}

func jsonBytes(v any) ([]byte, error) { return jsonMarshal(v) }

// TestRefusedReadAgainAlertsOnce: a blacklisted car read three times in a
// few seconds is refused each time, and the guard is told once.
func TestRefusedReadAgainAlertsOnce(t *testing.T) {
	e := start(t, 10, nil)
	e.add(colLists, ListEntry{List: ListBlack, Plate: "粤B44444", Reason: "欠费逃逸"})
	for range 3 {
		if p := e.read(camIn, "粤B44444"); p.Decision != Refuse {
			t.Fatalf("passage %+v", p)
		}
		e.clk.Advance(2 * time.Second)
	}
	if n := len(e.Host.Records(colAlerts)); n != 1 {
		t.Fatalf("%d alerts", n)
	}
	e.clk.Advance(time.Minute) // a new attempt later is a new alert
	e.read(camIn, "粤B44444")
	if n := len(e.Host.Records(colAlerts)); n != 2 {
		t.Fatalf("%d alerts", n)
	}
}
