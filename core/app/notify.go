package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/finance"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/tenant"
)

// Notifications' wiring: identity's users and the resident register as
// notify sees them, finance's room notices sent through notify, the
// delivery task and the demo seeder. Adapters only call the other side.

func (a *App) newNotify() (*notify.Service, error) {
	return notify.New(a.DB, notify.Deps{
		Users:    notifyUsers{a.Identity},
		Audience: notifyAudience{a.Property, a.Residents},
		Keys:     a.Residents.Keyring(), // secrets and addresses rotate with the personal-data keys
		Zone:     a.Tenants.Location,
	}, notify.Options{AllowPrivate: a.Config.NotifyAllowPrivate})
}

func (a *App) connectNotify() {
	a.Finance.SetNotifier(roomNotifier{a.Notify, a.Residents, a.Property})
	a.Tenants.RegisterSeeder("notify", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Notify.SeedDemo(ctx, tn.ID, d, notifySeedLookup{a.Property, a.Identity})
	})
}

// notifySeedLookup finds the demo's community, buildings and staff by name.
type notifySeedLookup struct {
	p   *property.Service
	ids *identity.Service
}

func (l notifySeedLookup) Community(ctx context.Context, tenantID uuid.UUID, name string) (uuid.UUID, bool, error) {
	cs, _, err := l.p.ListCommunities(ctx, tenantID, property.CommunityFilter{Q: name}, paging.Paging{Limit: 50})
	for _, c := range cs {
		if c.Name == name {
			return c.ID, true, nil
		}
	}
	return uuid.Nil, false, err
}

func (l notifySeedLookup) Building(ctx context.Context, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error) {
	bs, _, err := l.p.ListBuildings(ctx, tenantID, property.BuildingFilter{CommunityID: communityID.String(), Q: name}, paging.Paging{Limit: 50})
	for _, b := range bs {
		if b.Name == name {
			return b.ID, true, nil
		}
	}
	return uuid.Nil, false, err
}

func (l notifySeedLookup) User(ctx context.Context, tenantID uuid.UUID, username string) (uuid.UUID, bool, error) {
	return findUser(ctx, l.ids, tenantID, username)
}

// registerNotifyTasks installs the delivery handler: one task per delivery.
func (a *App) registerNotifyTasks() {
	a.Queue.Handle(notify.TaskDeliver, a.Notify.HandleDeliver)
}

// notifyUsers answers notify.Users from identity's accounts.
type notifyUsers struct{ ids *identity.Service }

func (u notifyUsers) Contact(ctx context.Context, tenantID, userID uuid.UUID) (notify.Recipient, bool, error) {
	usr, err := u.ids.GetUser(ctx, tenantID, userID)
	if errors.Is(err, apperr.NotFound) {
		return notify.Recipient{}, false, nil
	}
	if err != nil {
		return notify.Recipient{}, false, err
	}
	return notify.Recipient{UserID: usr.ID, Name: usr.Name, Phone: usr.Phone, Email: usr.Email}, true, nil
}

// notifyAudience answers notify.Audience: the property register's rooms of
// a community or building, and the resident register's people in them.
type notifyAudience struct {
	p *property.Service
	r *resident.Service
}

func (n notifyAudience) Exists(ctx context.Context, tenantID uuid.UUID, t notify.Target) (bool, error) {
	switch t.Kind {
	case notify.AudienceCommunity:
		return n.p.CommunityExists(ctx, tenantID, t.CommunityID)
	case notify.AudienceBuilding:
		_, err := n.p.GetBuilding(ctx, tenantID, t.BuildingID)
		if errors.Is(err, apperr.NotFound) {
			return false, nil
		}
		return err == nil, err
	case notify.AudienceTag:
		if t.CommunityID != uuid.Nil {
			if ok, err := n.p.CommunityExists(ctx, tenantID, t.CommunityID); !ok || err != nil {
				return false, err
			}
		}
		return n.r.TagExists(ctx, tenantID, t.Tag)
	}
	return false, nil
}

func (n notifyAudience) Members(ctx context.Context, tenantID uuid.UUID, t notify.Target) ([]notify.Member, error) {
	var (
		people []resident.Reach
		err    error
	)
	switch t.Kind {
	case notify.AudienceCommunity, notify.AudienceBuilding:
		community := t.CommunityID
		if t.Kind == notify.AudienceBuilding {
			b, err := n.p.GetBuilding(ctx, tenantID, t.BuildingID)
			if err != nil {
				return nil, err
			}
			community = b.CommunityID
		}
		rooms, err := n.rooms(ctx, tenantID, community, t.BuildingID)
		if err != nil {
			return nil, err
		}
		people, err = n.r.RoomContacts(ctx, tenantID, rooms)
		if err != nil {
			return nil, err
		}
	case notify.AudienceTag:
		if people, err = n.r.TaggedContacts(ctx, tenantID, t.Tag); err != nil {
			return nil, err
		}
		if t.CommunityID != uuid.Nil {
			rooms, err := n.rooms(ctx, tenantID, t.CommunityID, uuid.Nil)
			if err != nil {
				return nil, err
			}
			in := make(map[uuid.UUID]bool, len(rooms))
			for _, r := range rooms {
				in[r] = true
			}
			kept := people[:0]
			for _, p := range people {
				if in[p.RoomID] {
					kept = append(kept, p)
				}
			}
			people = kept
		}
	}
	out := make([]notify.Member, len(people))
	for i, p := range people {
		out[i] = notify.Member{PersonID: p.PersonID, UserID: p.UserID, Name: p.Name, Phone: p.Phone}
	}
	return out, nil
}

// rooms lists a community's room ids, of one building when building is set.
func (n notifyAudience) rooms(ctx context.Context, tenantID, community, building uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	after := uuid.Nil
	for {
		page, err := n.p.RoomsAfter(ctx, tenantID, community, after, 2000)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if building == uuid.Nil || r.BuildingID == building {
				out = append(out, r.ID)
			}
		}
		if len(page) < 2000 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// roomNotifier answers finance.Notifier: a room's payers (resident) with the
// room's name (property), sent through notify in the caller's transaction.
type roomNotifier struct {
	n *notify.Service
	r *resident.Service
	p *property.Service
}

func (rn roomNotifier) NotifyRoom(ctx context.Context, tenantID, roomID uuid.UUID, note finance.Notice) error {
	payers, err := rn.r.RoomPayers(ctx, tenantID, roomID)
	if err != nil || len(payers) == 0 {
		return err
	}
	paths, err := rn.p.RoomPaths(ctx, tenantID, []uuid.UUID{roomID})
	if err != nil {
		return err
	}
	vars := map[string]string{"room": paths[roomID].String()}
	for k, v := range note.Vars {
		vars[k] = v
	}
	to := make([]notify.Recipient, len(payers))
	for i, p := range payers {
		to[i] = notify.Recipient{UserID: p.UserID, Name: p.Name}
		if p.UserID == uuid.Nil {
			to[i].Phone = p.Phone // no app account: SMS to the number on file
		}
	}
	return rn.n.Send(ctx, tenantID, notify.Message{Event: note.Event, Template: note.Template, Vars: vars, To: to, Link: note.Link})
}

// deskNotifier sends the service desk's notices (work orders, patrol,
// surveys), which name users, through notify; ctx carries the caller's
// transaction, so the deliveries commit with the change they tell of.
type deskNotifier struct{ n *notify.Service }

func (d deskNotifier) send(ctx context.Context, tenantID uuid.UUID, m notify.Message, users []uuid.UUID) error {
	for _, u := range users {
		m.To = append(m.To, notify.Recipient{UserID: u})
	}
	return d.n.Send(ctx, tenantID, m)
}
