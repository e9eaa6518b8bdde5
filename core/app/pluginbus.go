package app

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/finance"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/workorder"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The plugin bus's wiring: the core's events, emitted from the domains'
// hooks inside the transaction of the change they tell of, and the bus's
// delivery handlers and periodic loop. Payloads carry ids and the few fields
// a plugin needs; people are named by id only (Host.GetResident tells more).

// Core event types.
const (
	EventMovedIn         = "resident.moved_in"
	EventMovedOut        = "resident.moved_out"
	EventBillIssued      = "bill.issued"
	EventBillOverdue     = "bill.overdue"
	EventPaymentReceived = "payment.received"
	EventWorkOrder       = "workorder.changed"
)

// pluginSeams are the catalogue and the supervisor as the bus reaches them;
// until ConnectPlugins no plugin is enabled anywhere, and the bus is inert.
type pluginSeams struct {
	mu  sync.RWMutex
	dir bus.Directory
	run pluginhost.Runner
}

// ConnectPlugins gives the bus the catalogue (subscriptions, periodic tasks)
// and the supervisor (the tenants' processes).
func (a *App) ConnectPlugins(dir bus.Directory, run pluginhost.Runner) {
	a.plugins.mu.Lock()
	defer a.plugins.mu.Unlock()
	a.plugins.dir, a.plugins.run = dir, run
}

func (s *pluginSeams) get() (bus.Directory, pluginhost.Runner) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dir, s.run
}

func (s *pluginSeams) Subscribers(ctx context.Context, tenantID uuid.UUID, eventType string) ([]string, error) {
	if d, _ := s.get(); d != nil {
		return d.Subscribers(ctx, tenantID, eventType)
	}
	return nil, nil
}

func (s *pluginSeams) PeriodicTasks(ctx context.Context) ([]bus.Periodic, error) {
	if d, _ := s.get(); d != nil {
		return d.PeriodicTasks(ctx)
	}
	return nil, nil
}

func (s *pluginSeams) Call(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	if _, r := s.get(); r != nil {
		return r.Call(ctx, tenantID, plugin, fn)
	}
	return pluginhost.ErrNotEnabled
}

// newPluginBus builds the bus, connects the domains' hooks to it and
// installs its delivery handlers (after the queue is open and notify connected).
func (a *App) newPluginBus() error {
	b, err := bus.New(a.DB, bus.Deps{Directory: &a.plugins, Runner: &a.plugins, Zone: a.Tenants.Location}, bus.Options{Log: a.Log})
	if err != nil {
		return err
	}
	a.PluginBus = b
	a.Residents.SetMoveHook(a.emitMove)
	a.Billing.SetPaymentHook(a.emitPayment)
	a.Payments.SetPluginPaidHook(a.emitPluginPayment)
	a.WorkOrders.SetChangeHook(a.emitWorkOrder)
	// Bill notices and overdue reminders already reach the room's payers
	// through notify; the same call, in the same transaction, tells plugins.
	a.Finance.SetNotifier(busRoomNotifier{roomNotifier{a.Notify, a.Residents, a.Property}, a})
	b.Register(a.Queue)
	return nil
}

// runPluginBus runs the plugins' periodic tasks until ctx ends.
func (a *App) runPluginBus(ctx context.Context) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		a.PluginBus.Run(ctx)
	}()
}

// emit sends a core event inside ctx's transaction.
func (a *App) emit(ctx context.Context, tenantID uuid.UUID, id uuid.UUID, typ string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = a.PluginBus.Emit(ctx, tenantID, bus.Event{ID: id, Type: typ, Payload: body})
	return err
}

func optID(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func (a *App) emitMove(ctx context.Context, tenantID uuid.UUID, m resident.Move) error {
	o := m.Occupancy
	p := map[string]any{"occupancy_id": o.ID, "resident_id": o.PersonID, "room_id": o.RoomID, "household_id": o.HouseholdID,
		"role": o.Role, "move_in": o.MoveIn}
	typ := EventMovedIn
	if m.Out {
		typ = EventMovedOut
		p["move_out"], p["room_vacated"] = o.MoveOut, m.RoomVacated
	}
	return a.emit(ctx, tenantID, uuid.Nil, typ, p)
}

func (a *App) emitPayment(ctx context.Context, tenantID uuid.UUID, v billing.PaymentView) error {
	bills := make([]map[string]any, len(v.Allocations))
	for i, al := range v.Allocations {
		bills[i] = map[string]any{"bill_id": al.BillID, "period": al.Period, "amount_fen": al.Amount}
	}
	return a.emit(ctx, tenantID, uuid.Nil, EventPaymentReceived, map[string]any{
		"payment_id": v.ID, "room_id": v.RoomID, "amount_fen": v.Amount, "currency": v.Currency, "channel": v.Channel,
		"received_on": v.ReceivedOn.String(), "receipt_no": v.ReceiptNo, "bills": bills, "prepaid_fen": v.Prepaid,
	})
}

// emitWorkOrder tells of every timeline entry; the event's id is the entry's.
func (a *App) emitWorkOrder(ctx context.Context, o workorder.Order, e workorder.Event) error {
	return a.emit(ctx, o.TenantID, e.ID, EventWorkOrder, map[string]any{
		"order_id": o.ID, "number": workorder.Number(o.ID), "type": o.Type, "category": o.Category, "priority": o.Priority,
		"change": e.Kind, "from_status": e.FromStatus, "status": o.Status, "community_id": o.CommunityID,
		"room_id": optID(o.RoomID), "location_id": optID(o.LocationID), "assignee_id": optID(o.AssigneeID),
		"reporter_id": optID(o.ReporterID), "sla_breached": o.SLABreached,
	})
}

// busRoomNotifier is finance's notifier: notify's message to the payers,
// then the plugin event of a bill notice (bill.issued) or an overdue
// reminder (bill.overdue), whose id follows from the notice's own dedupe key.
type busRoomNotifier struct {
	next finance.Notifier
	a    *App
}

func (n busRoomNotifier) NotifyRoom(ctx context.Context, tenantID, roomID uuid.UUID, note finance.Notice) error {
	if err := n.next.NotifyRoom(ctx, tenantID, roomID, note); err != nil {
		return err
	}
	p := map[string]any{"room_id": roomID, "amount_fen": note.Amount, "currency": note.Currency}
	var typ string
	switch note.Template {
	case "bill.issued":
		typ = EventBillIssued
		p["period"], p["due_date"] = note.Vars["period"], note.Vars["due_date"]
	case "bill.overdue":
		typ = EventBillOverdue
		p["overdue_since"] = note.Vars["since"]
	default:
		return nil
	}
	return n.a.emit(ctx, tenantID, bus.EventID(tenantID, bus.SourceCore, note.Event), typ, p)
}
