// Package patrol is guard patrol (巡更): routes of ordered checkpoints in a
// community, each with an unguessable QR token, a schedule in the tenant's
// time zone, and the guards assigned to it. Every scheduled slot becomes a
// round (planned ahead by a periodic task, once per route and slot); a guard
// checks in at a point by scanning its QR code; when the round's window
// closes, points nobody checked in at are marked missed, the round is
// incomplete and the managers are told.
package patrol

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Notice is a notification this package asks for; the notification domain
// delivers it (core/app adapts it). Event is the dedupe key: one event is
// delivered once however often it is asked for.
type Notice struct {
	Event    string
	Template string
	Vars     map[string]string
	UserIDs  []uuid.UUID
	Link     string
}

// Notifier sends notices. It is called with store.Ctx(tx) inside the
// transaction that closes a round, so an implementation that queues its
// deliveries through the outbox commits them with the round.
type Notifier interface {
	Notify(ctx context.Context, tenantID uuid.UUID, n Notice) error
}

// Staff is what this package needs to know about the tenant's users.
type Staff interface {
	// IsGuard tells whether userID is a staff user holding the guard role.
	IsGuard(ctx context.Context, tenantID, userID uuid.UUID) (bool, error)
	// Guards lists the users holding the guard role (the demo assigns them).
	Guards(ctx context.Context, tenantID uuid.UUID) ([]uuid.UUID, error)
	// Managers lists the users told about missed points.
	Managers(ctx context.Context, tenantID uuid.UUID) ([]uuid.UUID, error)
}

// Places checks the community and location a route and its points name.
type Places interface {
	CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error)
	// LocationIn tells whether id is a building (kind "building") or a
	// common area (kind "common_area") of the community.
	LocationIn(ctx context.Context, tenantID, communityID uuid.UUID, kind string, id uuid.UUID) (bool, error)
}

// Zone returns a tenant's time zone (tenant.Service.Location).
type Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location

// Service keeps routes and rounds.
type Service struct {
	db     *store.DB
	staff  Staff
	places Places
	notify Notifier
	zone   Zone
	now    func() time.Time
}

// Option changes a Service.
type Option func(*Service)

// WithClock replaces the wall clock (tests and the demo seeder).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service on db; every dependency is required.
func New(db *store.DB, staff Staff, places Places, notify Notifier, zone Zone, opts ...Option) (*Service, error) {
	if db == nil || staff == nil || places == nil || notify == nil || zone == nil {
		return nil, errors.New("patrol: New needs a database, staff, places, a notifier and the tenant zone")
	}
	s := &Service{db: db, staff: staff, places: places, notify: notify, zone: zone, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Errors of this package.
var (
	ErrUnknownCheckpoint = apperr.New(apperr.KindUnprocessable, "unknown_checkpoint",
		"No checkpoint has this QR code; scan the code at the point again.", "没有与此二维码对应的巡更点,请重新扫描点位二维码。")
	ErrNotOnRoute = apperr.New(apperr.KindUnprocessable, "checkpoint_not_on_route",
		"This checkpoint belongs to another patrol route.", "此巡更点不属于本巡更路线。")
	ErrRoundNotOpen = apperr.New(apperr.KindConflict, "round_not_open",
		"This round has not started yet.", "本轮巡更尚未开始。")
	ErrRoundClosed = apperr.New(apperr.KindConflict, "round_closed",
		"This round's window has closed; check-ins are no longer accepted.", "本轮巡更已结束,不再接受打卡。")
	ErrNotAssigned = apperr.New(apperr.KindForbidden, "not_assigned_guard",
		"You are not a guard assigned to this route.", "您不是本路线指派的保安。")
	ErrUnknownPhoto = apperr.New(apperr.KindUnprocessable, "unknown_photo",
		"photo_id names no photo uploaded to this round.", "photo_id 不是本轮巡更上传的照片。")
	ErrNotImage = apperr.New(apperr.KindUnsupported, "unsupported_media_type",
		"A check-in photo must be a JPEG, PNG or WebP image.", "打卡照片必须是 JPEG、PNG 或 WebP 图片。")
)

func invalid(fe []apperr.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return apperr.Invalid.WithDetails(fe)
}

func field(name, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: name, Code: code, EN: en, ZH: zh}
}

// clock is the current time in UTC: SQLite compares stored times as text,
// so every time written or compared is in one zone.
func (s *Service) clock() time.Time { return s.now().UTC() }
