package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// createActivity stores a new draft, booking its venue for its time when it
// has one.
func (a *app) createActivity(ctx context.Context, act *Activity, id string) error {
	act.State = StateDraft
	if err := act.validate(); err != nil {
		return err
	}
	if err := a.checkCommunity(ctx, act.CommunityID); err != nil {
		return err
	}
	if id == "" {
		id = newID()
	}
	act.ID = id
	if act.VenueID != "" {
		v, err := a.getVenue(ctx, act.VenueID)
		if err != nil {
			return err
		}
		if err := venueFits(v, act); err != nil {
			return err
		}
		b, err := a.book(ctx, v, act.start(), act.end(), act.Title, act.ID, act.CreatedBy)
		if err != nil {
			return err
		}
		act.BookingID = b.ID
	}
	rec, err := a.host().Put(ctx, colActivities, act.ID, act, plugin.CreateOnly)
	if err != nil {
		if act.BookingID != "" {
			_, _ = a.cancelBooking(context.WithoutCancel(ctx), act.BookingID)
		}
		return err
	}
	act.Version = rec.Version
	return nil
}

func venueFits(v *Venue, act *Activity) error {
	if v.CommunityID != act.CommunityID {
		return plugin.Invalid(field("venue_id", "other_community", "The venue belongs to another community.", "该场地不属于活动所在小区。"))
	}
	if act.Capacity > v.Capacity {
		return plugin.Invalid(field("capacity", "exceeds_venue", fmt.Sprintf("%s holds at most %d people.", v.Name, v.Capacity),
			fmt.Sprintf("%s 最多容纳 %d 人。", v.Name, v.Capacity)))
	}
	return nil
}

// updateActivity applies changes to a draft or published activity; moving
// it in time or to another venue books the new slots before freeing the old.
func (a *app) updateActivity(ctx context.Context, id string, change func(*Activity) error) (*Activity, error) {
	var out *Activity
	err := retry(ctx, func() error {
		act, err := a.getActivity(ctx, id)
		if err != nil {
			return err
		}
		if act.State != StateDraft && act.State != StatePublished {
			return plugin.Errorf(http.StatusConflict, "illegal_transition", "Only draft or published activities can be edited.", "只能修改草稿或已发布的活动。")
		}
		old := *act
		if err := change(act); err != nil {
			return err
		}
		if err := act.validate(); err != nil {
			return err
		}
		if act.CommunityID != old.CommunityID {
			return plugin.Invalid(field("community_id", "immutable", "An activity cannot move to another community.", "活动不能改到其他小区。"))
		}
		if act.FeeFen != old.FeeFen && old.State != StateDraft {
			return plugin.Invalid(field("fee_fen", "immutable", "The fee is fixed once published.", "活动发布后不能修改费用。"))
		}
		moved := act.VenueID != old.VenueID || act.StartMS != old.StartMS || act.EndMS != old.EndMS
		var newBooking string
		if moved && act.VenueID != "" {
			v, err := a.getVenue(ctx, act.VenueID)
			if err != nil {
				return err
			}
			if err := venueFits(v, act); err != nil {
				return err
			}
			// Free the old slots first: a move by half an hour overlaps itself.
			if old.BookingID != "" {
				if _, err := a.cancelBooking(ctx, old.BookingID); err != nil {
					return err
				}
			}
			b, err := a.book(ctx, v, act.start(), act.end(), act.Title, act.ID, act.CreatedBy)
			if err != nil {
				a.rebook(context.WithoutCancel(ctx), &old)
				return err
			}
			newBooking = b.ID
			act.BookingID = b.ID
		} else if moved && old.BookingID != "" {
			if _, err := a.cancelBooking(ctx, old.BookingID); err != nil {
				return err
			}
			act.BookingID = ""
		}
		if err := a.putActivity(ctx, act); err != nil {
			if newBooking != "" {
				_, _ = a.cancelBooking(context.WithoutCancel(ctx), newBooking)
				a.rebook(context.WithoutCancel(ctx), &old)
			}
			return err
		}
		out = act
		return nil
	})
	return out, err
}

// rebook takes back an activity's old slots after a failed move (best
// effort) and writes the new booking id on it.
func (a *app) rebook(ctx context.Context, old *Activity) {
	if old.VenueID == "" || old.BookingID == "" {
		return
	}
	v, err := a.getVenue(ctx, old.VenueID)
	if err != nil {
		return
	}
	if b, err := a.book(ctx, v, old.start(), old.end(), old.Title, old.ID, old.CreatedBy); err == nil {
		_ = retry(ctx, func() error {
			act, err := a.getActivity(ctx, old.ID)
			if err != nil {
				return err
			}
			act.BookingID = b.ID
			return a.putActivity(ctx, act)
		})
	}
}

// transition moves an activity by action (publish, open-signup, close,
// complete, cancel), checking the state machine. Publishing notifies the
// target residents; cancelling frees the venue and tells those signed up.
func (a *app) transition(ctx context.Context, id, action string) (*Activity, error) {
	var act *Activity
	err := retry(ctx, func() error {
		var err error
		if act, err = a.getActivity(ctx, id); err != nil {
			return err
		}
		to, err := nextState(act.State, action)
		if err != nil {
			return err
		}
		if action == "open-signup" && !a.now().Before(act.deadline()) {
			return plugin.Errorf(http.StatusConflict, "deadline_passed", "The sign-up deadline has passed; change it first.", "报名截止时间已过,请先修改截止时间。")
		}
		act.State = to
		if to == StatePublished {
			act.PublishedAt = a.now().UnixMilli()
		}
		return a.putActivity(ctx, act)
	})
	if err != nil {
		return nil, err
	}
	// What follows a transition is idempotent (notification keys, cancelled
	// bookings), so a retried request or a crash in between only repeats it.
	switch act.State {
	case StatePublished:
		if err := a.announce(ctx, act); err != nil {
			return nil, err
		}
	case StateCancelled:
		if act.BookingID != "" {
			if _, err := a.cancelBooking(ctx, act.BookingID); err != nil {
				return nil, err
			}
		}
		if err := a.notifySignups(ctx, act, "activity_cancelled", "events:cancelled:"+act.ID); err != nil {
			return nil, err
		}
		if err := a.cancelSignups(ctx, act); err != nil {
			return nil, err
		}
	}
	return act, nil
}

// targetResidents lists the residents an activity is for, sorted by id so
// notification batches (and their idempotency keys) are stable.
func (a *app) targetResidents(ctx context.Context, act *Activity) ([]*wuyepb.Resident, error) {
	var reqs []*wuyepb.ListResidentsRequest
	switch {
	case len(act.Target.BuildingIDs) > 0:
		for _, b := range act.Target.BuildingIDs {
			reqs = append(reqs, &wuyepb.ListResidentsRequest{CommunityId: act.CommunityID, BuildingId: b})
		}
	case len(act.Target.Tags) > 0:
		for _, t := range act.Target.Tags {
			reqs = append(reqs, &wuyepb.ListResidentsRequest{CommunityId: act.CommunityID, Tag: t})
		}
	default:
		reqs = append(reqs, &wuyepb.ListResidentsRequest{CommunityId: act.CommunityID})
	}
	seen := map[string]*wuyepb.Resident{}
	for _, req := range reqs {
		req.Limit = 500
		for {
			resp, err := a.host().Residents(ctx, req)
			if err != nil {
				return nil, err
			}
			for _, r := range resp.Residents {
				// Buildings and tags together: residents of those buildings
				// who carry one of the tags.
				if len(act.Target.BuildingIDs) > 0 && len(act.Target.Tags) > 0 && !anyOf(r.Tags, act.Target.Tags) {
					continue
				}
				seen[r.Id] = r
			}
			if resp.NextCursor == "" {
				break
			}
			req.Cursor = resp.NextCursor
		}
	}
	out := make([]*wuyepb.Resident, 0, len(seen))
	for _, r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Id < out[j].Id })
	return out, nil
}

func anyOf(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

const notifyBatch = 200

// announce tells the target residents about a published activity. Batches
// carry keys derived from the activity, so announcing twice sends nothing new.
func (a *app) announce(ctx context.Context, act *Activity) error {
	rs, err := a.targetResidents(ctx, act)
	if err != nil {
		return err
	}
	vars := a.vars(ctx, act)
	for i := 0; i < len(rs); i += notifyBatch {
		var to []*wuyepb.Recipient
		for _, r := range rs[i:min(i+notifyBatch, len(rs))] {
			to = append(to, &wuyepb.Recipient{ResidentId: r.Id})
		}
		if _, err := a.host().Notify(ctx, &wuyepb.NotifyRequest{Template: "activity_published", Vars: vars, Recipients: to,
			Link: "/plugins/events/activities/" + act.ID, IdempotencyKey: "events:published:" + act.ID + ":" + strconv.Itoa(i/notifyBatch)}); err != nil {
			return err
		}
	}
	return nil
}

// vars are the template variables of an activity.
func (a *app) vars(ctx context.Context, act *Activity) map[string]string {
	place := act.Location
	if act.VenueID != "" {
		if v, err := a.getVenue(ctx, act.VenueID); err == nil {
			place = v.Name
		}
	}
	fee := "免费"
	if act.FeeFen > 0 {
		fee = fmt.Sprintf("%d.%02d %s", act.FeeFen/100, act.FeeFen%100, act.Currency)
	}
	return map[string]string{"title": act.Title, "start": act.start().In(a.loc()).Format("2006-01-02 15:04"),
		"place": place, "deadline": act.deadline().In(a.loc()).Format("2006-01-02 15:04"), "fee": fee}
}

// notifySignups sends template to everyone confirmed (and, when cancelling,
// waitlisted) for act.
func (a *app) notifySignups(ctx context.Context, act *Activity, template, key string) error {
	statuses := []string{SignupConfirmed}
	if template == "activity_cancelled" {
		statuses = append(statuses, SignupWaitlisted)
	}
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colSignups, OrderBy: "id", Limit: 1000}.
		Where("activity_id", "eq", act.ID).Where("status", "in", statuses))
	if err != nil {
		return err
	}
	vars := a.vars(ctx, act)
	for i := 0; i < len(recs); i += notifyBatch {
		var to []*wuyepb.Recipient
		for _, r := range recs[i:min(i+notifyBatch, len(recs))] {
			var s Signup
			if r.Decode(&s) == nil {
				to = append(to, &wuyepb.Recipient{ResidentId: s.ResidentID})
			}
		}
		if _, err := a.host().Notify(ctx, &wuyepb.NotifyRequest{Template: template, Vars: vars, Recipients: to,
			Link: "/plugins/events/activities/" + act.ID, IdempotencyKey: key + ":" + strconv.Itoa(i/notifyBatch)}); err != nil {
			return err
		}
	}
	return nil
}

// eligibleRoom answers the resident's room in the activity's community and,
// when checkTarget, whether the activity's target includes them.
func (a *app) eligibleRoom(ctx context.Context, act *Activity, r *wuyepb.Resident, checkTarget bool, roomID string) (string, error) {
	notEligible := plugin.Errorf(http.StatusForbidden, "not_eligible", "This activity is not open to this resident.", "该住户不在本活动的参与范围内。")
	for _, id := range r.RoomIds {
		if roomID != "" && id != roomID {
			continue
		}
		room, err := a.host().Room(ctx, id)
		if plugin.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		if room.CommunityId != act.CommunityID {
			continue
		}
		if checkTarget && len(act.Target.BuildingIDs) > 0 && !contains(act.Target.BuildingIDs, room.BuildingId) {
			continue
		}
		if checkTarget && len(act.Target.Tags) > 0 && !anyOf(r.Tags, act.Target.Tags) {
			return "", notEligible
		}
		return id, nil
	}
	return "", notEligible
}

// openForSignup answers why act takes no sign-up now, or nil.
func (a *app) openForSignup(act *Activity) error {
	if act.State != StateSignupOpen {
		return plugin.Errorf(http.StatusConflict, "signup_not_open",
			fmt.Sprintf("The activity is %s and takes no sign-ups.", act.State), "活动当前为「"+stateZH[act.State]+"」,不接受报名。")
	}
	if !a.now().Before(act.deadline()) {
		return plugin.Errorf(http.StatusConflict, "deadline_passed", "The sign-up deadline has passed.", "报名已截止。")
	}
	return nil
}

// signup signs a resident up for an activity: a seat while there is one,
// else a place on the waitlist. The sign-up's id is activity:resident, so a
// resident has one; the seat is taken by a versioned write of the activity,
// so concurrent sign-ups for the last seat give it to exactly one.
func (a *app) signup(ctx context.Context, actID, residentID, roomID string, byStaff string, checkTarget bool) (*Signup, error) {
	act, err := a.getActivity(ctx, actID)
	if err != nil {
		return nil, err
	}
	if err := a.openForSignup(act); err != nil {
		return nil, err
	}
	res, err := a.host().Resident(ctx, residentID)
	if plugin.IsNotFound(err) {
		return nil, notFound("resident_not_found", "No such resident.", "住户不存在。")
	}
	if err != nil {
		return nil, err
	}
	room, err := a.eligibleRoom(ctx, act, res, checkTarget, roomID)
	if err != nil {
		return nil, err
	}
	already := plugin.Errorf(http.StatusConflict, "already_signed_up", "This resident has already signed up.", "该住户已报名本活动。")
	id := signupID(actID, residentID)
	expected := plugin.CreateOnly
	var old *Signup
	if old, err = a.getSignup(ctx, id); err == nil {
		abandoned := old.Status == SignupPending && a.now().Sub(time.UnixMilli(old.SignedUpAt)) >= orphanAge
		if old.Status != SignupCancelled && !abandoned {
			return nil, already
		}
		expected = old.Version
	} else if !isMissing(err) {
		return nil, err
	}
	s := &Signup{ID: id, ActivityID: actID, ResidentID: residentID, Name: res.Name, RoomID: room, Status: SignupPending,
		People: 1, SignedUpAt: a.now().UnixMilli(), SignedUpBy: byStaff, QRToken: newToken()}
	if old != nil {
		// A fee paid before a cancellation stays on record (and so does the
		// refund it is owed) until the new sign-up gets a seat.
		s.ChargeID, s.ChargedFen, s.RefundDueFen = old.ChargeID, old.ChargedFen, old.RefundDueFen
	}
	if err := a.putSignup(ctx, s, expected); err != nil {
		if plugin.IsConflict(err) {
			return nil, already
		}
		return nil, err
	}
	err = retry(ctx, func() error {
		act, err = a.getActivity(ctx, actID)
		if err != nil {
			return err
		}
		if err := a.openForSignup(act); err != nil {
			return err
		}
		if act.Confirmed < act.Capacity {
			act.Confirmed++
			s.Status, s.Position = SignupConfirmed, 0
		} else {
			act.WaitlistSeq++
			s.Status, s.Position = SignupWaitlisted, act.WaitlistSeq
		}
		return a.putActivity(ctx, act)
	})
	if err != nil {
		// Give the id back so the resident can try again.
		s.Status, s.CancelledAt, s.CancelReason = SignupCancelled, a.now().UnixMilli(), "not_decided"
		_ = a.putSignup(context.WithoutCancel(ctx), s, s.Version)
		return nil, err
	}
	if err := a.putSignup(ctx, s, s.Version); err != nil {
		return nil, err
	}
	if s.Status == SignupConfirmed && act.FeeFen > 0 {
		if err := a.charge(ctx, act, s); err != nil {
			_, _ = a.cancel(context.WithoutCancel(ctx), s.ID, "charge_failed", "")
			return nil, err
		}
	}
	return s, nil
}

// charge posts an activity's fee to the sign-up's room, once per
// (activity, resident) whatever the retries, and records the bill line.
func (a *app) charge(ctx context.Context, act *Activity, s *Signup) error {
	ch, err := a.host().Charge(ctx, &wuyepb.PostChargeRequest{RoomId: s.RoomID, ResidentId: s.ResidentID, AmountFen: act.FeeFen,
		Currency: act.Currency, Description: truncate("社区活动报名费:"+act.Title, 200), IdempotencyKey: "events:fee:" + act.ID + ":" + s.ResidentID})
	if err != nil {
		return err
	}
	return retry(ctx, func() error {
		cur, err := a.getSignup(ctx, s.ID)
		if err != nil {
			return err
		}
		// A fee paid before a cancellation covers this seat: the key is per
		// (activity, resident), so the charge replays and no refund is owed.
		cur.ChargeID, cur.ChargedFen, cur.RefundDueFen = ch.Id, ch.AmountFen, 0
		if err := a.putSignup(ctx, cur, cur.Version); err != nil {
			return err
		}
		*s = *cur
		return nil
	})
}

// cancel cancels a sign-up (idempotent). A seat given back goes to the
// first on the waitlist. A paid sign-up cancelled before the deadline is
// recorded as owed a refund (the host has no refund service for plugins).
func (a *app) cancel(ctx context.Context, id, reason, by string) (*Signup, error) {
	var s *Signup
	var wasConfirmed bool
	err := retry(ctx, func() error {
		var err error
		if s, err = a.getSignup(ctx, id); err != nil {
			return err
		}
		if s.Status == SignupCancelled {
			wasConfirmed = false
			return nil
		}
		if s.Status == SignupPending {
			return plugin.Errorf(http.StatusConflict, "signup_pending", "The sign-up is still being decided; try again.", "报名正在处理中,请稍后重试。")
		}
		act, err := a.getActivity(ctx, s.ActivityID)
		if err != nil {
			return err
		}
		if act.State == StateDone {
			return plugin.Errorf(http.StatusConflict, "illegal_transition", "The activity is over.", "活动已结束。")
		}
		wasConfirmed = s.Status == SignupConfirmed
		s.Status, s.CancelledAt, s.CancelReason = SignupCancelled, a.now().UnixMilli(), reason
		if wasConfirmed && s.ChargedFen > 0 && a.now().Before(act.deadline()) {
			s.RefundDueFen = s.ChargedFen
		}
		return a.putSignup(ctx, s, s.Version)
	})
	if err != nil {
		return nil, err
	}
	if wasConfirmed {
		if err := retry(ctx, func() error {
			act, err := a.getActivity(ctx, s.ActivityID)
			if err != nil {
				return err
			}
			act.Confirmed--
			return a.putActivity(ctx, act)
		}); err != nil {
			return nil, err
		}
		if err := a.fill(ctx, s.ActivityID); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// cancelSignups cancels every live sign-up of a cancelled activity; each
// paid one is owed its whole fee back, whatever the deadline.
func (a *app) cancelSignups(ctx context.Context, act *Activity) error {
	ss, err := a.signups(ctx, act.ID, "")
	if err != nil {
		return err
	}
	for _, s := range ss {
		if err := retry(ctx, func() error {
			cur, err := a.getSignup(ctx, s.ID)
			if err != nil || cur.Status == SignupCancelled {
				return err
			}
			cur.Status, cur.CancelledAt, cur.CancelReason = SignupCancelled, a.now().UnixMilli(), "activity_cancelled"
			cur.RefundDueFen = cur.ChargedFen
			return a.putSignup(ctx, cur, cur.Version)
		}); err != nil {
			return err
		}
	}
	return nil
}

// fill promotes the waitlist, in order, while the activity has free seats.
// The seat is taken on the activity first, then the sign-up is moved; if
// that fails (cancelled meanwhile) the seat is given back and the next one
// is tried.
func (a *app) fill(ctx context.Context, actID string) error {
	for range 100 {
		act, err := a.getActivity(ctx, actID)
		if err != nil {
			return err
		}
		if (act.State != StateSignupOpen && act.State != StateClosed) || act.Confirmed >= act.Capacity || !a.now().Before(act.start()) {
			return nil
		}
		recs, _, err := a.host().Query(ctx, plugin.Query{Collection: colSignups, OrderBy: "position", Limit: 1}.
			Where("activity_id", "eq", actID).Where("status", "eq", SignupWaitlisted))
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		act.Confirmed++
		if err := a.putActivity(ctx, act); isStale(err) {
			continue
		} else if err != nil {
			return err
		}
		var w Signup
		if err := recs[0].Decode(&w); err != nil {
			return err
		}
		w.ID = recs[0].ID
		w.Status, w.Position, w.PromotedAt = SignupConfirmed, 0, a.now().UnixMilli()
		if err := a.putSignup(ctx, &w, recs[0].Version); err != nil {
			if err := a.giveBackSeat(ctx, actID); err != nil {
				return err
			}
			if isStale(err) {
				continue
			}
			return err
		}
		if act.FeeFen > 0 {
			if err := a.charge(ctx, act, &w); err != nil {
				plugin.Logger().Warn("charge promoted sign-up", "signup", w.ID, "err", err)
				if _, err := a.cancel(ctx, w.ID, "charge_failed", ""); err != nil {
					return err
				}
				continue
			}
		}
		vars := a.vars(ctx, act)
		if _, err := a.host().Notify(ctx, &wuyepb.NotifyRequest{Template: "waitlist_promoted", Vars: vars,
			Recipients: []*wuyepb.Recipient{{ResidentId: w.ResidentID}}, Link: "/plugins/events/activities/" + act.ID,
			IdempotencyKey: "events:promo:" + w.ID + ":" + strconv.FormatInt(w.PromotedAt, 10)}); err != nil {
			plugin.Logger().Warn("notify promoted", "signup", w.ID, "err", err)
		}
		_ = a.audit(ctx, "signup.promote", "signup", w.ID, map[string]any{"activity_id": actID, "resident_id": w.ResidentID})
	}
	return nil
}

func (a *app) giveBackSeat(ctx context.Context, actID string) error {
	return retry(ctx, func() error {
		act, err := a.getActivity(ctx, actID)
		if err != nil {
			return err
		}
		act.Confirmed--
		return a.putActivity(ctx, act)
	})
}

// signups lists an activity's sign-ups, optionally of one status, in
// sign-up order.
func (a *app) signups(ctx context.Context, actID, status string) ([]*Signup, error) {
	q := plugin.Query{Collection: colSignups, OrderBy: "signed_up_at_ms", Limit: 1000}.Where("activity_id", "eq", actID)
	if status != "" {
		q = q.Where("status", "eq", status)
	}
	recs, err := a.host().QueryAll(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]*Signup, 0, len(recs))
	for _, r := range recs {
		var s Signup
		if err := r.Decode(&s); err != nil {
			return nil, err
		}
		s.ID, s.Version = r.ID, r.Version
		out = append(out, &s)
	}
	return out, nil
}

// group splits the confirmed participants into groups by size, age band or
// building, stores the groups on the activity and each sign-up's group.
func (a *app) group(ctx context.Context, actID, by string, size, band int) ([]Group, error) {
	act, err := a.getActivity(ctx, actID)
	if err != nil {
		return nil, err
	}
	if act.State == StateCancelled || act.State == StateDraft {
		return nil, plugin.Errorf(http.StatusConflict, "illegal_transition", "Only published activities are grouped.", "只能为已发布的活动分组。")
	}
	ss, err := a.signups(ctx, actID, SignupConfirmed)
	if err != nil {
		return nil, err
	}
	members := make([]Member, 0, len(ss))
	for _, s := range ss {
		m := Member{ResidentID: s.ResidentID, SignedUpAt: s.SignedUpAt}
		if by == "age_band" {
			r, err := a.host().Resident(ctx, s.ResidentID)
			if err != nil && !plugin.IsNotFound(err) {
				return nil, err
			}
			if r != nil {
				m.BirthYear = int(r.BirthYear)
			}
		}
		if by == "building" {
			m.Building = "未知楼栋"
			if s.RoomID != "" {
				room, err := a.host().Room(ctx, s.RoomID)
				if err != nil && !plugin.IsNotFound(err) {
					return nil, err
				}
				if room != nil && room.Building != "" {
					m.Building = room.Building
				}
			}
		}
		members = append(members, m)
	}
	var groups []Group
	switch by {
	case "size":
		groups = groupBySize(members, size)
	case "age_band":
		year := a.now().In(a.loc()).Year()
		groups = groupByKey(members, func(m Member) string { return ageBand(m.BirthYear, year, band) })
	case "building":
		groups = groupByKey(members, func(m Member) string { return m.Building })
	}
	if groups == nil {
		groups = []Group{}
	}
	of := map[string]string{}
	for _, g := range groups {
		for _, r := range g.ResidentIDs {
			of[r] = g.Name
		}
	}
	for _, s := range ss {
		if err := retry(ctx, func() error {
			cur, err := a.getSignup(ctx, s.ID)
			if err != nil {
				return err
			}
			if cur.Group == of[cur.ResidentID] {
				return nil
			}
			cur.Group = of[cur.ResidentID]
			return a.putSignup(ctx, cur, cur.Version)
		}); err != nil {
			return nil, err
		}
	}
	err = retry(ctx, func() error {
		cur, err := a.getActivity(ctx, actID)
		if err != nil {
			return err
		}
		cur.Groups = groups
		return a.putActivity(ctx, cur)
	})
	return groups, err
}

// checkIn admits the holder of token to activity actID once; a second scan
// answers the first check-in again.
func (a *app) checkIn(ctx context.Context, actID, token, by string) (*Signup, bool, error) {
	act, err := a.getActivity(ctx, actID)
	if err != nil {
		return nil, false, err
	}
	if act.State != StateSignupOpen && act.State != StateClosed && act.State != StatePublished {
		return nil, false, plugin.Errorf(http.StatusConflict, "checkin_not_open", "Check-in is not open for this activity ("+act.State+").", "本活动当前不能签到(「"+stateZH[act.State]+"」)。")
	}
	recs, _, err := a.host().Query(ctx, plugin.Query{Collection: colSignups, Limit: 1}.Where("qr_token", "eq", token))
	if err != nil {
		return nil, false, err
	}
	if len(recs) == 0 {
		return nil, false, notFound("token_unknown", "This check-in code is not known.", "签到码无效。")
	}
	var s *Signup
	already := false
	err = retry(ctx, func() error {
		if s, err = a.getSignup(ctx, recs[0].ID); err != nil {
			return err
		}
		if s.ActivityID != actID {
			return plugin.Errorf(http.StatusUnprocessableEntity, "wrong_activity", "This check-in code is for another activity.", "该签到码属于其他活动。")
		}
		if s.Status != SignupConfirmed {
			return plugin.Errorf(http.StatusConflict, "not_confirmed", "This sign-up holds no seat ("+s.Status+").", "该报名没有有效名额,不能签到。")
		}
		if s.CheckedInAt != 0 {
			already = true
			return nil
		}
		s.CheckedInAt, s.CheckedInBy = a.now().UnixMilli(), by
		return a.putSignup(ctx, s, s.Version)
	})
	if err != nil {
		return nil, false, err
	}
	return s, already, nil
}

// Attendance counts an activity's sign-ups and check-ins.
type Attendance struct {
	ActivityID   string  `json:"activity_id,omitempty"`
	Title        string  `json:"title,omitempty"`
	Activities   int     `json:"activities,omitempty"`
	Capacity     int     `json:"capacity"`
	Confirmed    int     `json:"confirmed"`
	Waitlisted   int     `json:"waitlisted"`
	Cancelled    int     `json:"cancelled"`
	CheckedIn    int     `json:"checked_in"`
	Rate         float64 `json:"attendance_rate"` // checked in / confirmed
	ChargedFen   int64   `json:"charged_fen"`
	RefundDueFen int64   `json:"refund_due_fen"`
}

func (a *app) attendance(ctx context.Context, act *Activity) (Attendance, error) {
	ss, err := a.signups(ctx, act.ID, "")
	if err != nil {
		return Attendance{}, err
	}
	at := Attendance{ActivityID: act.ID, Title: act.Title, Capacity: act.Capacity}
	for _, s := range ss {
		switch s.Status {
		case SignupConfirmed:
			at.Confirmed++
			if s.CheckedInAt != 0 {
				at.CheckedIn++
			}
		case SignupWaitlisted:
			at.Waitlisted++
		case SignupCancelled:
			at.Cancelled++
		}
		at.ChargedFen += s.ChargedFen
		at.RefundDueFen += s.RefundDueFen
	}
	at.Rate = rate(at.CheckedIn, at.Confirmed)
	return at, nil
}

func rate(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n*1000/d) / 1000
}

// periodAttendance sums attendance over activities starting in [from, to).
func (a *app) periodAttendance(ctx context.Context, from, to time.Time, community string) (Attendance, []Attendance, error) {
	q := plugin.Query{Collection: colActivities, OrderBy: "start_ms", Limit: 1000}.
		Where("start_ms", "gte", from.UnixMilli()).Where("start_ms", "lt", to.UnixMilli())
	if community != "" {
		q = q.Where("community_id", "eq", community)
	}
	recs, err := a.host().QueryAll(ctx, q)
	if err != nil {
		return Attendance{}, nil, err
	}
	var sum Attendance
	per := []Attendance{}
	for _, r := range recs {
		var act Activity
		if err := r.Decode(&act); err != nil {
			return Attendance{}, nil, err
		}
		act.ID = r.ID
		if act.State == StateCancelled || act.State == StateDraft {
			continue
		}
		at, err := a.attendance(ctx, &act)
		if err != nil {
			return Attendance{}, nil, err
		}
		per = append(per, at)
		sum.Activities++
		sum.Capacity += at.Capacity
		sum.Confirmed += at.Confirmed
		sum.Waitlisted += at.Waitlisted
		sum.Cancelled += at.Cancelled
		sum.CheckedIn += at.CheckedIn
		sum.ChargedFen += at.ChargedFen
		sum.RefundDueFen += at.RefundDueFen
	}
	sum.Rate = rate(sum.CheckedIn, sum.Confirmed)
	return sum, per, nil
}

// truncate cuts s to at most n bytes on a character boundary (the host
// takes bill line descriptions of up to 200 bytes).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
