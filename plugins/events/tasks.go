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
		if act.State == StateSignupOpen && !now.Before(act.deadline()) {
			if _, err := a.transition(ctx, act.ID, "close"); err != nil && !isStale(err) {
				errs = append(errs, err)
				continue
			}
			act.State = StateClosed
		}
		if act.State == StateClosed && !now.Before(act.end()) {
			if _, err := a.transition(ctx, act.ID, "complete"); err != nil && !isStale(err) {
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
