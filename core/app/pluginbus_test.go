package app_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/workorder"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// spyPlugin is one plugin "spy" subscribed to every core event family in
// one tenant, standing in for the catalogue and the supervisor: it records
// what the bus delivers to it through the real queue.
type spyPlugin struct {
	wuyepb.PluginClient
	tenant uuid.UUID
	mu     sync.Mutex
	got    []*wuyepb.Event
}

func (s *spyPlugin) Subscribers(_ context.Context, tenantID uuid.UUID, typ string) ([]string, error) {
	if tenantID == s.tenant && bus.Subscribed([]string{"resident.*", "bill.*", "payment.*", "workorder.*"}, typ) {
		return []string{"spy"}, nil
	}
	return nil, nil
}

func (s *spyPlugin) PeriodicTasks(context.Context) ([]bus.Periodic, error) { return nil, nil }

func (s *spyPlugin) Call(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	return fn(ctx, s, nil)
}

func (s *spyPlugin) HandleEvent(_ context.Context, in *wuyepb.Event, _ ...grpc.CallOption) (*wuyepb.EventAck, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, in)
	return &wuyepb.EventAck{}, nil
}

// wait returns the payloads of the events of typ received within 15 s, at least n.
func (s *spyPlugin) wait(t *testing.T, typ string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var out []map[string]any
		s.mu.Lock()
		for _, e := range s.got {
			if e.Type == typ {
				var p map[string]any
				if err := json.Unmarshal(e.Payload, &p); err != nil || e.Source != "core" || e.Id == "" {
					t.Errorf("%s: source %q id %q payload %s", typ, e.Source, e.Id, e.Payload)
				}
				out = append(out, p)
			}
		}
		s.mu.Unlock()
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events, want %d", len(out), typ, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// find waits (15 s) for an event of typ whose payload satisfies ok.
func (s *spyPlugin) find(t *testing.T, typ string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, e := range s.got {
			var p map[string]any
			if e.Type == typ && json.Unmarshal(e.Payload, &p) == nil && ok(p) {
				s.mu.Unlock()
				return p
			}
		}
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no such %s event", typ)
	return nil
}

// TestCoreEventsReachPlugins: each core event is emitted by the real domain
// action and delivered to a subscribed plugin through the queue: a move-in
// and a move-out, a bill notice and an overdue reminder, a counter payment,
// a new work order and its cancellation.
func TestCoreEventsReachPlugins(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			op := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
			m, err := demoShort()
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Tenants.Apply(op, m)
			if err != nil {
				t.Fatal(err)
			}
			tid := res.Tenant.ID
			spy := &spyPlugin{tenant: tid}
			r.ConnectPlugins(spy, spy)
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "test", TenantID: tid})

			rooms, _, err := r.Property.ListRooms(ctx, tid, property.RoomFilter{}, paging.Paging{Limit: 1, Order: "number"})
			if err != nil || len(rooms) == 0 {
				t.Fatalf("rooms: %v %v", rooms, err)
			}
			room := rooms[0]
			p, err := r.Residents.CreatePerson(ctx, tid, resident.PersonInput{Name: "事件测试"})
			if err != nil {
				t.Fatal(err)
			}
			occ, err := r.Residents.MoveIn(ctx, tid, p.ID, resident.OccupancyInput{RoomID: room.ID, Role: "tenant", MoveIn: "2024-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			in := spy.find(t, app.EventMovedIn, func(e map[string]any) bool { return e["occupancy_id"] == occ.ID.String() })
			if in["occupancy_id"] != occ.ID.String() || in["resident_id"] != p.ID.String() || in["room_id"] != room.ID.String() || in["role"] != "tenant" {
				t.Errorf("moved_in %v", in)
			}
			if _, err := r.Residents.MoveOut(ctx, tid, occ.ID, resident.MoveOutInput{MoveOut: "2024-06-01"}); err != nil {
				t.Fatal(err)
			}
			out := spy.find(t, app.EventMovedOut, func(e map[string]any) bool { return e["occupancy_id"] == occ.ID.String() })
			if out["occupancy_id"] != occ.ID.String() || out["move_out"] != "2024-06-01" || out["room_vacated"] == nil {
				t.Errorf("moved_out %v", out)
			}

			bill, err := r.Billing.PostCharge(ctx, tid, billing.ChargeIn{RoomID: room.ID, ItemCode: "repair", ItemName: "事件测试", Amount: 1234,
				Reason: "test", DueDays: 15, IdempotencyKey: "bus-test", Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := r.Finance.NoticeBills(ctx, tid, true); err != nil || n == 0 {
				t.Fatalf("notices: %d %v", n, err)
			}
			issued := spy.find(t, app.EventBillIssued, func(e map[string]any) bool { return e["room_id"] == room.ID.String() })
			if issued["amount_fen"].(float64) < 1234 || issued["currency"] != "CNY" || issued["period"] == "" || issued["due_date"] == "" {
				t.Errorf("bill.issued %v", issued)
			}
			// The scheduler's own reminder run may have reminded first (n is
			// then 0); either way the event must reach the plugin.
			if _, err := r.Finance.RemindOverdue(ctx, tid, true); err != nil {
				t.Fatalf("reminders: %v", err)
			}
			if od := spy.wait(t, app.EventBillOverdue, 1)[0]; od["room_id"] == "" || od["amount_fen"].(float64) <= 0 || od["overdue_since"] == "" {
				t.Errorf("bill.overdue %v", od)
			}

			pay, err := r.Billing.RecordPayment(ctx, tid, billing.PaymentIn{RoomID: room.ID, BillIDs: []uuid.UUID{bill.ID}, Amount: 1234, Channel: "cash"})
			if err != nil {
				t.Fatal(err)
			}
			pr := spy.find(t, app.EventPaymentReceived, func(e map[string]any) bool { return e["payment_id"] == pay.ID.String() })
			if pr["payment_id"] != pay.ID.String() || pr["room_id"] != room.ID.String() || pr["amount_fen"] != 1234.0 || pr["channel"] != "cash" {
				t.Errorf("payment.received %v", pr)
			}
			if bills, _ := pr["bills"].([]any); len(bills) != 1 || bills[0].(map[string]any)["bill_id"] != bill.ID.String() {
				t.Errorf("payment.received bills %v", pr["bills"])
			}

			cid := room.CommunityID
			wo, err := r.WorkOrders.Create(ctx, tid, workorder.Input{Type: "suggestion", Category: workorder.Categories[0], CommunityID: &cid, Description: "插件事件测试"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.WorkOrders.Act(ctx, tid, wo.ID, workorder.ActCancel, workorder.ActionInput{Note: "测试"}); err != nil {
				t.Fatal(err)
			}
			var statuses []string
			for _, e := range spy.wait(t, app.EventWorkOrder, 2) {
				if e["order_id"] == wo.ID.String() {
					statuses = append(statuses, e["status"].(string)+"/"+e["change"].(string))
				}
			}
			// Deliveries run concurrently: their order is not the timeline's.
			if !slices.Contains(statuses, "submitted/submitted") || !slices.Contains(statuses, "cancelled/cancel") {
				t.Errorf("workorder.changed statuses %v", statuses)
			}
		})
	}
}
