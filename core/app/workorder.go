package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/core/workorder"
)

// Work orders' wiring: adapters onto property, residents, identity + rbac,
// assets and billing; the room file's section; the demo seeder; and the
// periodic task (SLA sweep, auto-confirm, due maintenance plans).

const taskWorkOrderTick = "workorder.tick"

func (a *App) newWorkOrders() (*workorder.Service, error) {
	return workorder.New(a.DB, workorder.Deps{
		Places:    workorderPlaces{a.Property},
		Residents: billingResidents{a.Residents},
		Staff:     workorderStaff{a.Identity, a.RBAC},
		Charger:   workorderCharger{a.Billing},
		Notifier:  workorderNotifier{deskNotifier{a.Notify}},
		Zone:      a.Tenants.Location,
	})
}

// connectWorkOrders adds the room file's section and the demo seeder (after
// billing: the demo's paid repair becomes a bill).
func (a *App) connectWorkOrders() {
	w := a.WorkOrders
	a.Property.AddRoomSection("workorders", func(ctx context.Context, tenantID uuid.UUID, r property.Room) (any, error) {
		return w.RoomSection(ctx, tenantID, r.ID)
	})
	a.Tenants.RegisterSeeder("workorders", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		refs, err := a.workorderSeedRefs(ctx, tn.ID)
		if err != nil {
			return false, err
		}
		return w.SeedDemo(ctx, tn.ID, d, refs)
	})
}

// workorderSeedRefs gathers the staff users and some places the demo's orders name.
func (a *App) workorderSeedRefs(ctx context.Context, tenantID uuid.UUID) (workorder.SeedRefs, error) {
	refs := workorder.SeedRefs{Users: map[string]uuid.UUID{}, Names: map[uuid.UUID]string{}}
	users, _, err := a.Identity.ListUsers(ctx, tenantID, identity.UserFilter{Kind: identity.KindStaff, Limit: 200})
	if err != nil {
		return refs, err
	}
	for _, u := range users {
		refs.Users[u.Username], refs.Names[u.ID] = u.ID, u.Name
	}
	places := workorderPlaces{a.Property}
	rooms, _, err := a.Property.ListRooms(ctx, tenantID, property.RoomFilter{}, paging.Paging{Limit: 40, Order: "number"})
	if err != nil {
		return refs, err
	}
	for _, r := range rooms {
		p, err := places.Place(ctx, tenantID, r.ID)
		if err != nil {
			return refs, err
		}
		refs.Rooms = append(refs.Rooms, p)
	}
	residents, _, err := a.Identity.ListUsers(ctx, tenantID, identity.UserFilter{Kind: identity.KindResident, Limit: 20})
	if err != nil {
		return refs, err
	}
	for _, u := range residents {
		mine, err := a.Residents.MyRooms(ctx, tenantID, u.ID)
		if err != nil {
			return refs, err
		}
		if len(mine) > 0 {
			p, err := places.Place(ctx, tenantID, mine[0].RoomID)
			if err != nil {
				return refs, err
			}
			refs.Reporters = append(refs.Reporters, workorder.Reporter{UserID: u.ID, Name: u.Name, Room: p})
		}
	}
	areas, _, err := a.Property.ListCommonAreas(ctx, tenantID, property.CommonAreaFilter{}, paging.Paging{Limit: 20})
	if err != nil {
		return refs, err
	}
	for _, c := range areas {
		p, err := places.Place(ctx, tenantID, c.ID)
		if err != nil {
			return refs, err
		}
		refs.Areas = append(refs.Areas, p)
	}
	return refs, nil
}

// registerWorkOrderTasks: every ten minutes each active tenant's SLA breaches
// are marked and escalated, resolved orders past the auto-confirm days are
// confirmed, and maintenance plans due today get their orders (all idempotent).
func (a *App) registerWorkOrderTasks() error {
	a.Queue.Handle(taskWorkOrderTick, func(ctx context.Context, _ queue.Task) error {
		ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "work-order schedule"})
		return a.eachActiveTenant(ctx, func(id uuid.UUID) error { return a.workOrderTick(ctx, id) })
	})
	return a.Queue.Schedule("workorder-tick", "@every 10m", queue.Task{Type: taskWorkOrderTick, Queue: queue.Low})
}

func (a *App) workOrderTick(ctx context.Context, id uuid.UUID) error {
	if _, err := a.WorkOrders.SweepSLA(ctx, id); err != nil {
		return err
	}
	if _, err := a.WorkOrders.AutoConfirm(ctx, id); err != nil {
		return err
	}
	plans, err := a.duePlans(ctx, id)
	if err != nil {
		return err
	}
	_, err = a.WorkOrders.FromPlans(ctx, id, plans)
	return err
}

// duePlans reads the plans due by today in the tenant's zone with their assets.
func (a *App) duePlans(ctx context.Context, tenantID uuid.UUID) ([]workorder.DuePlan, error) {
	today := civil.Today(a.Tenants.Location(ctx, tenantID))
	plans, err := a.Assets.DuePlans(ctx, tenantID, asset.NewDate(today.Year, today.Month, today.Day))
	if err != nil {
		return nil, err
	}
	out := make([]workorder.DuePlan, 0, len(plans))
	for _, p := range plans {
		as, err := a.Assets.GetAsset(ctx, tenantID, p.AssetID)
		if err != nil {
			return nil, err
		}
		out = append(out, workorder.DuePlan{PlanID: p.ID, Name: p.Name, AssetName: as.Name, AssetCategory: as.Category,
			CommunityID: as.CommunityID, LocationID: as.LocationID, Due: p.NextDue.String()})
	}
	return out, nil
}

// workorderPlaces answers workorder.Places from the property register.
type workorderPlaces struct{ p *property.Service }

func (w workorderPlaces) Place(ctx context.Context, tenantID, id uuid.UUID) (workorder.Place, error) {
	l, err := w.p.ResolveLocation(ctx, tenantID, id)
	return workorder.Place{ID: l.ID, Kind: string(l.Kind), CommunityID: l.CommunityID, BuildingID: l.BuildingID, Name: l.Name}, err
}

func (w workorderPlaces) CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error) {
	return w.p.CommunityExists(ctx, tenantID, id)
}

// workorderStaff answers workorder.Staff from identity (accounts) and rbac (roles).
type workorderStaff struct {
	i *identity.Service
	r *rbac.Enforcer
}

func (s workorderStaff) Member(ctx context.Context, tenantID, userID uuid.UUID) (workorder.Member, error) {
	u, err := s.i.GetUser(ctx, tenantID, userID)
	if err != nil {
		return workorder.Member{}, err
	}
	roles, err := s.r.RolesOf(ctx, tenantID, userID)
	return workorder.Member{Name: u.Name, Staff: u.Kind == identity.KindStaff, Active: u.Status == identity.StatusActive, Roles: roles}, err
}

// WithRole lists the active staff holding role: rbac's holders of the role
// that identity lists as active staff (two queries; the work-order service
// remembers the answer for a minute).
func (s workorderStaff) WithRole(ctx context.Context, tenantID uuid.UUID, role string) ([]uuid.UUID, error) {
	holders, err := s.r.Holders(ctx, tenantID, role)
	if err != nil || len(holders) == 0 {
		return nil, err
	}
	users, _, err := s.i.ListUsers(ctx, tenantID, identity.UserFilter{Kind: identity.KindStaff, Status: identity.StatusActive, Limit: 500})
	if err != nil {
		return nil, err
	}
	active := make(map[uuid.UUID]bool, len(users))
	for _, u := range users {
		active[u.ID] = true
	}
	var out []uuid.UUID
	for _, id := range holders {
		if active[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// workorderCharger posts a paid repair through billing's one-off charge.
type workorderCharger struct{ b *billing.Service }

func (c workorderCharger) PostCharge(ctx context.Context, tenantID uuid.UUID, in workorder.Charge) (uuid.UUID, error) {
	v, err := c.b.PostCharge(ctx, tenantID, billing.ChargeIn{RoomID: in.RoomID, ItemCode: "repair", ItemName: in.ItemName,
		Amount: in.Amount, Reason: in.Reason, DueDays: 15, IdempotencyKey: in.IdempotencyKey, Source: "workorder"})
	return v.ID, err
}

// workorderNotifier sends work-order notices to their users through notify.
type workorderNotifier struct{ deskNotifier }

func (n workorderNotifier) Notify(ctx context.Context, tenantID uuid.UUID, m workorder.Notice) error {
	return n.send(ctx, tenantID, notify.Message{Event: m.Event, Template: m.Template, Vars: m.Vars, Link: m.Link, Urgent: m.Urgent}, m.UserIDs)
}
