package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Serve runs the driver until the host stops it. Call it last in main.
func Serve(d *Driver) {
	plugin.Serve(d.Plugin())
}

// Plugin is the driver as a plugin: its manifest (kind driver, DriverInfo)
// and its Driver service. Serve uses it; the testkit runs it in process.
func (d *Driver) Plugin() *plugin.Plugin {
	rt := &Runtime{d: d, conns: map[string]*open{}, queue: make(chan *wuyepb.DeviceEvent, queueSize),
		closed: make(chan struct{}), started: make(chan struct{})}
	p := &plugin.Plugin{
		Name: d.Name, Version: d.Version, Kind: plugin.Driver,
		TitleEN: d.TitleEN, TitleZH: d.TitleZH, Description: d.Description,
		ConfigSchema: d.ConfigSchema, DeviceClasses: d.Classes,
		DriverInfo: &wuyepb.DriverInfo{
			DeviceSchema: d.DeviceSchema, DeviceSecrets: d.DeviceSecrets, Commands: d.Commands,
			Events: d.Events, Points: d.Points, Discover: d.Discover != nil, Ingest: d.Push,
		},
		DriverServer: rt,
	}
	p.OnStart = func(ctx context.Context, host *plugin.Host) error { return rt.start(ctx, host) }
	p.OnHealth = rt.health
	rt.p = p
	return p
}

// Runtime serves the Driver service for one driver: it keeps the open
// devices and carries their events to the host.
type Runtime struct {
	wuyepb.UnimplementedDriverServer
	d    *Driver
	p    *plugin.Plugin
	host wuyepb.HostClient

	mu    sync.Mutex
	conns map[string]*open // device id →

	queue     chan *wuyepb.DeviceEvent
	closed    chan struct{} // closed by Close
	closeOnce sync.Once
	started   chan struct{} // closed once the host is known
}

// open is one opened device.
type open struct {
	dev  Device
	conn Conn
	sink *sink
}

// queueSize bounds events waiting for the host; Emit blocks beyond it.
const queueSize = 10000

// batchSize is the most events sent to the host in one call.
const batchSize = 500

func (rt *Runtime) start(ctx context.Context, host *plugin.Host) error {
	rt.host = host.Raw()
	close(rt.started) // Start runs once (the plugin server refuses a second)
	go rt.forward()
	if rt.d.OnStart != nil {
		if err := rt.d.OnStart(ctx, host); err != nil {
			return err
		}
	}
	list, err := rt.host.ListDriverDevices(ctx, &wuyepb.ListDriverDevicesRequest{})
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	for _, spec := range list.Devices {
		// One device that cannot be opened must not keep the others dark:
		// it is reported at fault, and opened again when it changes.
		if err := rt.add(ctx, spec); err != nil {
			plugin.Logger().Warn("device did not open", "device", spec.Id, "err", err)
		}
	}
	return nil
}

// forward sends queued events to the host in order: whatever is queued
// when a call ends goes in the next call, so batches grow with the load
// and a lone event leaves at once. A failed call is retried with the same
// batch (the host de-duplicates on the events' keys).
func (rt *Runtime) forward() {
	batch := make([]*wuyepb.DeviceEvent, 0, batchSize)
	backoff := 50 * time.Millisecond
	for {
		if len(batch) == 0 {
			select {
			case ev := <-rt.queue:
				batch = append(batch, ev)
			case <-rt.closed:
				return
			}
		}
	fill:
		for len(batch) < batchSize {
			select {
			case ev := <-rt.queue:
				batch = append(batch, ev)
			default:
				break fill
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := rt.host.EmitDeviceEvents(ctx, &wuyepb.DeviceEvents{Events: batch})
		cancel()
		if err != nil {
			var he *plugin.HostError
			if errors.As(err, &he) && (he.GRPC == codes.InvalidArgument || he.GRPC == codes.NotFound) {
				// The host refused the batch for what it holds (a device
				// removed meanwhile, a malformed event): retrying cannot
				// help.
				plugin.Logger().Warn("host refused device events", "count", len(batch), "err", err)
				batch = batch[:0]
				continue
			}
			plugin.Logger().Warn("sending device events failed; retrying", "count", len(batch), "err", err)
			select {
			case <-time.After(backoff):
			case <-rt.closed:
				return
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		batch = batch[:0]
	}
}

func (rt *Runtime) add(ctx context.Context, spec *wuyepb.DeviceSpec) error {
	dev := deviceOf(spec)
	s := &sink{rt: rt, device: dev.ID}
	if rt.d.Open == nil {
		return errors.New("driver has no Open")
	}
	conn, err := rt.d.Open(ctx, dev, s)
	if err == nil && conn == nil {
		err = errors.New("Open returned no Conn")
	}
	if err != nil {
		// The device's old settings are gone with the change: a failed
		// reopen leaves it closed and at fault, not running on stale ones.
		rt.mu.Lock()
		old := rt.conns[dev.ID]
		delete(rt.conns, dev.ID)
		rt.mu.Unlock()
		if old != nil {
			old.sink.gone()
			_ = old.conn.Close()
		}
		s.Status(StatusFault, err.Error())
		return err
	}
	rt.mu.Lock()
	old := rt.conns[dev.ID]
	rt.conns[dev.ID] = &open{dev: dev, conn: conn, sink: s}
	rt.mu.Unlock()
	if old != nil {
		old.sink.gone()
		_ = old.conn.Close()
	}
	return nil
}

func deviceOf(spec *wuyepb.DeviceSpec) Device {
	d := Device{ID: spec.Id, Name: spec.Name, Class: spec.Class, Config: spec.Config, Secrets: spec.Secrets}
	if l := spec.Location; l != nil {
		d.Location = Location{CommunityID: l.CommunityId, BuildingID: l.BuildingId, Place: l.Place, Direction: l.Direction}
	}
	if len(d.Config) == 0 {
		d.Config = json.RawMessage(`{}`)
	}
	return d
}

// ready refuses Driver calls before Start: the host is not known yet.
func (rt *Runtime) ready() error {
	select {
	case <-rt.started:
		return nil
	default:
		return status.Error(codes.FailedPrecondition, "driver not started")
	}
}

// Close closes every open device and stops sending events; the testkit
// calls it when a test ends (a served driver ends with its process).
func (rt *Runtime) Close() {
	rt.closeOnce.Do(func() { close(rt.closed) })
	rt.mu.Lock()
	list := rt.conns
	rt.conns = map[string]*open{}
	rt.mu.Unlock()
	for _, o := range list {
		o.sink.gone()
		_ = o.conn.Close()
	}
}

func (rt *Runtime) conn(id string) (*open, error) {
	if err := rt.ready(); err != nil {
		return nil, err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	o := rt.conns[id]
	if o == nil {
		return nil, status.Errorf(codes.NotFound, "device %s is not open in this driver", id)
	}
	return o, nil
}

func (rt *Runtime) health(ctx context.Context) error {
	rt.mu.Lock()
	list := make([]*open, 0, len(rt.conns))
	for _, o := range rt.conns {
		list = append(list, o)
	}
	rt.mu.Unlock()
	for _, o := range list {
		if c, ok := o.conn.(Checker); ok {
			if err := c.Check(ctx); err != nil {
				o.sink.Status(StatusOffline, err.Error())
			} else {
				o.sink.Status(StatusOnline, "")
			}
		}
	}
	return nil // one device down does not make the driver unhealthy
}

// AddDevice implements wuyepb.DriverServer.
func (rt *Runtime) AddDevice(ctx context.Context, spec *wuyepb.DeviceSpec) (*wuyepb.DeviceAck, error) {
	if err := rt.ready(); err != nil {
		return nil, err
	}
	if spec.Id == "" {
		return nil, status.Error(codes.InvalidArgument, "a device needs an id")
	}
	if err := rt.add(ctx, spec); err != nil {
		return nil, errStatus(err)
	}
	return &wuyepb.DeviceAck{}, nil
}

// UpdateDevice implements wuyepb.DriverServer: the device is opened again.
func (rt *Runtime) UpdateDevice(ctx context.Context, spec *wuyepb.DeviceSpec) (*wuyepb.DeviceAck, error) {
	return rt.AddDevice(ctx, spec)
}

// RemoveDevice implements wuyepb.DriverServer.
func (rt *Runtime) RemoveDevice(_ context.Context, ref *wuyepb.DeviceRef) (*wuyepb.DeviceAck, error) {
	if err := rt.ready(); err != nil {
		return nil, err
	}
	rt.mu.Lock()
	o := rt.conns[ref.Id]
	delete(rt.conns, ref.Id)
	rt.mu.Unlock()
	if o != nil {
		o.sink.gone()
		_ = o.conn.Close()
	}
	return &wuyepb.DeviceAck{}, nil
}

// Ingest implements wuyepb.DriverServer.
func (rt *Runtime) Ingest(ctx context.Context, req *wuyepb.IngestRequest) (*wuyepb.IngestResponse, error) {
	o, err := rt.conn(req.DeviceId)
	if err != nil {
		return nil, err
	}
	in, ok := o.conn.(Ingester)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this device does not push to the ingress endpoint")
	}
	evs, reply, err := in.Ingest(ctx, Push{Method: req.Method, ContentType: req.ContentType, Query: req.Query, Header: req.Headers, Body: req.Body})
	if err != nil {
		return nil, errStatus(err)
	}
	out := &wuyepb.IngestResponse{}
	for _, ev := range evs {
		pb, err := eventPB(req.DeviceId, ev)
		if err != nil {
			return nil, errStatus(err)
		}
		out.Events = append(out.Events, pb)
	}
	if reply != nil {
		out.Status, out.ContentType, out.Body = int32(reply.Status), reply.ContentType, reply.Body
	}
	return out, nil
}

// Execute implements wuyepb.DriverServer.
func (rt *Runtime) Execute(ctx context.Context, req *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	o, err := rt.conn(req.DeviceId)
	if err != nil {
		return nil, err
	}
	ex, ok := o.conn.(Executor)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "this device executes no commands")
	}
	if req.TimeoutMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMs)*time.Millisecond)
		defer cancel()
	}
	res, err := ex.Execute(ctx, Command{Name: req.Command, Args: req.Args, RequestID: req.RequestId})
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrUnsupported) {
			err = fmt.Errorf("%w: %v", ErrNoAck, err)
		}
		return nil, errStatus(err)
	}
	out := &wuyepb.CommandResult{Ok: res.OK, Message: res.Message, Blob: res.Blob, BlobType: res.BlobType}
	if res.Data != nil {
		b, err := json.Marshal(res.Data)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "result data: %v", err)
		}
		out.Data = b
	}
	return out, nil
}

// ReadPoints implements wuyepb.DriverServer.
func (rt *Runtime) ReadPoints(ctx context.Context, req *wuyepb.PointsRequest) (*wuyepb.Points, error) {
	o, err := rt.conn(req.DeviceId)
	if err != nil {
		return nil, err
	}
	r, ok := o.conn.(PointReader)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this device has no readable points")
	}
	pts, err := r.ReadPoints(ctx, req.Names)
	if err != nil {
		return nil, errStatus(err)
	}
	out := &wuyepb.Points{DeviceId: req.DeviceId}
	for _, p := range pts {
		b, err := json.Marshal(p.Value)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "point %s: %v", p.Name, err)
		}
		at := p.At
		if at.IsZero() {
			at = time.Now()
		}
		out.Points = append(out.Points, &wuyepb.Point{Name: p.Name, Value: b, AtUnixMs: at.UnixMilli()})
	}
	return out, nil
}

// WritePoints implements wuyepb.DriverServer.
func (rt *Runtime) WritePoints(ctx context.Context, req *wuyepb.Points) (*wuyepb.PointsAck, error) {
	o, err := rt.conn(req.DeviceId)
	if err != nil {
		return nil, err
	}
	w, ok := o.conn.(PointWriter)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this device has no writable points")
	}
	pts := make([]Point, 0, len(req.Points))
	for _, p := range req.Points {
		var v any
		if err := json.Unmarshal(p.Value, &v); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "point %s: value is not JSON", p.Name)
		}
		pts = append(pts, Point{Name: p.Name, Value: v})
	}
	if err := w.WritePoints(ctx, pts); err != nil {
		return nil, errStatus(err)
	}
	return &wuyepb.PointsAck{}, nil
}

// Discover implements wuyepb.DriverServer.
func (rt *Runtime) Discover(ctx context.Context, req *wuyepb.DiscoverRequest) (*wuyepb.DiscoverResponse, error) {
	if err := rt.ready(); err != nil {
		return nil, err
	}
	if rt.d.Discover == nil {
		return nil, status.Error(codes.Unimplemented, "this driver cannot discover devices")
	}
	if req.TimeoutMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMs)*time.Millisecond)
		defer cancel()
	}
	found, err := rt.d.Discover(ctx, req.Params)
	if err != nil {
		return nil, errStatus(err)
	}
	out := &wuyepb.DiscoverResponse{}
	for _, f := range found {
		b, err := json.Marshal(f.Config)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "config: %v", err)
		}
		out.Devices = append(out.Devices, &wuyepb.FoundDevice{Class: f.Class, Name: f.Name, Vendor: f.Vendor, Model: f.Model, Serial: f.Serial, Config: b})
	}
	return out, nil
}

// errStatus maps a driver's error to the gRPC status the host reads.
func errStatus(err error) error {
	var inv *InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		return status.Error(codes.InvalidArgument, inv.Reason)
	case errors.Is(err, ErrUnsupported):
		return status.Error(codes.Unimplemented, err.Error())
	case errors.Is(err, ErrNoAck), errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, ErrUnreachable):
		return status.Error(codes.Unavailable, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, err.Error())
}

// eventPB is the wire form of a device's event, with the payload version set.
func eventPB(deviceID string, ev Event) (*wuyepb.DeviceEvent, error) {
	payload, err := Payload(ev.Data)
	if err != nil {
		return nil, err
	}
	pb := &wuyepb.DeviceEvent{DeviceId: deviceID, Type: ev.Type, Key: ev.Key, Payload: payload,
		Picture: ev.Picture, PictureType: ev.PictureType}
	if !ev.At.IsZero() {
		pb.OccurredAtUnixMs = ev.At.UnixMilli()
	}
	return pb, nil
}

// Payload marshals a canonical payload, setting its version field "v" when
// the value leaves it zero.
func Payload(data any) ([]byte, error) {
	if data == nil {
		return []byte(`{"v":1}`), nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil { // nil: a nil pointer marshals as null
		return nil, Invalid("an event payload must be a JSON object")
	}
	if v, ok := m["v"]; !ok || string(v) == "0" {
		m["v"] = json.RawMessage(fmt.Sprint(PayloadVersion))
		return json.Marshal(m)
	}
	return b, nil
}

// sink is one device's Sink.
type sink struct {
	rt     *Runtime
	device string

	mu      sync.Mutex
	last    string // last status sent
	removed bool
}

func (s *sink) Emit(ev Event) {
	s.mu.Lock()
	removed := s.removed
	s.mu.Unlock()
	if removed {
		// The host would refuse it, and with it the whole batch it rode
		// in, other devices' events too.
		return
	}
	pb, err := eventPB(s.device, ev)
	if err != nil {
		plugin.Logger().Error("dropping an event the driver could not encode", "device", s.device, "type", ev.Type, "err", err)
		return
	}
	select {
	case s.rt.queue <- pb:
	case <-s.rt.closed:
	}
}

func (s *sink) Status(st, detail string) {
	s.mu.Lock()
	if s.removed || s.last == st {
		s.mu.Unlock()
		return
	}
	s.last = st
	s.mu.Unlock()
	if s.rt.host == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.rt.host.ReportDeviceStatus(ctx, &wuyepb.DeviceStatus{DeviceId: s.device, Status: st, Detail: detail}); err != nil {
		plugin.Logger().Warn("reporting device status failed", "device", s.device, "status", st, "err", err)
		s.mu.Lock()
		if s.last == st {
			s.last = "" // send again next time
		}
		s.mu.Unlock()
	}
}

func (s *sink) gone() {
	s.mu.Lock()
	s.removed = true
	s.mu.Unlock()
}
