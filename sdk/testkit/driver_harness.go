package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// DriverHarness is one driver running in process against a FakeHost, both
// over real gRPC, called as the core calls a driver:
//
//	h := testkit.StartDriver(t, relay.New(), testkit.Device{ID: "gate-1", Class: driver.BarrierGate,
//		Config: map[string]any{"url": board.URL}})
//	res, err := h.Execute("gate-1", driver.GateOpen, nil)
//	ev := h.WaitEvent(driver.DoorAccessed, 2*time.Second)
type DriverHarness struct {
	// Host is the fake host: the devices it lists, what reached it.
	Host *FakeHost
	// Client is the driver's Driver service; Plugin its Plugin service.
	Client   wuyepb.DriverClient
	Plugin   wuyepb.PluginClient
	Manifest *wuyepb.Manifest

	t     testing.TB
	mu    sync.Mutex
	taken map[int]bool // indexes of EmittedEvents WaitEvent returned
	seq   int
}

// StartDriver registers devices with a FakeHost, runs d in process (its
// Plugin and Driver services on a loopback gRPC listener), calls Describe
// and Start — so the driver lists and opens the devices — and stops it all
// when the test ends. The manifest is checked as DriverConformance checks
// it; a mistake fails the test. Give every test a fresh *driver.Driver.
func StartDriver(t testing.TB, d *driver.Driver, devices ...Device) *DriverHarness {
	t.Helper()
	p := d.Plugin()
	m := p.Manifest()
	if problems := append(CheckManifest(m), CheckDriverManifest(m)...); len(problems) > 0 {
		t.Fatalf("testkit: the driver's manifest is not valid:\n  %s", strings.Join(problems, "\n  "))
	}
	fh := NewFakeHost(m)
	for _, dev := range devices {
		if err := fh.AddDevice(dev); err != nil {
			t.Fatalf("testkit: device %s: %v", dev.ID, err)
		}
	}
	hostAddr := serve(t, func(s *grpc.Server) { wuyepb.RegisterHostServer(s, fh) }, grpc.UnaryInterceptor(fh.UnaryInterceptor()))
	hostConn := dial(t, hostAddr, grpc.WithUnaryInterceptor(plugin.HostInterceptor))
	srv := plugin.NewServer(p, func(context.Context, uint32) (*grpc.ClientConn, error) { return hostConn, nil })
	addr := serve(t, func(s *grpc.Server) {
		wuyepb.RegisterPluginServer(s, srv)
		wuyepb.RegisterDriverServer(s, p.DriverServer)
	})
	if rt, ok := p.DriverServer.(*driver.Runtime); ok {
		t.Cleanup(rt.Close) // before the servers stop (cleanups run last first)
	}
	cc := dial(t, addr)
	h := &DriverHarness{Host: fh, Client: wuyepb.NewDriverClient(cc), Plugin: wuyepb.NewPluginClient(cc), t: t, taken: map[int]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	var err error
	if h.Manifest, err = h.Plugin.Describe(ctx, &wuyepb.DescribeRequest{ApiVersion: sdk.APIVersion}); err != nil {
		t.Fatalf("testkit: Describe: %v", err)
	}
	if _, err := h.Plugin.Start(ctx, Options{}.start(sdk.APIVersion, 1, []byte("{}"))); err != nil {
		t.Fatalf("testkit: Start: %v", err)
	}
	return h
}

func (h *DriverHarness) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), DefaultTimeout)
}

// AddDevice registers a device with the host and hands it to the driver,
// as the core does when an operator adds one; the driver's error (a config
// it cannot use) is returned, and the device stays registered.
func (h *DriverHarness) AddDevice(d Device) error {
	if err := h.Host.AddDevice(d); err != nil {
		return err
	}
	spec, _ := h.Host.DeviceSpec(d.ID)
	ctx, cancel := h.ctx()
	defer cancel()
	_, err := h.Client.AddDevice(ctx, spec)
	return err
}

// UpdateDevice changes a registered device and hands it to the driver again.
func (h *DriverHarness) UpdateDevice(d Device) error {
	if err := h.Host.AddDevice(d); err != nil {
		return err
	}
	spec, _ := h.Host.DeviceSpec(d.ID)
	ctx, cancel := h.ctx()
	defer cancel()
	_, err := h.Client.UpdateDevice(ctx, spec)
	return err
}

// RemoveDevice tells the driver the device is gone, then unregisters it.
func (h *DriverHarness) RemoveDevice(id string) error {
	ctx, cancel := h.ctx()
	defer cancel()
	_, err := h.Client.RemoveDevice(ctx, &wuyepb.DeviceRef{Id: id})
	h.Host.RemoveDevice(id)
	return err
}

// Ingest hands the driver one HTTP POST a device sent to the ingress
// endpoint and returns the events it carries (with their payload version)
// and the reply the device gets (200 with an empty body when the driver
// names none).
func (h *DriverHarness) Ingest(deviceID, contentType string, body []byte) ([]*wuyepb.DeviceEvent, driver.Reply, error) {
	return h.IngestPush(deviceID, driver.Push{Method: "POST", ContentType: contentType, Body: body})
}

// IngestPush is Ingest with the whole request (method, query, headers).
func (h *DriverHarness) IngestPush(deviceID string, p driver.Push) ([]*wuyepb.DeviceEvent, driver.Reply, error) {
	ctx, cancel := h.ctx()
	defer cancel()
	headers := map[string]string{}
	for k, v := range p.Header {
		headers[strings.ToLower(k)] = v
	}
	resp, err := h.Client.Ingest(ctx, &wuyepb.IngestRequest{DeviceId: deviceID, Method: p.Method, ContentType: p.ContentType,
		Query: p.Query, Headers: headers, Body: p.Body})
	if err != nil {
		return nil, driver.Reply{}, err
	}
	r := driver.Reply{Status: int(resp.Status), ContentType: resp.ContentType, Body: resp.Body}
	if r.Status == 0 {
		r.Status = 200
	}
	return resp.Events, r, nil
}

// Execute runs a command on a device with the host's default timeout
// (10 s); args is nil, JSON bytes or a value encoded as JSON.
func (h *DriverHarness) Execute(deviceID, command string, args any) (*wuyepb.CommandResult, error) {
	return h.ExecuteWithin(deviceID, command, args, DefaultTimeout)
}

// ExecuteWithin is Execute with the command's timeout (timeout_ms); the
// call itself may last a second longer.
func (h *DriverHarness) ExecuteWithin(deviceID, command string, args any, timeout time.Duration) (*wuyepb.CommandResult, error) {
	b, err := body(args)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.seq++
	id := fmt.Sprintf("cmd-%d", h.seq)
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Second)
	defer cancel()
	return h.Client.Execute(ctx, &wuyepb.CommandRequest{DeviceId: deviceID, Command: command, Args: b,
		TimeoutMs: uint32(timeout / time.Millisecond), RequestId: id})
}

// CommandFunc routes a feature plugin's DeviceCommand to this driver, for a
// test of both together: featureHarness.Host.OnDeviceCommand(drv.CommandFunc()).
func (h *DriverHarness) CommandFunc() CommandFunc {
	return func(ctx context.Context, req *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
		return h.Client.Execute(ctx, req)
	}
}

// Points reads a device's data points (none named: all), decoded from JSON.
func (h *DriverHarness) Points(deviceID string, names ...string) (map[string]any, error) {
	ctx, cancel := h.ctx()
	defer cancel()
	resp, err := h.Client.ReadPoints(ctx, &wuyepb.PointsRequest{DeviceId: deviceID, Names: names})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, p := range resp.Points {
		var v any
		if err := json.Unmarshal(p.Value, &v); err != nil {
			return nil, fmt.Errorf("testkit: point %s is not JSON: %v", p.Name, err)
		}
		out[p.Name] = v
	}
	return out, nil
}

// WritePoints writes data points to a device.
func (h *DriverHarness) WritePoints(deviceID string, values map[string]any) error {
	req := &wuyepb.Points{DeviceId: deviceID}
	for name, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		req.Points = append(req.Points, &wuyepb.Point{Name: name, Value: b})
	}
	slices.SortFunc(req.Points, func(a, b *wuyepb.Point) int { return strings.Compare(a.Name, b.Name) })
	ctx, cancel := h.ctx()
	defer cancel()
	_, err := h.Client.WritePoints(ctx, req)
	return err
}

// Discover asks the driver to look for devices.
func (h *DriverHarness) Discover(params any, timeout time.Duration) ([]*wuyepb.FoundDevice, error) {
	b, err := body(params)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Second)
	defer cancel()
	resp, err := h.Client.Discover(ctx, &wuyepb.DiscoverRequest{Params: b, TimeoutMs: uint32(timeout / time.Millisecond)})
	if err != nil {
		return nil, err
	}
	return resp.Devices, nil
}

// Health asks the driver whether it can serve (it checks its devices).
func (h *DriverHarness) Health() (*wuyepb.HealthResponse, error) {
	ctx, cancel := h.ctx()
	defer cancel()
	return h.Plugin.Health(ctx, &wuyepb.HealthRequest{})
}

// Events are the events that reached the host through the Sink, in order.
func (h *DriverHarness) Events() []EmittedEvent { return h.Host.EmittedEvents() }

// Statuses are the status reports that reached the host, in order.
func (h *DriverHarness) Statuses() []DeviceStatusReport { return h.Host.DeviceStatuses() }

// WaitEvent returns the first event of type typ that reached the host and
// that no earlier WaitEvent returned, failing the test after timeout.
func (h *DriverHarness) WaitEvent(typ string, timeout time.Duration) EmittedEvent {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		evs := h.Host.EmittedEvents()
		h.mu.Lock()
		for i, ev := range evs {
			if ev.Type == typ && !h.taken[i] {
				h.taken[i] = true
				h.mu.Unlock()
				return ev
			}
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			h.t.Fatalf("no %s event reached the host within %s (it has %d events)", typ, timeout, len(evs))
			return EmittedEvent{}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitStatus waits until the driver reported status for the device, failing
// the test after timeout.
func (h *DriverHarness) WaitStatus(deviceID, status string, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, s := range h.Host.DeviceStatuses() {
			if s.DeviceID == deviceID && s.Status == status {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("device %s: status %q not reported within %s (got %v)", deviceID, status, timeout, h.Host.DeviceStatuses())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
