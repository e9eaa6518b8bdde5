package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/survey"
	"github.com/wuye-project/wuye/core/tenant"
)

// Surveys' wiring: the audience of a target from the property register and
// the residents, its demo seeder, and the hourly task that closes surveys
// past their close date.

const taskSurveyClose = "survey.close"

func (a *App) newSurvey() (*survey.Service, error) {
	return survey.New(a.DB, surveyAudience{a.Property, a.Residents}, surveyNotifier{deskNotifier{a.Notify}}, a.Tenants.Location)
}

func (a *App) connectSurvey() {
	find := patrolPlaces{a.Property}.FindCommunity
	a.Tenants.RegisterSeeder("surveys", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Surveys.SeedDemo(ctx, tn.ID, d, find)
	})
}

func (a *App) registerSurveyTasks() error {
	a.Queue.Handle(taskSurveyClose, func(ctx context.Context, _ queue.Task) error {
		ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "survey schedule"})
		return a.eachActiveTenant(ctx, func(id uuid.UUID) error {
			_, err := a.Surveys.CloseDue(ctx, id)
			return err
		})
	})
	return a.Queue.Schedule("survey-close", "@every 1h", queue.Task{Type: taskSurveyClose, Queue: queue.Low})
}

// surveyAudience answers survey.Audience: the rooms of a target from the
// property register, the people living in them from the residents.
type surveyAudience struct {
	p *property.Service
	r *resident.Service
}

func (au surveyAudience) Valid(ctx context.Context, tenantID uuid.UUID, t survey.Target) (bool, error) {
	ok, err := au.p.CommunityExists(ctx, tenantID, t.CommunityID)
	if err != nil || !ok || t.Kind != survey.TargetBuilding {
		return ok, err
	}
	b, err := au.p.GetBuilding(ctx, tenantID, *t.BuildingID)
	if err != nil {
		return false, ignoreNotFound(err)
	}
	return b.CommunityID == t.CommunityID, nil
}

// communityRooms reads the community's room ids in keyset pages.
func (au surveyAudience) communityRooms(ctx context.Context, tenantID, communityID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	after := uuid.Nil
	for {
		rooms, err := au.p.RoomsAfter(ctx, tenantID, communityID, after, 5000)
		if err != nil {
			return nil, err
		}
		for _, r := range rooms {
			ids = append(ids, r.ID)
		}
		if len(rooms) < 5000 {
			return ids, nil
		}
		after = rooms[len(rooms)-1].ID
	}
}

func (au surveyAudience) Members(ctx context.Context, tenantID uuid.UUID, t survey.Target) ([]survey.Member, error) {
	var ms []resident.Member
	switch t.Kind {
	case survey.TargetBuilding:
		rooms, _, err := au.p.ListRooms(ctx, tenantID, property.RoomFilter{CommunityID: t.CommunityID.String(), BuildingID: t.BuildingID.String()}, paging.Paging{})
		if err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, len(rooms))
		for i, r := range rooms {
			ids[i] = r.ID
		}
		if ms, err = au.r.MembersInRooms(ctx, tenantID, ids); err != nil {
			return nil, err
		}
	case survey.TargetTag:
		tagged, err := au.r.MembersTagged(ctx, tenantID, t.Tag)
		if err != nil || len(tagged) == 0 {
			return nil, err
		}
		ids, err := au.communityRooms(ctx, tenantID, t.CommunityID)
		if err != nil {
			return nil, err
		}
		in := make(map[uuid.UUID]bool, len(ids))
		for _, id := range ids {
			in[id] = true
		}
		for _, m := range tagged {
			for _, r := range m.RoomIDs {
				if in[r] {
					ms = append(ms, m)
					break
				}
			}
		}
	default:
		ids, err := au.communityRooms(ctx, tenantID, t.CommunityID)
		if err != nil {
			return nil, err
		}
		if ms, err = au.r.MembersInRooms(ctx, tenantID, ids); err != nil {
			return nil, err
		}
	}
	out := make([]survey.Member, len(ms))
	for i, m := range ms {
		out[i] = survey.Member{PersonID: m.PersonID, UserID: m.UserID}
	}
	return out, nil
}

func (au surveyAudience) PersonOf(ctx context.Context, tenantID, userID uuid.UUID) (uuid.UUID, bool, error) {
	return au.r.PersonOfUser(ctx, tenantID, userID)
}

// surveyNotifier tells a published survey's recipients through notify.
type surveyNotifier struct{ deskNotifier }

func (n surveyNotifier) Notify(ctx context.Context, tenantID uuid.UUID, m survey.Notice) error {
	return n.send(ctx, tenantID, notify.Message{Event: m.Event, Template: m.Template, Vars: m.Vars, Link: m.Link}, m.UserIDs)
}
