package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Demo is the configuration's demo section (see configSchema): a lot in a
// community, its zones, gates on the tenant's plate cameras, some passes,
// lists, visitors and a week of history. Ids derive from names and keys and
// are written create-only, so restarts never duplicate anything.
type Demo struct {
	Community   string     `json:"community"` // id, code or name
	Lot         string     `json:"lot"`
	Zones       []DemoZone `json:"zones,omitempty"`
	Passes      []string   `json:"passes,omitempty"`
	Blacklist   []string   `json:"blacklist,omitempty"`
	Whitelist   []string   `json:"whitelist,omitempty"`
	Visitors    []string   `json:"visitors,omitempty"`
	HistoryDays int        `json:"history_days,omitempty"`
}

// DemoZone is a zone of the demo lot.
type DemoZone struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Capacity    int    `json:"capacity"`
	OwnedSpaces int    `json:"owned_spaces,omitempty"`
}

// put writes a demo record unless it is there already.
func (a *app) put(ctx context.Context, col, id string, doc any) error {
	if _, err := a.host().Put(ctx, col, id, doc, plugin.CreateOnly); err != nil && !isTaken(err) {
		return fmt.Errorf("%s %s: %w", col, id, err)
	}
	return nil
}

func (a *app) seedDemo(ctx context.Context, d *Demo) error {
	if d == nil {
		return nil
	}
	community, err := a.resolveCommunity(ctx, d.Community)
	if err != nil {
		return err
	}
	lot := Lot{ID: hashID("demo-lot", d.Lot), CommunityID: community, Name: d.Lot, Key: "demo"}
	for _, z := range d.Zones {
		lot.Capacity += z.Capacity
	}
	if lot.Capacity == 0 {
		lot.Capacity = 100
	}
	if err := a.put(ctx, colLots, lot.ID, lot); err != nil {
		return err
	}
	res, err := a.host().Residents(ctx, &wuyepb.ListResidentsRequest{CommunityId: community, Limit: 50})
	if err != nil {
		return err
	}
	var zones []string
	for _, dz := range d.Zones {
		z := Zone{ID: hashID("demo-zone", lot.ID, dz.Key), LotID: lot.ID, Name: dz.Name, Capacity: dz.Capacity}
		if err := a.put(ctx, colZones, z.ID, z); err != nil {
			return err
		}
		zones = append(zones, z.ID)
		for i := 0; i < dz.OwnedSpaces && i < len(res.Residents); i++ {
			r := res.Residents[i]
			s := Space{ID: hashID("demo-space", z.ID, strconv.Itoa(i)), ZoneID: z.ID, Number: fmt.Sprintf("%s-%03d", dz.Key, i+1), Kind: SpaceOwned, ResidentID: r.Id}
			if len(r.RoomIds) > 0 {
				s.RoomID = r.RoomIds[0]
			}
			if err := a.put(ctx, colSpaces, s.ID, s); err != nil {
				return err
			}
		}
	}
	gates, err := a.demoGates(ctx, lot, community, zones)
	if err != nil {
		return err
	}
	now := a.now().In(a.loc())
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, a.loc())
	for _, plate := range d.Passes {
		plate = driver.NormalizePlate(plate)
		p := Pass{ID: hashID("demo-pass", lot.ID, plate), Plate: plate, LotID: lot.ID, ValidFrom: month.UnixMilli(), ValidTo: month.AddDate(0, 1, 0).UnixMilli()}
		if err := a.put(ctx, colPasses, p.ID, p); err != nil {
			return err
		}
	}
	for list, plates := range map[string][]string{ListBlack: d.Blacklist, ListWhite: d.Whitelist} {
		for _, plate := range plates {
			plate = driver.NormalizePlate(plate)
			e := ListEntry{ID: hashID("demo-list", list, plate), List: list, Plate: plate, Reason: map[string]string{ListBlack: "多次欠费逃逸", ListWhite: "公务车辆"}[list]}
			if err := a.put(ctx, colLists, e.ID, e); err != nil {
				return err
			}
		}
	}
	for _, plate := range d.Visitors {
		plate = driver.NormalizePlate(plate)
		v := Visitor{ID: hashID("demo-visitor", plate), Plate: plate, ValidFrom: now.Add(-time.Hour).UnixMilli(), ValidTo: now.Add(23 * time.Hour).UnixMilli(), SingleUse: true}
		if len(res.Residents) > 0 {
			v.ResidentID = res.Residents[0].Id
			if len(res.Residents[0].RoomIds) > 0 {
				v.RoomID = res.Residents[0].RoomIds[0]
			}
		}
		if err := a.put(ctx, colVisitors, v.ID, v); err != nil {
			return err
		}
	}
	return a.demoHistory(ctx, lot, zones, gates, d.HistoryDays)
}

// demoGates maps the tenant's plate cameras in the community to gates by
// the way they face.
func (a *app) demoGates(ctx context.Context, lot Lot, community string, zones []string) (map[string]Gate, error) {
	cams, err := a.dev().Devices(ctx, driver.LPRCamera, "")
	if err != nil {
		return nil, err
	}
	gates := map[string]Gate{}
	for _, c := range cams {
		loc := c.GetLocation()
		dir := loc.GetDirection()
		if (dir != "in" && dir != "out") || (loc.GetCommunityId() != "" && loc.GetCommunityId() != community) {
			continue
		}
		name := loc.GetPlace()
		if name == "" {
			name = c.Name
		}
		g := Gate{ID: hashID("demo-gate", c.Id), LotID: lot.ID, Name: name + map[string]string{"in": " 入口", "out": " 出口"}[dir], Direction: dir, CameraID: c.Id}
		if len(zones) > 0 {
			g.ZoneID = zones[0]
		}
		if err := a.put(ctx, colGates, g.ID, g); err != nil {
			return nil, err
		}
		if _, ok := gates[dir]; !ok {
			gates[dir] = g
		}
	}
	return gates, nil
}

// demoHistory writes a week of closed stays and their passages: residents
// in the morning and evening, temporary cars during the day, paid.
func (a *app) demoHistory(ctx context.Context, lot Lot, zones []string, gates map[string]Gate, days int) error {
	in, out := gates["in"], gates["out"]
	if days == 0 || len(zones) == 0 {
		return nil
	}
	cfg := a.config()
	today := a.now().In(a.loc())
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, a.loc())
	for day := days; day >= 1; day-- {
		base := today.AddDate(0, 0, -day)
		for i := range 12 {
			plate := fmt.Sprintf("浙A%05d", (day*37+i*101)%100000)
			entry := base.Add(time.Duration(7+i) * time.Hour).Add(time.Duration((day*13+i*7)%50) * time.Minute)
			stay := time.Duration(20+(day*31+i*17)%300) * time.Minute
			exit := entry.Add(stay)
			s := Session{ID: hashID("demo-session", lot.ID, strconv.Itoa(day), strconv.Itoa(i)), Plate: plate, LotID: lot.ID, ZoneID: zones[0],
				Kind: KindTemporary, State: "closed", EntryGate: in.ID, EntryAt: entry.UnixMilli(), ExitGate: out.ID, ExitAt: exit.UnixMilli(), Currency: cfg.Currency}
			if i%3 == 0 {
				s.Kind = KindResident
			}
			if s.Kind == KindTemporary {
				s.FeeFen = cfg.Fee(entry, exit, a.loc())
				if s.FeeFen > 0 {
					s.PaidFen, s.PaidAt, s.PaymentID = s.FeeFen, exit.Add(-5*time.Minute).UnixMilli(), "demo"
				}
			}
			if err := a.put(ctx, colSessions, s.ID, s); err != nil {
				return err
			}
			for _, p := range []Passage{
				{ID: hashID("demo-passage-in", s.ID), EventID: "demo", Plate: plate, GateID: in.ID, LotID: lot.ID, Direction: "in", Decision: Open, Reason: s.Kind, Kind: s.Kind, SessionID: s.ID, At: s.EntryAt, GatePlate: in.ID + "|" + plate},
				{ID: hashID("demo-passage-out", s.ID), EventID: "demo", Plate: plate, GateID: out.ID, LotID: lot.ID, Direction: "out", Decision: Open, Reason: s.Kind, Kind: s.Kind, SessionID: s.ID, FeeFen: s.FeeFen, At: s.ExitAt, GatePlate: out.ID + "|" + plate},
			} {
				if err := a.put(ctx, colPassages, p.ID, p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// resolveCommunity finds a community by id, code or name (demo data names
// communities the way people do).
func (a *app) resolveCommunity(ctx context.Context, ref string) (string, error) {
	cs, err := a.host().Communities(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Id == ref || c.Code == ref || c.Name == ref {
			return c.Id, nil
		}
	}
	return "", errors.New("no community " + ref)
}
