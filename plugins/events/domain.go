package main

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// Activity states. An activity is drafted, published (residents see it),
// opened for sign-up, closed (deadline passed or closed by hand) and done
// after it ends; anything not finished can be cancelled.
const (
	StateDraft      = "draft"
	StatePublished  = "published"
	StateSignupOpen = "signup_open"
	StateClosed     = "closed"
	StateDone       = "done"
	StateCancelled  = "cancelled"
)

// transitions lists, per action, the states it leaves from and the state it
// reaches.
var transitions = map[string]struct {
	from []string
	to   string
}{
	"publish":     {[]string{StateDraft}, StatePublished},
	"open-signup": {[]string{StatePublished}, StateSignupOpen},
	"close":       {[]string{StateSignupOpen}, StateClosed},
	"complete":    {[]string{StateClosed}, StateDone},
	"cancel":      {[]string{StateDraft, StatePublished, StateSignupOpen, StateClosed}, StateCancelled},
}

// nextState answers the state action leads to from state, or a 409
// illegal_transition naming both.
func nextState(state, action string) (string, error) {
	t, ok := transitions[action]
	if !ok {
		return "", plugin.Errorf(http.StatusNotFound, "route_not_found", "No such action: "+action+".", "没有此操作:"+action+"。")
	}
	for _, f := range t.from {
		if f == state {
			return t.to, nil
		}
	}
	return "", plugin.Errorf(http.StatusConflict, "illegal_transition",
		fmt.Sprintf("An activity in state %q does not allow %q.", state, action),
		fmt.Sprintf("活动当前状态为「%s」,不允许执行「%s」。", stateZH[state], actionZH[action]))
}

var stateZH = map[string]string{StateDraft: "草稿", StatePublished: "已发布", StateSignupOpen: "报名中",
	StateClosed: "报名截止", StateDone: "已结束", StateCancelled: "已取消"}
var actionZH = map[string]string{"publish": "发布", "open-signup": "开放报名", "close": "截止报名", "complete": "结束", "cancel": "取消"}

// Weekdays in the order opening hours are written.
var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Hours is one day's opening window, "HH:MM" to "HH:MM" (end exclusive).
type Hours struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// parseClock reads "HH:MM" as minutes after midnight ("24:00" allowed as close).
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

// Venue is a bookable place (场地): a hall, a court.
type Venue struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	CommunityID string           `json:"community_id"`
	Capacity    int              `json:"capacity"`
	SlotMinutes int              `json:"slot_minutes"`
	Hours       map[string]Hours `json:"hours"` // weekday ("mon" …) → window; a missing day is closed
	Description string           `json:"description,omitempty"`
	Active      bool             `json:"active"`
}

// validate checks a venue's fields and answers every bad one at once.
func (v *Venue) validate() error {
	var fe []plugin.FieldError
	v.Name = strings.TrimSpace(v.Name)
	if v.Name == "" || len([]rune(v.Name)) > 60 {
		fe = append(fe, field("name", "required", "A name of 1 to 60 characters is required.", "请填写 1 至 60 个字的名称。"))
	}
	if v.CommunityID == "" {
		fe = append(fe, field("community_id", "required", "The venue's community is required.", "请选择场地所属小区。"))
	}
	if v.Capacity < 1 || v.Capacity > 100000 {
		fe = append(fe, field("capacity", "out_of_range", "Capacity must be between 1 and 100000.", "容纳人数须在 1 至 100000 之间。"))
	}
	if v.SlotMinutes < 5 || v.SlotMinutes > 24*60 || (24*60)%v.SlotMinutes != 0 {
		fe = append(fe, field("slot_minutes", "out_of_range", "Slot length must be 5 to 1440 minutes and divide a day.", "时段长度须为 5 至 1440 分钟,且能整除一天。"))
	}
	for day, h := range v.Hours {
		if !contains(weekdays, day) {
			fe = append(fe, field("hours."+day, "invalid", "Weekdays are sun, mon, tue, wed, thu, fri, sat.", "星期须为 sun、mon、tue、wed、thu、fri、sat。"))
			continue
		}
		o, ok1 := parseClock(h.Open)
		c, ok2 := parseClock(h.Close)
		if !ok1 || !ok2 || o >= c {
			fe = append(fe, field("hours."+day, "invalid", "Opening hours are \"HH:MM\" with open before close.", "开放时间格式为 HH:MM,且开始早于结束。"))
		} else if v.SlotMinutes > 0 && (o%v.SlotMinutes != 0 || c%v.SlotMinutes != 0) {
			fe = append(fe, field("hours."+day, "misaligned", "Opening hours must fall on slot boundaries.", "开放时间须与时段边界对齐。"))
		}
	}
	if len(fe) > 0 {
		return plugin.Invalid(fe...)
	}
	return nil
}

// slots splits [start, end) into the venue's slots, checking that the range
// falls on slot boundaries inside one day's opening hours (in loc).
func (v *Venue) slots(start, end time.Time, loc *time.Location) ([]time.Time, error) {
	if !end.After(start) {
		return nil, plugin.Invalid(field("end", "before_start", "The end must be after the start.", "结束时间须晚于开始时间。"))
	}
	s, e := start.In(loc), end.In(loc)
	dayStart := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	h, open := v.Hours[weekdays[s.Weekday()]]
	o, _ := parseClock(h.Open)
	c, _ := parseClock(h.Close)
	from := int(s.Sub(dayStart) / time.Minute)
	to := int(e.Sub(dayStart) / time.Minute)
	if !open || from < o || to > c {
		return nil, plugin.Errorf(http.StatusUnprocessableEntity, "venue_closed",
			"The venue is not open for the whole time asked ("+weekdays[s.Weekday()]+" "+h.Open+"–"+h.Close+").",
			"场地在所选时间内未开放(当日开放 "+h.Open+"–"+h.Close+")。")
	}
	if from%v.SlotMinutes != 0 || to%v.SlotMinutes != 0 || s.Second() != 0 || e.Second() != 0 {
		return nil, plugin.Errorf(http.StatusUnprocessableEntity, "slot_misaligned",
			fmt.Sprintf("Bookings start and end on %d-minute slot boundaries.", v.SlotMinutes),
			fmt.Sprintf("预订须按 %d 分钟时段的整点开始和结束。", v.SlotMinutes))
	}
	var out []time.Time
	for m := from; m < to; m += v.SlotMinutes {
		out = append(out, dayStart.Add(time.Duration(m)*time.Minute))
	}
	return out, nil
}

// daySlots lists a day's slots (in loc) while the venue is open.
func (v *Venue) daySlots(day time.Time, loc *time.Location) []time.Time {
	d := day.In(loc)
	dayStart := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	h, open := v.Hours[weekdays[d.Weekday()]]
	if !open {
		return nil
	}
	o, _ := parseClock(h.Open)
	c, _ := parseClock(h.Close)
	var out []time.Time
	for m := o; m+v.SlotMinutes <= c; m += v.SlotMinutes {
		out = append(out, dayStart.Add(time.Duration(m)*time.Minute))
	}
	return out
}

// slotID names the create-only record that holds one slot of a venue: two
// bookings of the same slot race for the same id and only one commits.
func slotID(venueID string, t time.Time) string {
	return venueID + "@" + strconv.FormatInt(t.Unix(), 10)
}

// Target chooses the residents an activity is for: the whole community, or
// some buildings, or residents carrying a tag (老人, 儿童 …).
type Target struct {
	BuildingIDs []string `json:"building_ids,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// Activity is a community event (社区活动).
type Activity struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	CommunityID string `json:"community_id"`
	VenueID     string `json:"venue_id,omitempty"`
	Location    string `json:"location,omitempty"` // free text when there is no venue (郊游)
	BookingID   string `json:"booking_id,omitempty"`
	StartMS     int64  `json:"start_ms"`
	EndMS       int64  `json:"end_ms"`
	DeadlineMS  int64  `json:"deadline_ms"` // sign-up deadline
	Capacity    int    `json:"capacity"`
	FeeFen      int64  `json:"fee_fen"`
	Currency    string `json:"currency"`
	Target      Target `json:"target"`
	State       string `json:"state"`

	// Counters the activity record serialises: every seat taken or given
	// back is a versioned write of this record, so two sign-ups can never
	// take the same last seat.
	Confirmed   int   `json:"confirmed"`
	WaitlistSeq int64 `json:"waitlist_seq"`

	Groups      []Group `json:"groups,omitempty"`
	RemindedAt  int64   `json:"reminded_at_ms,omitempty"`
	PublishedAt int64   `json:"published_at_ms,omitempty"`
	CreatedBy   string  `json:"created_by,omitempty"`
	Version     int64   `json:"version,omitempty"`
}

func (a *Activity) start() time.Time    { return time.UnixMilli(a.StartMS) }
func (a *Activity) end() time.Time      { return time.UnixMilli(a.EndMS) }
func (a *Activity) deadline() time.Time { return time.UnixMilli(a.DeadlineMS) }

// validate checks an activity's fields.
func (a *Activity) validate() error {
	var fe []plugin.FieldError
	a.Title = strings.TrimSpace(a.Title)
	if a.Title == "" || len([]rune(a.Title)) > 80 {
		fe = append(fe, field("title", "required", "A title of 1 to 80 characters is required.", "请填写 1 至 80 个字的标题。"))
	}
	if len([]rune(a.Description)) > 4000 {
		fe = append(fe, field("description", "too_long", "The description has at most 4000 characters.", "活动介绍最多 4000 字。"))
	}
	if a.CommunityID == "" {
		fe = append(fe, field("community_id", "required", "The activity's community is required.", "请选择活动所在小区。"))
	}
	if a.StartMS <= 0 || a.EndMS <= a.StartMS {
		fe = append(fe, field("end", "before_start", "Start and end are required, the end after the start.", "请填写开始和结束时间,结束须晚于开始。"))
	}
	if a.DeadlineMS <= 0 || a.DeadlineMS > a.StartMS {
		fe = append(fe, field("signup_deadline", "after_start", "The sign-up deadline is required and is not after the start.", "请填写报名截止时间,且不得晚于活动开始。"))
	}
	if a.Capacity < 1 || a.Capacity > 100000 {
		fe = append(fe, field("capacity", "out_of_range", "Capacity must be between 1 and 100000.", "名额须在 1 至 100000 之间。"))
	}
	if a.FeeFen < 0 || a.FeeFen > 100_000_00 {
		fe = append(fe, field("fee_fen", "out_of_range", "The fee is 0 (free) to 100000.00 yuan, in fen.", "费用须在 0(免费)至 100000 元之间,单位为分。"))
	}
	if a.Currency == "" {
		a.Currency = "CNY"
	}
	if len(a.Currency) != 3 || strings.ToUpper(a.Currency) != a.Currency {
		fe = append(fe, field("currency", "invalid", "The currency is a three-letter code such as CNY.", "币种须为 CNY 这样的三位代码。"))
	}
	if len(fe) > 0 {
		return plugin.Invalid(fe...)
	}
	return nil
}

// Sign-up states. A sign-up is confirmed (holds a seat), waitlisted (waits
// for one), or cancelled; "pending" exists only while a sign-up is being
// decided.
const (
	SignupPending    = "pending"
	SignupConfirmed  = "confirmed"
	SignupWaitlisted = "waitlisted"
	SignupCancelled  = "cancelled"
)

// Signup is one resident's sign-up for one activity; its id is
// "<activity>:<resident>", so a resident has at most one.
type Signup struct {
	ID          string `json:"id"`
	ActivityID  string `json:"activity_id"`
	ResidentID  string `json:"resident_id"`
	Name        string `json:"name,omitempty"`
	RoomID      string `json:"room_id,omitempty"`
	Status      string `json:"status"`
	Position    int64  `json:"position,omitempty"` // waitlist order
	People      int    `json:"people"`             // always 1 today: one seat per resident
	SignedUpAt  int64  `json:"signed_up_at_ms"`
	SignedUpBy  string `json:"signed_up_by,omitempty"` // staff user who signed the resident up
	QRToken     string `json:"qr_token,omitempty"`
	CheckedInAt int64  `json:"checked_in_at_ms,omitempty"`
	CheckedInBy string `json:"checked_in_by,omitempty"`
	Group       string `json:"group,omitempty"`
	ChargeID    string `json:"charge_id,omitempty"`
	ChargedFen  int64  `json:"charged_fen,omitempty"`
	// RefundDueFen records what a paid sign-up cancelled before the deadline
	// is owed: plugins cannot refund through the host today, so finance
	// refunds it by hand from this list.
	RefundDueFen int64  `json:"refund_due_fen,omitempty"`
	CancelledAt  int64  `json:"cancelled_at_ms,omitempty"`
	CancelReason string `json:"cancel_reason,omitempty"`
	PromotedAt   int64  `json:"promoted_at_ms,omitempty"`
	Version      int64  `json:"version,omitempty"`
}

func signupID(activityID, residentID string) string { return activityID + ":" + residentID }

// Group is one group of an activity's confirmed participants.
type Group struct {
	Name        string   `json:"name"`
	ResidentIDs []string `json:"resident_ids"`
}

// Member is what grouping needs to know of a participant.
type Member struct {
	ResidentID string
	BirthYear  int
	Building   string
	SignedUpAt int64
}

// groupBySize splits members, in sign-up order, into groups of size
// (the last may be smaller).
func groupBySize(ms []Member, size int) []Group {
	sorted := append([]Member(nil), ms...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].SignedUpAt != sorted[j].SignedUpAt {
			return sorted[i].SignedUpAt < sorted[j].SignedUpAt
		}
		return sorted[i].ResidentID < sorted[j].ResidentID
	})
	var out []Group
	for i, m := range sorted {
		if i%size == 0 {
			out = append(out, Group{Name: fmt.Sprintf("第%d组", len(out)+1)})
		}
		g := &out[len(out)-1]
		g.ResidentIDs = append(g.ResidentIDs, m.ResidentID)
	}
	return out
}

// ageBand names the band of width years a birth year falls in at year now
// ("30-39岁"); unknown birth years form their own group.
func ageBand(birthYear, now, width int) string {
	if birthYear <= 0 || birthYear > now {
		return "年龄未知"
	}
	age := now - birthYear
	lo := age / width * width
	return fmt.Sprintf("%d-%d岁", lo, lo+width-1)
}

// groupByKey groups members by key(m), groups ordered by name.
func groupByKey(ms []Member, key func(Member) string) []Group {
	idx := map[string]int{}
	var out []Group
	for _, m := range ms {
		k := key(m)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Group{Name: k})
		}
		out[i].ResidentIDs = append(out[i].ResidentIDs, m.ResidentID)
	}
	sort.SliceStable(out, func(i, j int) bool { return lessGroupName(out[i].Name, out[j].Name) })
	for i := range out {
		sort.Strings(out[i].ResidentIDs)
	}
	return out
}

// lessGroupName orders "5-9岁" before "10-19岁" and "2栋" before "10栋":
// by leading number first, then by text.
func lessGroupName(a, b string) bool {
	na, oka := leadingInt(a)
	nb, okb := leadingInt(b)
	if oka && okb && na != nb {
		return na < nb
	}
	if oka != okb {
		return oka
	}
	return a < b
}

func leadingInt(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, _ := strconv.Atoi(s[:i])
	return n, true
}

func field(name, code, en, zh string) plugin.FieldError {
	return plugin.FieldError{Field: name, Code: code, EN: en, ZH: zh}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
