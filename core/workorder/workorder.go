// Package workorder is the service desk's work orders (报修 / 投诉 / 建议 /
// 巡检 / 保养): orders raised by residents, the front desk, due maintenance
// plans and plugins' alarms; their life cycle kept as a timeline; dispatch
// to technicians by rules, skills and shifts (automatic, manual or grabbed
// from the open pool); SLA targets and breaches; paid repairs posted to the
// room as a charge; satisfaction, follow-up visits and statistics.
//
// What it needs from other domains (rooms and common areas, residents'
// rooms, staff accounts and roles, due maintenance plans, billing's charges,
// notifications) it declares here as small interfaces, adapted in core/app.
package workorder

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Place is where an order is: a room or a common area of a community.
type Place struct {
	ID          uuid.UUID
	Kind        string // "room" or "common_area"
	CommunityID uuid.UUID
	BuildingID  *uuid.UUID
	Name        string
}

// Places resolves location ids (property.Service.ResolveLocation). A
// location the tenant does not have is an error of kind invalid.
type Places interface {
	Place(ctx context.Context, tenantID, locationID uuid.UUID) (Place, error)
	CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error)
}

// Residents answers which rooms a resident user lives in now.
type Residents interface {
	MyRoomIDs(ctx context.Context, tenantID, userID uuid.UUID) ([]uuid.UUID, error)
}

// Member is a staff account as this package needs it.
type Member struct {
	Name   string
	Staff  bool
	Active bool
	Roles  []string
}

// Staff reads staff accounts and who holds a role (identity + rbac).
type Staff interface {
	Member(ctx context.Context, tenantID, userID uuid.UUID) (Member, error)
	WithRole(ctx context.Context, tenantID uuid.UUID, role string) ([]uuid.UUID, error)
}

// Charge is a paid repair's total billed to its room.
type Charge struct {
	RoomID         uuid.UUID
	ItemName       string
	Amount         int64 // fen
	Reason         string
	IdempotencyKey string
}

// Charger posts a charge to a room (billing.Service.PostCharge) and returns
// the bill's id; the same IdempotencyKey posts once.
type Charger interface {
	PostCharge(ctx context.Context, tenantID uuid.UUID, c Charge) (billID uuid.UUID, err error)
}

// Notice is one notification: Event de-duplicates deliveries, Template
// names the message ("workorder.assigned" …).
type Notice struct {
	Event    string
	Template string
	Vars     map[string]string
	UserIDs  []uuid.UUID
	Link     string
	Urgent   bool
}

// Notifier sends notices. It is called inside the order's transaction
// (ctx = store.Ctx(tx)) so a notice is queued only with the change it tells of.
type Notifier interface {
	Notify(ctx context.Context, tenantID uuid.UUID, n Notice) error
}

// Zone returns a tenant's time zone (tenant.Service.Location).
type Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location

// Deps are the Service's dependencies; all are required.
type Deps struct {
	Places    Places
	Residents Residents
	Staff     Staff
	Charger   Charger
	Notifier  Notifier
	Zone      Zone
}

// Service keeps work orders.
type Service struct {
	db    *store.DB
	d     Deps
	files *attachment.Store
	now   func() time.Time

	rolesMu sync.Mutex
	roles   map[roleKey]roleEntry // who holds manager/frontdesk, for notices

	changed ChangeHook
}

// ChangeHook hears of every entry of an order's timeline (a status change,
// a comment, a charge …) with the order as it now is, called with
// store.Ctx(tx) inside the change's transaction so what it writes commits
// with it; its error rolls the change back.
type ChangeHook func(ctx context.Context, o Order, e Event) error

// SetChangeHook connects the hook (core/app: plugin events). Call it before
// the service is used.
func (s *Service) SetChangeHook(h ChangeHook) { s.changed = h }

type roleKey struct {
	tenant uuid.UUID
	role   string
}

type roleEntry struct {
	ids []uuid.UUID
	at  time.Time
}

// New returns a Service on db.
func New(db *store.DB, d Deps) (*Service, error) {
	if db == nil || d.Places == nil || d.Residents == nil || d.Staff == nil || d.Charger == nil || d.Notifier == nil || d.Zone == nil {
		return nil, errors.New("workorder: New needs a database, places, residents, staff, a charger, a notifier and the tenant zone")
	}
	return &Service{db: db, d: d, files: attachment.NewStore(db), now: time.Now, roles: map[roleKey]roleEntry{}}, nil
}

// SetClock replaces the clock (tests and the demo seeder).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) today(ctx context.Context, tenantID uuid.UUID) civil.Date {
	return civil.On(s.now(), s.d.Zone(ctx, tenantID))
}

// holders returns who holds role, remembered for a minute: notices name
// managers and dispatchers on every order, and staff rarely change.
func (s *Service) holders(ctx context.Context, tenantID uuid.UUID, role string) ([]uuid.UUID, error) {
	k := roleKey{tenantID, role}
	s.rolesMu.Lock()
	e, ok := s.roles[k]
	s.rolesMu.Unlock()
	if ok && s.now().Sub(e.at) < time.Minute {
		return e.ids, nil
	}
	ids, err := s.d.Staff.WithRole(ctx, tenantID, role)
	if err != nil {
		return nil, err
	}
	s.rolesMu.Lock()
	s.roles[k] = roleEntry{ids: ids, at: s.now()}
	s.rolesMu.Unlock()
	return ids, nil
}

// Errors of this package.
var (
	ErrIllegalTransition      = apperr.New(apperr.KindConflict, "illegal_transition", "A work order that is %s does not allow the step %q.", "状态为 %s 的工单不能执行 %q 操作。")
	ErrAlreadyTaken           = apperr.New(apperr.KindConflict, "already_taken", "Another technician took this work order first.", "该工单已被其他维修人员抢走。")
	ErrNotEligible            = apperr.New(apperr.KindForbidden, "not_eligible", "Only an active technician with the order's skill may take it.", "只有具备相应技能的在岗维修人员才能接此工单。")
	ErrNotAssignee            = apperr.New(apperr.KindForbidden, "not_assignee", "Only the technician the order is assigned to may do this.", "只有被派单的维修人员才能执行此操作。")
	ErrRoomNotYours           = apperr.New(apperr.KindForbidden, "room_not_yours", "You can only report for a room you live in.", "只能为本人居住的房屋报修。")
	ErrChaseTooSoon           = apperr.New(apperr.KindRateLimited, "chase_too_soon", "This order was chased a short while ago; please wait before chasing again.", "刚刚已催办过,请稍后再催。")
	ErrAlreadyRated           = apperr.New(apperr.KindConflict, "already_rated", "This order has been rated already.", "该工单已评价。")
	ErrNotResolved            = apperr.New(apperr.KindConflict, "not_resolved", "An order can be rated only after it is resolved.", "工单处理完成后才能评价。")
	ErrComplaintNeedsResident = apperr.New(apperr.KindConflict, "resident_must_accept", "A complaint stays open until the resident accepts the result.", "投诉须由业主确认处理结果后才能结束。")
	ErrNotTechnician          = apperr.New(apperr.KindInvalid, "not_a_technician", "The user is not an active staff member with the technician role.", "该用户不是具有维修人员角色的在职员工。")
	ErrUnknownTechnician      = apperr.New(apperr.KindInvalid, "unknown_technician", "No such technician.", "维修人员不存在。")
	ErrNoCharge               = apperr.New(apperr.KindConflict, "nothing_to_charge", "The order has no labour or materials to charge, or no room to charge them to.", "工单没有可收费的人工或材料,或不在具体房屋。")
	ErrAlreadyCharged         = apperr.New(apperr.KindConflict, "already_charged", "The order's charge has been posted; its lines can no longer change.", "该工单费用已入账,不能再修改费用明细。")
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
