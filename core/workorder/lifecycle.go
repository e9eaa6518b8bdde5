package workorder

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Actions that move an order through its life cycle.
const (
	ActAssign  = "assign"  // a dispatcher (or automatic dispatch) names the technician
	ActGrab    = "grab"    // a technician takes an order from the open pool
	ActAccept  = "accept"  // the technician accepts, with an expected arrival
	ActDecline = "decline" // the technician hands it back to the pool
	ActStart   = "start"   // on the way / on site
	ActResolve = "resolve" // done, with the handling result
	ActConfirm = "confirm" // the resident accepts (or auto-confirm after N days)
	ActClose   = "close"   // staff close it after the follow-up
	ActReopen  = "reopen"  // not fixed after all
	ActCancel  = "cancel"  // withdrawn, with a reason
)

// transitions is the life cycle: for each action, the statuses it may
// leave and the status it reaches. Nothing else moves an order.
var transitions = map[string]struct {
	from []string
	to   string
}{
	ActAssign:  {[]string{StatusSubmitted, StatusAssigned}, StatusAssigned},
	ActGrab:    {[]string{StatusSubmitted}, StatusAssigned},
	ActAccept:  {[]string{StatusAssigned}, StatusAccepted},
	ActDecline: {[]string{StatusAssigned, StatusAccepted}, StatusSubmitted},
	ActStart:   {[]string{StatusAccepted}, StatusInProgress},
	ActResolve: {[]string{StatusInProgress}, StatusResolved},
	ActConfirm: {[]string{StatusResolved}, StatusConfirmed},
	ActClose:   {[]string{StatusConfirmed}, StatusClosed},
	ActReopen:  {[]string{StatusResolved, StatusConfirmed, StatusClosed}, StatusAssigned},
	ActCancel:  {[]string{StatusSubmitted, StatusAssigned, StatusAccepted, StatusInProgress}, StatusCancelled},
}

// Transition is one row of the life-cycle table, for the docs and the API.
type Transition struct {
	Action string   `json:"action"`
	From   []string `json:"from"`
	To     string   `json:"to"`
}

// Transitions returns the life-cycle table.
func Transitions() []Transition {
	out := make([]Transition, 0, len(transitions))
	for _, a := range []string{ActAssign, ActGrab, ActAccept, ActDecline, ActStart, ActResolve, ActConfirm, ActClose, ActReopen, ActCancel} {
		t := transitions[a]
		out = append(out, Transition{a, append([]string{}, t.from...), t.to})
	}
	return out
}

func illegal(from, action, to string) error {
	return ErrIllegalTransition.Withf(from, action).WithDetails(map[string]string{"from": from, "to": to, "action": action})
}

// load reads an order, locking its row for the rest of tx on Postgres.
func load(tx *gorm.DB, tenantID, id uuid.UUID) (Order, error) {
	var o Order
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND id = ?", tenantID, id).Take(&o).Error
	return o, store.NotFound(err)
}

// step moves o by action: it checks the table, writes the change only if
// the order is still in the status it was read in (a concurrent change
// loses with a conflict), stamps and attributes it, and appends the
// timeline event. set holds the action's own columns.
func (s *Service) step(tx *gorm.DB, o *Order, action, note string, by actor.Actor, set map[string]any) (Event, error) {
	t := transitions[action]
	to := t.to
	if action == ActReopen && o.AssigneeID == nil {
		to = StatusSubmitted
	}
	if !slices.Contains(t.from, o.Status) {
		return Event{}, illegal(o.Status, action, to)
	}
	now := s.now().UTC()
	if set == nil {
		set = map[string]any{}
	}
	set["status"], set["updated_at"] = to, now
	res := tx.Model(&Order{}).Where("tenant_id = ? AND id = ? AND status = ?", o.TenantID, o.ID, o.Status).Updates(set)
	if res.Error != nil {
		return Event{}, res.Error
	}
	if res.RowsAffected == 0 {
		if action == ActGrab || action == ActAssign {
			return Event{}, ErrAlreadyTaken
		}
		return Event{}, illegal(o.Status, action, to)
	}
	from := o.Status
	o.Status, o.UpdatedAt = to, now
	return s.event(tx, o, action, from, to, note, by)
}

// event appends one timeline entry.
func (s *Service) event(tx *gorm.DB, o *Order, kind, from, to, note string, by actor.Actor) (Event, error) {
	e := Event{TenantID: o.TenantID, ID: store.NewID(), OrderID: o.ID, Kind: kind, FromStatus: from, ToStatus: to,
		ActorName: actorName(by), Note: note, At: s.now().UTC()}
	if by.ID != uuid.Nil {
		id := by.ID
		e.ActorID = &id
	}
	if err := tx.Create(&e).Error; err != nil {
		return e, err
	}
	if s.changed != nil {
		return e, s.changed(store.Ctx(tx), *o, e)
	}
	return e, nil
}

func actorName(a actor.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	if a.Kind == "" {
		return string(actor.System)
	}
	return string(a.Kind)
}

func who(ctx context.Context) actor.Actor {
	a, _ := actor.From(ctx)
	return a
}

// ActionInput carries what an action records besides the status.
type ActionInput struct {
	Note            string     `json:"note"`             // reason of a cancel, reopen or decline; any remark
	Result          string     `json:"result"`           // resolve: the handling result (a complaint's outcome)
	ExpectedArrival *time.Time `json:"expected_arrival"` // accept: when the technician will be there
}

func (in ActionInput) check(action string) error {
	var fe []apperr.FieldError
	if len(in.Note) > 2000 {
		fe = append(fe, field("note", "too_long", "note is at most 2000 bytes", "备注最多 2000 字节"))
	}
	if len(in.Result) > 4000 {
		fe = append(fe, field("result", "too_long", "result is at most 4000 bytes", "处理结果最多 4000 字节"))
	}
	if action == ActCancel && in.Note == "" {
		fe = append(fe, field("note", "required", "a cancel needs a reason (note)", "取消工单须填写原因(note)"))
	}
	if action == ActResolve && in.Result == "" {
		fe = append(fe, field("result", "required", "resolving needs the handling result", "完成工单须填写处理结果"))
	}
	return invalid(fe)
}

// Act performs a staff action (accept, decline, start, resolve, confirm,
// close, reopen, cancel) on an order. Accept and decline are the
// assignee's own; a complaint is confirmed only by its resident.
func (s *Service) Act(ctx context.Context, tenantID, id uuid.UUID, action string, in ActionInput) (o Order, err error) {
	if _, ok := transitions[action]; !ok || action == ActAssign || action == ActGrab {
		return o, apperr.NotFound
	}
	if err := in.check(action); err != nil {
		return o, err
	}
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = load(tx, tenantID, id); err != nil {
			return err
		}
		if (action == ActAccept || action == ActDecline) && (o.AssigneeID == nil || *o.AssigneeID != by.ID) {
			return ErrNotAssignee
		}
		if action == ActConfirm && o.Type == TypeComplaint && o.Status == StatusResolved {
			return ErrComplaintNeedsResident
		}
		return s.apply(tx, &o, action, in, by)
	})
	return o, err
}

// apply runs action on a loaded order with its side effects: stamps, SLA
// breach on a late response or resolution, the charge on confirmation and
// the notices.
func (s *Service) apply(tx *gorm.DB, o *Order, action string, in ActionInput, by actor.Actor) error {
	now := s.now().UTC()
	set := map[string]any{}
	note := in.Note
	late := false
	switch action {
	case ActAccept:
		set["accepted_at"] = now
		if in.ExpectedArrival != nil {
			set["expected_arrival"] = in.ExpectedArrival.UTC()
		}
		late = now.After(o.ResponseDue)
	case ActDecline:
		set["assignee_id"], set["assignee_name"], set["accepted_at"], set["assigned_at"], set["expected_arrival"] = nil, "", nil, nil, nil
	case ActResolve:
		set["resolved_at"], set["result"] = now, in.Result
		late = now.After(o.ResolveDue)
		note = in.Result
	case ActConfirm:
		set["confirmed_at"] = now
	case ActClose:
		set["closed_at"] = now
	case ActReopen:
		set["resolved_at"], set["confirmed_at"], set["closed_at"] = nil, nil, nil
	case ActCancel:
		set["cancel_reason"] = in.Note
	}
	if late && !o.SLABreached {
		set["sla_breached"] = true
	}
	ev, err := s.step(tx, o, action, note, by, set)
	if err != nil {
		return err
	}
	if err := tx.Where("tenant_id = ? AND id = ?", o.TenantID, o.ID).Take(o).Error; err != nil {
		return err
	}
	if late && set["sla_breached"] == true {
		if _, err := s.event(tx, o, "sla_breached", "", "", "late "+action, by); err != nil {
			return err
		}
	}
	switch action {
	case ActAccept:
		return s.notifyResident(tx, o, ev, "workorder.accepted", false)
	case ActStart:
		return s.notifyResident(tx, o, ev, "workorder.arriving", false)
	case ActResolve:
		return s.notifyResident(tx, o, ev, "workorder.resolved", false)
	case ActClose:
		return s.notifyResident(tx, o, ev, "workorder.closed", false)
	case ActConfirm:
		// A paid repair is billed once the work is accepted.
		if o.ChargeMinor > 0 && o.RoomID != nil && o.ChargedBillID == nil {
			return s.charge(tx, o, by)
		}
	case ActReopen:
		if o.AssigneeID != nil {
			return s.notify(tx, o, ev, "workorder.reopened", []uuid.UUID{*o.AssigneeID}, true)
		}
	}
	return nil
}
