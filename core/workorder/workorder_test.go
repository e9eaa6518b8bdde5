package workorder_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/workorder"
)

// The other domains as this package sees them: a community with two rooms
// and a lobby, two residents (one per room), staff with their roles.
type world struct {
	community, building, room1, room2, lobby uuid.UUID
	alice, bob                               uuid.UUID // residents of room1 and room2
	tech1, tech2, tech3, manager, desk       uuid.UUID
	mu                                       sync.Mutex
	notices                                  []workorder.Notice
	charges                                  map[string]workorder.Charge
}

func newWorld() *world {
	n := store.NewID
	return &world{community: n(), building: n(), room1: n(), room2: n(), lobby: n(), alice: n(), bob: n(),
		tech1: n(), tech2: n(), tech3: n(), manager: n(), desk: n(), charges: map[string]workorder.Charge{}}
}

func (w *world) Place(_ context.Context, _ uuid.UUID, id uuid.UUID) (workorder.Place, error) {
	b := w.building
	switch id {
	case w.room1:
		return workorder.Place{ID: id, Kind: "room", CommunityID: w.community, BuildingID: &b, Name: "阳光花园 1栋 1单元 101"}, nil
	case w.room2:
		return workorder.Place{ID: id, Kind: "room", CommunityID: w.community, BuildingID: &b, Name: "阳光花园 1栋 1单元 102"}, nil
	case w.lobby:
		return workorder.Place{ID: id, Kind: "common_area", CommunityID: w.community, BuildingID: &b, Name: "阳光花园 1栋 大堂"}, nil
	}
	return workorder.Place{}, apperr.New(apperr.KindInvalid, "location_not_found", "no", "无")
}

func (w *world) CommunityExists(_ context.Context, _ uuid.UUID, id uuid.UUID) (bool, error) {
	return id == w.community, nil
}

func (w *world) MyRoomIDs(_ context.Context, _ uuid.UUID, user uuid.UUID) ([]uuid.UUID, error) {
	switch user {
	case w.alice:
		return []uuid.UUID{w.room1}, nil
	case w.bob:
		return []uuid.UUID{w.room2}, nil
	}
	return nil, nil
}

func (w *world) Member(_ context.Context, _ uuid.UUID, id uuid.UUID) (workorder.Member, error) {
	switch id {
	case w.tech1, w.tech2, w.tech3:
		return workorder.Member{Name: "tech-" + id.String()[:4], Staff: true, Active: true, Roles: []string{"technician"}}, nil
	case w.manager:
		return workorder.Member{Name: "manager", Staff: true, Active: true, Roles: []string{"manager"}}, nil
	}
	return workorder.Member{}, apperr.NotFound
}

func (w *world) WithRole(_ context.Context, _ uuid.UUID, role string) ([]uuid.UUID, error) {
	switch role {
	case "manager":
		return []uuid.UUID{w.manager}, nil
	case "frontdesk":
		return []uuid.UUID{w.desk}, nil
	}
	return nil, nil
}

func (w *world) PostCharge(_ context.Context, _ uuid.UUID, c workorder.Charge) (uuid.UUID, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.charges[c.IdempotencyKey] = c
	return uuid.NewSHA1(uuid.Nil, []byte(c.IdempotencyKey)), nil
}

func (w *world) Notify(_ context.Context, _ uuid.UUID, n workorder.Notice) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notices = append(w.notices, n)
	return nil
}

func (w *world) sent(template string) []workorder.Notice {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []workorder.Notice
	for _, n := range w.notices {
		if n.Template == template {
			out = append(out, n)
		}
	}
	return out
}

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// clock is a settable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T, db *store.DB, w *world) (*workorder.Service, *clock) {
	t.Helper()
	s, err := workorder.New(db, workorder.Deps{Places: w, Residents: w, Staff: w, Charger: w, Notifier: w,
		Zone: func(context.Context, uuid.UUID) *time.Location { return shanghai }})
	if err != nil {
		t.Fatal(err)
	}
	// A Wednesday, 10:00 in Shanghai.
	c := &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, shanghai)}
	s.SetClock(c.now)
	return s, c
}

func as(id uuid.UUID, name string) context.Context {
	return actor.With(context.Background(), actor.Actor{Kind: actor.User, ID: id, Name: name})
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func allWeek() []workorder.Shift {
	var out []workorder.Shift
	for d := 0; d < 7; d++ {
		out = append(out, workorder.Shift{Weekday: d, Start: "00:00", End: "23:59"})
	}
	return out
}

func register(t *testing.T, s *workorder.Service, tid, id uuid.UUID, skills []string, shifts []workorder.Shift) {
	t.Helper()
	if _, err := s.PutTechnician(as(id, "mgr"), tid, id, workorder.TechnicianInput{Skills: skills, Shifts: shifts}); err != nil {
		t.Fatal(err)
	}
}

func TestLifeCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld()
		s, clk := newService(t, db, w)
		tid := store.NewID()
		register(t, s, tid, w.tech1, []string{"plumbing"}, allWeek())
		if _, err := s.PutTechnician(context.Background(), tid, w.manager, workorder.TechnicianInput{Skills: []string{"x"}}); code(err) != "not_a_technician" {
			t.Fatalf("a manager registered as technician: %v", err)
		}

		// The resident files for their own room only.
		alice := as(w.alice, "alice")
		if _, err := s.CreateMine(alice, tid, w.alice, workorder.MyInput{Type: "repair", Category: "plumbing", RoomID: w.room2, Description: "漏水"}); code(err) != "room_not_yours" {
			t.Fatalf("someone else's room: %v", err)
		}
		o, err := s.CreateMine(alice, tid, w.alice, workorder.MyInput{Type: "repair", Category: "plumbing", RoomID: w.room1, Description: "厨房水龙头漏水"})
		if err != nil || o.Status != "submitted" || o.Channel != "app" || o.Skill != "plumbing" || o.RoomID == nil || *o.RoomID != w.room1 {
			t.Fatalf("create: %+v %v", o, err)
		}
		if got := w.sent("workorder.submitted"); len(got) != 1 || len(got[0].UserIDs) != 2 {
			t.Fatalf("dispatchers told: %+v", got)
		}
		// Illegal transitions name from and to.
		desk := as(w.desk, "frontdesk")
		_, err = s.Act(desk, tid, o.ID, workorder.ActResolve, workorder.ActionInput{Result: "x"})
		if e, ok := apperr.As(err); !ok || e.Code != "illegal_transition" || e.Kind != apperr.KindConflict || e.Details.(map[string]string)["from"] != "submitted" || e.Details.(map[string]string)["to"] != "resolved" {
			t.Fatalf("resolve a submitted order: %v", err)
		}
		if o, err = s.Assign(desk, tid, o.ID, workorder.AssignInput{TechnicianID: w.tech1}); err != nil || o.Status != "assigned" || *o.AssigneeID != w.tech1 {
			t.Fatalf("assign: %+v %v", o, err)
		}
		if _, err := s.Act(as(w.tech2, "t2"), tid, o.ID, workorder.ActAccept, workorder.ActionInput{}); code(err) != "not_assignee" {
			t.Fatalf("someone else accepts: %v", err)
		}
		eta := clk.now().Add(40 * time.Minute)
		tech := as(w.tech1, "tech1")
		clk.add(10 * time.Minute)
		if o, err = s.Act(tech, tid, o.ID, workorder.ActAccept, workorder.ActionInput{ExpectedArrival: &eta}); err != nil || o.ExpectedArrival == nil || o.SLABreached {
			t.Fatalf("accept: %+v %v", o, err)
		}
		// The resident sees the status and the expected arrival.
		v, err := s.GetMine(alice, tid, w.alice, o.ID)
		if err != nil || v.Status != "accepted" || !v.ExpectedArrival.Equal(eta) {
			t.Fatalf("resident view: %+v %v", v.Order, err)
		}
		if _, err := s.GetMine(as(w.bob, "bob"), tid, w.bob, o.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another resident sees it: %v", err)
		}
		// Rating before resolution is refused; chasing is rate-limited.
		if _, err := s.Rate(alice, tid, w.alice, o.ID, workorder.RatingInput{Stars: 5}); code(err) != "not_resolved" {
			t.Fatalf("early rating: %v", err)
		}
		if _, err := s.Chase(alice, tid, w.alice, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Chase(alice, tid, w.alice, o.ID); code(err) != "chase_too_soon" {
			t.Fatalf("second chase: %v", err)
		}
		if got := w.sent("workorder.chased"); len(got) != 1 || len(got[0].UserIDs) != 2 {
			t.Fatalf("chase notice: %+v", got)
		}
		if _, err := s.Act(tech, tid, o.ID, workorder.ActStart, workorder.ActionInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Act(tech, tid, o.ID, workorder.ActResolve, workorder.ActionInput{}); code(err) != "invalid_input" {
			t.Fatalf("resolve without a result: %v", err)
		}
		// Paid repair: labour and materials, charged when the resident confirms.
		if _, err := s.SetLines(tech, tid, o.ID, []workorder.LineInput{{Kind: "labour", Name: "上门维修", Quantity: 1, UnitPrice: "50.00"}, {Kind: "material", Name: "水龙头", Quantity: 2, UnitPrice: "35.50"}}); err != nil {
			t.Fatal(err)
		}
		if o, err = s.Act(tech, tid, o.ID, workorder.ActResolve, workorder.ActionInput{Result: "更换水龙头"}); err != nil || o.Status != "resolved" || o.ChargeMinor != 12100 {
			t.Fatalf("resolve: %+v %v", o, err)
		}
		if _, err := s.Rate(as(w.bob, "bob"), tid, w.bob, o.ID, workorder.RatingInput{Stars: 1}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another resident rates: %v", err)
		}
		if o, err = s.Rate(alice, tid, w.alice, o.ID, workorder.RatingInput{Stars: 4, Comment: "快"}); err != nil || *o.Rating != 4 {
			t.Fatalf("rate: %+v %v", o, err)
		}
		if _, err := s.Rate(alice, tid, w.alice, o.ID, workorder.RatingInput{Stars: 5}); code(err) != "already_rated" {
			t.Fatalf("second rating: %v", err)
		}
		if o, err = s.ActMine(alice, tid, w.alice, o.ID, workorder.ActConfirm, workorder.ActionInput{}); err != nil || o.Status != "confirmed" || o.ChargedBillID == nil {
			t.Fatalf("confirm: %+v %v", o, err)
		}
		if c := w.charges["workorder:"+o.ID.String()]; c.Amount != 12100 || c.RoomID != w.room1 {
			t.Fatalf("charge: %+v", w.charges)
		}
		if _, err := s.SetLines(tech, tid, o.ID, nil); code(err) != "already_charged" {
			t.Fatalf("lines after charge: %v", err)
		}
		if _, err := s.FollowUp(desk, tid, o.ID, workorder.FollowUpInput{Note: "电话回访,满意"}); err != nil {
			t.Fatal(err)
		}
		if o, err = s.Act(desk, tid, o.ID, workorder.ActClose, workorder.ActionInput{}); err != nil || o.Status != "closed" {
			t.Fatalf("close: %+v %v", o, err)
		}
		// The timeline: every step, in order, attributed.
		v, err = s.Get(context.Background(), tid, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range v.Timeline {
			kinds = append(kinds, e.Kind)
		}
		want := []string{"submitted", "assign", "accept", "chased", "start", "lines_set", "resolve", "rated", "confirm", "charged", "follow_up", "close"}
		if len(kinds) != len(want) {
			t.Fatalf("timeline %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("timeline %v, want %v", kinds, want)
			}
		}
		if v.Timeline[2].ActorName != "tech1" || v.Timeline[2].FromStatus != "assigned" || v.Timeline[2].ToStatus != "accepted" {
			t.Fatalf("accept event: %+v", v.Timeline[2])
		}
		// Reopen goes back to the same technician; cancel needs a reason.
		if o, err = s.ActMine(alice, tid, w.alice, o.ID, workorder.ActReopen, workorder.ActionInput{Note: "又漏了"}); err != nil || o.Status != "assigned" {
			t.Fatalf("reopen: %+v %v", o, err)
		}
		if _, err := s.Act(desk, tid, o.ID, workorder.ActCancel, workorder.ActionInput{}); code(err) != "invalid_input" {
			t.Fatalf("cancel without reason: %v", err)
		}
		if o, err = s.Act(desk, tid, o.ID, workorder.ActCancel, workorder.ActionInput{Note: "业主自行处理"}); err != nil || o.Status != "cancelled" {
			t.Fatalf("cancel: %+v %v", o, err)
		}
		// Another tenant sees nothing.
		if _, err := s.Get(context.Background(), store.NewID(), o.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		// The room file's section.
		sec, err := s.RoomSection(context.Background(), tid, w.room1)
		if err != nil || sec.Total != 1 || len(sec.Recent) != 1 {
			t.Fatalf("room section: %+v %v", sec, err)
		}
	})
}

func TestComplaintStaysOpenUntilResidentAccepts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld()
		s, clk := newService(t, db, w)
		tid := store.NewID()
		register(t, s, tid, w.tech1, []string{"noise"}, allWeek())
		desk := as(w.desk, "frontdesk")
		o, err := s.CreateMine(as(w.alice, "alice"), tid, w.alice, workorder.MyInput{Type: "complaint", Category: "noise", Priority: "high", RoomID: w.room1, Description: "楼上装修噪音"})
		if err != nil {
			t.Fatal(err)
		}
		tech := as(w.tech1, "t1")
		s.Assign(desk, tid, o.ID, workorder.AssignInput{TechnicianID: w.tech1})
		s.Act(tech, tid, o.ID, workorder.ActAccept, workorder.ActionInput{})
		s.Act(tech, tid, o.ID, workorder.ActStart, workorder.ActionInput{})
		if o, err = s.Act(tech, tid, o.ID, workorder.ActResolve, workorder.ActionInput{Result: "已与楼上沟通,限定施工时间"}); err != nil || o.Result == "" {
			t.Fatal(err)
		}
		if _, err := s.Act(desk, tid, o.ID, workorder.ActConfirm, workorder.ActionInput{}); code(err) != "resident_must_accept" {
			t.Fatalf("staff confirm a complaint: %v", err)
		}
		clk.add(30 * 24 * time.Hour)
		if n, err := s.AutoConfirm(context.Background(), tid); err != nil || n != 0 {
			t.Fatalf("auto-confirmed a complaint: %d %v", n, err)
		}
		if o, err = s.ActMine(as(w.alice, "alice"), tid, w.alice, o.ID, workorder.ActConfirm, workorder.ActionInput{}); err != nil || o.Status != "confirmed" {
			t.Fatalf("resident accepts: %+v %v", o, err)
		}
	})
}

func TestGrabExactlyOneWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld()
		s, _ := newService(t, db, w)
		tid := store.NewID()
		techs := []uuid.UUID{w.tech1, w.tech2, w.tech3}
		for _, id := range techs {
			register(t, s, tid, id, []string{"electrical"}, nil)
		}
		lobby := w.lobby
		o, err := s.Create(as(w.desk, "desk"), tid, workorder.Input{Type: "repair", Category: "electrical", Channel: "phone", LocationID: &lobby, Description: "大堂灯不亮"})
		if err != nil {
			t.Fatal(err)
		}
		pool, n, err := s.Pool(as(w.tech2, "t2"), tid, paging.Paging{Limit: 10})
		if err != nil || n != 1 || pool[0].ID != o.ID {
			t.Fatalf("pool: %d %v", n, err)
		}
		if _, err := s.Grab(as(w.manager, "m"), tid, o.ID); code(err) != "not_eligible" {
			t.Fatalf("a non-technician grabs: %v", err)
		}
		const rounds = 8 // grabs per technician, all at once
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, taken := 0, 0
		var other []error
		for i := 0; i < rounds*len(techs); i++ {
			wg.Add(1)
			go func(id uuid.UUID) {
				defer wg.Done()
				_, err := s.Grab(as(id, "t"), tid, o.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case code(err) == "already_taken":
					if e, _ := apperr.As(err); e.Kind != apperr.KindConflict {
						other = append(other, err)
					}
					taken++
				default:
					other = append(other, err)
				}
			}(techs[i%len(techs)])
		}
		wg.Wait()
		if wins != 1 || taken != rounds*len(techs)-1 || len(other) > 0 {
			t.Fatalf("wins %d, taken %d, other %v", wins, taken, other)
		}
		v, _ := s.Get(context.Background(), tid, o.ID)
		grabs := 0
		for _, e := range v.Timeline {
			if e.Kind == "grab" {
				grabs++
			}
		}
		if v.Status != "assigned" || grabs != 1 {
			t.Fatalf("after the race: %s, %d grab events", v.Status, grabs)
		}
	})
}

func TestAutoDispatchLeastLoadedOnShift(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld()
		s, _ := newService(t, db, w)
		tid := store.NewID()
		ctx := as(w.manager, "m")
		cid := w.community
		if _, err := s.CreateRule(ctx, tid, workorder.RuleInput{Category: "plumbing", CommunityID: &cid, Skill: "plumbing", Mode: "auto"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateRule(ctx, tid, workorder.RuleInput{Skill: "x", Mode: "sometimes"}); code(err) != "invalid_input" {
			t.Fatalf("bad rule: %v", err)
		}
		// tech1 works weekday mornings (off now: Wednesday 10:00 is on), tech2 all
		// week, tech3 only on Sundays (off now).
		register(t, s, tid, w.tech1, []string{"plumbing"}, []workorder.Shift{{Weekday: 3, Start: "08:00", End: "12:00"}})
		register(t, s, tid, w.tech2, []string{"plumbing", "electrical"}, allWeek())
		register(t, s, tid, w.tech3, []string{"plumbing"}, []workorder.Shift{{Weekday: 0, Start: "08:00", End: "18:00"}})
		got := map[uuid.UUID]int{}
		for i := 0; i < 4; i++ {
			room := w.room1
			o, err := s.Create(as(w.desk, "desk"), tid, workorder.Input{Type: "repair", Category: "plumbing", LocationID: &room, Description: "漏水"})
			if err != nil || o.Status != "assigned" {
				t.Fatalf("auto dispatch: %+v %v", o, err)
			}
			got[*o.AssigneeID]++
		}
		if got[w.tech1] != 2 || got[w.tech2] != 2 || got[w.tech3] != 0 {
			t.Fatalf("least loaded on shift: %v", got)
		}
		ts, _ := s.ListTechnicians(ctx, tid)
		for _, tc := range ts {
			if tc.ID == w.tech3 && (tc.OnShift || tc.Load != 0) || tc.ID == w.tech1 && (!tc.OnShift || tc.Load != 2) {
				t.Fatalf("technician view: %+v", tc)
			}
		}
	})
}

func TestSLABreachAndAutoConfirm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld()
		s, clk := newService(t, db, w)
		tid := store.NewID()
		ctx := as(w.manager, "m")
		if _, err := s.PutSLA(ctx, tid, []workorder.SLA{{Category: "lift", Priority: "urgent", ResponseMinutes: 5, ResolveMinutes: 60}}); err != nil {
			t.Fatal(err)
		}
		register(t, s, tid, w.tech1, []string{"lift"}, allWeek())
		lobby := w.lobby
		urgent, err := s.Create(ctx, tid, workorder.Input{Type: "repair", Category: "lift", Priority: "urgent", LocationID: &lobby, Description: "电梯困人"})
		if err != nil || urgent.ResponseDue.Sub(urgent.CreatedAt) != 5*time.Minute {
			t.Fatalf("sla targets: %+v %v", urgent, err)
		}
		normal, _ := s.Create(ctx, tid, workorder.Input{Type: "repair", Category: "lift", LocationID: &lobby, Description: "按钮失灵"})
		clk.add(6 * time.Minute)
		if n, err := s.SweepSLA(context.Background(), tid); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if n, _ := s.SweepSLA(context.Background(), tid); n != 0 {
			t.Fatalf("second sweep marked %d again", n)
		}
		if got := w.sent("workorder.sla_breached"); len(got) != 1 || got[0].UserIDs[0] != w.manager || !got[0].Urgent {
			t.Fatalf("escalation: %+v", got)
		}
		list, total, err := s.List(ctx, tid, workorder.Filter{SLABreached: "true"}, paging.Paging{Limit: 10})
		if err != nil || total != 1 || list[0].ID != urgent.ID {
			t.Fatalf("breached list: %d %v", total, err)
		}
		// The normal one is resolved late in the day and auto-confirmed after
		// three days counted in Shanghai days.
		tech := as(w.tech1, "t1")
		s.Assign(ctx, tid, normal.ID, workorder.AssignInput{TechnicianID: w.tech1})
		s.Act(tech, tid, normal.ID, workorder.ActAccept, workorder.ActionInput{})
		s.Act(tech, tid, normal.ID, workorder.ActStart, workorder.ActionInput{})
		clk.t = time.Date(2026, 3, 4, 23, 30, 0, 0, shanghai)
		if _, err := s.Act(tech, tid, normal.ID, workorder.ActResolve, workorder.ActionInput{Result: "修好"}); err != nil {
			t.Fatal(err)
		}
		clk.t = time.Date(2026, 3, 6, 23, 59, 0, 0, shanghai) // day 2
		if n, _ := s.AutoConfirm(context.Background(), tid); n != 0 {
			t.Fatalf("confirmed early: %d", n)
		}
		clk.t = time.Date(2026, 3, 7, 0, 1, 0, 0, shanghai) // day 3 has begun in Shanghai (still 3-6 in UTC)
		if n, err := s.AutoConfirm(context.Background(), tid); err != nil || n != 1 {
			t.Fatalf("auto-confirm: %d %v", n, err)
		}
		st, err := s.Statistics(ctx, tid, workorder.StatsFilter{From: "2026-03-01", To: "2026-03-31"})
		if err != nil || st.Total != 2 || st.SLABreached != 1 || st.SLABreachRate != 0.5 || st.Resolution.N != 1 {
			t.Fatalf("stats: %+v %v", st, err)
		}
	})
}

func TestRaiseAndPlansAreIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld()
		s, _ := newService(t, db, w)
		tid := store.NewID()
		lobby := w.lobby
		a := workorder.AlarmIn{Source: "plugin:elevator", Key: "E1-2026-03-04T10", Category: "lift", Priority: "urgent", LocationID: &lobby, Description: "困人告警"}
		o1, created, err := s.Raise(context.Background(), tid, a)
		if err != nil || !created || o1.Channel != "plugin" {
			t.Fatalf("raise: %+v %v", o1, err)
		}
		o2, created, err := s.Raise(context.Background(), tid, a)
		if err != nil || created || o2.ID != o1.ID {
			t.Fatalf("raise again: %v %v", created, err)
		}
		plans := []workorder.DuePlan{{PlanID: store.NewID(), Name: "月度保养", AssetName: "1号电梯", AssetCategory: "lift", CommunityID: w.community, LocationID: &lobby, Due: "2026-03-01"}}
		for i, want := range []int{1, 0} {
			if n, err := s.FromPlans(context.Background(), tid, plans); err != nil || n != want {
				t.Fatalf("round %d: %d %v", i, n, err)
			}
		}
		_, total, _ := s.List(context.Background(), tid, workorder.Filter{Type: "maintenance"}, paging.Paging{})
		if total != 1 {
			t.Fatalf("maintenance orders: %d", total)
		}
	})
}
