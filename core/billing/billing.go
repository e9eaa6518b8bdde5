// Package billing turns the fee domain's quotes into bills, keeps the
// append-only ledger of what each room owes and has paid, records counter
// payments with gap-free receipt numbers, refunds (approved by a second
// person), one-off charges, late fees and prepaid money, and answers the
// arrears questions (aging, collection rate, income). It prices nothing
// itself: a Pricer (the fee domain) says what a room owes for a period.
package billing

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/store"
)

// Pricer is what billing needs from the fee domain: a room's quote for a
// period, a community's quotes in room-id order after a room (uuid.Nil:
// from the start), batch rooms at a time, and a fee item's prepayment
// discount percent for paying months ahead ("0": none). *fee.Service
// satisfies it.
type Pricer interface {
	Quote(ctx context.Context, tenantID, roomID uuid.UUID, period civil.Period) (fee.RoomQuote, error)
	QuoteCommunity(ctx context.Context, tenantID, communityID uuid.UUID, period civil.Period, after uuid.UUID, batch int, fn func([]fee.RoomQuote) error) error
	PrepayPercent(ctx context.Context, tenantID, itemID uuid.UUID, months int) (string, error)
}

// Residents is what billing needs from the resident domain: the rooms a
// signed-in resident lives in (self-service), and who answers for a room
// (its first current occupant, owners first; ok false when empty), for
// arrears by resident.
type Residents interface {
	MyRoomIDs(ctx context.Context, tenantID, userID uuid.UUID) ([]uuid.UUID, error)
	RoomHolder(ctx context.Context, tenantID, roomID uuid.UUID) (personID uuid.UUID, name string, ok bool, err error)
}

// RoomPlace is where a room is, as the property domain says.
type RoomPlace struct {
	CommunityID uuid.UUID
	BuildingID  uuid.UUID
	Name        string // "community building unit number", for receipts
}

// Rooms is what billing needs from the property domain. RoomPlace answers
// apperr.NotFound for a room the tenant does not have.
type Rooms interface {
	RoomPlace(ctx context.Context, tenantID, roomID uuid.UUID) (RoomPlace, error)
	CommunityExists(ctx context.Context, tenantID, communityID uuid.UUID) (bool, error)
	CountRooms(ctx context.Context, tenantID, communityID uuid.UUID) (int64, error)
}

// Deps are the other domains billing calls; all are required.
type Deps struct {
	Pricer    Pricer
	Rooms     Rooms
	Residents Residents
}

// Service is the billing domain.
type Service struct {
	db        *store.DB
	pricer    Pricer
	rooms     Rooms
	residents Residents
	zone      func(ctx context.Context, tenantID uuid.UUID) *time.Location
	clock     func() time.Time
	batch     int
	paid      PaymentHook
}

// PaymentHook hears of every payment recorded (at the counter, online, a
// prepayment), called with store.Ctx(tx) inside the payment's transaction so
// what it writes commits with the payment; its error rolls the payment back.
type PaymentHook func(ctx context.Context, tenantID uuid.UUID, p PaymentView) error

// SetPaymentHook connects the hook (core/app: plugin events). Call it before
// the service is used.
func (s *Service) SetPaymentHook(h PaymentHook) { s.paid = h }

// Option configures a Service.
type Option func(*Service)

// WithZone makes "today" the tenant's day in its time zone (tenant.Service.Location).
func WithZone(fn func(ctx context.Context, tenantID uuid.UUID) *time.Location) Option {
	return func(s *Service) { s.zone = fn }
}

// WithClock fixes the time (tests, the demo seeder's past months).
func WithClock(fn func() time.Time) Option { return func(s *Service) { s.clock = fn } }

// WithBatch sets how many rooms a bill run writes per transaction (default 2000).
func WithBatch(n int) Option { return func(s *Service) { s.batch = n } }

// New returns the billing service on db with its dependencies.
func New(db *store.DB, d Deps, opts ...Option) (*Service, error) {
	if db == nil || d.Pricer == nil || d.Rooms == nil || d.Residents == nil {
		return nil, errors.New("billing: New needs a database, a pricer, the property rooms and the resident domain")
	}
	s := &Service{db: db, pricer: d.Pricer, rooms: d.Rooms, residents: d.Residents, batch: 2000}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// today is the tenant's current day. Callers read it before opening their
// transaction: the zone may need a read of its own.
func (s *Service) today(ctx context.Context, tenantID uuid.UUID) civil.Date {
	if d, ok := ctx.Value(dayKey{}).(civil.Date); ok {
		return d
	}
	now := time.Now()
	if s.clock != nil {
		now = s.clock()
	}
	loc := time.Local
	if s.zone != nil {
		loc = s.zone(ctx, tenantID)
	}
	return civil.On(now, loc)
}

// who names the actor of ctx for a ledger entry: "user:<id> <name>", or
// "system" for scheduled work.
func who(ctx context.Context) string {
	a, ok := actor.From(ctx)
	if !ok || a.Kind == actor.System || a.ID == uuid.Nil {
		if ok && a.Name != "" {
			return "system:" + a.Name
		}
		return "system"
	}
	return string(a.Kind) + ":" + a.ID.String() + " " + a.Name
}

func actorID(ctx context.Context) uuid.UUID {
	a, _ := actor.From(ctx)
	return a.ID
}

func ofTenant(tx *gorm.DB, tenantID uuid.UUID) *gorm.DB { return tx.Where("tenant_id = ?", tenantID) }

// forUpdate locks the rows a query reads until the transaction ends. SQLite
// has one writer at a time (writes begin immediate), so it needs no lock.
func (s *Service) forUpdate(tx *gorm.DB) *gorm.DB {
	if s.db.Dialect() == store.Postgres {
		return tx.Clauses(lockClause)
	}
	return tx
}

// Today is the tenant's current day, the default "as of" of reports.
func (s *Service) Today(ctx context.Context, tenantID uuid.UUID) civil.Date {
	return s.today(ctx, tenantID)
}

type dayKey struct{}

// WithDay makes d the day billing books on in ctx's calls, instead of the
// tenant's today: for seeding past months and for catching up.
func WithDay(ctx context.Context, d civil.Date) context.Context {
	return context.WithValue(ctx, dayKey{}, d)
}
