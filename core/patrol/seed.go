package patrol

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// SeedData is the "patrol" section of a tenant manifest's seed data: routes
// of a community, and how many past days of rounds to record on each.
type SeedData struct {
	Routes []struct {
		Community     string   `yaml:"community"`
		Name          string   `yaml:"name"`
		Times         []string `yaml:"times"`
		Weekdays      []int    `yaml:"weekdays"`
		WindowMinutes int      `yaml:"window_minutes"`
		LateMinutes   int      `yaml:"late_minutes"`
		Checkpoints   []string `yaml:"checkpoints"` // names; a common area of that name becomes the point's location
		PastDays      int      `yaml:"past_days"`
		// Every MissEvery-th past round misses its last point, every
		// LateEvery-th has a late one.
		MissEvery int    `yaml:"miss_every"`
		LateEvery int    `yaml:"late_every"`
		GuardName string `yaml:"guard_name"` // shown on the past check-ins

	} `yaml:"routes"`
}

// Community names the demo's communities and common areas.
type Community interface {
	FindCommunity(ctx context.Context, tenantID uuid.UUID, name string) (uuid.UUID, bool, error)
	FindCommonArea(ctx context.Context, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error)
}

// SeedDemo records the demo routes (assigned to the tenant's guards) and a
// history of past rounds, some with missed or late points, once: a tenant
// that has routes is left alone. Rows go in batches; a week is about a
// hundred rows.
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any, places Community) (changed bool, err error) {
	var data SeedData
	b, err := yaml.Marshal(raw)
	if err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&data)
	}
	if err != nil {
		return false, fmt.Errorf("patrol seed: %w", err)
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		jctx := store.Ctx(tx)
		var n int64
		if err := tx.Model(&Route{}).Where("tenant_id = ?", tenantID).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		guards, err := s.staff.Guards(jctx, tenantID)
		if err != nil {
			return err
		}
		for _, d := range data.Routes {
			cid, ok, err := places.FindCommunity(jctx, tenantID, d.Community)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("patrol seed: no community %q", d.Community)
			}
			in := RouteInput{CommunityID: cid, Name: d.Name, Times: d.Times, Weekdays: d.Weekdays, WindowMinutes: d.WindowMinutes, LateMinutes: d.LateMinutes, GuardIDs: guards}
			for _, name := range d.Checkpoints {
				c := CheckpointInput{Name: name, LocationKind: LocText, LocationText: name}
				if id, ok, err := places.FindCommonArea(jctx, tenantID, cid, name); err != nil {
					return err
				} else if ok {
					c = CheckpointInput{Name: name, LocationKind: LocCommonArea, LocationID: &id}
				}
				in.Checkpoints = append(in.Checkpoints, c)
			}
			if err := s.check(jctx, tenantID, &in); err != nil {
				return fmt.Errorf("patrol seed: route %q: %w", d.Name, err)
			}
			r := Route{TenantID: tenantID, ID: store.NewID()}
			fillRoute(&r, in)
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			cps, err := s.writeCheckpoints(tx, tenantID, r.ID, in.Checkpoints)
			if err != nil {
				return err
			}
			if err := s.seedHistory(tx, tenantID, r, cps, d.PastDays, d.MissEvery, d.LateEvery, guards, d.GuardName); err != nil {
				return err
			}
			if _, err := s.planRoute(tx, tenantID, r, cps, s.clock()); err != nil {
				return err
			}
			changed = true
		}
		return nil
	})
	return changed, err
}

// seedHistory writes the closed rounds of the past days as guards would
// have left them: points checked in a few minutes apart, every missEvery-th
// round without its last point, every lateEvery-th with its last point late.
func (s *Service) seedHistory(tx *gorm.DB, tenantID uuid.UUID, r Route, cps []Checkpoint, days, missEvery, lateEvery int, guards []uuid.UUID, guardName string) error {
	if days <= 0 {
		return nil
	}
	now := s.clock()
	window := time.Duration(r.WindowMinutes+r.LateMinutes) * time.Minute
	starts := slots(r, s.zone(store.Ctx(tx), tenantID), now.AddDate(0, 0, -days), now.Add(-window))
	var rounds []Round
	var points []RoundPoint
	for i, start := range starts {
		closes := start.Add(time.Duration(r.WindowMinutes) * time.Minute)
		rd := Round{TenantID: tenantID, ID: store.NewID(), RouteID: r.ID, CommunityID: r.CommunityID, SlotStart: start, ClosesAt: closes,
			LateUntil: closes.Add(time.Duration(r.LateMinutes) * time.Minute), Status: StatusComplete, PointsTotal: len(cps), CreatedAt: start}
		var guard *uuid.UUID
		if len(guards) > 0 {
			g := guards[i%len(guards)]
			guard = &g
			rd.GuardID, rd.GuardName = guard, guardName
		}
		closedAt := rd.LateUntil
		rd.ClosedAt = &closedAt
		miss := missEvery > 0 && i%missEvery == missEvery-1
		late := !miss && lateEvery > 0 && i%lateEvery == lateEvery-1
		step := time.Duration(r.WindowMinutes) * time.Minute / time.Duration(len(cps)+1)
		for j, c := range cps {
			p := RoundPoint{TenantID: tenantID, ID: store.NewID(), RoundID: rd.ID, CheckpointID: c.ID, Position: c.Position, Name: c.Name}
			last := j == len(cps)-1
			switch {
			case last && miss:
				p.Missed = true
				rd.PointsMissed++
				rd.Status = StatusIncomplete
			default:
				at := start.Add(step * time.Duration(j+1))
				if last && late {
					at = closes.Add(time.Duration(max(r.LateMinutes, 2)/2) * time.Minute)
					p.Late = true
					rd.PointsLate++
				}
				p.CheckedAt, p.CheckedBy, p.CheckedByName = &at, guard, rd.GuardName
				rd.PointsChecked++
			}
			points = append(points, p)
		}
		rounds = append(rounds, rd)
	}
	if err := tx.CreateInBatches(rounds, 200).Error; err != nil {
		return err
	}
	return tx.CreateInBatches(points, 200).Error
}
