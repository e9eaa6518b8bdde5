package main

import (
	"context"
	"errors"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// lifecycle moves activities past their sign-up deadline to closed and past
// their end to done, and reminds those signed up before the start. Each
// step is a versioned write, so a run racing a person's action loses
// cleanly and the next run picks it up.
func (a *app) lifecycle(ctx context.Context, _ plugin.Task) error {
	now := a.now()
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colActivities, Limit: 1000}.
		Where("state", "in", []string{StatePublished, StateSignupOpen, StateClosed}))
	if err != nil {
		return err
	}
	remind := time.Duration(a.config().ReminderHours) * time.Hour
	var errs []error
	for _, r := range recs {
		var act Activity
		if err := r.Decode(&act); err != nil {
			continue
		}
		act.ID = r.ID
		if act.State == StateSignupOpen || act.State == StateClosed {
			if err := a.reconcile(ctx, act.ID, r.UpdatedAt); err != nil {
				errs = append(errs, err)
			}
		}
		if act.State == StateSignupOpen && !now.Before(act.deadline()) {
			if err := a.autoTransition(ctx, act.ID, "close"); err != nil {
				errs = append(errs, err)
				continue
			}
			act.State = StateClosed
		}
		if act.State == StateClosed && !now.Before(act.end()) {
			if err := a.autoTransition(ctx, act.ID, "complete"); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if act.State != StatePublished && act.RemindedAt == 0 && now.Before(act.start()) && act.start().Sub(now) <= remind {
			if err := a.remind(ctx, act.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// autoTransition is a transition the task makes, audited as the plugin's.
func (a *app) autoTransition(ctx context.Context, id, action string) error {
	act, err := a.transition(ctx, id, action)
	if err != nil {
		return err
	}
	return a.audit(ctx, "activity."+action, "activity", id, map[string]any{"state": act.State, "automatic": true})
}

// reconcile repairs what a process killed half way through a sign-up
// leaves: a "pending" sign-up (abandoned after orphanAge) and a seat count
// that no longer matches the confirmed sign-ups. It acts only on an
// activity nobody has written for orphanAge, and writes over the version it
// read, so it never races a live sign-up or cancellation.
func (a *app) reconcile(ctx context.Context, id string, updated time.Time) error {
	now := a.now()
	if now.Sub(updated) < orphanAge {
		return nil
	}
	ss, err := a.signups(ctx, id, "")
	if err != nil {
		return err
	}
	confirmed := 0
	for _, s := range ss {
		switch {
		case s.Status == SignupConfirmed:
			confirmed++
		case s.Status == SignupPending && now.Sub(time.UnixMilli(s.SignedUpAt)) < orphanAge:
			return nil // being decided right now
		case s.Status == SignupPending:
			s.Status, s.CancelledAt, s.CancelReason = SignupCancelled, now.UnixMilli(), "abandoned"
			if err := a.putSignup(ctx, s, s.Version); err != nil && !isStale(err) {
				return err
			}
		}
	}
	act, err := a.getActivity(ctx, id)
	if err != nil || act.Confirmed == confirmed {
		return err
	}
	plugin.Logger().Warn("seat count repaired", "activity", id, "counted", act.Confirmed, "confirmed", confirmed)
	act.Confirmed = confirmed
	if err := a.putActivity(ctx, act); isStale(err) {
		return nil // someone is active on it: next run
	} else if err != nil {
		return err
	}
	return a.fill(ctx, id)
}

// remind tells everyone confirmed that the activity starts soon, once.
func (a *app) remind(ctx context.Context, id string) error {
	act, err := a.getActivity(ctx, id)
	if err != nil {
		return err
	}
	if err := a.notifySignups(ctx, act, "activity_reminder", "events:remind:"+act.ID); err != nil {
		return err
	}
	return retry(ctx, func() error {
		cur, err := a.getActivity(ctx, id)
		if err != nil || cur.RemindedAt != 0 {
			return err
		}
		cur.RemindedAt = a.now().UnixMilli()
		return a.putActivity(ctx, cur)
	})
}

// movedOut cancels the open sign-ups of a resident who moved out. The event
// id is recorded when done, so a repeated delivery does nothing; a delivery
// that failed half way repeats only idempotent cancellations.
func (a *app) movedOut(ctx context.Context, ev plugin.Event) error {
	if _, err := a.host().Get(ctx, colProcessed, ev.ID, nil); err == nil {
		return nil
	} else if !plugin.IsNotFound(err) {
		return err
	}
	var p struct {
		ResidentID string `json:"resident_id"`
	}
	if err := ev.Decode(&p); err != nil || p.ResidentID == "" {
		plugin.Logger().Warn("resident.moved_out without resident_id", "event", ev.ID)
		return nil // a malformed event will not get better by retrying
	}
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colSignups, Limit: 1000}.
		Where("resident_id", "eq", p.ResidentID).Where("status", "in", []string{SignupConfirmed, SignupWaitlisted}))
	if err != nil {
		return err
	}
	cancelled := 0
	for _, r := range recs {
		s, err := a.cancel(ctx, r.ID, "moved_out", "")
		if err != nil {
			var pe *plugin.Error
			if errors.As(err, &pe) && pe.Code == "illegal_transition" {
				continue // the activity is over: its record stays as history
			}
			return err
		}
		if s.CancelReason == "moved_out" {
			cancelled++
		}
	}
	if _, err := a.host().Put(ctx, colProcessed, ev.ID, map[string]any{"type": ev.Type, "resident_id": p.ResidentID,
		"cancelled": cancelled, "at_ms": a.now().UnixMilli()}, plugin.CreateOnly); err != nil && !isTaken(err) {
		return err
	}
	return a.audit(ctx, "signup.cancel_moved_out", "resident", p.ResidentID, map[string]any{"event_id": ev.ID, "cancelled": cancelled})
}
