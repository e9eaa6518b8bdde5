package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Collections the plugin keeps in the host's records store.
const (
	colVenues     = "venues"
	colSlots      = "venue_slots"
	colBookings   = "bookings"
	colActivities = "activities"
	colSignups    = "signups"
	colProcessed  = "processed_events"
)

// Config is the plugin's configuration (see configSchema).
type Config struct {
	DefaultSlotMinutes int   `json:"default_slot_minutes"`
	ReminderHours      int   `json:"reminder_hours"`
	Demo               *Demo `json:"demo,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.DefaultSlotMinutes == 0 {
		c.DefaultSlotMinutes = 60
	}
	if c.ReminderHours == 0 {
		c.ReminderHours = 24
	}
	return c
}

// app is the plugin's state: its host, its configuration and a clock.
type app struct {
	p   *plugin.Plugin
	now func() time.Time

	mu  sync.RWMutex
	cfg Config
}

func (a *app) host() *plugin.Host { return a.p.Host }

func (a *app) loc() *time.Location {
	if a.p.Tenant.Location != nil {
		return a.p.Tenant.Location
	}
	return time.Local
}

func (a *app) config() Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg.withDefaults()
}

func (a *app) setConfig(raw json.RawMessage) error {
	var c Config
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
	}
	if c.DefaultSlotMinutes < 0 || c.ReminderHours < 0 {
		return errors.New("default_slot_minutes and reminder_hours are not negative")
	}
	a.mu.Lock()
	a.cfg = c
	a.mu.Unlock()
	return nil
}

// newID is a random record id.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newToken is a check-in token: 128 random bits, so it cannot be guessed.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// gRPC codes of the host's conflicts, compared by number so the plugin
// needs nothing but the SDK: Aborted is a stale version, AlreadyExists a
// create-only id or unique value already taken.
const (
	grpcAlreadyExists = 6
	grpcAborted       = 10
)

// isStale reports an optimistic-concurrency conflict (someone wrote the
// record since we read it): re-read and decide again.
func isStale(err error) bool {
	var he *plugin.HostError
	return errors.As(err, &he) && he.GRPC == grpcAborted
}

// isTaken reports a create-only write that found the id (or a unique
// value) already there.
func isTaken(err error) bool {
	var he *plugin.HostError
	return errors.As(err, &he) && he.GRPC == grpcAlreadyExists
}

// retry runs f again while it fails with a stale version, backing off a
// little more (with jitter) each time so racing writers spread out.
func retry(ctx context.Context, f func() error) error {
	for i := 0; ; i++ {
		err := f()
		if err == nil || !isStale(err) || i >= 200 {
			return err
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(1+min(i, 20))*int64(time.Millisecond)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(n.Int64())):
		}
	}
}

// isMissing reports a record that is not there, as the host or this
// plugin said it.
func isMissing(err error) bool {
	var pe *plugin.Error
	return plugin.IsNotFound(err) || (errors.As(err, &pe) && pe.Status == http.StatusNotFound)
}

func notFound(code, en, zh string) error { return plugin.Errorf(http.StatusNotFound, code, en, zh) }

func (a *app) getVenue(ctx context.Context, id string) (*Venue, error) {
	var v Venue
	rec, err := a.host().Get(ctx, colVenues, id, &v)
	if plugin.IsNotFound(err) {
		return nil, notFound("venue_not_found", "No such venue.", "场地不存在。")
	}
	if err != nil {
		return nil, err
	}
	v.ID = rec.ID
	return &v, nil
}

func (a *app) getActivity(ctx context.Context, id string) (*Activity, error) {
	var act Activity
	rec, err := a.host().Get(ctx, colActivities, id, &act)
	if plugin.IsNotFound(err) {
		return nil, notFound("activity_not_found", "No such activity.", "活动不存在。")
	}
	if err != nil {
		return nil, err
	}
	act.ID, act.Version = rec.ID, rec.Version
	return &act, nil
}

// putActivity writes act over the version it was read at (a conflict when
// someone else wrote it since) and keeps the new version.
func (a *app) putActivity(ctx context.Context, act *Activity) error {
	v := act.Version
	act.Version = 0
	rec, err := a.host().Put(ctx, colActivities, act.ID, act, v)
	if err != nil {
		act.Version = v
		return err
	}
	act.Version = rec.Version
	return nil
}

func (a *app) getSignup(ctx context.Context, id string) (*Signup, error) {
	var s Signup
	rec, err := a.host().Get(ctx, colSignups, id, &s)
	if plugin.IsNotFound(err) {
		return nil, notFound("signup_not_found", "No such sign-up.", "报名记录不存在。")
	}
	if err != nil {
		return nil, err
	}
	s.ID, s.Version = rec.ID, rec.Version
	return &s, nil
}

func (a *app) putSignup(ctx context.Context, s *Signup, expected int64) error {
	s.Version = 0
	rec, err := a.host().Put(ctx, colSignups, s.ID, s, expected)
	if err != nil {
		s.Version = expected
		return err
	}
	s.Version = rec.Version
	return nil
}

// communityOf answers the community id of a room.
func (a *app) communityOf(ctx context.Context, roomID string) (*wuyepb.Room, error) {
	return a.host().Room(ctx, roomID)
}

// checkCommunity answers 400 when id is not one of the tenant's communities.
func (a *app) checkCommunity(ctx context.Context, id string) error {
	cs, err := a.host().Communities(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Id == id {
			return nil
		}
	}
	return plugin.Invalid(field("community_id", "not_found", "No such community.", "小区不存在。"))
}

// resolveCommunity finds a community by id, code or name (demo data names
// communities the way people do).
func (a *app) resolveCommunity(ctx context.Context, ref string) (string, error) {
	cs, err := a.host().Communities(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Id == ref || c.Code == ref || c.Name == ref {
			return c.Id, nil
		}
	}
	return "", errors.New("no community " + ref)
}

func (a *app) audit(ctx context.Context, action, objType, id string, detail any) error {
	return a.host().Audit(ctx, action, objType, id, detail)
}
