package device

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The Host calls of plugin processes (core/pluginhost/hostsvc.Devices),
// except Emit, which the event pipeline answers.

func (s *Service) info(d Device, commands []string) *wuyepb.DeviceInfo {
	out := &wuyepb.DeviceInfo{Id: d.ID.String(), Name: d.Name, Class: d.Class, Driver: d.Driver, Location: location(d), Status: d.Status, Commands: commands}
	if d.LastSeenAt != nil {
		out.LastSeenUnixMs = d.LastSeenAt.UnixMilli()
	}
	return out
}

// HostList lists devices for a feature plugin: by class and community when
// given, without config or secrets.
func (s *Service) HostList(ctx context.Context, tenantID uuid.UUID, class string, communityID uuid.UUID) ([]*wuyepb.DeviceInfo, error) {
	commands := s.commandsOf(ctx, tenantID)
	var ds []Device
	err := s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		q := tx.Where("tenant_id = ?", tenantID)
		if class != "" {
			q = q.Where("class = ?", class)
		}
		if communityID != uuid.Nil {
			q = q.Where("community_id = ?", communityID)
		}
		return q.Order("name").Limit(5000).Find(&ds).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]*wuyepb.DeviceInfo, len(ds))
	for i, d := range ds {
		out[i] = s.info(d, commands(d.Driver))
	}
	return out, nil
}

// HostGet is one device for a feature plugin.
func (s *Service) HostGet(ctx context.Context, tenantID, id uuid.UUID) (*wuyepb.DeviceInfo, error) {
	var d Device
	err := s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) (err error) {
		d, err = get(tx, tenantID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.info(d, s.commandsOf(ctx, tenantID)(d.Driver)), nil
}

// DriverDevices lists a driver's devices with their config and decrypted
// secrets (Host.ListDriverDevices).
func (s *Service) DriverDevices(ctx context.Context, tenantID uuid.UUID, driverName string) ([]*wuyepb.DeviceSpec, error) {
	var ds []Device
	err := s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND driver = ?", tenantID, driverName).Order("name").Find(&ds).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]*wuyepb.DeviceSpec, 0, len(ds))
	for _, d := range ds {
		sp, err := s.spec(d)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

// DriverTenants lists every (tenant, driver) pair that has devices: the
// driver processes that must run without a request (they poll and
// subscribe).
func (s *Service) DriverTenants(ctx context.Context) (map[uuid.UUID][]string, error) {
	var rows []struct {
		TenantID uuid.UUID
		Driver   string
	}
	err := s.db.Platform(store.ReadMostly(ctx), func(tx *gorm.DB) error {
		return tx.Model(&Device{}).Distinct("tenant_id", "driver").Find(&rows).Error
	})
	out := map[uuid.UUID][]string{}
	for _, r := range rows {
		out[r.TenantID] = append(out[r.TenantID], r.Driver)
	}
	return out, err
}

// HostDevices is the registry as hostsvc.Devices: Events answers Emit (the
// event pipeline's, core/device/stream); nil refuses it as unavailable.
type HostDevices struct {
	S      *Service
	Events func(ctx context.Context, tenantID uuid.UUID, driver string, events []*wuyepb.DeviceEvent) (accepted, duplicates int, err error)
}

func (h HostDevices) List(ctx context.Context, tenantID uuid.UUID, class string, communityID uuid.UUID) ([]*wuyepb.DeviceInfo, error) {
	return h.S.HostList(ctx, tenantID, class, communityID)
}

func (h HostDevices) Get(ctx context.Context, tenantID, id uuid.UUID) (*wuyepb.DeviceInfo, error) {
	return h.S.HostGet(ctx, tenantID, id)
}

func (h HostDevices) Command(ctx context.Context, tenantID uuid.UUID, in *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	return h.S.Command(ctx, tenantID, in)
}

func (h HostDevices) DriverDevices(ctx context.Context, tenantID uuid.UUID, driver string) ([]*wuyepb.DeviceSpec, error) {
	return h.S.DriverDevices(ctx, tenantID, driver)
}

func (h HostDevices) Emit(ctx context.Context, tenantID uuid.UUID, driver string, events []*wuyepb.DeviceEvent) (int, int, error) {
	if h.Events == nil {
		return 0, 0, ErrDriverDown
	}
	return h.Events(ctx, tenantID, driver, events)
}

func (h HostDevices) ReportStatus(ctx context.Context, tenantID uuid.UUID, driver string, in *wuyepb.DeviceStatus) error {
	return h.S.ReportStatus(ctx, tenantID, driver, in)
}
