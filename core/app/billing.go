package app

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/tenant"
)

// Billing's wiring: its adapters onto property and residents, its room-file
// section and demo seeder, and its tasks (bill-run jobs, daily late fees,
// the monthly runs). No rule lives here.

const (
	taskBillingTick = "billing.tick" // hourly: each tenant's due monthly runs and today's late fees
)

func (a *App) newBilling() (*billing.Service, error) {
	return billing.New(a.DB, billing.Deps{
		Pricer:    a.Fees,
		Rooms:     billingRooms{a.Property},
		Residents: billingResidents{a.Residents},
	}, billing.WithZone(a.Tenants.Location))
}

// connectBilling adds the room file's balance section and the demo seeder
// (after fees: the demo's bills are priced by its fee rules).
func (a *App) connectBilling() {
	b := a.Billing
	a.Property.AddRoomSection("balance", func(ctx context.Context, tenantID uuid.UUID, r property.Room) (any, error) {
		return b.RoomSection(ctx, tenantID, r.ID)
	})
	seed := b.DemoSeeder(a.Property)
	a.Tenants.RegisterSeeder("billing", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return seed(ctx, tn.ID, d)
	})
}

// registerBillingTasks runs bill-run jobs and, every hour, for each active
// tenant, the monthly runs due in its zone and its day's late fees (both
// idempotent: a second tick the same day or month adds nothing).
func (a *App) registerBillingTasks() error {
	a.Queue.Handle(billing.TaskBillRun, a.runBills)
	a.Queue.Handle(taskBillingTick, a.billingTick)
	return a.Queue.Schedule("billing-tick", "@every 1h", queue.Task{Type: taskBillingTick, Queue: queue.Low})
}

func (a *App) runBills(ctx context.Context, t queue.Task) error {
	var p billing.RunTask
	if err := json.Unmarshal(t.Payload, &p); err != nil {
		return err
	}
	jobID := queue.JobID(ctx) // ctx's actor is the queue's, naming the tenant Finish writes to
	r, err := a.Billing.ExecuteRun(ctx, t.TenantID, p.RunID, func(done, total int64) {
		if perr := a.Queue.Progress(ctx, jobID, done, total, ""); perr != nil {
			a.Log.Warn("bill run progress", "job", jobID, "err", perr)
		}
	})
	out, _ := json.Marshal(r)
	return a.Queue.Finish(ctx, jobID, string(out), err)
}

func (a *App) billingTick(ctx context.Context, _ queue.Task) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "billing schedule"})
	return a.eachActiveTenant(ctx, func(id uuid.UUID) error {
		_, err := a.Billing.StartDueRuns(ctx, id)
		if _, lerr := a.Billing.AccrueLateFees(ctx, id, civil.Today(a.Tenants.Location(ctx, id))); err == nil {
			err = lerr
		}
		return err
	})
}

// eachActiveTenant runs fn for every active tenant, going on past a
// tenant's failure; the failures come back joined.
func (a *App) eachActiveTenant(ctx context.Context, fn func(id uuid.UUID) error) error {
	var errs []error
	for off := 0; ; off += 500 {
		ts, _, err := a.Tenants.List(ctx, tenant.ListFilter{Status: tenant.StatusActive, Offset: off, Limit: 500})
		if err != nil {
			return err
		}
		for _, t := range ts {
			if err := fn(t.ID); err != nil {
				errs = append(errs, err)
			}
		}
		if len(ts) < 500 {
			return errors.Join(errs...)
		}
	}
}

// billingRooms answers billing.Rooms from the property service.
type billingRooms struct{ p *property.Service }

func (r billingRooms) RoomPlace(ctx context.Context, tenantID, roomID uuid.UUID) (billing.RoomPlace, error) {
	room, err := r.p.GetRoom(ctx, tenantID, roomID)
	if err != nil {
		return billing.RoomPlace{}, err
	}
	paths, err := r.p.RoomPaths(ctx, tenantID, []uuid.UUID{roomID})
	return billing.RoomPlace{CommunityID: room.CommunityID, BuildingID: room.BuildingID, Name: paths[roomID].String()}, err
}

func (r billingRooms) CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error) {
	return r.p.CommunityExists(ctx, tenantID, id)
}

func (r billingRooms) CountRooms(ctx context.Context, tenantID, communityID uuid.UUID) (int64, error) {
	_, n, err := r.p.ListRooms(ctx, tenantID, property.RoomFilter{CommunityID: communityID.String()}, paging.Paging{Limit: 1})
	return n, err
}

// billingResidents answers billing.Residents from the resident service.
type billingResidents struct{ r *resident.Service }

func (b billingResidents) MyRoomIDs(ctx context.Context, tenantID, userID uuid.UUID) ([]uuid.UUID, error) {
	rooms, err := b.r.MyRooms(ctx, tenantID, userID)
	out := make([]uuid.UUID, len(rooms))
	for i, r := range rooms {
		out[i] = r.RoomID
	}
	return out, err
}

func (b billingResidents) RoomHolder(ctx context.Context, tenantID, roomID uuid.UUID) (uuid.UUID, string, bool, error) {
	occ, err := b.r.ActiveOccupants(ctx, tenantID, roomID)
	if err != nil || len(occ) == 0 {
		return uuid.Nil, "", false, err
	}
	return occ[0].PersonID, occ[0].Name, true, nil
}
