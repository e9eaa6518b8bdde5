package hostsvc

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Devices is the device registry and its event pipeline (core/device), as
// plugin processes reach it. The wire types are the contract's own: the
// registry speaks them to drivers anyway.
type Devices interface {
	// List and Get are a feature plugin's view (no config, no secrets).
	List(ctx context.Context, tenantID uuid.UUID, class string, communityID uuid.UUID) ([]*wuyepb.DeviceInfo, error)
	Get(ctx context.Context, tenantID, id uuid.UUID) (*wuyepb.DeviceInfo, error)
	// Command routes a canonical command to the device's driver and audits
	// it in the name of the actor in ctx (the plugin, or the HTTP caller
	// it serves).
	Command(ctx context.Context, tenantID uuid.UUID, in *wuyepb.CommandRequest) (*wuyepb.CommandResult, error)
	// DriverDevices lists the devices that name driver, with their config
	// and decrypted secrets.
	DriverDevices(ctx context.Context, tenantID uuid.UUID, driver string) ([]*wuyepb.DeviceSpec, error)
	// Emit stores and delivers canonical events of driver's devices; an
	// event of a device that is not driver's (or not the tenant's) is
	// refused as NotFound. It returns how many were new and how many were
	// repeats.
	Emit(ctx context.Context, tenantID uuid.UUID, driver string, events []*wuyepb.DeviceEvent) (accepted, duplicates int, err error)
	// ReportStatus records a device's status as its driver sees it.
	ReportStatus(ctx context.Context, tenantID uuid.UUID, driver string, in *wuyepb.DeviceStatus) error
}

// Vehicles is the compound's vehicle list (core/vehicle).
type Vehicles interface {
	// Find looks a plate up exactly, after driver.NormalizePlate.
	Find(ctx context.Context, tenantID uuid.UUID, plate string) (*wuyepb.Vehicle, error)
	List(ctx context.Context, tenantID, residentID, roomID uuid.UUID) ([]*wuyepb.Vehicle, error)
}

// ErrNotADriver answers driver calls from a feature plugin.
var ErrNotADriver = apperr.New(apperr.KindForbidden, "not_a_driver", "Only a device driver may make this call.", "只有设备驱动可以调用此接口。")

// maxEmit bounds one EmitDeviceEvents batch.
const maxEmit = 1000

func (h *host) isDriver() bool {
	return h.spec.Manifest != nil && h.spec.Manifest.GetKind() == wuyepb.Kind_KIND_DRIVER
}

func (h *host) ListDevices(ctx context.Context, in *wuyepb.ListDevicesRequest) (*wuyepb.ListDevicesResponse, error) {
	return run(h, ctx, "ListDevices", func(ctx context.Context) (*wuyepb.ListDevicesResponse, error) {
		if h.d.Devices == nil {
			return nil, errUnavailable
		}
		community, err := optID("community_id", in.GetCommunityId())
		if err != nil {
			return nil, err
		}
		list, err := h.d.Devices.List(ctx, h.spec.TenantID, in.GetClass(), community)
		if err != nil {
			return nil, err
		}
		return &wuyepb.ListDevicesResponse{Devices: list}, nil
	})
}

func (h *host) GetDevice(ctx context.Context, in *wuyepb.GetDeviceRequest) (*wuyepb.DeviceInfo, error) {
	return run(h, ctx, "GetDevice", func(ctx context.Context) (*wuyepb.DeviceInfo, error) {
		if h.d.Devices == nil {
			return nil, errUnavailable
		}
		id, err := parseID("id", in.GetId())
		if err != nil {
			return nil, err
		}
		return h.d.Devices.Get(ctx, h.spec.TenantID, id)
	})
}

func (h *host) DeviceCommand(ctx context.Context, in *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	return run(h, ctx, "DeviceCommand", func(ctx context.Context) (*wuyepb.CommandResult, error) {
		if h.d.Devices == nil {
			return nil, errUnavailable
		}
		if _, err := parseID("device_id", in.GetDeviceId()); err != nil {
			return nil, err
		}
		if err := checkPayload("args", in.GetArgs()); err != nil {
			return nil, err
		}
		return h.d.Devices.Command(ctx, h.spec.TenantID, in)
	})
}

func (h *host) FindVehicle(ctx context.Context, in *wuyepb.FindVehicleRequest) (*wuyepb.Vehicle, error) {
	return run(h, ctx, "FindVehicle", func(ctx context.Context) (*wuyepb.Vehicle, error) {
		if h.d.Vehicles == nil {
			return nil, errUnavailable
		}
		if in.GetPlate() == "" || len(in.GetPlate()) > 32 {
			return nil, invalid("plate", "invalid_plate", "plate is 1–32 bytes", "车牌号须为 1–32 字节")
		}
		return h.d.Vehicles.Find(ctx, h.spec.TenantID, in.GetPlate())
	})
}

func (h *host) ListVehicles(ctx context.Context, in *wuyepb.ListVehiclesRequest) (*wuyepb.ListVehiclesResponse, error) {
	return run(h, ctx, "ListVehicles", func(ctx context.Context) (*wuyepb.ListVehiclesResponse, error) {
		if h.d.Vehicles == nil {
			return nil, errUnavailable
		}
		resident, err := optID("resident_id", in.GetResidentId())
		if err != nil {
			return nil, err
		}
		room, err := optID("room_id", in.GetRoomId())
		if err != nil {
			return nil, err
		}
		if resident == uuid.Nil && room == uuid.Nil {
			return nil, invalid("resident_id", "required", "name a resident or a room", "请指定住户或房间")
		}
		list, err := h.d.Vehicles.List(ctx, h.spec.TenantID, resident, room)
		if err != nil {
			return nil, err
		}
		return &wuyepb.ListVehiclesResponse{Vehicles: list}, nil
	})
}

func (h *host) ListDriverDevices(ctx context.Context, _ *wuyepb.ListDriverDevicesRequest) (*wuyepb.ListDriverDevicesResponse, error) {
	return run(h, ctx, "ListDriverDevices", func(ctx context.Context) (*wuyepb.ListDriverDevicesResponse, error) {
		if h.d.Devices == nil {
			return nil, errUnavailable
		}
		if !h.isDriver() {
			return nil, ErrNotADriver
		}
		list, err := h.d.Devices.DriverDevices(ctx, h.spec.TenantID, h.spec.Name)
		if err != nil {
			return nil, err
		}
		return &wuyepb.ListDriverDevicesResponse{Devices: list}, nil
	})
}

func (h *host) EmitDeviceEvents(ctx context.Context, in *wuyepb.DeviceEvents) (*wuyepb.EmitAck, error) {
	return run(h, ctx, "EmitDeviceEvents", func(ctx context.Context) (*wuyepb.EmitAck, error) {
		if h.d.Devices == nil {
			return nil, errUnavailable
		}
		if !h.isDriver() {
			return nil, ErrNotADriver
		}
		if len(in.GetEvents()) > maxEmit {
			return nil, invalid("events", "too_many", "at most 1000 events per call", "每次最多 1000 条事件")
		}
		acc, dup, err := h.d.Devices.Emit(ctx, h.spec.TenantID, h.spec.Name, in.GetEvents())
		if err != nil {
			return nil, err
		}
		return &wuyepb.EmitAck{Accepted: uint32(acc), Duplicates: uint32(dup)}, nil
	})
}

func (h *host) ReportDeviceStatus(ctx context.Context, in *wuyepb.DeviceStatus) (*wuyepb.DeviceStatusAck, error) {
	return run(h, ctx, "ReportDeviceStatus", func(ctx context.Context) (*wuyepb.DeviceStatusAck, error) {
		if h.d.Devices == nil {
			return nil, errUnavailable
		}
		if !h.isDriver() {
			return nil, ErrNotADriver
		}
		if _, err := parseID("device_id", in.GetDeviceId()); err != nil {
			return nil, err
		}
		switch in.GetStatus() {
		case "online", "offline", "fault":
		default:
			return nil, invalid("status", "invalid_status", "status is online, offline or fault", "状态须为 online、offline 或 fault")
		}
		if err := h.d.Devices.ReportStatus(ctx, h.spec.TenantID, h.spec.Name, in); err != nil {
			return nil, err
		}
		return &wuyepb.DeviceStatusAck{}, nil
	})
}
