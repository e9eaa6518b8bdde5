// Package finance is the property company's books beside the ledger: its
// expenses, the income and profit report built on billing's ledger, and the
// collection work on rooms in arrears (calls, letters, visits and the weekly
// automatic reminders, each recorded against the room). It holds no balance:
// what a room owes is billing's, read through the Ledger interface.
package finance

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// IncomeRow is money received in one month, summed one of two ways: By
// "channel" (Key cash, bank_transfer, alipay, wechat …) or By "item" (Key a
// fee item's code; "prepaid" for money kept as prepayment). Each way sums to
// the month's income.
type IncomeRow struct {
	Period   civil.Period
	By       string // IncomeByChannel or IncomeByItem
	Key      string
	Name     string // the fee item's name, when known
	Amount   int64
	Currency money.Currency
}

// The two ways IncomeRow sums a month's income.
const (
	IncomeByChannel = "channel"
	IncomeByItem    = "item"
)

// CollectionRow is what the bills of one billing month asked for and how
// much of it has been paid so far (收缴率 = Collected / Billed).
type CollectionRow struct {
	Period    civil.Period
	Billed    int64
	Collected int64
	Currency  money.Currency
}

// Arrear is a room that owes money past its due date.
type Arrear struct {
	RoomID    uuid.UUID
	Amount    int64
	Currency  money.Currency
	OldestDue civil.Date
}

// Ledger is what this package reads from billing, which owns bills and the
// ledger. Its methods are called with store.Ctx(tx) inside this package's
// transaction when there is one, so they join it.
type Ledger interface {
	Income(ctx context.Context, tenantID uuid.UUID, from, to civil.Period) ([]IncomeRow, error)
	Collection(ctx context.Context, tenantID uuid.UUID, from, to civil.Period) ([]CollectionRow, error)
	// Arrears lists the rooms with an amount overdue on asOf (due date
	// before it), oldest debt first.
	Arrears(ctx context.Context, tenantID uuid.UUID, asOf civil.Date) ([]Arrear, error)
	// PeriodDues sums, per room, what the bills of a billing month still ask
	// for and their earliest due date (rooms with nothing outstanding left out).
	PeriodDues(ctx context.Context, tenantID uuid.UUID, p civil.Period) ([]PeriodDue, error)
}

// PeriodDue is what one room's bills of a month still ask for.
type PeriodDue struct {
	RoomID   uuid.UUID
	Amount   int64
	Currency money.Currency
	DueOn    civil.Date
}

// Notice is a message about one room for its payers: a bill notice or an
// overdue reminder. Event is its dedupe key (the collection row's).
type Notice struct {
	Event    string
	Template string // "bill.issued" or "bill.overdue"
	Vars     map[string]string
	Link     string
	// Amount is what the room owes (the month's bills, or overdue), in
	// minor units of Currency, for listeners that need the number (plugin
	// events) rather than Vars' formatted text.
	Amount   int64
	Currency money.Currency
}

// Notifier tells a room's payers (notifications, adapted in core/app): the
// residents with an app account in their inbox, the others by SMS. Called
// with store.Ctx(tx), it joins the transaction that records the action, so
// the row and its message commit together.
type Notifier interface {
	NotifyRoom(ctx context.Context, tenantID, roomID uuid.UUID, n Notice) error
}

// Rooms is what this package needs from the property domain.
type Rooms interface {
	RoomExists(ctx context.Context, tenantID, roomID uuid.UUID) (bool, error)
}

// Zone returns a tenant's time zone (tenant.Service.Location).
type Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location

// Service keeps expenses and collection work and builds the reports.
type Service struct {
	db     *store.DB
	ledger Ledger
	rooms  Rooms
	zone   Zone
	notify Notifier
	now    func() time.Time
}

// SetNotifier connects notifications: from then on each new reminder and
// bill notice also goes out to the room's payers. Without one they are
// only recorded. Call it before the service is used.
func (s *Service) SetNotifier(n Notifier) { s.notify = n }

// New returns a Service on db; every dependency is required.
func New(db *store.DB, ledger Ledger, rooms Rooms, zone Zone) (*Service, error) {
	if db == nil || ledger == nil || rooms == nil || zone == nil {
		return nil, errors.New("finance: New needs a database, billing's ledger, the property's rooms and the tenant zone")
	}
	return &Service{db: db, ledger: ledger, rooms: rooms, zone: zone, now: time.Now}, nil
}

// today is the tenant's current day in its zone.
func (s *Service) today(ctx context.Context, tenantID uuid.UUID) civil.Date {
	return civil.On(s.now(), s.zone(ctx, tenantID))
}

// Errors of this package.
var (
	ErrUnknownRoom = apperr.New(apperr.KindInvalid, "unknown_room", "No such room.", "房屋不存在。")
	ErrYear        = apperr.New(apperr.KindInvalid, "invalid_year", "year must be between 2000 and 2100.", "年份必须在 2000 到 2100 之间。")
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

type apperrField = apperr.FieldError

// fieldErrors returns the field errors an apperr carries (money's parse
// errors name their field), or one error naming name (an amount too large
// to hold comes without a field).
func fieldErrors(name string, err error) []apperr.FieldError {
	if e, ok := apperr.As(err); ok {
		if fe, ok := e.Details.([]apperr.FieldError); ok {
			return fe
		}
		return []apperr.FieldError{{Field: name, Code: e.Code, EN: e.Message("en"), ZH: e.Message("zh")}}
	}
	return []apperr.FieldError{{Field: name, Code: "invalid", EN: err.Error(), ZH: "输入有误"}}
}

// dateRange parses a list filter's from and to days (either may be empty).
func dateRange(from, to string) (f, t civil.Date, err error) {
	var fe []apperr.FieldError
	for _, d := range []struct {
		name, v string
		dst     *civil.Date
	}{{"from", from, &f}, {"to", to, &t}} {
		if d.v == "" {
			continue
		}
		v, e := civil.Parse(d.v)
		if e != nil {
			fe = append(fe, field(d.name, "invalid_date", d.name+" must be a day such as 2026-01-31", d.name+" 须为日期,如 2026-01-31"))
		}
		*d.dst = v
	}
	if len(fe) == 0 && !f.IsZero() && !t.IsZero() && t.Before(f) {
		fe = append(fe, field("to", "range_reversed", "to is before from", "结束日期早于开始日期"))
	}
	return f, t, invalid(fe)
}

// Today is the tenant's current day (the report's default year).
func (s *Service) Today(ctx context.Context, tenantID uuid.UUID) civil.Date {
	return s.today(ctx, tenantID)
}
