package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/device/ingress"
	"github.com/wuye-project/wuye/core/device/stream"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The device events' wiring: the stream (log + dispatcher) on the device
// registry, the ingress endpoint devices push to, and the Host's Devices
// with Emit answered by the stream.

// DeviceRegistry is the device registry (core/device's Service) as the app
// composes it: the Host's device calls but Emit, and what the stream and
// the ingress endpoint consume.
type DeviceRegistry interface {
	stream.Registry
	List(ctx context.Context, tenantID uuid.UUID, class string, communityID uuid.UUID) ([]*wuyepb.DeviceInfo, error)
	Get(ctx context.Context, tenantID, id uuid.UUID) (*wuyepb.DeviceInfo, error)
	Command(ctx context.Context, tenantID uuid.UUID, in *wuyepb.CommandRequest) (*wuyepb.CommandResult, error)
	DriverDevices(ctx context.Context, tenantID uuid.UUID, driver string) ([]*wuyepb.DeviceSpec, error)
	ReportStatus(ctx context.Context, tenantID uuid.UUID, driver string, in *wuyepb.DeviceStatus) error
}

// deviceRegistry is core/device's Service as DeviceRegistry.
type deviceRegistry struct{ device.HostDevices }

func (r deviceRegistry) Ref(ctx context.Context, tenantID, id uuid.UUID) (stream.Ref, error) {
	ref, err := r.S.Ref(ctx, tenantID, id)
	return stream.Ref(ref), err
}

func (r deviceRegistry) CheckToken(ctx context.Context, tenantID, id uuid.UUID, token string) (stream.Ref, error) {
	ref, err := r.S.CheckToken(ctx, tenantID, id, token)
	return stream.Ref(ref), err
}

func (r deviceRegistry) Seen(tenantID, id uuid.UUID, at time.Time) { r.S.Seen(tenantID, id, at) }

// hostDevices is hostsvc.Devices: the registry, and the stream for Emit.
type hostDevices struct {
	DeviceRegistry
	s *stream.Stream
}

func (h hostDevices) Emit(ctx context.Context, tenantID uuid.UUID, driver string, evs []*wuyepb.DeviceEvent) (int, int, error) {
	return h.s.Accept(ctx, tenantID, driver, evs)
}

var _ hostsvc.Devices = hostDevices{}

// lazyDrivers reaches the supervisor at call time: it is built after the stream.
type lazyDrivers struct{ a *App }

func (l lazyDrivers) CallDriver(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(context.Context, wuyepb.DriverClient, *wuyepb.Manifest) error) error {
	if l.a.Supervisor == nil {
		return pluginhost.ErrNotEnabled
	}
	return l.a.Supervisor.CallDriver(ctx, tenantID, plugin, fn)
}

// newDeviceStream builds the stream on reg (before the plugin runtime and
// the route table): it returns the Host's Devices for HostDeps, the
// ingress route and the stream's metrics. Start runs it, Close stops it.
func (a *App) newDeviceStream(reg DeviceRegistry) (hostsvc.Devices, []httpapi.Route, []prometheus.Collector, error) {
	if reg == nil {
		return nil, nil, nil, errors.New("app: the device stream needs the device registry")
	}
	s, err := stream.New(a.DB, reg, &a.plugins, &a.plugins, stream.Options{Log: a.Log, Retention: a.Config.DeviceEventRetention})
	if err != nil {
		return nil, nil, nil, err
	}
	a.DeviceStream = s
	h := ingress.New(ingress.Deps{
		Tenant: func(ctx context.Context, code string) (uuid.UUID, error) {
			t, err := a.Tenants.Get(ctx, code)
			if err != nil {
				return uuid.Nil, err
			}
			return t.ID, a.Tenants.CheckActive(ctx, t.ID)
		},
		Registry: reg, Drivers: lazyDrivers{a}, Accept: s.Accept, Audit: a.Audit,
	})
	return hostDevices{reg, s}, h.Routes(), s.Collectors(), nil
}

// runDeviceStream delivers device events until ctx ends.
func (a *App) runDeviceStream(ctx context.Context) {
	if a.DeviceStream == nil {
		return
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if err := a.DeviceStream.Run(ctx); err != nil {
			a.Log.Error("device stream stopped", "err", err)
		}
	}()
}

// closeDeviceStream stops the writer (after Run has returned).
func (a *App) closeDeviceStream() {
	if a.DeviceStream != nil {
		a.DeviceStream.Close()
	}
}
