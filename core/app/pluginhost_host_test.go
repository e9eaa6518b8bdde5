package app_test

import (
	"context"
	"net"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// TestPluginHostOverRealServices: the Host of a tenant's plugin, served on a
// real gRPC listener over the app's services, reads its own tenant's rooms
// and residents (masked, no ID number), charges a room once per key, and
// answers NotFound for another tenant's room, resident and charge target.
func TestPluginHostOverRealServices(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
			type place struct {
				tenant, room, person uuid.UUID
			}
			seed := func(code string) place {
				res, err := r.Tenants.Apply(ctx, tenant.Manifest{Code: code, Name: code, Plan: "trial",
					Admins: []tenant.UserSpec{{Username: "admin", Name: "Admin", Password: "Str0ng-enough-pass"}}})
				if err != nil {
					t.Fatal(err)
				}
				tn := res.Tenant.ID
				c, err := r.Property.CreateCommunity(ctx, tn, property.CommunityInput{Name: "一期"})
				if err != nil {
					t.Fatal(err)
				}
				b, err := r.Property.CreateBuilding(ctx, tn, property.BuildingInput{CommunityID: c.ID, Name: "1栋", Floors: 6})
				if err != nil {
					t.Fatal(err)
				}
				u, err := r.Property.CreateUnit(ctx, tn, property.UnitInput{BuildingID: b.ID, Name: "1单元"})
				if err != nil {
					t.Fatal(err)
				}
				num, floor, area := "101", 1, property.Area(8850)
				room, err := r.Property.CreateRoom(ctx, tn, property.RoomInput{UnitID: &u.ID, Number: &num, Floor: &floor, BuiltArea: &area})
				if err != nil {
					t.Fatal(err)
				}
				p, err := r.Residents.CreatePerson(ctx, tn, resident.PersonInput{Name: "陈建国", Gender: "male", BirthDate: "1961-05-02",
					Phones: []resident.PhoneInput{{Number: "13812341357"}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.Residents.MoveIn(ctx, tn, p.ID, resident.OccupancyInput{RoomID: room.ID, Role: "owner", Relation: "本人", MoveIn: "2020-01-01"}); err != nil {
					t.Fatal(err)
				}
				return place{tn, room.ID, p.ID}
			}
			a, b := seed("hosta"), seed("hostb")

			f := hostsvc.New(r.HostDeps(nil, nil))
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer()
			wuyepb.RegisterHostServer(srv, f.For(pluginhost.Spec{TenantID: a.tenant, Name: "events", Manifest: &wuyepb.Manifest{Name: "events"}}))
			go srv.Serve(lis)
			defer srv.Stop()
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			h := wuyepb.NewHostClient(conn)
			bg := context.Background()

			room, err := h.GetRoom(bg, &wuyepb.GetRoomRequest{Id: a.room.String()})
			if err != nil || room.GetLabel() != "1栋/1单元/101" || room.GetArea() != "88.50" {
				t.Fatalf("own room: %v %v", room, err)
			}
			rooms, err := h.ListRooms(bg, &wuyepb.ListRoomsRequest{})
			if err != nil || len(rooms.GetRooms()) != 1 || rooms.GetRooms()[0].GetId() != a.room.String() {
				t.Fatalf("rooms: %v %v", rooms, err)
			}
			res, err := h.GetResident(bg, &wuyepb.GetResidentRequest{Id: a.person.String()})
			if err != nil || res.GetPhoneMasked() != "138****1357" || res.GetBirthYear() != 1961 || len(res.GetRoomIds()) != 1 {
				t.Fatalf("own resident: %v %v", res, err)
			}
			list, err := h.ListResidents(bg, &wuyepb.ListResidentsRequest{RoomId: a.room.String()})
			if err != nil || len(list.GetResidents()) != 1 {
				t.Fatalf("residents of the room: %v %v", list, err)
			}
			// Tenant B's objects do not exist for tenant A's plugin.
			if _, err := h.GetRoom(bg, &wuyepb.GetRoomRequest{Id: b.room.String()}); status.Code(err) != codes.NotFound {
				t.Fatalf("B's room: %v", err)
			}
			if _, err := h.GetResident(bg, &wuyepb.GetResidentRequest{Id: b.person.String()}); status.Code(err) != codes.NotFound {
				t.Fatalf("B's resident: %v", err)
			}
			if l, err := h.ListResidents(bg, &wuyepb.ListResidentsRequest{RoomId: b.room.String()}); err != nil || len(l.GetResidents()) != 0 {
				t.Fatalf("residents of B's room: %v %v", l, err)
			}
			if _, err := h.PostCharge(bg, &wuyepb.PostChargeRequest{RoomId: b.room.String(), AmountFen: 100, IdempotencyKey: "x"}); status.Code(err) != codes.NotFound {
				t.Fatalf("charge to B's room: %v", err)
			}
			// A charge is posted once per key.
			req := &wuyepb.PostChargeRequest{RoomId: a.room.String(), AmountFen: 5000, Description: "活动报名费", IdempotencyKey: "signup-1"}
			c1, err := h.PostCharge(bg, req)
			if err != nil || c1.GetReplayed() || c1.GetAmountFen() != 5000 || c1.GetCurrency() != "CNY" {
				t.Fatalf("charge: %v %v", c1, err)
			}
			c2, err := h.PostCharge(bg, req)
			if err != nil || !c2.GetReplayed() || c2.GetBillId() != c1.GetBillId() || c2.GetId() != c1.GetId() {
				t.Fatalf("charge again: %v %v", c2, err)
			}
			if _, err := h.PostCharge(bg, &wuyepb.PostChargeRequest{RoomId: a.room.String(), AmountFen: 0, IdempotencyKey: "k"}); status.Code(err) != codes.InvalidArgument {
				t.Fatalf("zero charge: %v", err)
			}
		})
	}
}
