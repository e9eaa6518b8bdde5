package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// Booking holds a venue for a time range: the slots it covers are held by
// create-only slot records naming the booking.
type Booking struct {
	ID          string   `json:"id"`
	VenueID     string   `json:"venue_id"`
	CommunityID string   `json:"community_id"`
	StartMS     int64    `json:"start_ms"`
	EndMS       int64    `json:"end_ms"`
	Purpose     string   `json:"purpose"`
	ActivityID  string   `json:"activity_id,omitempty"`
	BookedBy    string   `json:"booked_by,omitempty"`
	Status      string   `json:"status"` // booked, cancelled
	Slots       []string `json:"slots"`
	Version     int64    `json:"version,omitempty"`
}

// slotRecord is one taken slot of a venue.
type slotRecord struct {
	VenueID   string `json:"venue_id"`
	BookingID string `json:"booking_id"`
	StartMS   int64  `json:"start_ms"`
}

// book takes every slot of [start, end) at venue v for a new booking. Each
// slot is a create-only record, so of two overlapping bookings racing for a
// slot exactly one commits; the loser gives back the slots it took.
func (a *app) book(ctx context.Context, v *Venue, start, end time.Time, purpose, activityID, by string) (*Booking, error) {
	if !v.Active {
		return nil, plugin.Errorf(http.StatusConflict, "venue_inactive", "The venue is closed for bookings.", "场地已停用,不可预订。")
	}
	slots, err := v.slots(start, end, a.loc())
	if err != nil {
		return nil, err
	}
	if !start.After(a.now()) {
		return nil, plugin.Invalid(field("start", "in_past", "A booking starts in the future.", "预订开始时间须晚于当前时间。"))
	}
	b := &Booking{ID: newID(), VenueID: v.ID, CommunityID: v.CommunityID, StartMS: start.UnixMilli(), EndMS: end.UnixMilli(),
		Purpose: purpose, ActivityID: activityID, BookedBy: by, Status: "booked"}
	for _, s := range slots {
		id := slotID(v.ID, s)
		slot := slotRecord{VenueID: v.ID, BookingID: b.ID, StartMS: s.UnixMilli()}
		_, err := a.host().Put(ctx, colSlots, id, slot, plugin.CreateOnly)
		if isTaken(err) && a.reclaimOrphan(ctx, id) {
			_, err = a.host().Put(ctx, colSlots, id, slot, plugin.CreateOnly)
		}
		if err != nil {
			a.releaseSlots(context.WithoutCancel(ctx), b.Slots)
			if isTaken(err) {
				at := s.In(a.loc()).Format("2006-01-02 15:04")
				return nil, plugin.Errorf(http.StatusConflict, "slot_taken",
					fmt.Sprintf("%s is already booked at %s.", v.Name, at), fmt.Sprintf("%s 在 %s 已被预订。", v.Name, at))
			}
			return nil, err
		}
		b.Slots = append(b.Slots, id)
	}
	if _, err := a.host().Put(ctx, colBookings, b.ID, b, plugin.CreateOnly); err != nil {
		a.releaseSlots(context.WithoutCancel(ctx), b.Slots)
		return nil, err
	}
	return b, nil
}

// orphanAge is how old a slot without its booking must be before another
// booking may take it: a booking being written holds its slots for
// milliseconds before its own record exists.
const orphanAge = 2 * time.Minute

// reclaimOrphan frees a slot whose booking was never written (the process
// died between the two writes) and reports whether it did.
func (a *app) reclaimOrphan(ctx context.Context, slotID string) bool {
	var s slotRecord
	rec, err := a.host().Get(ctx, colSlots, slotID, &s)
	if err != nil || a.now().Sub(rec.UpdatedAt) < orphanAge {
		return false
	}
	if _, err := a.host().Get(ctx, colBookings, s.BookingID, nil); !plugin.IsNotFound(err) {
		return false
	}
	// The version guards against deleting a slot someone took meanwhile.
	if err := a.host().Delete(ctx, colSlots, slotID, rec.Version); err != nil {
		return false
	}
	plugin.Logger().Warn("freed a slot left by an unfinished booking", "slot", slotID, "booking", s.BookingID)
	return true
}

// releaseSlots deletes slot records this booking holds (best effort: a slot
// left behind shows as taken until an operator frees it).
func (a *app) releaseSlots(ctx context.Context, ids []string) {
	for _, id := range ids {
		if err := a.host().Delete(ctx, colSlots, id, 0); err != nil && !plugin.IsNotFound(err) {
			plugin.Logger().Warn("release slot", "slot", id, "err", err)
		}
	}
}

// cancelBooking frees a booking's slots and marks it cancelled; cancelling
// twice is harmless.
func (a *app) cancelBooking(ctx context.Context, id string) (*Booking, error) {
	var b Booking
	err := retry(ctx, func() error {
		rec, err := a.host().Get(ctx, colBookings, id, &b)
		if plugin.IsNotFound(err) {
			return notFound("booking_not_found", "No such booking.", "预订不存在。")
		}
		if err != nil {
			return err
		}
		b.ID = rec.ID
		if b.Status == "cancelled" {
			b.Version = rec.Version
			return nil
		}
		a.releaseSlots(ctx, b.Slots)
		b.Status = "cancelled"
		b.Version = 0
		nr, err := a.host().Put(ctx, colBookings, id, &b, rec.Version)
		if err == nil {
			b.Version = nr.Version
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// SlotView is one slot of a venue's day, free or taken.
type SlotView struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Free      bool      `json:"free"`
	BookingID string    `json:"booking_id,omitempty"`
}

// availability lists the venue's slots of day with who holds them.
func (a *app) availability(ctx context.Context, v *Venue, day time.Time) ([]SlotView, error) {
	slots := v.daySlots(day, a.loc())
	out := make([]SlotView, 0, len(slots))
	if len(slots) == 0 {
		return out, nil
	}
	from := slots[0].UnixMilli()
	to := slots[len(slots)-1].UnixMilli()
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colSlots, Limit: 1000}.
		Where("venue_id", "eq", v.ID).Where("start_ms", "gte", from).Where("start_ms", "lte", to))
	if err != nil {
		return nil, err
	}
	taken := map[int64]string{}
	for _, r := range recs {
		var s slotRecord
		if r.Decode(&s) == nil {
			taken[s.StartMS] = s.BookingID
		}
	}
	for _, s := range slots {
		bid := taken[s.UnixMilli()]
		out = append(out, SlotView{Start: s, End: s.Add(time.Duration(v.SlotMinutes) * time.Minute), Free: bid == "", BookingID: bid})
	}
	return out, nil
}
