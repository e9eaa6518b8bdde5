package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// clock is a test clock the plugin and the fake host share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// monday 2026-06-01 09:00 in Shanghai is "now" in these tests.
var monday = time.Date(2026, 6, 1, 9, 0, 0, 0, shanghai)

type env struct {
	*testkit.Harness
	t   *testing.T
	clk *clock
	app *app
	key int
}

func start(t *testing.T, config any, setup func(*testkit.FakeHost)) *env {
	t.Helper()
	clk := &clock{t: monday}
	p, a := build(clk.Now)
	h := testkit.Start(t, p, testkit.Options{Now: clk.Now, Config: config, Setup: setup})
	return &env{Harness: h, t: t, clk: clk, app: a}
}

// idem is a fresh Idempotency-Key.
func (e *env) idem() testkit.RequestOption {
	e.key++
	return testkit.IdempotencyKey(fmt.Sprintf("k-%d", e.key))
}

func at(day, clock string) string { return "2026-06-" + day + " " + clock }

// venue creates 多功能厅 (capacity 30, hourly slots, open 08:00–21:00 every day).
func (e *env) venue() Venue {
	hours := map[string]Hours{}
	for _, d := range weekdays {
		hours[d] = Hours{"08:00", "21:00"}
	}
	var v Venue
	e.DoJSON("POST", "/venues", map[string]any{"name": "多功能厅", "community_id": testkit.CommunityID, "capacity": 30, "hours": hours}, nil, &v)
	return v
}

type actView struct {
	Activity
	SeatsLeft int `json:"seats_left"`
}

// activity creates one on Saturday 6 June 14:00–16:00, sign-up until Friday 18:00, and moves it to state.
func (e *env) activity(venueID string, capacity int, fee int64, state string, target *Target) actView {
	body := map[string]any{"title": "亲子手工", "description": "和孩子一起做灯笼", "community_id": testkit.CommunityID,
		"start": at("06", "14:00"), "end": at("06", "16:00"), "signup_deadline": at("05", "18:00"), "capacity": capacity, "fee_fen": fee}
	if venueID != "" {
		body["venue_id"] = venueID
	} else {
		body["location"] = "小区南门集合"
	}
	if target != nil {
		body["target"] = target
	}
	var a actView
	e.DoJSON("POST", "/activities", body, nil, &a, e.idem())
	for _, step := range map[string][]string{StateDraft: nil, StatePublished: {"publish"}, StateSignupOpen: {"publish", "open-signup"}}[state] {
		e.DoJSON("POST", "/activities/"+a.ID+"/"+step, nil, nil, &a)
	}
	return a
}

func (e *env) signup(actID, resident string) (int, Signup, []byte) {
	st, b := e.Do("POST", "/activities/"+actID+"/signups", map[string]string{"resident_id": resident}, nil, e.idem())
	var s Signup
	_ = json.Unmarshal(b, &s)
	return st, s, b
}

func (e *env) act(id string) actView {
	var a actView
	e.DoJSON("GET", "/activities/"+id, nil, nil, &a)
	return a
}

func errorCode(b []byte) string {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &env)
	return env.Error.Code
}

func (e *env) expect(st int, b []byte, wantStatus int, wantCode string) {
	e.t.Helper()
	if st != wantStatus || errorCode(b) != wantCode {
		e.t.Fatalf("got %d %s, want %d %s", st, b, wantStatus, wantCode)
	}
}

func manyResidents(n int) func(*testkit.FakeHost) {
	return func(f *testkit.FakeHost) {
		for i := range n {
			f.AddResident(&wuyepb.Resident{Id: fmt.Sprintf("resident-%02d", i), Name: fmt.Sprintf("住户%02d", i), BirthYear: 1980,
				RoomIds: []string{testkit.Room201}, UserId: fmt.Sprintf("user-%02d", i)})
		}
	}
}

func TestConcurrentOverlappingBookingsGetExactlyOne(t *testing.T) {
	e := start(t, nil, nil)
	v := e.venue()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every range covers 11:00–12:00 on Tuesday; starts and ends vary.
			from, to := 8+i%3, 12+i%4
			st, b := e.Do("POST", "/venues/"+v.ID+"/bookings", map[string]string{"start": at("02", fmt.Sprintf("%02d:00", from)),
				"end": at("02", fmt.Sprintf("%02d:00", to)), "purpose": "业主活动"}, nil, testkit.IdempotencyKey(fmt.Sprintf("b-%d", i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case st == 201:
				won++
			case st == 409 && errorCode(b) == "slot_taken":
				lost++
			default:
				t.Errorf("booking %d: %d %s", i, st, b)
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != 19 {
		t.Fatalf("won %d lost %d, want 1 and 19", won, lost)
	}
	// The losers gave back every slot they took: what is held is the winner's.
	var bookings struct{ Items []Booking }
	e.DoJSON("GET", "/venues/"+v.ID+"/bookings?from=2026-06-02&to=2026-06-02", nil, nil, &bookings)
	if len(bookings.Items) != 1 {
		t.Fatalf("bookings %+v", bookings.Items)
	}
	if held := len(e.Host.Records(colSlots)); held != len(bookings.Items[0].Slots) {
		t.Fatalf("%d slots held, the booking has %d", held, len(bookings.Items[0].Slots))
	}
	var av struct{ Slots []SlotView }
	e.DoJSON("GET", "/venues/"+v.ID+"/availability?date=2026-06-02", nil, nil, &av)
	taken := 0
	for _, s := range av.Slots {
		if !s.Free {
			taken++
		}
	}
	if len(av.Slots) != 13 || taken != len(bookings.Items[0].Slots) {
		t.Fatalf("availability: %d slots, %d taken", len(av.Slots), taken)
	}
	// Cancelling frees the slots; the same time can then be booked again.
	e.DoJSON("POST", "/bookings/"+bookings.Items[0].ID+"/cancel", nil, nil, nil)
	if n := len(e.Host.Records(colSlots)); n != 0 {
		t.Fatalf("%d slots still held", n)
	}
	e.DoJSON("POST", "/venues/"+v.ID+"/bookings", map[string]string{"start": at("02", "11:00"), "end": at("02", "12:00"), "purpose": "篮球赛"}, nil, nil, e.idem())
	// Closed hours, misaligned times and the past answer 4xx with a reason.
	for _, c := range []struct{ start, end, code string }{
		{at("02", "06:00"), at("02", "07:00"), "venue_closed"},
		{at("02", "13:30"), at("02", "14:00"), "slot_misaligned"},
		{"2026-05-30 10:00", "2026-05-30 11:00", "validation_failed"},
		{"yesterday", at("02", "14:00"), "validation_failed"},
	} {
		st, b := e.Do("POST", "/venues/"+v.ID+"/bookings", map[string]string{"start": c.start, "end": c.end, "purpose": "x"}, nil, e.idem())
		if st < 400 || st > 499 || errorCode(b) != c.code {
			t.Errorf("%s–%s: %d %s, want %s", c.start, c.end, st, b, c.code)
		}
	}
}

func TestActivityStateMachineBookingAndPublishing(t *testing.T) {
	e := start(t, nil, nil)
	v := e.venue()
	a := e.activity(v.ID, 20, 0, StateDraft, nil)
	if a.State != StateDraft || a.BookingID == "" || a.SeatsLeft != 20 {
		t.Fatalf("draft: %+v", a)
	}
	// The activity holds its venue: another booking of that time is refused.
	st, b := e.Do("POST", "/venues/"+v.ID+"/bookings", map[string]string{"start": at("06", "15:00"), "end": at("06", "16:00"), "purpose": "x"}, nil, e.idem())
	e.expect(st, b, 409, "slot_taken")
	st, b = e.Do("POST", "/bookings/"+a.BookingID+"/cancel", nil, nil)
	e.expect(st, b, 409, "booking_of_activity")
	// Illegal steps answer 409 in the caller's language.
	st, b = e.Do("POST", "/activities/"+a.ID+"/complete", nil, nil)
	e.expect(st, b, 409, "illegal_transition")
	if !strings.Contains(string(b), "草稿") {
		t.Errorf("zh message: %s", b)
	}
	st, b = e.Do("POST", "/activities/"+a.ID+"/signups", map[string]string{"resident_id": testkit.ResidentZhang}, nil, e.idem())
	e.expect(st, b, 409, "signup_not_open")

	// Moving the draft an hour later re-books the venue (overlapping itself).
	var moved actView
	e.DoJSON("PUT", "/activities/"+a.ID, map[string]string{"start": at("06", "15:00"), "end": at("06", "17:00")}, nil, &moved)
	if moved.BookingID == a.BookingID || len(e.Host.Records(colSlots)) != 2 {
		t.Fatalf("move: %+v, %d slots", moved, len(e.Host.Records(colSlots)))
	}

	e.DoJSON("POST", "/activities/"+a.ID+"/publish", nil, nil, &a)
	ns := e.Host.Notifications()
	if len(ns) != 1 || ns[0].Template != "activity_published" || len(ns[0].Recipients) != 5 || ns[0].Vars["place"] != "多功能厅" {
		t.Fatalf("notifications: %+v", ns)
	}
	st, b = e.Do("POST", "/activities/"+a.ID+"/publish", nil, nil)
	e.expect(st, b, 409, "illegal_transition")
	// Announcing again (a retried request) sends nothing new.
	if err := e.app.announce(context.Background(), &a.Activity); err != nil || len(e.Host.Notifications()) != 1 {
		t.Fatalf("re-announce: %v, %d", err, len(e.Host.Notifications()))
	}

	// Targets: a building, a tag.
	b2 := e.activity("", 10, 0, StatePublished, &Target{BuildingIDs: []string{testkit.Building2ID}})
	elderly := e.activity("", 10, 0, StatePublished, &Target{Tags: []string{"elderly"}})
	got := map[string][]string{}
	for _, n := range e.Host.Notifications() {
		for _, r := range n.Recipients {
			got[n.Key] = append(got[n.Key], r.ResidentId)
		}
	}
	if g := strings.Join(got["events:published:"+b2.ID+":0"], ","); g != "resident-chen,resident-zhao" {
		t.Errorf("building 2: %s", g)
	}
	if g := strings.Join(got["events:published:"+elderly.ID+":0"], ","); g != "resident-zhang" {
		t.Errorf("elderly: %s", g)
	}
	// A resident outside the target may not sign up.
	e.DoJSON("POST", "/activities/"+elderly.ID+"/open-signup", nil, nil, nil)
	st, b = e.Do("POST", "/my/activities/"+elderly.ID+"/signups", nil, e.Resident(testkit.ResidentLi), e.idem())
	e.expect(st, b, 403, "not_eligible")
	var mine struct{ Items []actView }
	e.DoJSON("GET", "/my/activities", nil, e.Resident(testkit.ResidentZhang), &mine)
	if len(mine.Items) != 2 { // the community-wide one and the elderly one
		t.Errorf("zhang sees %d activities", len(mine.Items))
	}
	// Residents may not list venues: each activity names its own.
	var where struct {
		Items []struct {
			VenueID   string `json:"venue_id"`
			VenueName string `json:"venue_name"`
		}
	}
	e.DoJSON("GET", "/my/activities", nil, e.Resident(testkit.ResidentZhang), &where)
	named := 0
	for _, it := range where.Items {
		if it.VenueID != "" && it.VenueName == "" {
			t.Errorf("activity at venue %s without its name", it.VenueID)
		}
		if it.VenueName != "" {
			named++
		}
	}
	if named == 0 {
		t.Errorf("no activity names its venue: %+v", where.Items)
	}

	// Cancelling frees the venue and tells those signed up.
	e.DoJSON("POST", "/activities/"+a.ID+"/open-signup", nil, nil, nil)
	e.signup(a.ID, testkit.ResidentZhao)
	e.DoJSON("POST", "/activities/"+a.ID+"/cancel", nil, nil, &a)
	if a.State != StateCancelled || len(e.Host.Records(colSlots)) != 0 {
		t.Fatalf("cancel: %s, %d slots", a.State, len(e.Host.Records(colSlots)))
	}
	last := e.Host.Notifications()[len(e.Host.Notifications())-1]
	if last.Template != "activity_cancelled" || len(last.Recipients) != 1 {
		t.Errorf("cancel notice: %+v", last)
	}
	st, b = e.Do("POST", "/activities/"+a.ID+"/open-signup", nil, nil)
	e.expect(st, b, 409, "illegal_transition")
}

func TestSignupCapacityWaitlistAndPromotion(t *testing.T) {
	e := start(t, nil, nil)
	a := e.activity("", 2, 0, StateSignupOpen, nil)
	for i, r := range []string{testkit.ResidentZhang, testkit.ResidentLi, testkit.ResidentZhao, testkit.ResidentChen} {
		st, s, b := e.signup(a.ID, r)
		want := SignupConfirmed
		if i >= 2 {
			want = SignupWaitlisted
		}
		if st != 201 || s.Status != want {
			t.Fatalf("%s: %d %s", r, st, b)
		}
	}
	st, _, b := e.signup(a.ID, testkit.ResidentZhang)
	e.expect(st, b, 409, "already_signed_up")
	if got := e.act(a.ID); got.Confirmed != 2 || got.SeatsLeft != 0 {
		t.Fatalf("activity %+v", got)
	}
	// Li cancels in the app: Zhao, first on the waitlist, takes the seat and is told.
	li := e.Resident(testkit.ResidentLi)
	var s Signup
	e.DoJSON("POST", "/my/signups/"+signupID(a.ID, testkit.ResidentLi)+"/cancel", nil, li, &s)
	if s.Status != SignupCancelled {
		t.Fatalf("cancel: %+v", s)
	}
	var list struct{ Items []Signup }
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=confirmed", nil, nil, &list)
	if len(list.Items) != 2 || list.Items[0].ResidentID != testkit.ResidentZhang || list.Items[1].ResidentID != testkit.ResidentZhao {
		t.Fatalf("confirmed after promotion: %+v", list.Items)
	}
	last := e.Host.Notifications()[len(e.Host.Notifications())-1]
	if last.Template != "waitlist_promoted" || last.Recipients[0].ResidentId != testkit.ResidentZhao {
		t.Fatalf("promotion notice: %+v", last)
	}
	// Cancelling again is harmless; Li may sign up again (to the waitlist).
	e.DoJSON("POST", "/my/signups/"+signupID(a.ID, testkit.ResidentLi)+"/cancel", nil, li, &s)
	s = Signup{}
	e.DoJSON("POST", "/my/activities/"+a.ID+"/signups", nil, li, &s, e.idem())
	if s.Status != SignupWaitlisted || s.Position != 3 { // places are handed out in order: Zhao had 1, Chen 2
		t.Fatalf("again: %+v", s)
	}
	// Residents act only for themselves.
	st, b = e.Do("POST", "/my/activities/"+a.ID+"/signups", map[string]string{"resident_id": testkit.ResidentZhao}, li, e.idem())
	e.expect(st, b, 403, "not_your_resident")
	st, b = e.Do("POST", "/my/signups/"+signupID(a.ID, testkit.ResidentZhang)+"/cancel", nil, li)
	e.expect(st, b, 404, "signup_not_found")
	st, b = e.Do("GET", "/my/signups", nil, testkit.Staff("self.read"))
	e.expect(st, b, 403, "not_your_resident")
	// Staff routes need their permission (checked by the host).
	st, b = e.Do("POST", "/activities/"+a.ID+"/signups", map[string]string{"resident_id": testkit.ResidentLi}, li, e.idem())
	e.expect(st, b, 403, "forbidden")
	// After the deadline nobody signs up.
	e.clk.Advance(5 * 24 * time.Hour)
	st, _, b = e.signup(a.ID, testkit.ResidentWang)
	e.expect(st, b, 409, "deadline_passed")
	st, _, b = e.signup("nope", testkit.ResidentWang)
	e.expect(st, b, 404, "activity_not_found")
}

func TestConcurrentSignupsForTheLastSeat(t *testing.T) {
	e := start(t, nil, manyResidents(20))
	a := e.activity("", 3, 0, StateSignupOpen, nil)
	e.signup(a.ID, testkit.ResidentZhang)
	e.signup(a.ID, testkit.ResidentLi)
	var wg sync.WaitGroup
	statuses := make([]string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, b := e.Do("POST", "/activities/"+a.ID+"/signups", map[string]string{"resident_id": fmt.Sprintf("resident-%02d", i)}, nil,
				testkit.IdempotencyKey(fmt.Sprintf("s-%d", i)))
			var s Signup
			if st != 201 || json.Unmarshal(b, &s) != nil {
				t.Errorf("sign-up %d: %d %s", i, st, b)
			}
			statuses[i] = s.Status
		}()
	}
	wg.Wait()
	confirmed := 0
	for _, s := range statuses {
		if s == SignupConfirmed {
			confirmed++
		}
	}
	if confirmed != 1 {
		t.Fatalf("%d got the last seat: %v", confirmed, statuses)
	}
	stale := 0
	for _, c := range e.Host.Calls() {
		if c.Method == "PutRecord" && c.ErrorCode == "version_conflict" {
			stale++
		}
	}
	t.Logf("20 concurrent sign-ups: %d stale writes retried", stale)
	got := e.act(a.ID)
	var wl struct{ Items []Signup }
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=waitlisted", nil, nil, &wl)
	pos := map[int64]bool{}
	for _, s := range wl.Items {
		pos[s.Position] = true
	}
	if got.Confirmed != 3 || len(wl.Items) != 19 || len(pos) != 19 || !pos[1] || !pos[19] {
		t.Fatalf("confirmed %d, waitlist %d with %d distinct places", got.Confirmed, len(wl.Items), len(pos))
	}
	// Concurrent cancellations of confirmed seats promote exactly as many.
	var ids []string
	var conf struct{ Items []Signup }
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=confirmed", nil, nil, &conf)
	for _, s := range conf.Items {
		ids = append(ids, s.ID)
	}
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, b := e.Do("POST", "/signups/"+id+"/cancel", nil, nil); st != 200 {
				t.Errorf("cancel %s: %d %s", id, st, b)
			}
		}()
	}
	wg.Wait()
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=confirmed", nil, nil, &conf)
	if got := e.act(a.ID); got.Confirmed != 3 || len(conf.Items) != 3 {
		t.Fatalf("after cancellations: counter %d, %d confirmed", got.Confirmed, len(conf.Items))
	}
}

func TestPaidActivityChargesOncePerResident(t *testing.T) {
	e := start(t, nil, nil)
	a := e.activity("", 1, 8800, StateSignupOpen, nil)
	st, s, b := e.signup(a.ID, testkit.ResidentZhao)
	if st != 201 || s.ChargeID == "" || s.ChargedFen != 8800 {
		t.Fatalf("paid sign-up: %d %s", st, b)
	}
	chs := e.Host.Charges()
	if len(chs) != 1 || chs[0].RoomId != testkit.Room201 || chs[0].AmountFen != 8800 {
		t.Fatalf("charges %+v", chs)
	}
	_, w, _ := e.signup(a.ID, testkit.ResidentChen) // waitlisted: not charged yet
	if w.Status != SignupWaitlisted || len(e.Host.Charges()) != 1 {
		t.Fatalf("waitlisted charged: %+v", e.Host.Charges())
	}
	// Zhao cancels before the deadline: a refund is recorded as due; Chen is promoted and charged.
	var c Signup
	e.DoJSON("POST", "/signups/"+s.ID+"/cancel", nil, nil, &c)
	if c.RefundDueFen != 8800 {
		t.Fatalf("refund due: %+v", c)
	}
	if chs := e.Host.Charges(); len(chs) != 2 || chs[1].RoomId != testkit.Room202 {
		t.Fatalf("promoted not charged: %+v", chs)
	}
	var at Attendance
	e.DoJSON("GET", "/activities/"+a.ID+"/attendance", nil, nil, &at)
	if at.RefundDueFen != 8800 || at.ChargedFen != 17600 || at.Confirmed != 1 {
		t.Fatalf("attendance %+v", at)
	}
	// Zhao signs up again (waitlisted), Chen cancels: Zhao is promoted, and the
	// charge key (activity, resident) replays the first charge: no second fee,
	// and no refund owed any more.
	e.signup(a.ID, testkit.ResidentZhao)
	e.DoJSON("POST", "/signups/"+signupID(a.ID, testkit.ResidentChen)+"/cancel", nil, nil, nil)
	if chs := e.Host.Charges(); len(chs) != 2 {
		t.Fatalf("charged twice: %+v", chs)
	}
	var zhao struct{ Items []Signup }
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=confirmed", nil, nil, &zhao)
	if len(zhao.Items) != 1 || zhao.Items[0].ResidentID != testkit.ResidentZhao || zhao.Items[0].ChargedFen != 8800 {
		t.Fatalf("zhao: %+v", zhao.Items)
	}
	// After the deadline a cancellation owes nothing.
	e.clk.Advance(4*24*time.Hour + 10*time.Hour)
	c = Signup{}
	e.DoJSON("POST", "/signups/"+signupID(a.ID, testkit.ResidentZhao)+"/cancel", nil, nil, &c)
	if c.RefundDueFen != 0 {
		t.Fatalf("late cancel owes %d", c.RefundDueFen)
	}
	// The sign-up route is idempotent: a repeated key replays, not re-books.
	st1, b1 := e.Do("POST", "/activities/"+a.ID+"/signups", map[string]string{"resident_id": testkit.ResidentWang}, nil, testkit.IdempotencyKey("same"))
	st2, b2 := e.Do("POST", "/activities/"+a.ID+"/signups", map[string]string{"resident_id": testkit.ResidentWang}, nil, testkit.IdempotencyKey("same"))
	if st1 != st2 || string(b1) != string(b2) {
		t.Fatalf("replay: %d %s / %d %s", st1, b1, st2, b2)
	}
}

func TestGroupingCheckInAndAttendance(t *testing.T) {
	e := start(t, nil, nil)
	v := e.venue()
	a := e.activity(v.ID, 10, 0, StateSignupOpen, nil)
	for _, r := range []string{testkit.ResidentZhang, testkit.ResidentLi, testkit.ResidentWang, testkit.ResidentZhao, testkit.ResidentChen} {
		e.signup(a.ID, r)
	}
	var g struct{ Groups []Group }
	e.DoJSON("POST", "/activities/"+a.ID+"/groups", map[string]any{"by": "size", "size": 2}, nil, &g)
	if len(g.Groups) != 3 || len(g.Groups[2].ResidentIDs) != 1 {
		t.Fatalf("by size %+v", g)
	}
	e.DoJSON("POST", "/activities/"+a.ID+"/groups", map[string]any{"by": "building"}, nil, &g)
	if len(g.Groups) != 2 || g.Groups[0].Name != "1栋" || len(g.Groups[0].ResidentIDs) != 3 {
		t.Fatalf("by building %+v", g)
	}
	e.DoJSON("POST", "/activities/"+a.ID+"/groups", map[string]any{"by": "age_band", "band_years": 20}, nil, &g)
	var names []string
	for _, x := range g.Groups {
		names = append(names, x.Name)
	}
	if strings.Join(names, ",") != "0-19岁,20-39岁,40-59岁,60-79岁" {
		t.Fatalf("by age: %v", names)
	}
	var shown struct{ Groups []Group }
	e.DoJSON("GET", "/activities/"+a.ID+"/groups", nil, nil, &shown)
	if len(shown.Groups) != 4 {
		t.Fatalf("stored groups %+v", shown)
	}
	st, b := e.Do("POST", "/activities/"+a.ID+"/groups", map[string]any{"by": "star_sign"}, nil)
	e.expect(st, b, 400, "validation_failed")

	// The resident's own code, scanned by staff: once; a second scan is harmless.
	zhao := e.Resident(testkit.ResidentZhao)
	var qr struct{ Token string }
	e.DoJSON("GET", "/my/signups/"+signupID(a.ID, testkit.ResidentZhao)+"/qr", nil, zhao, &qr)
	if len(qr.Token) < 20 {
		t.Fatalf("token %q", qr.Token)
	}
	st, b = e.Do("GET", "/my/signups/"+signupID(a.ID, testkit.ResidentZhao)+"/qr?format=png", nil, zhao)
	if img, err := png.Decode(bytes.NewReader(b)); st != 200 || err != nil || img.Bounds().Dx() < 200 {
		t.Fatalf("qr png: %d %v", st, err)
	}
	st, b = e.Do("GET", "/my/signups/"+signupID(a.ID, testkit.ResidentZhang)+"/qr", nil, zhao)
	e.expect(st, b, 404, "signup_not_found")
	guard := testkit.Staff("checkin")
	var ci struct {
		Signup  Signup
		Already bool `json:"already_checked_in"`
	}
	e.DoJSON("POST", "/activities/"+a.ID+"/checkin", map[string]string{"token": qr.Token}, guard, &ci)
	if ci.Already || ci.Signup.CheckedInAt == 0 {
		t.Fatalf("check-in %+v", ci)
	}
	e.DoJSON("POST", "/activities/"+a.ID+"/checkin", map[string]string{"token": qr.Token}, guard, &ci)
	if !ci.Already {
		t.Fatalf("second scan %+v", ci)
	}
	other := e.activity("", 5, 0, StateSignupOpen, nil)
	st, b = e.Do("POST", "/activities/"+other.ID+"/checkin", map[string]string{"token": qr.Token}, guard)
	e.expect(st, b, 422, "wrong_activity")
	st, b = e.Do("POST", "/activities/"+a.ID+"/checkin", map[string]string{"token": "guessed-token-000000"}, guard)
	e.expect(st, b, 404, "token_unknown")
	st, b = e.Do("POST", "/activities/"+a.ID+"/checkin", map[string]string{"token": ""}, guard)
	e.expect(st, b, 400, "validation_failed")
	e.DoJSON("GET", "/my/signups/"+signupID(a.ID, testkit.ResidentLi)+"/qr", nil, e.Resident(testkit.ResidentLi), &qr)
	e.DoJSON("POST", "/activities/"+a.ID+"/checkin", map[string]string{"token": qr.Token}, guard, &ci)

	var at Attendance
	e.DoJSON("GET", "/activities/"+a.ID+"/attendance", nil, nil, &at)
	if at.Confirmed != 5 || at.CheckedIn != 2 || at.Rate != 0.4 {
		t.Fatalf("attendance %+v", at)
	}
	var period struct {
		Total      Attendance
		Activities []Attendance
	}
	e.DoJSON("GET", "/stats/attendance?from=2026-06-01&to=2026-06-30", nil, nil, &period)
	if period.Total.Activities != 2 || period.Total.CheckedIn != 2 || period.Total.Confirmed != 5 {
		t.Fatalf("period %+v", period)
	}
	st, b = e.Do("GET", "/stats/attendance?from=2026-07-01&to=2026-06-01", nil, nil)
	e.expect(st, b, 400, "validation_failed")
	// Check-ins are audited with the scanning staff member as the caller.
	n := 0
	for _, en := range e.Host.AuditEntries() {
		if en.Action == "events.signup.checkin" {
			n++
			if en.Caller == nil || en.Caller.UserId != guard.UserId {
				t.Errorf("audit caller %+v", en.Caller)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d check-in audit entries", n)
	}
}

func TestLifecycleTaskClosesRemindsAndFinishes(t *testing.T) {
	e := start(t, nil, nil)
	a := e.activity("", 10, 0, StateSignupOpen, nil)
	e.signup(a.ID, testkit.ResidentZhang)
	e.clk.Advance(4*24*time.Hour + 10*time.Hour) // Friday 19:00: past the deadline, 19 h before the start
	if err := e.RunTask("lifecycle", nil); err != nil {
		t.Fatal(err)
	}
	got := e.act(a.ID)
	if got.State != StateClosed || got.RemindedAt == 0 {
		t.Fatalf("after deadline: %s reminded %d", got.State, got.RemindedAt)
	}
	reminders := 0
	for _, n := range e.Host.Notifications() {
		if n.Template == "activity_reminder" {
			reminders++
		}
	}
	if err := e.RunTask("lifecycle", nil); err != nil || reminders != 1 {
		t.Fatalf("reminders %d, %v", reminders, err)
	}
	for _, n := range e.Host.Notifications() {
		if n.Template == "activity_reminder" {
			reminders--
		}
	}
	if reminders != 0 {
		t.Fatal("reminded twice")
	}
	e.clk.Advance(24 * time.Hour)
	if err := e.RunTask("lifecycle", nil); err != nil {
		t.Fatal(err)
	}
	if got := e.act(a.ID); got.State != StateDone {
		t.Fatalf("after the end: %s", got.State)
	}
}

func TestMovedOutCancelsOpenSignupsOnce(t *testing.T) {
	e := start(t, nil, nil)
	a := e.activity("", 1, 0, StateSignupOpen, nil)
	b := e.activity("", 5, 0, StateSignupOpen, nil)
	e.signup(a.ID, testkit.ResidentZhao)
	e.signup(a.ID, testkit.ResidentChen)
	e.signup(b.ID, testkit.ResidentZhao)
	id, err := e.Event("resident.moved_out", map[string]string{"resident_id": testkit.ResidentZhao, "room_id": testkit.Room201})
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Items []Signup }
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=confirmed", nil, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ResidentID != testkit.ResidentChen {
		t.Fatalf("a: %+v", list.Items)
	}
	e.DoJSON("GET", "/activities/"+b.ID+"/signups?status=confirmed", nil, nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("b: %+v", list.Items)
	}
	audits := len(e.Host.AuditEntries())
	if err := e.Redeliver(id); err != nil || len(e.Host.AuditEntries()) != audits {
		t.Fatalf("redelivery: %v, audits %d → %d", err, audits, len(e.Host.AuditEntries()))
	}
	if _, err := e.Event("resident.moved_out", map[string]string{}); err != nil {
		t.Fatalf("malformed event retried forever: %v", err)
	}
}

func TestBadInputAnswers4xxInBothLanguages(t *testing.T) {
	e := start(t, nil, nil)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/venues", `{"name":`, 400, "invalid_json"},
		{"POST", "/venues", map[string]any{"name": "x", "community_id": "nowhere", "capacity": 5}, 400, "validation_failed"},
		{"POST", "/venues", map[string]any{"name": "x", "colour": "red"}, 400, "invalid_json"},
		{"GET", "/venues/none", nil, 404, "venue_not_found"},
		{"POST", "/activities", map[string]any{"title": ""}, 400, "validation_failed"},
		{"POST", "/activities", map[string]any{"title": "x", "start": "soon"}, 400, "validation_failed"},
		{"GET", "/activities?state=nonsense", nil, 400, "validation_failed"},
		{"GET", "/activities/none", nil, 404, "activity_not_found"},
		{"GET", "/venues/none/availability?date=June", nil, 404, "venue_not_found"},
		{"POST", "/signups/none/cancel", nil, 404, "signup_not_found"},
	} {
		st, b := e.Do(c.method, c.path, c.body, nil, e.idem())
		if st != c.status || errorCode(b) != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, st, b, c.status, c.code)
		}
	}
	en := testkit.Staff("activity.manage")
	en.Lang = "en"
	st, b := e.Do("POST", "/activities", map[string]any{"title": ""}, en, e.idem())
	if st != 400 || !strings.Contains(string(b), "A title of 1 to 80 characters") || !strings.Contains(string(b), "请填写 1 至 80 个字的标题") {
		t.Errorf("en: %s", b)
	}
}

// A process killed half way leaves a slot without its booking and a
// sign-up stuck "pending" with its seat counted: both are repaired.
func TestHalfFinishedWritesAreRepaired(t *testing.T) {
	e := start(t, nil, nil)
	ctx := context.Background()
	v := e.venue()
	slot := time.Date(2026, 6, 2, 10, 0, 0, 0, shanghai)
	doc, _ := json.Marshal(slotRecord{VenueID: v.ID, BookingID: "never-written", StartMS: slot.UnixMilli()})
	if _, err := e.Host.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: colSlots, Id: slotID(v.ID, slot), Document: doc, ExpectedVersion: -1}); err != nil {
		t.Fatal(err)
	}
	body := map[string]string{"start": at("02", "10:00"), "end": at("02", "11:00"), "purpose": "瑜伽"}
	st, b := e.Do("POST", "/venues/"+v.ID+"/bookings", body, nil, e.idem())
	e.expect(st, b, 409, "slot_taken") // it may still be a booking being written
	e.clk.Advance(3 * time.Minute)
	e.DoJSON("POST", "/venues/"+v.ID+"/bookings", body, nil, nil, e.idem())

	a := e.activity("", 2, 0, StateSignupOpen, nil)
	e.signup(a.ID, testkit.ResidentZhang)
	// Li's sign-up died after taking the seat, before it was decided.
	stuck, _ := json.Marshal(Signup{ActivityID: a.ID, ResidentID: testkit.ResidentLi, Status: SignupPending, SignedUpAt: e.clk.Now().UnixMilli(), QRToken: "stuck"})
	if _, err := e.Host.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: colSignups, Id: signupID(a.ID, testkit.ResidentLi), Document: stuck, ExpectedVersion: -1}); err != nil {
		t.Fatal(err)
	}
	if err := retry(ctx, func() error {
		act, err := e.app.getActivity(ctx, a.ID)
		if err != nil {
			return err
		}
		act.Confirmed++
		return e.app.putActivity(ctx, act)
	}); err != nil {
		t.Fatal(err)
	}
	if _, s, _ := e.signup(a.ID, testkit.ResidentZhao); s.Status != SignupWaitlisted {
		t.Fatalf("zhao: %+v", s)
	}
	st, _, b = e.signup(a.ID, testkit.ResidentLi)
	e.expect(st, b, 409, "already_signed_up")
	if err := e.RunTask("lifecycle", nil); err != nil { // too early: nothing is touched
		t.Fatal(err)
	}
	if got := e.act(a.ID); got.Confirmed != 2 {
		t.Fatalf("touched too early: %d", got.Confirmed)
	}
	e.clk.Advance(3 * time.Minute)
	if err := e.RunTask("lifecycle", nil); err != nil {
		t.Fatal(err)
	}
	var conf struct{ Items []Signup }
	e.DoJSON("GET", "/activities/"+a.ID+"/signups?status=confirmed", nil, nil, &conf)
	if got := e.act(a.ID); got.Confirmed != 2 || len(conf.Items) != 2 || conf.Items[1].ResidentID != testkit.ResidentZhao {
		t.Fatalf("after repair: counter %d, confirmed %+v", got.Confirmed, conf.Items)
	}
	// Li may sign up again (to the waitlist: the seats are taken).
	if _, s, b := e.signup(a.ID, testkit.ResidentLi); s.Status != SignupWaitlisted {
		t.Fatalf("li again: %s", b)
	}
}

func TestCancelledActivityOwesEveryFeeBack(t *testing.T) {
	e := start(t, nil, nil)
	a := e.activity("", 1, 3000, StateSignupOpen, nil)
	e.signup(a.ID, testkit.ResidentZhang)
	e.signup(a.ID, testkit.ResidentLi)           // waitlisted, never charged
	e.clk.Advance(4*24*time.Hour + 10*time.Hour) // even after the deadline
	e.DoJSON("POST", "/activities/"+a.ID+"/cancel", nil, nil, nil)
	var at Attendance
	e.DoJSON("GET", "/activities/"+a.ID+"/attendance", nil, nil, &at)
	if at.Confirmed != 0 || at.Waitlisted != 0 || at.Cancelled != 2 || at.ChargedFen != 3000 || at.RefundDueFen != 3000 {
		t.Fatalf("cancelled activity: %+v", at)
	}
}

func TestConcurrentSignupsOfOneResidentMakeOne(t *testing.T) {
	e := start(t, nil, nil)
	a := e.activity("", 5, 1000, StateSignupOpen, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, b := e.Do("POST", "/my/activities/"+a.ID+"/signups", nil, e.Resident(testkit.ResidentZhao), testkit.IdempotencyKey(fmt.Sprintf("z-%d", i)))
			mu.Lock()
			defer mu.Unlock()
			if st == 201 {
				created++
			} else if st != 409 || errorCode(b) != "already_signed_up" {
				t.Errorf("%d %s", st, b)
			}
		}()
	}
	wg.Wait()
	if got := e.act(a.ID); created != 1 || got.Confirmed != 1 || len(e.Host.Charges()) != 1 {
		t.Fatalf("created %d, seats %d, charges %d", created, got.Confirmed, len(e.Host.Charges()))
	}
}
