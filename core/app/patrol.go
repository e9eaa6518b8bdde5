package app

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/patrol"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/tenant"
)

// Patrol's wiring: guards and managers from RBAC, communities and locations
// from the property register, its demo seeder, and the task that plans
// rounds and closes those whose window has passed.

const taskPatrolTick = "patrol.tick"

func (a *App) newPatrol() (*patrol.Service, error) {
	return patrol.New(a.DB, patrolStaff{a.RBAC}, patrolPlaces{a.Property}, patrolNotifier{deskNotifier{a.Notify}}, a.Tenants.Location)
}

func (a *App) connectPatrol() {
	a.Tenants.RegisterSeeder("patrol", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Patrol.SeedDemo(ctx, tn.ID, d, patrolPlaces{a.Property})
	})
}

// registerPatrolTasks: every five minutes each active tenant plans the
// next day's rounds and closes the rounds past their window (missed points
// are marked and the managers told within five minutes).
func (a *App) registerPatrolTasks() error {
	a.Queue.Handle(taskPatrolTick, func(ctx context.Context, _ queue.Task) error {
		ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "patrol schedule"})
		return a.eachActiveTenant(ctx, func(id uuid.UUID) error {
			_, _, err := a.Patrol.Tick(ctx, id)
			return err
		})
	})
	return a.Queue.Schedule("patrol-tick", "@every 5m", queue.Task{Type: taskPatrolTick, Queue: queue.Low})
}

// patrolStaff answers patrol.Staff from the tenant's role assignments.
type patrolStaff struct{ r *rbac.Enforcer }

func (s patrolStaff) IsGuard(ctx context.Context, tenantID, userID uuid.UUID) (bool, error) {
	roles, err := s.r.RolesOf(ctx, tenantID, userID)
	return slices.Contains(roles, rbac.Guard), err
}

func (s patrolStaff) Guards(ctx context.Context, tenantID uuid.UUID) ([]uuid.UUID, error) {
	return s.r.Holders(ctx, tenantID, rbac.Guard)
}

// Managers are the manager role's holders, or the admins where there is no manager.
func (s patrolStaff) Managers(ctx context.Context, tenantID uuid.UUID) ([]uuid.UUID, error) {
	ids, err := s.r.Holders(ctx, tenantID, rbac.Manager)
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	return s.r.Holders(ctx, tenantID, rbac.Admin)
}

// patrolPlaces answers patrol.Places and the seeder's lookups from the property register.
type patrolPlaces struct{ p *property.Service }

func (pl patrolPlaces) CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error) {
	return pl.p.CommunityExists(ctx, tenantID, id)
}

func (pl patrolPlaces) LocationIn(ctx context.Context, tenantID, communityID uuid.UUID, kind string, id uuid.UUID) (bool, error) {
	switch kind {
	case patrol.LocBuilding:
		b, err := pl.p.GetBuilding(ctx, tenantID, id)
		if err != nil {
			return false, ignoreNotFound(err)
		}
		return b.CommunityID == communityID, nil
	case patrol.LocCommonArea:
		l, err := pl.p.ResolveLocation(ctx, tenantID, id)
		if err != nil {
			return false, ignoreNotFound(err)
		}
		return l.Kind == property.LocationCommonArea && l.CommunityID == communityID, nil
	}
	return false, nil
}

func (pl patrolPlaces) FindCommunity(ctx context.Context, tenantID uuid.UUID, name string) (uuid.UUID, bool, error) {
	names, err := pl.p.CommunityNames(ctx, tenantID)
	for id, n := range names {
		if n == name {
			return id, true, err
		}
	}
	return uuid.Nil, false, err
}

func (pl patrolPlaces) FindCommonArea(ctx context.Context, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error) {
	id, ok, err := pl.p.FindLocation(ctx, tenantID, communityID, name)
	if err != nil || !ok {
		return uuid.Nil, false, err
	}
	l, err := pl.p.ResolveLocation(ctx, tenantID, id)
	if err != nil {
		return uuid.Nil, false, err
	}
	return id, l.Kind == property.LocationCommonArea, nil
}

// patrolNotifier tells managers of missed checkpoints through notify.
type patrolNotifier struct{ deskNotifier }

func (n patrolNotifier) Notify(ctx context.Context, tenantID uuid.UUID, m patrol.Notice) error {
	return n.send(ctx, tenantID, notify.Message{Event: m.Event, Template: m.Template, Vars: m.Vars, Link: m.Link}, m.UserIDs)
}

// ignoreNotFound turns "no such building or location" into a plain no.
func ignoreNotFound(err error) error {
	if errors.Is(err, apperr.NotFound) || errors.Is(err, property.ErrLocationNotFound) {
		return nil
	}
	return err
}
