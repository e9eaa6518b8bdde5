package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// Demo is the configuration's demo section: venues and activities the
// plugin creates on start when they are missing. Their ids are derived from
// their keys and written create-only, so restarts never duplicate them.
type Demo struct {
	Venues     []DemoVenue    `json:"venues"`
	Activities []DemoActivity `json:"activities"`
}

// DemoVenue is a venue of the demo.
type DemoVenue struct {
	Key         string           `json:"key"`
	Name        string           `json:"name"`
	Community   string           `json:"community"` // id, code or name
	Capacity    int              `json:"capacity"`
	SlotMinutes int              `json:"slot_minutes"`
	Hours       map[string]Hours `json:"hours"`
	Description string           `json:"description"`
}

// DemoActivity is an activity of the demo, placed relative to the day the
// demo is created.
type DemoActivity struct {
	Key             string `json:"key"`
	Title           string `json:"title"`
	Description     string `json:"description"`
	Community       string `json:"community"`
	Venue           string `json:"venue"` // a demo venue's key
	Location        string `json:"location"`
	StartInDays     int    `json:"start_in_days"` // negative: in the past
	StartTime       string `json:"start_time"`    // "HH:MM"
	DurationMinutes int    `json:"duration_minutes"`
	DeadlineHours   int    `json:"signup_deadline_hours_before"`
	Capacity        int    `json:"capacity"`
	FeeFen          int64  `json:"fee_fen"`
	Target          Target `json:"target"`
	State           string `json:"state"`      // published, signup_open or done
	Signups         int    `json:"signups"`    // the first residents of the community sign up
	CheckedIn       int    `json:"checked_in"` // of those, how many came (done activities)
}

func demoID(kind, key string) string { return "demo-" + kind + "-" + key }

// seedDemo creates what the demo section describes and is missing. It can
// resume after a crash: every step checks what is already there.
func (a *app) seedDemo(ctx context.Context, d *Demo) error {
	if d == nil {
		return nil
	}
	var errs []error
	for _, dv := range d.Venues {
		cid, err := a.resolveCommunity(ctx, dv.Community)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		v := Venue{Name: dv.Name, CommunityID: cid, Capacity: dv.Capacity, SlotMinutes: dv.SlotMinutes, Hours: dv.Hours, Description: dv.Description, Active: true}
		if v.SlotMinutes == 0 {
			v.SlotMinutes = a.config().DefaultSlotMinutes
		}
		if err := v.validate(); err != nil {
			errs = append(errs, fmt.Errorf("demo venue %s: %w", dv.Key, err))
			continue
		}
		if _, err := a.host().Put(ctx, colVenues, demoID("venue", dv.Key), v, plugin.CreateOnly); err != nil && !isTaken(err) {
			errs = append(errs, err)
		}
	}
	for _, da := range d.Activities {
		if err := a.seedActivity(ctx, da); err != nil {
			errs = append(errs, fmt.Errorf("demo activity %s: %w", da.Key, err))
		}
	}
	return errors.Join(errs...)
}

func (a *app) seedActivity(ctx context.Context, da DemoActivity) error {
	id := demoID("activity", da.Key)
	act, err := a.getActivity(ctx, id)
	if isMissing(err) {
		cid, err := a.resolveCommunity(ctx, da.Community)
		if err != nil {
			return err
		}
		clock, ok := parseClock(da.StartTime)
		if !ok {
			return fmt.Errorf("start_time %q is not HH:MM", da.StartTime)
		}
		now := a.now().In(a.loc())
		start := time.Date(now.Year(), now.Month(), now.Day()+da.StartInDays, 0, clock, 0, 0, a.loc())
		end := start.Add(time.Duration(max(da.DurationMinutes, 30)) * time.Minute)
		act = &Activity{Title: da.Title, Description: da.Description, CommunityID: cid, Location: da.Location,
			StartMS: start.UnixMilli(), EndMS: end.UnixMilli(), DeadlineMS: start.Add(-time.Duration(da.DeadlineHours) * time.Hour).UnixMilli(),
			Capacity: da.Capacity, FeeFen: da.FeeFen, Target: da.Target, CreatedBy: "demo"}
		if da.Venue != "" {
			act.VenueID = demoID("venue", da.Venue)
		}
		if da.State == StateDone {
			// History: written as it ended, the venue's past slots untouched.
			return a.seedHistory(ctx, id, act, da)
		}
		if err := a.createActivity(ctx, act, id); err != nil && !isTaken(err) {
			return err
		}
		if act, err = a.getActivity(ctx, id); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if act.State == StateDraft {
		if act, err = a.transition(ctx, id, "publish"); err != nil {
			return err
		}
	}
	if da.State == StateSignupOpen && act.State == StatePublished {
		if act, err = a.transition(ctx, id, "open-signup"); err != nil {
			return err
		}
	}
	if act.State != StateSignupOpen || da.Signups == 0 {
		return nil
	}
	rs, err := a.demoResidents(ctx, act.CommunityID, da.Signups)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if _, err := a.signup(ctx, id, r.Id, "", "demo", false); err != nil {
			var pe *plugin.Error
			if errors.As(err, &pe) && (pe.Code == "already_signed_up" || pe.Code == "not_eligible") {
				continue
			}
			return err
		}
	}
	return nil
}

// seedHistory writes a finished activity with its sign-ups and check-ins.
func (a *app) seedHistory(ctx context.Context, id string, act *Activity, da DemoActivity) error {
	rs, err := a.demoResidents(ctx, act.CommunityID, da.Signups)
	if err != nil {
		return err
	}
	for i, r := range rs {
		room := ""
		if len(r.RoomIds) > 0 {
			room = r.RoomIds[0]
		}
		s := &Signup{ID: signupID(id, r.Id), ActivityID: id, ResidentID: r.Id, Name: r.Name, RoomID: room, Status: SignupConfirmed,
			People: 1, SignedUpAt: act.DeadlineMS - int64(len(rs)-i)*int64(time.Hour/time.Millisecond), SignedUpBy: "demo", QRToken: newToken()}
		if i < da.CheckedIn {
			s.CheckedInAt, s.CheckedInBy = act.StartMS+int64(i)*int64(time.Minute/time.Millisecond), "demo"
		}
		if err := a.putSignup(ctx, s, plugin.CreateOnly); err != nil && !isTaken(err) {
			return err
		}
	}
	act.ID, act.State, act.Confirmed = id, StateDone, len(rs)
	act.PublishedAt = act.DeadlineMS - 7*24*int64(time.Hour/time.Millisecond)
	act.RemindedAt = act.StartMS - int64(time.Hour/time.Millisecond)
	if _, err := a.host().Put(ctx, colActivities, id, act, plugin.CreateOnly); err != nil && !isTaken(err) {
		return err
	}
	return nil
}

// demoResidents picks the first n residents of a community.
func (a *app) demoResidents(ctx context.Context, communityID string, n int) ([]*wuyepb.Resident, error) {
	if n <= 0 {
		return nil, nil
	}
	resp, err := a.host().Residents(ctx, &wuyepb.ListResidentsRequest{CommunityId: communityID, Limit: int32(n)})
	if err != nil {
		return nil, err
	}
	rs := resp.Residents
	if len(rs) > n {
		rs = rs[:n]
	}
	return rs, nil
}
