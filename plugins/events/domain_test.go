package main

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wuye-project/wuye/sdk/plugin"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

func errCode(err error) string {
	var pe *plugin.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestStateMachineAllowsOnlyItsTransitions(t *testing.T) {
	legal := map[[2]string]string{
		{StateDraft, "publish"}: StatePublished, {StatePublished, "open-signup"}: StateSignupOpen,
		{StateSignupOpen, "close"}: StateClosed, {StateClosed, "complete"}: StateDone,
		{StateDraft, "cancel"}: StateCancelled, {StatePublished, "cancel"}: StateCancelled,
		{StateSignupOpen, "cancel"}: StateCancelled, {StateClosed, "cancel"}: StateCancelled,
	}
	for _, st := range []string{StateDraft, StatePublished, StateSignupOpen, StateClosed, StateDone, StateCancelled} {
		for action := range transitions {
			to, err := nextState(st, action)
			want, ok := legal[[2]string{st, action}]
			switch {
			case ok && (err != nil || to != want):
				t.Errorf("%s --%s--> %q, %v; want %s", st, action, to, err, want)
			case !ok && errCode(err) != "illegal_transition":
				t.Errorf("%s --%s--> %q, %v; want illegal_transition", st, action, to, err)
			}
		}
	}
	_, err := nextState(StateDone, "publish")
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Status != 409 || !strings.Contains(pe.ZH, "已结束") || !strings.Contains(pe.EN, "done") {
		t.Errorf("message: %#v", err)
	}
}

func hall() *Venue {
	return &Venue{ID: "hall", Name: "多功能厅", CommunityID: "c", Capacity: 60, SlotMinutes: 30, Active: true,
		Hours: map[string]Hours{"mon": {"08:00", "21:00"}, "sat": {"09:00", "17:30"}}}
}

func TestVenueSlotsFollowOpeningHours(t *testing.T) {
	v := hall()
	if err := v.validate(); err != nil {
		t.Fatal(err)
	}
	mon := time.Date(2026, 6, 1, 10, 0, 0, 0, shanghai) // a Monday
	slots, err := v.slots(mon, mon.Add(90*time.Minute), shanghai)
	if err != nil || len(slots) != 3 || !slots[2].Equal(mon.Add(time.Hour)) {
		t.Fatalf("slots %v %v", slots, err)
	}
	// The same instant written in UTC is the same slot.
	if s2, err := v.slots(mon.UTC(), mon.UTC().Add(30*time.Minute), shanghai); err != nil || slotID("hall", s2[0]) != slotID("hall", slots[0]) {
		t.Fatalf("utc: %v %v", s2, err)
	}
	for name, c := range map[string]struct {
		start, end time.Time
		code       string
	}{
		"closed day":     {mon.AddDate(0, 0, 1), mon.AddDate(0, 0, 1).Add(time.Hour), "venue_closed"},
		"before opening": {mon.Add(-3 * time.Hour), mon.Add(-time.Hour), "venue_closed"},
		"past closing":   {mon.Add(10 * time.Hour), mon.Add(11*time.Hour + 30*time.Minute), "venue_closed"},
		"misaligned":     {mon.Add(10 * time.Minute), mon.Add(40 * time.Minute), "slot_misaligned"},
		"backwards":      {mon.Add(time.Hour), mon, "validation_failed"},
	} {
		if _, err := v.slots(c.start, c.end, shanghai); errCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if n := len(v.daySlots(mon, shanghai)); n != 26 {
		t.Errorf("monday has %d slots, want 26", n)
	}
	if n := len(v.daySlots(mon.AddDate(0, 0, 2), shanghai)); n != 0 {
		t.Errorf("wednesday has %d slots, want 0", n)
	}
}

func TestVenueValidationNamesEveryBadField(t *testing.T) {
	v := &Venue{Name: " ", Capacity: 0, SlotMinutes: 7, Hours: map[string]Hours{"mon": {"09:00", "08:00"}, "xyz": {"09:00", "10:00"}}}
	err := v.validate()
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Status != 400 {
		t.Fatalf("%v", err)
	}
	got := map[string]bool{}
	for _, f := range pe.Fields {
		got[f.Field] = true
		if f.ZH == "" || f.EN == "" {
			t.Errorf("%s lacks a message", f.Field)
		}
	}
	for _, f := range []string{"name", "community_id", "capacity", "slot_minutes", "hours.mon", "hours.xyz"} {
		if !got[f] {
			t.Errorf("%s not reported (%v)", f, got)
		}
	}
}

func TestGrouping(t *testing.T) {
	ms := []Member{
		{ResidentID: "a", BirthYear: 1956, Building: "1栋", SignedUpAt: 3},
		{ResidentID: "b", BirthYear: 1988, Building: "1栋", SignedUpAt: 1},
		{ResidentID: "c", BirthYear: 2015, Building: "10栋", SignedUpAt: 2},
		{ResidentID: "d", BirthYear: 1984, Building: "2栋", SignedUpAt: 4},
		{ResidentID: "e", Building: "2栋", SignedUpAt: 5},
	}
	g := groupBySize(ms, 2)
	if len(g) != 3 || strings.Join(g[0].ResidentIDs, ",") != "b,c" || strings.Join(g[2].ResidentIDs, ",") != "e" || g[0].Name != "第1组" {
		t.Errorf("by size: %+v", g)
	}
	g = groupByKey(ms, func(m Member) string { return ageBand(m.BirthYear, 2026, 10) })
	var names []string
	for _, x := range g {
		names = append(names, x.Name+"="+strings.Join(x.ResidentIDs, ","))
	}
	if got := strings.Join(names, " "); got != "10-19岁=c 30-39岁=b 40-49岁=d 70-79岁=a 年龄未知=e" {
		t.Errorf("by age band: %s", got)
	}
	g = groupByKey(ms, func(m Member) string { return m.Building })
	if len(g) != 3 || g[0].Name != "1栋" || g[1].Name != "2栋" || g[2].Name != "10栋" {
		t.Errorf("by building: %+v", g)
	}
}

func TestActivityValidation(t *testing.T) {
	start := time.Date(2026, 6, 6, 14, 0, 0, 0, shanghai)
	a := &Activity{Title: "亲子手工", CommunityID: "c", StartMS: start.UnixMilli(), EndMS: start.Add(2 * time.Hour).UnixMilli(),
		DeadlineMS: start.Add(-time.Hour).UnixMilli(), Capacity: 20}
	if err := a.validate(); err != nil || a.Currency != "CNY" {
		t.Fatalf("%v %s", err, a.Currency)
	}
	a.DeadlineMS, a.FeeFen, a.Capacity = start.Add(time.Hour).UnixMilli(), -1, 0
	var pe *plugin.Error
	if err := a.validate(); !errors.As(err, &pe) || len(pe.Fields) != 3 {
		t.Fatalf("%v", err)
	}
}

func TestTruncateKeepsWholeCharacters(t *testing.T) {
	s := "社区活动报名费:" + strings.Repeat("亲子手工", 20)
	got := truncate(s, 200)
	if len(got) > 200 || !utf8.ValidString(got) || len(got) < 198 {
		t.Fatalf("%d bytes %q", len(got), got)
	}
	if truncate("abc", 200) != "abc" {
		t.Fatal("short string changed")
	}
}
