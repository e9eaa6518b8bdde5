package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

func (a *app) routes() {
	p := a.p
	lim := plugin.MaxBody(64 << 10)
	// Venues (场地) and bookings.
	p.Handle("GET", "/venues", permRead, a.listVenues, plugin.Summary("List venues"))
	p.Handle("POST", "/venues", permVenue, a.createVenue, lim, plugin.Summary("Create a venue"))
	p.Handle("GET", "/venues/:id", permRead, a.showVenue, plugin.Summary("Show a venue"))
	p.Handle("PUT", "/venues/:id", permVenue, a.updateVenue, lim, plugin.Summary("Change a venue"))
	p.Handle("GET", "/venues/:id/availability", permRead, a.venueAvailability, plugin.Summary("A venue's slots of a day (?date=YYYY-MM-DD)"))
	p.Handle("GET", "/venues/:id/bookings", permRead, a.venueBookings, plugin.Summary("A venue's bookings (?from=&to=)"))
	p.Handle("POST", "/venues/:id/bookings", permVenue, a.createBooking, lim, plugin.Idempotent(), plugin.Summary("Book a venue"))
	p.Handle("POST", "/bookings/:id/cancel", permVenue, a.cancelBookingHTTP, plugin.Summary("Cancel a booking"))

	// Activities.
	p.Handle("GET", "/activities", permRead, a.listActivities, plugin.Summary("List activities (?state=&community_id=)"))
	p.Handle("POST", "/activities", permActivity, a.createActivityHTTP, lim, plugin.Idempotent(), plugin.Summary("Create a draft activity (books its venue)"))
	p.Handle("GET", "/activities/:id", permRead, a.showActivity, plugin.Summary("Show an activity"))
	p.Handle("PUT", "/activities/:id", permActivity, a.updateActivityHTTP, lim, plugin.Summary("Change a draft or published activity"))
	for _, action := range []string{"publish", "open-signup", "close", "complete", "cancel"} {
		p.Handle("POST", "/activities/:id/"+action, permActivity, a.transitionHTTP(action), plugin.Summary("Activity: "+action))
	}
	p.Handle("GET", "/activities/:id/signups", permRead, a.listSignups, plugin.Summary("An activity's sign-ups (?status=)"))
	p.Handle("POST", "/activities/:id/signups", permActivity, a.staffSignup, lim, plugin.Idempotent(), plugin.Summary("Sign a resident up"))
	p.Handle("POST", "/signups/:id/cancel", permActivity, a.staffCancel, plugin.Summary("Cancel a sign-up"))
	p.Handle("POST", "/activities/:id/groups", permActivity, a.groupHTTP, lim, plugin.Summary("Group participants (by size, age band or building)"))
	p.Handle("GET", "/activities/:id/groups", permRead, a.showGroups, plugin.Summary("An activity's groups"))
	p.Handle("POST", "/activities/:id/checkin", permCheckin, a.checkInHTTP, lim, plugin.Summary("Check a participant in by QR token"))
	p.Handle("GET", "/activities/:id/attendance", permRead, a.attendanceHTTP, plugin.Summary("An activity's attendance"))
	p.Handle("GET", "/stats/attendance", permRead, a.periodStats, plugin.Summary("Attendance over a period (?from=&to=&community_id=)"))

	// Residents' own routes.
	p.Handle("GET", "/my/activities", permSelf, a.myActivities, plugin.Summary("Activities open to me"))
	p.Handle("POST", "/my/activities/:id/signups", permSelf, a.mySignup, lim, plugin.Idempotent(), plugin.Summary("Sign myself (or my household member) up"))
	p.Handle("GET", "/my/signups", permSelf, a.mySignups, plugin.Summary("My sign-ups"))
	p.Handle("POST", "/my/signups/:id/cancel", permSelf, a.myCancel, plugin.Summary("Cancel my sign-up"))
	p.Handle("GET", "/my/signups/:id/qr", permSelf, a.myQR, plugin.Summary("My check-in code (token; ?format=png for an image)"))
}

// parseTime reads RFC 3339, or "YYYY-MM-DD HH:MM" in the tenant's zone.
func (a *app) parseTime(name, s string) (time.Time, *plugin.FieldError) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, a.loc()); err == nil {
			return t, nil
		}
	}
	fe := field(name, "invalid_time", "A time is RFC 3339 or \"YYYY-MM-DD HH:MM\".", "时间格式须为 RFC 3339 或「YYYY-MM-DD HH:MM」。")
	return time.Time{}, &fe
}

func (a *app) parseDay(name, s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", s, a.loc())
	if err != nil {
		return time.Time{}, plugin.Invalid(field(name, "invalid_date", "A date is YYYY-MM-DD.", "日期格式须为 YYYY-MM-DD。"))
	}
	return t, nil
}

// ---- venues ----

type venueView struct {
	*Venue
	Version int64 `json:"version"`
}

func (a *app) listVenues(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	q := plugin.Query{Collection: colVenues, OrderBy: "name", Limit: 1000}
	if c := r.Query.Get("community_id"); c != "" {
		q = q.Where("community_id", "eq", c)
	}
	recs, err := a.host().QueryAll(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []venueView{}
	for _, rec := range recs {
		var v Venue
		if rec.Decode(&v) == nil {
			v.ID = rec.ID
			out = append(out, venueView{&v, rec.Version})
		}
	}
	return plugin.JSON(200, map[string]any{"items": out}), nil
}

type venueInput struct {
	Name        *string          `json:"name"`
	CommunityID *string          `json:"community_id"`
	Capacity    *int             `json:"capacity"`
	SlotMinutes *int             `json:"slot_minutes"`
	Hours       map[string]Hours `json:"hours"`
	Description *string          `json:"description"`
	Active      *bool            `json:"active"`
	Version     int64            `json:"version"`
}

func (in *venueInput) apply(v *Venue) {
	set(&v.Name, in.Name)
	set(&v.CommunityID, in.CommunityID)
	set(&v.Capacity, in.Capacity)
	set(&v.SlotMinutes, in.SlotMinutes)
	set(&v.Description, in.Description)
	set(&v.Active, in.Active)
	if in.Hours != nil {
		v.Hours = in.Hours
	}
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (a *app) createVenue(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in venueInput
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	v := &Venue{SlotMinutes: a.config().DefaultSlotMinutes, Active: true}
	in.apply(v)
	if err := v.validate(); err != nil {
		return nil, err
	}
	if err := a.checkCommunity(ctx, v.CommunityID); err != nil {
		return nil, err
	}
	v.ID = newID()
	rec, err := a.host().Put(ctx, colVenues, v.ID, v, plugin.CreateOnly)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "venue.create", "venue", v.ID, map[string]any{"name": v.Name}); err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusCreated, venueView{v, rec.Version}), nil
}

func (a *app) showVenue(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	v, err := a.getVenue(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	rec, err := a.host().Get(ctx, colVenues, v.ID, nil)
	if err != nil {
		return nil, err
	}
	return plugin.JSON(200, venueView{v, rec.Version}), nil
}

// updateVenue changes a venue; the body's version must be the one read
// (409 version_conflict otherwise). Existing bookings stay as they are.
func (a *app) updateVenue(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in venueInput
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	v, err := a.getVenue(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	community := v.CommunityID
	in.apply(v)
	if v.CommunityID != community {
		return nil, plugin.Invalid(field("community_id", "immutable", "A venue cannot move to another community.", "场地不能改到其他小区。"))
	}
	if err := v.validate(); err != nil {
		return nil, err
	}
	rec, err := a.host().Put(ctx, colVenues, v.ID, v, in.Version)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "venue.update", "venue", v.ID, map[string]any{"name": v.Name}); err != nil {
		return nil, err
	}
	return plugin.JSON(200, venueView{v, rec.Version}), nil
}

func (a *app) venueAvailability(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	v, err := a.getVenue(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	day := a.now()
	if s := r.Query.Get("date"); s != "" {
		if day, err = a.parseDay("date", s); err != nil {
			return nil, err
		}
	}
	slots, err := a.availability(ctx, v, day)
	if err != nil {
		return nil, err
	}
	return plugin.JSON(200, map[string]any{"venue_id": v.ID, "date": day.In(a.loc()).Format("2006-01-02"), "slots": slots}), nil
}

func (a *app) venueBookings(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	v, err := a.getVenue(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	q := plugin.Query{Collection: colBookings, OrderBy: "start_ms", Limit: 1000}.Where("venue_id", "eq", v.ID)
	if s := r.Query.Get("from"); s != "" {
		d, err := a.parseDay("from", s)
		if err != nil {
			return nil, err
		}
		q = q.Where("start_ms", "gte", d.UnixMilli())
	}
	if s := r.Query.Get("to"); s != "" {
		d, err := a.parseDay("to", s)
		if err != nil {
			return nil, err
		}
		q = q.Where("start_ms", "lt", d.AddDate(0, 0, 1).UnixMilli())
	}
	if r.Query.Get("all") != "true" {
		q = q.Where("status", "eq", "booked")
	}
	recs, err := a.host().QueryAll(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []Booking{}
	for _, rec := range recs {
		var b Booking
		if rec.Decode(&b) == nil {
			b.ID, b.Version = rec.ID, rec.Version
			out = append(out, b)
		}
	}
	return plugin.JSON(200, map[string]any{"items": out}), nil
}

func (a *app) createBooking(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in struct {
		Start   string `json:"start"`
		End     string `json:"end"`
		Purpose string `json:"purpose"`
	}
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	var fe []plugin.FieldError
	start, e1 := a.parseTime("start", in.Start)
	end, e2 := a.parseTime("end", in.End)
	for _, e := range []*plugin.FieldError{e1, e2} {
		if e != nil {
			fe = append(fe, *e)
		}
	}
	in.Purpose = strings.TrimSpace(in.Purpose)
	if in.Purpose == "" || len([]rune(in.Purpose)) > 200 {
		fe = append(fe, field("purpose", "required", "Say what the venue is booked for (up to 200 characters).", "请填写预订用途(200 字以内)。"))
	}
	if len(fe) > 0 {
		return nil, plugin.Invalid(fe...)
	}
	v, err := a.getVenue(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	b, err := a.book(ctx, v, start, end, in.Purpose, "", r.Caller.UserID)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "booking.create", "booking", b.ID, map[string]any{"venue_id": v.ID, "start_ms": b.StartMS, "end_ms": b.EndMS}); err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusCreated, b), nil
}

func (a *app) cancelBookingHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var cur Booking
	if _, err := a.host().Get(ctx, colBookings, r.Params["id"], &cur); plugin.IsNotFound(err) {
		return nil, notFound("booking_not_found", "No such booking.", "预订不存在。")
	} else if err != nil {
		return nil, err
	}
	if cur.ActivityID != "" && cur.Status == "booked" {
		// An activity's venue goes with the activity: cancel or move it.
		if act, err := a.getActivity(ctx, cur.ActivityID); err == nil && act.BookingID == r.Params["id"] && act.State != StateCancelled && act.State != StateDone {
			return nil, plugin.Errorf(http.StatusConflict, "booking_of_activity",
				"This booking holds the venue for the activity \""+act.Title+"\"; cancel or move the activity instead.",
				"该预订属于活动「"+act.Title+"」,请取消或修改活动。")
		}
	}
	b, err := a.cancelBooking(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "booking.cancel", "booking", b.ID, map[string]any{"venue_id": b.VenueID}); err != nil {
		return nil, err
	}
	return plugin.JSON(200, b), nil
}

// ---- activities ----

// activityView shows an activity with its times in the tenant's zone.
type activityView struct {
	*Activity
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Deadline time.Time `json:"signup_deadline"`
	Free     int       `json:"seats_left"`
}

func (a *app) view(act *Activity) activityView {
	return activityView{Activity: act, Start: act.start().In(a.loc()), End: act.end().In(a.loc()),
		Deadline: act.deadline().In(a.loc()), Free: max(act.Capacity-act.Confirmed, 0)}
}

type activityInput struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	CommunityID *string `json:"community_id"`
	VenueID     *string `json:"venue_id"`
	Location    *string `json:"location"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
	Deadline    *string `json:"signup_deadline"`
	Capacity    *int    `json:"capacity"`
	FeeFen      *int64  `json:"fee_fen"`
	Currency    *string `json:"currency"`
	Target      *Target `json:"target"`
}

func (a *app) applyActivity(in *activityInput, act *Activity) error {
	set(&act.Title, in.Title)
	set(&act.Description, in.Description)
	set(&act.CommunityID, in.CommunityID)
	set(&act.VenueID, in.VenueID)
	set(&act.Location, in.Location)
	set(&act.Capacity, in.Capacity)
	set(&act.FeeFen, in.FeeFen)
	set(&act.Currency, in.Currency)
	set(&act.Target, in.Target)
	var fe []plugin.FieldError
	for _, t := range []struct {
		name string
		s    *string
		dst  *int64
	}{{"start", in.Start, &act.StartMS}, {"end", in.End, &act.EndMS}, {"signup_deadline", in.Deadline, &act.DeadlineMS}} {
		if t.s == nil {
			continue
		}
		tm, e := a.parseTime(t.name, *t.s)
		if e != nil {
			fe = append(fe, *e)
			continue
		}
		*t.dst = tm.UnixMilli()
	}
	if len(fe) > 0 {
		return plugin.Invalid(fe...)
	}
	if act.Capacity < act.Confirmed {
		return plugin.Invalid(field("capacity", "below_confirmed", "Capacity cannot drop below the confirmed sign-ups.", "名额不能少于已确认报名人数。"))
	}
	return nil
}

func (a *app) listActivities(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	q := plugin.Query{Collection: colActivities, OrderBy: "start_ms", Descending: true, Limit: 100, Cursor: r.Query.Get("cursor")}
	if s := r.Query.Get("state"); s != "" {
		if _, ok := stateZH[s]; !ok {
			return nil, plugin.Invalid(field("state", "invalid", "Unknown state.", "未知状态。"))
		}
		q = q.Where("state", "eq", s)
	}
	if c := r.Query.Get("community_id"); c != "" {
		q = q.Where("community_id", "eq", c)
	}
	recs, next, err := a.host().Query(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []activityView{}
	for _, rec := range recs {
		var act Activity
		if rec.Decode(&act) == nil {
			act.ID, act.Version = rec.ID, rec.Version
			out = append(out, a.view(&act))
		}
	}
	return plugin.JSON(200, map[string]any{"items": out, "next_cursor": next}), nil
}

func (a *app) createActivityHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in activityInput
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	act := &Activity{CreatedBy: r.Caller.UserID}
	if err := a.applyActivity(&in, act); err != nil {
		return nil, err
	}
	if err := a.createActivity(ctx, act, ""); err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "activity.create", "activity", act.ID, map[string]any{"title": act.Title}); err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusCreated, a.view(act)), nil
}

func (a *app) showActivity(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	act, err := a.getActivity(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	return plugin.JSON(200, a.view(act)), nil
}

func (a *app) updateActivityHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in activityInput
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	act, err := a.updateActivity(ctx, r.Params["id"], func(act *Activity) error { return a.applyActivity(&in, act) })
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "activity.update", "activity", act.ID, map[string]any{"title": act.Title}); err != nil {
		return nil, err
	}
	return plugin.JSON(200, a.view(act)), nil
}

func (a *app) transitionHTTP(action string) plugin.HandlerFunc {
	return func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
		act, err := a.transition(ctx, r.Params["id"], action)
		if err != nil {
			return nil, err
		}
		if err := a.audit(ctx, "activity."+action, "activity", act.ID, map[string]any{"state": act.State}); err != nil {
			return nil, err
		}
		return plugin.JSON(200, a.view(act)), nil
	}
}

func (a *app) listSignups(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	if _, err := a.getActivity(ctx, r.Params["id"]); err != nil {
		return nil, err
	}
	st := r.Query.Get("status")
	if st != "" && st != SignupConfirmed && st != SignupWaitlisted && st != SignupCancelled {
		return nil, plugin.Invalid(field("status", "invalid", "Status is confirmed, waitlisted or cancelled.", "状态须为 confirmed、waitlisted 或 cancelled。"))
	}
	ss, err := a.signups(ctx, r.Params["id"], st)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		s.QRToken = "" // the code is the resident's ticket; staff scan it, they do not hand it out
	}
	return plugin.JSON(200, map[string]any{"items": ss}), nil
}

type signupInput struct {
	ResidentID string `json:"resident_id"`
	RoomID     string `json:"room_id"`
}

func (a *app) staffSignup(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in signupInput
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	if in.ResidentID == "" {
		return nil, plugin.Invalid(field("resident_id", "required", "Name the resident to sign up.", "请选择报名的住户。"))
	}
	by := r.Caller.UserID
	if by == "" {
		by = "staff"
	}
	s, err := a.signup(ctx, r.Params["id"], in.ResidentID, in.RoomID, by, false)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "signup.create", "signup", s.ID, map[string]any{"activity_id": s.ActivityID, "resident_id": s.ResidentID, "status": s.Status}); err != nil {
		return nil, err
	}
	s.QRToken = ""
	return plugin.JSON(http.StatusCreated, s), nil
}

func (a *app) staffCancel(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	s, err := a.cancel(ctx, r.Params["id"], "cancelled_by_staff", r.Caller.UserID)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "signup.cancel", "signup", s.ID, map[string]any{"activity_id": s.ActivityID, "refund_due_fen": s.RefundDueFen}); err != nil {
		return nil, err
	}
	s.QRToken = ""
	return plugin.JSON(200, s), nil
}

func (a *app) groupHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in struct {
		By        string `json:"by"`
		Size      int    `json:"size"`
		BandYears int    `json:"band_years"`
	}
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	switch in.By {
	case "size":
		if in.Size < 1 || in.Size > 1000 {
			return nil, plugin.Invalid(field("size", "out_of_range", "Group size is 1 to 1000.", "每组人数须在 1 至 1000 之间。"))
		}
	case "age_band":
		if in.BandYears == 0 {
			in.BandYears = 10
		}
		if in.BandYears < 1 || in.BandYears > 100 {
			return nil, plugin.Invalid(field("band_years", "out_of_range", "An age band is 1 to 100 years wide.", "年龄段跨度须在 1 至 100 岁之间。"))
		}
	case "building":
	default:
		return nil, plugin.Invalid(field("by", "invalid", "Group by size, age_band or building.", "分组方式须为 size(按人数)、age_band(按年龄段)或 building(按楼栋)。"))
	}
	groups, err := a.group(ctx, r.Params["id"], in.By, in.Size, in.BandYears)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "activity.group", "activity", r.Params["id"], map[string]any{"by": in.By, "groups": len(groups)}); err != nil {
		return nil, err
	}
	return plugin.JSON(200, map[string]any{"groups": groups}), nil
}

func (a *app) showGroups(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	act, err := a.getActivity(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	groups := act.Groups
	if groups == nil {
		groups = []Group{}
	}
	return plugin.JSON(200, map[string]any{"groups": groups}), nil
}

func (a *app) checkInHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in struct {
		Token string `json:"token"`
	}
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	in.Token = strings.TrimSpace(in.Token)
	if in.Token == "" || len(in.Token) > 100 {
		return nil, plugin.Invalid(field("token", "required", "Scan the resident's check-in code.", "请扫描住户的签到码。"))
	}
	s, already, err := a.checkIn(ctx, r.Params["id"], in.Token, r.Caller.UserID)
	if err != nil {
		return nil, err
	}
	if !already {
		if err := a.audit(ctx, "signup.checkin", "signup", s.ID, map[string]any{"activity_id": s.ActivityID, "resident_id": s.ResidentID}); err != nil {
			return nil, err
		}
	}
	s.QRToken = ""
	return plugin.JSON(200, map[string]any{"signup": s, "already_checked_in": already}), nil
}

func (a *app) attendanceHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	act, err := a.getActivity(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	at, err := a.attendance(ctx, act)
	if err != nil {
		return nil, err
	}
	return plugin.JSON(200, at), nil
}

func (a *app) periodStats(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	to := a.now().In(a.loc())
	from := to.AddDate(0, -1, 0)
	var err error
	if s := r.Query.Get("from"); s != "" {
		if from, err = a.parseDay("from", s); err != nil {
			return nil, err
		}
	}
	if s := r.Query.Get("to"); s != "" {
		if to, err = a.parseDay("to", s); err != nil {
			return nil, err
		}
		to = to.AddDate(0, 0, 1) // "to" is inclusive
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour+time.Hour {
		return nil, plugin.Invalid(field("to", "out_of_range", "The period runs forward and spans at most a year.", "统计区间须从前往后,且不超过一年。"))
	}
	sum, per, err := a.periodAttendance(ctx, from, to, r.Query.Get("community_id"))
	if err != nil {
		return nil, err
	}
	return plugin.JSON(200, map[string]any{"from": from.Format("2006-01-02"), "to": to.AddDate(0, 0, -1).Format("2006-01-02"),
		"total": sum, "activities": per}), nil
}

// ---- residents' own routes ----

func forbidden() error {
	return plugin.Errorf(http.StatusForbidden, "not_your_resident", "You can act only for the residents linked to your account.", "您只能为账号关联的住户操作。")
}

// mine answers the resident a resident caller acts for: the one named (it
// must be theirs: 403 otherwise) or their first.
func mine(c plugin.Caller, named string) (string, error) {
	if len(c.ResidentIDs) == 0 {
		return "", forbidden()
	}
	if named == "" {
		return c.ResidentIDs[0], nil
	}
	if !contains(c.ResidentIDs, named) {
		return "", forbidden()
	}
	return named, nil
}

func (a *app) myActivities(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	if _, err := mine(r.Caller, ""); err != nil {
		return nil, err
	}
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colActivities, OrderBy: "start_ms", Limit: 1000}.
		Where("state", "in", []string{StatePublished, StateSignupOpen, StateClosed}))
	if err != nil {
		return nil, err
	}
	type item struct {
		activityView
		VenueName string    `json:"venue_name,omitempty"` // residents may not list venues: where it is, by name
		MySignups []*Signup `json:"my_signups"`
	}
	venues := map[string]string{}
	var residents []*wuyepb.Resident
	for _, rid := range r.Caller.ResidentIDs {
		res, err := a.host().Resident(ctx, rid)
		if plugin.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		residents = append(residents, res)
	}
	out := []item{}
	for _, rec := range recs {
		var act Activity
		if rec.Decode(&act) != nil {
			continue
		}
		act.ID, act.Version = rec.ID, rec.Version
		it := item{activityView: a.view(&act), MySignups: []*Signup{}}
		if id := act.VenueID; id != "" {
			if _, ok := venues[id]; !ok {
				if v, err := a.getVenue(ctx, id); err == nil {
					venues[id] = v.Name
				} else if !plugin.IsNotFound(err) {
					return nil, err
				} else {
					venues[id] = ""
				}
			}
			it.VenueName = venues[id]
		}
		eligible := false
		for _, res := range residents {
			rid := res.Id
			if _, err := a.eligibleRoom(ctx, &act, res, true, ""); err == nil {
				eligible = true
			}
			if s, err := a.getSignup(ctx, signupID(act.ID, rid)); err == nil {
				s.QRToken = ""
				it.MySignups = append(it.MySignups, s)
			}
		}
		if eligible || len(it.MySignups) > 0 {
			it.Activity.Groups = nil // other residents' names stay with staff
			out = append(out, it)
		}
	}
	return plugin.JSON(200, map[string]any{"items": out}), nil
}

func (a *app) mySignup(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in signupInput
	if len(strings.TrimSpace(string(r.Body))) > 0 {
		if err := r.Bind(&in); err != nil {
			return nil, err
		}
	}
	rid, err := mine(r.Caller, in.ResidentID)
	if err != nil {
		return nil, err
	}
	if in.RoomID != "" && !contains(r.Caller.RoomIDs, in.RoomID) {
		return nil, forbidden()
	}
	s, err := a.signup(ctx, r.Params["id"], rid, in.RoomID, "", true)
	if err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "signup.create", "signup", s.ID, map[string]any{"activity_id": s.ActivityID, "resident_id": s.ResidentID, "status": s.Status}); err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusCreated, s), nil
}

func (a *app) mySignups(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	if _, err := mine(r.Caller, ""); err != nil {
		return nil, err
	}
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colSignups, OrderBy: "signed_up_at_ms", Descending: true, Limit: 1000}.
		Where("resident_id", "in", r.Caller.ResidentIDs))
	if err != nil {
		return nil, err
	}
	out := []*Signup{}
	for _, rec := range recs {
		var s Signup
		if rec.Decode(&s) == nil {
			s.ID, s.Version = rec.ID, rec.Version
			s.QRToken = ""
			out = append(out, &s)
		}
	}
	return plugin.JSON(200, map[string]any{"items": out}), nil
}

// ownSignup reads a sign-up of one of the caller's residents; anyone
// else's answers 404, as if it did not exist.
func (a *app) ownSignup(ctx context.Context, r *plugin.Request) (*Signup, error) {
	if _, err := mine(r.Caller, ""); err != nil {
		return nil, err
	}
	s, err := a.getSignup(ctx, r.Params["id"])
	if err != nil {
		return nil, err
	}
	if !contains(r.Caller.ResidentIDs, s.ResidentID) {
		return nil, notFound("signup_not_found", "No such sign-up.", "报名记录不存在。")
	}
	return s, nil
}

func (a *app) myCancel(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	s, err := a.ownSignup(ctx, r)
	if err != nil {
		return nil, err
	}
	if s, err = a.cancel(ctx, s.ID, "cancelled_by_resident", r.Caller.UserID); err != nil {
		return nil, err
	}
	if err := a.audit(ctx, "signup.cancel", "signup", s.ID, map[string]any{"activity_id": s.ActivityID, "refund_due_fen": s.RefundDueFen}); err != nil {
		return nil, err
	}
	s.QRToken = ""
	return plugin.JSON(200, s), nil
}

func (a *app) myQR(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	s, err := a.ownSignup(ctx, r)
	if err != nil {
		return nil, err
	}
	if s.Status != SignupConfirmed {
		return nil, plugin.Errorf(http.StatusConflict, "not_confirmed", "Only a confirmed sign-up has a check-in code.", "只有报名成功才有签到码。")
	}
	if r.Query.Get("format") == "png" {
		img, err := qrPNG(s.QRToken, 8)
		if err != nil {
			return nil, err
		}
		// The image is a ticket: not for shared caches.
		return &plugin.Response{Status: 200, Header: map[string]string{"content-type": "image/png", "cache-control": "private, no-store"}, Body: img}, nil
	}
	return plugin.JSON(200, map[string]any{"signup_id": s.ID, "activity_id": s.ActivityID, "token": s.QRToken,
		"checked_in": s.CheckedInAt != 0, "png": "/api/v1/plugins/events/my/signups/" + s.ID + "/qr?format=png"}), nil
}
