package app

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/notify"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/records"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/workorder"
)

// HostDeps adapts the core's services to the plugin Host's interfaces
// (core/pluginhost/hostsvc). The queue bus and the secrets reader belong to
// the plugin runtime's other parts and are passed in.
func (a *App) HostDeps(bus hostsvc.Bus, secrets hostsvc.Secrets) hostsvc.Deps {
	return hostsvc.Deps{
		Records:    records.New(a.DB),
		Property:   hostProperty{a.Property},
		Residents:  hostResidents{a.Residents, a.Property},
		Billing:    hostBilling{a.Billing},
		Payments:   hostPayments{a.Payments},
		WorkOrders: hostWorkOrders{a.WorkOrders},
		Notify:     hostNotify{a.Notify},
		Devices:    a.hostDevs,
		Bus:        bus,
		Audit:      hostAudit{a.Audit},
		Secrets:    secrets,
		Vehicles:   hostVehicles{hostResidents{a.Residents, a.Property}},
		Log:        a.Log,
	}
}

type hostProperty struct{ p *property.Service }

func (h hostProperty) ListCommunities(ctx context.Context, tenantID uuid.UUID) ([]hostsvc.Community, error) {
	cs, _, err := h.p.ListCommunities(ctx, tenantID, property.CommunityFilter{}, paging.Paging{Limit: 1000, Order: "name"})
	out := make([]hostsvc.Community, len(cs))
	for i, c := range cs {
		out[i] = hostsvc.Community{ID: c.ID, Code: c.Code, Name: c.Name, Address: c.Address}
	}
	return out, err
}

// rooms labels rooms "building/unit/number" from the room directory.
func (h hostProperty) rooms(ctx context.Context, tenantID uuid.UUID, rs []property.Room) ([]hostsvc.Room, error) {
	ids := make([]uuid.UUID, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	paths, err := h.p.RoomPaths(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]hostsvc.Room, len(rs))
	for i, r := range rs {
		p := paths[r.ID]
		out[i] = hostsvc.Room{ID: r.ID, CommunityID: r.CommunityID, BuildingID: r.BuildingID, Building: p.Building, Unit: p.Unit,
			Number: r.Number, Label: p.Building + "/" + p.Unit + "/" + r.Number, Area: r.BuiltArea.String(), Status: string(r.Status)}
	}
	return out, nil
}

func (h hostProperty) GetRoom(ctx context.Context, tenantID, id uuid.UUID) (hostsvc.Room, error) {
	r, err := h.p.GetRoom(ctx, tenantID, id)
	if err != nil {
		return hostsvc.Room{}, err
	}
	out, err := h.rooms(ctx, tenantID, []property.Room{r})
	if err != nil {
		return hostsvc.Room{}, err
	}
	return out[0], nil
}

func (h hostProperty) ListRooms(ctx context.Context, tenantID uuid.UUID, f hostsvc.RoomFilter, offset, limit int) ([]hostsvc.Room, error) {
	var rf property.RoomFilter
	if f.CommunityID != uuid.Nil {
		rf.CommunityID = f.CommunityID.String()
	}
	if f.BuildingID != uuid.Nil {
		rf.BuildingID = f.BuildingID.String()
	}
	rs, _, err := h.p.ListRooms(ctx, tenantID, rf, paging.Paging{Offset: offset, Limit: limit, Order: "number"})
	if err != nil {
		return nil, err
	}
	return h.rooms(ctx, tenantID, rs)
}

type hostResidents struct {
	r *resident.Service
	p *property.Service
}

// GetResident reads a person as a plugin may see them: the register's
// masked phone, no ID number, the birth year only.
func (h hostResidents) GetResident(ctx context.Context, tenantID, id uuid.UUID) (hostsvc.Resident, error) {
	p, err := h.r.GetPerson(ctx, tenantID, id)
	if err != nil {
		return hostsvc.Resident{}, err
	}
	out := hostsvc.Resident{ID: p.ID, Name: p.Name, Gender: p.Gender, Tags: []string{}, RoomIDs: []uuid.UUID{}}
	if len(p.Phones) > 0 {
		out.PhoneMasked = p.Phones[0].Number // GetPerson masks it
	}
	if len(p.BirthDate) >= 4 {
		out.BirthYear, _ = strconv.Atoi(p.BirthDate[:4])
	}
	for _, o := range p.Occupancies {
		if o.MoveOut == "" && !slices.Contains(out.RoomIDs, o.RoomID) {
			out.RoomIDs = append(out.RoomIDs, o.RoomID)
		}
	}
	for _, t := range p.Tags {
		out.Tags = append(out.Tags, t.Tag)
	}
	if p.UserID != nil {
		out.UserID = *p.UserID
	}
	return out, nil
}

// maxAreaRooms bounds the rooms a community or building filter gathers.
const maxAreaRooms = 20000

// ListResidents lists people by room or tag through the register's search
// (name order), or by community or building through the people living in
// its rooms (person id order); each page's people are then read in full
// (birth year, account), at most a page at a time.
func (h hostResidents) ListResidents(ctx context.Context, tenantID uuid.UUID, f hostsvc.ResidentFilter, offset, limit int) ([]hostsvc.Resident, error) {
	var ids []uuid.UUID
	if f.RoomID == uuid.Nil && (f.CommunityID != uuid.Nil || f.BuildingID != uuid.Nil) {
		var rf property.RoomFilter
		if f.CommunityID != uuid.Nil {
			rf.CommunityID = f.CommunityID.String()
		}
		if f.BuildingID != uuid.Nil {
			rf.BuildingID = f.BuildingID.String()
		}
		rooms, _, err := h.p.ListRooms(ctx, tenantID, rf, paging.Paging{Limit: maxAreaRooms, Order: "number"})
		if err != nil {
			return nil, err
		}
		rids := make([]uuid.UUID, len(rooms))
		for i, r := range rooms {
			rids[i] = r.ID
		}
		ms, err := h.r.MembersInRooms(ctx, tenantID, rids)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			ids = append(ids, m.PersonID)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		ids = slices.Compact(ids)
		if f.Tag != "" {
			tagged, err := h.r.MembersTagged(ctx, tenantID, f.Tag)
			if err != nil {
				return nil, err
			}
			keep := map[uuid.UUID]bool{}
			for _, m := range tagged {
				keep[m.PersonID] = true
			}
			ids = slices.DeleteFunc(ids, func(id uuid.UUID) bool { return !keep[id] })
		}
		if offset >= len(ids) {
			return nil, nil
		}
		ids = ids[offset:min(len(ids), offset+limit)]
	} else {
		res, err := h.r.Search(ctx, tenantID, resident.Filter{RoomID: f.RoomID, Tag: f.Tag}, paging.Paging{Offset: offset, Limit: limit})
		if err != nil {
			return nil, err
		}
		for _, p := range res.Items {
			ids = append(ids, p.ID)
		}
	}
	out := make([]hostsvc.Resident, 0, len(ids))
	for _, id := range ids {
		r, err := h.GetResident(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

type hostBilling struct{ b *billing.Service }

// PostCharge posts through billing's one-off charge (as work orders' paid
// repairs do). Billing replays a key silently; a bill created before this
// call began is a replay (gorm stamps CreatedAt from this process's clock;
// two concurrent first calls of one key may both answer replayed=false).
func (h hostBilling) PostCharge(ctx context.Context, tenantID uuid.UUID, in hostsvc.ChargeIn) (hostsvc.Charge, error) {
	start := time.Now()
	v, err := h.b.PostCharge(ctx, tenantID, billing.ChargeIn{RoomID: in.RoomID, ItemCode: in.ItemCode, ItemName: in.ItemName,
		Amount: in.Amount, Currency: money.Currency(in.Currency), Reason: in.Reason, DueDays: 15, IdempotencyKey: in.IdempotencyKey, Source: in.Source})
	if err != nil {
		return hostsvc.Charge{}, err
	}
	c := hostsvc.Charge{BillID: v.ID, RoomID: v.RoomID, Amount: v.Amount, Currency: string(v.Currency), Replayed: v.CreatedAt.Before(start)}
	if len(v.Lines) > 0 {
		c.ID = v.Lines[0].ID
	}
	return c, nil
}

type hostWorkOrders struct{ w *workorder.Service }

func hostOrder(o workorder.Order) hostsvc.WorkOrder {
	out := hostsvc.WorkOrder{ID: o.ID, Number: workorder.Number(o.ID), Type: o.Type, Status: o.Status, Source: o.ReporterName}
	out.Title, _, _ = strings.Cut(strings.TrimSpace(o.Description), "\n")
	if o.RoomID != nil {
		out.RoomID = *o.RoomID
	}
	return out
}

// Raise files a plugin's order through the alarm path, idempotent on
// (source, key); the title is the description's first line.
func (h hostWorkOrders) Raise(ctx context.Context, tenantID uuid.UUID, in hostsvc.WorkOrderIn) (hostsvc.WorkOrder, error) {
	desc := strings.TrimSpace(in.Title)
	if d := strings.TrimSpace(in.Description); d != "" {
		desc = strings.TrimSpace(desc + "\n" + d)
	}
	if l := strings.TrimSpace(in.Location); l != "" {
		desc += "\n" + l
	}
	a := workorder.AlarmIn{Source: in.Source, Key: in.Key, Type: in.Type, Category: in.Category, Priority: in.Priority, Description: desc}
	if in.RoomID != uuid.Nil {
		id := in.RoomID
		a.LocationID = &id
	}
	if in.CommunityID != uuid.Nil {
		id := in.CommunityID
		a.CommunityID = &id
	}
	o, _, err := h.w.Raise(ctx, tenantID, a)
	return hostOrder(o), err
}

func (h hostWorkOrders) Get(ctx context.Context, tenantID, id uuid.UUID) (hostsvc.WorkOrder, error) {
	v, err := h.w.Get(ctx, tenantID, id)
	return hostOrder(v.Order), err
}

func (h hostWorkOrders) Cancel(ctx context.Context, tenantID, id uuid.UUID, note string) (hostsvc.WorkOrder, error) {
	o, err := h.w.Act(ctx, tenantID, id, workorder.ActCancel, workorder.ActionInput{Note: note})
	return hostOrder(o), err
}

func (h hostWorkOrders) Comment(ctx context.Context, tenantID, id uuid.UUID, note string) (hostsvc.WorkOrder, error) {
	o, err := h.w.Comment(ctx, tenantID, id, note)
	return hostOrder(o), err
}

type hostNotify struct{ n *notify.Service }

func (h hostNotify) Register(ts []hostsvc.Template) error {
	for _, t := range ts {
		if err := notify.RegisterKind(t.Code, notify.Text{Subject: t.TitleZH, Body: t.BodyZH}, notify.Text{Subject: t.TitleEN, Body: t.BodyEN}); err != nil {
			return err
		}
	}
	return nil
}

func (h hostNotify) Send(ctx context.Context, tenantID uuid.UUID, m hostsvc.Notice) error {
	to := make([]notify.Recipient, len(m.UserIDs))
	for i, u := range m.UserIDs {
		to[i] = notify.Recipient{UserID: u}
	}
	return h.n.Send(ctx, tenantID, notify.Message{Event: m.Event, Template: m.Template, Vars: m.Vars, To: to, Link: m.Link, Urgent: m.Urgent})
}

type hostAudit struct{ l *audit.Log }

func (h hostAudit) Record(ctx context.Context, e hostsvc.AuditEntry) error {
	detail := e.Detail
	if detail != "" && !json.Valid([]byte(detail)) {
		detail = ""
	}
	return h.l.Record(ctx, audit.Entry{TenantID: e.TenantID, ActorKind: e.ActorKind, ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Object: e.ObjectType + "/" + e.ObjectID,
		Result: audit.ResultOK, Detail: detail, IP: e.IP, RequestID: e.RequestID})
}
