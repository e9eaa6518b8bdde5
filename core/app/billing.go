package app

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/tenant"
)

// Billing's wiring: its adapters onto property and residents, its room-file
// section and demo seeder, and its tasks (bill-run jobs, daily late fees,
// the monthly runs). No rule lives here except standInPricer (see there).

const (
	taskBillingTick = "billing.tick" // hourly: each tenant's due monthly runs and today's late fees
)

func (a *App) newBilling() (*billing.Service, error) {
	return billing.New(a.DB, billing.Deps{
		Pricer:    standInPricer{a.Property},
		Rooms:     billingRooms{a.Property},
		Residents: billingResidents{a.Residents},
	}, billing.WithZone(a.Tenants.Location))
}

// connectBilling adds the room file's balance section and the demo seeder
// (after residents; fees, when they land, register before it).
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
	var errs []error
	for off := 0; ; off += 500 {
		ts, _, err := a.Tenants.List(ctx, tenant.ListFilter{Status: tenant.StatusActive, Offset: off, Limit: 500})
		if err != nil {
			return err
		}
		for _, t := range ts {
			if _, err := a.Billing.StartDueRuns(ctx, t.ID); err != nil {
				errs = append(errs, err)
			}
			if _, err := a.Billing.AccrueLateFees(ctx, t.ID, civil.Today(a.Tenants.Location(ctx, t.ID))); err != nil {
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

// standInPricer prices rooms until the fee domain is merged: a property fee
// of built area × 2.50 yuan/m² × the room's fee coefficient a month, rounded
// half-up to the fen, due on the 15th, late fee 0.05 %/day after 15 days'
// grace capped at 100 %. When core/fee lands, Deps.Pricer becomes
// a.Fees (*fee.Service) and this type goes.
type standInPricer struct{ p *property.Service }

func (s standInPricer) Quote(ctx context.Context, tenantID, roomID uuid.UUID, period civil.Period) (fee.RoomQuote, error) {
	r, err := s.p.GetRoom(ctx, tenantID, roomID)
	if err != nil {
		return fee.RoomQuote{}, err
	}
	return standInQuote(r, period)
}

func (s standInPricer) QuoteCommunity(ctx context.Context, tenantID, communityID uuid.UUID, period civil.Period, after uuid.UUID, batch int, fn func([]fee.RoomQuote) error) error {
	filter := property.RoomFilter{CommunityID: communityID.String()}
	rooms, _, err := s.p.ListRooms(ctx, tenantID, filter, paging.Paging{Limit: 1 << 30, Order: "id"})
	if err != nil {
		return err
	}
	var qs []fee.RoomQuote
	for _, r := range rooms {
		if after != uuid.Nil && r.ID.String() <= after.String() {
			continue
		}
		q, err := standInQuote(r, period)
		if err != nil {
			return err
		}
		if qs = append(qs, q); len(qs) == batch {
			if err := fn(qs); err != nil {
				return err
			}
			qs = nil
		}
	}
	if len(qs) > 0 {
		return fn(qs)
	}
	return nil
}

func standInQuote(r property.Room, period civil.Period) (fee.RoomQuote, error) {
	q := fee.RoomQuote{RoomID: r.ID, CommunityID: r.CommunityID, BuildingID: r.BuildingID, Period: period, Lines: []fee.Line{}, Exceptions: []fee.Exception{}}
	if r.BuiltArea <= 0 {
		q.Exceptions = append(q.Exceptions, fee.Exception{Code: "no_area", Message: "The room has no built-up area.", MessageZH: "房屋没有建筑面积。"})
		return q, nil
	}
	coef := int64(r.FeeCoefficient)
	if coef == 0 {
		coef = 10000
	}
	// area (2 decimals) × 2.50 (2) × coefficient (4) → fen (2 decimals of yuan)
	areaRate, err := decimal.Mul(int64(r.BuiltArea), property.AreaScale, 250, 2, 4, decimal.HalfUp)
	if err != nil {
		return q, err
	}
	amt, err := decimal.Mul(areaRate, 4, coef, property.CoefficientScale, 2, decimal.HalfUp)
	if err != nil {
		return q, apperr.Invalid.Wrap(err)
	}
	q.Lines = append(q.Lines, fee.Line{Code: "property_fee", Name: "物业服务费", Kind: fee.KindArea, From: period.Start(), To: period.End(),
		Quantity: r.BuiltArea.String(), Unit: "m²", Rate: "2.50", Amount: amt, Currency: money.CNY,
		Detail: r.BuiltArea.String() + " m² × 2.50 × " + r.FeeCoefficient.String(), DueDays: 14,
		Late: &fee.LatePolicy{GraceDays: 15, RatePerDay: "0.0005", CapPercent: "100"}})
	return q, nil
}
