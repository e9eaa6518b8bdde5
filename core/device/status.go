package device

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Status follows three sources: a driver's reports (ReportStatus), events
// the pipeline sees (Seen: a device that speaks is online), and silence
// (Sweep: heartbeat_seconds > 0 and nothing for three periods). A change is
// written with an audit line and a device.<status> event on the durable bus,
// in one transaction.

// statusEvents maps a status to the event plugins receive.
var statusEvents = map[string]string{StatusOnline: driver.DeviceOnline, StatusOffline: driver.DeviceOffline, StatusFault: driver.DeviceFault}

// setStatus moves d to status in tx; nothing happens when it is there already
// with the same detail.
func (s *Service) setStatus(ctx context.Context, tx *gorm.DB, d Device, status, detail string, at time.Time) error {
	if d.Status == status && d.StatusDetail == detail {
		return nil
	}
	now := s.now()
	if err := tx.Model(&Device{}).Where("tenant_id = ? AND id = ?", d.TenantID, d.ID).
		Updates(map[string]any{"status": status, "status_detail": detail, "status_changed_at": now}).Error; err != nil {
		return err
	}
	if d.Status == status { // only the detail moved: no event
		return nil
	}
	if s.opt.Bus != nil {
		if typ, ok := statusEvents[status]; ok {
			data, _ := json.Marshal(driver.StatusChange{V: driver.PayloadVersion, Status: status, Was: d.Status, Detail: detail})
			env, _ := json.Marshal(driver.Envelope{Device: envRef(d), OccurredAt: at, ReceivedAt: now, Data: data})
			ev := bus.Event{Type: typ, Source: driver.SourceDevice, OccurredAt: at, Payload: env}
			if _, err := s.opt.Bus.Emit(store.Ctx(tx), d.TenantID, ev); err != nil {
				return err
			}
		}
	}
	e := audit.Entry{TenantID: d.TenantID, Action: "device.status", Object: "device/" + d.ID.String(), ObjectType: "device", ObjectID: d.ID.String(),
		Result: audit.ResultOK, Detail: d.Status + " → " + status + clipDetail(detail),
		Changes: []audit.Change{{Field: "status", Before: d.Status, After: status}}}
	actorOf(ctx, &e, "device status")
	return audit.RecordTx(tx, e)
}

func clipDetail(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return ": " + s
}

func envRef(d Device) driver.DeviceRef {
	l := driver.Location{CommunityID: d.CommunityID.String(), Place: d.Place, Direction: d.Direction}
	if d.BuildingID != nil {
		l.BuildingID = d.BuildingID.String()
	}
	return driver.DeviceRef{ID: d.ID.String(), Name: d.Name, Class: d.Class, Driver: d.Driver, Location: l}
}

// ReportStatus records a device's status as its driver reports it; a device
// of another driver (or tenant) is NotFound.
func (s *Service) ReportStatus(ctx context.Context, tenantID uuid.UUID, driverName string, in *wuyepb.DeviceStatus) error {
	id, err := uuid.Parse(in.GetDeviceId())
	if err != nil {
		return invalid(field("device_id", "invalid_id", "device_id is not an id", "device_id 不是有效编号"))
	}
	switch in.GetStatus() {
	case StatusOnline, StatusOffline, StatusFault:
	default:
		return invalid(field("status", "invalid_status", "status is online, offline or fault", "状态须为 online、offline 或 fault"))
	}
	detail := in.GetDetail()
	if len(detail) > 500 {
		detail = detail[:500]
	}
	now := s.now()
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		d, err := get(tx, tenantID, id)
		if err != nil {
			return err
		}
		if d.Driver != driverName {
			return errNotFound
		}
		if in.GetStatus() == StatusOnline {
			if err := tx.Model(&Device{}).Where("tenant_id = ? AND id = ?", tenantID, id).Update("last_seen_at", now).Error; err != nil {
				return err
			}
		}
		return s.setStatus(ctx, tx, d, in.GetStatus(), detail, now)
	})
}

// Seen notes that a device produced an event at at. It only records the
// sighting in memory; Run (or Flush) writes the latest per device every
// SeenEvery, and brings an offline or unknown device online.
func (s *Service) Seen(tenantID, id uuid.UUID, at time.Time) {
	k := devKey{tenantID, id}
	s.seenMu.Lock()
	if at.After(s.seen[k]) {
		s.seen[k] = at
	}
	s.seenMu.Unlock()
}

// Flush writes the sightings Seen collected: last_seen_at, and online for a
// device that was not. One transaction per tenant.
func (s *Service) Flush(ctx context.Context) error {
	s.seenMu.Lock()
	pending := s.seen
	s.seen = make(map[devKey]time.Time, len(pending))
	s.seenMu.Unlock()
	byTenant := map[uuid.UUID]map[uuid.UUID]time.Time{}
	for k, at := range pending {
		if byTenant[k.tenant] == nil {
			byTenant[k.tenant] = map[uuid.UUID]time.Time{}
		}
		byTenant[k.tenant][k.id] = at.UTC().Truncate(time.Microsecond)
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "device status"})
	var first error
	for tid, seen := range byTenant {
		err := s.db.InTenant(ctx, tid, func(tx *gorm.DB) error {
			ids := make([]uuid.UUID, 0, len(seen))
			for id := range seen {
				ids = append(ids, id)
			}
			var ds []Device
			if err := tx.Where("tenant_id = ? AND id IN ?", tid, ids).Find(&ds).Error; err != nil {
				return err
			}
			for _, d := range ds {
				at := seen[d.ID]
				if d.LastSeenAt != nil && !at.After(*d.LastSeenAt) {
					continue
				}
				if err := tx.Model(&Device{}).Where("tenant_id = ? AND id = ?", tid, d.ID).Update("last_seen_at", at).Error; err != nil {
					return err
				}
				if d.Status == StatusOffline || d.Status == StatusUnknown {
					if err := s.setStatus(ctx, tx, d, StatusOnline, "", at); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Sweep marks offline every device with a heartbeat that was silent for
// three periods (since its last sighting, or its creation).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	type stale struct {
		TenantID         uuid.UUID
		ID               uuid.UUID
		HeartbeatSeconds int
		LastSeenAt       *time.Time
		CreatedAt        time.Time
	}
	var rows []stale
	err := s.db.Platform(store.ReadMostly(ctx), func(tx *gorm.DB) error {
		return tx.Model(&Device{}).Select("tenant_id, id, heartbeat_seconds, last_seen_at, created_at").
			Where("heartbeat_seconds > 0 AND status <> ?", StatusOffline).Find(&rows).Error
	})
	if err != nil {
		return 0, err
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "device heartbeat"})
	n := 0
	for _, r := range rows {
		since := r.CreatedAt
		if r.LastSeenAt != nil {
			since = *r.LastSeenAt
		}
		if now.Sub(since) < 3*time.Duration(r.HeartbeatSeconds)*time.Second {
			continue
		}
		err := s.db.InTenant(ctx, r.TenantID, func(tx *gorm.DB) error {
			d, err := get(tx, r.TenantID, r.ID)
			if err != nil || d.Status == StatusOffline {
				return nil
			}
			n++
			return s.setStatus(ctx, tx, d, StatusOffline, "no heartbeat", now)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Run flushes sightings every SeenEvery and sweeps heartbeats every 10 s
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	flush := time.NewTicker(s.opt.SeenEvery)
	sweep := time.NewTicker(10 * time.Second)
	defer flush.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = s.Flush(context.WithoutCancel(ctx))
			return
		case <-flush.C:
			if err := s.Flush(ctx); err != nil {
				s.opt.Log.Warn("device sightings not written", "err", err)
			}
		case <-sweep.C:
			if _, err := s.Sweep(ctx); err != nil {
				s.opt.Log.Warn("device heartbeat sweep failed", "err", err)
			}
		}
	}
}
