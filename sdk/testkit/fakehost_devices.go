package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Device is a device registered with the fake host. A driver sees the
// devices that name it (or name no driver) through ListDriverDevices; a
// feature plugin sees every device through ListDevices and GetDevice.
type Device struct {
	ID       string
	Name     string
	Class    string
	Driver   string // empty: the plugin under test
	Location driver.Location
	// Config is the connection config: JSON bytes (json.RawMessage,
	// []byte, string) or a value encoded as JSON. Empty means {}.
	Config   any
	Secrets  map[string]string
	Status   string   // what DeviceInfo says until the driver reports; "unknown" when empty
	Commands []string // what DeviceInfo says the device executes
}

// EmittedEvent is one device event the host accepted from the driver.
type EmittedEvent struct {
	*wuyepb.DeviceEvent
	Batch int // the number of the EmitDeviceEvents call it came in, from 1
}

// DeviceStatusReport is one ReportDeviceStatus call the host accepted.
type DeviceStatusReport struct {
	DeviceID, Status, Detail string
}

// CommandFunc answers DeviceCommand for a feature plugin under test, as the
// device's driver would (see DriverHarness.CommandFunc).
type CommandFunc func(ctx context.Context, req *wuyepb.CommandRequest) (*wuyepb.CommandResult, error)

// devices is the fake host's device and vehicle state.
type devices struct {
	list      []*storedDevice
	emitted   []EmittedEvent
	batches   int
	dupes     int
	seenKeys  map[string]bool      // device \x00 type \x00 key
	seenBody  map[string]time.Time // device \x00 type \x00 payload → when
	statuses  []DeviceStatusReport
	commands  []*wuyepb.CommandRequest
	onCommand CommandFunc
	vehicles  []*wuyepb.Vehicle
	failures  map[string][]codes.Code // method → codes of its next calls
}

type storedDevice struct {
	dev    Device
	config []byte
	status string
}

func (f *FakeHost) devs() *devices {
	if f.dev == nil {
		f.dev = &devices{seenKeys: map[string]bool{}, seenBody: map[string]time.Time{}, failures: map[string][]codes.Code{}}
	}
	return f.dev
}

// AddDevice registers a device, replacing one with the same id.
func (f *FakeHost) AddDevice(d Device) error {
	config, err := Options{Config: d.Config}.config()
	if err != nil {
		return err
	}
	if d.ID == "" {
		return fmt.Errorf("testkit: a device needs an ID")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := &storedDevice{dev: d, config: config, status: d.Status}
	if st.status == "" {
		st.status = "unknown"
	}
	ds := f.devs()
	if i := slices.IndexFunc(ds.list, func(s *storedDevice) bool { return s.dev.ID == d.ID }); i >= 0 {
		ds.list[i] = st
	} else {
		ds.list = append(ds.list, st)
	}
	return nil
}

// RemoveDevice unregisters a device; its later events are refused.
func (f *FakeHost) RemoveDevice(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ds := f.devs()
	ds.list = slices.DeleteFunc(ds.list, func(s *storedDevice) bool { return s.dev.ID == id })
}

// DeviceSpec is the device as ListDriverDevices hands it to a driver.
func (f *FakeHost) DeviceSpec(id string) (*wuyepb.DeviceSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.device(id); s != nil {
		return s.spec(), true
	}
	return nil, false
}

func (f *FakeHost) device(id string) *storedDevice {
	for _, s := range f.devs().list {
		if s.dev.ID == id {
			return s
		}
	}
	return nil
}

func (s *storedDevice) spec() *wuyepb.DeviceSpec {
	l := s.dev.Location
	sec := map[string]string{}
	for k, v := range s.dev.Secrets {
		sec[k] = v
	}
	return &wuyepb.DeviceSpec{Id: s.dev.ID, Name: s.dev.Name, Class: s.dev.Class, Config: bytes.Clone(s.config), Secrets: sec,
		Location: &wuyepb.Location{CommunityId: l.CommunityID, BuildingId: l.BuildingID, Place: l.Place, Direction: l.Direction}}
}

func (f *FakeHost) info(s *storedDevice) *wuyepb.DeviceInfo {
	l := s.dev.Location
	drv := s.dev.Driver
	if drv == "" {
		drv = f.manifest.GetName()
	}
	return &wuyepb.DeviceInfo{Id: s.dev.ID, Name: s.dev.Name, Class: s.dev.Class, Driver: drv, Status: s.status,
		Commands: slices.Clone(s.dev.Commands),
		Location: &wuyepb.Location{CommunityId: l.CommunityID, BuildingId: l.BuildingID, Place: l.Place, Direction: l.Direction}}
}

// mine: the device belongs to the driver under test.
func (f *FakeHost) mine(s *storedDevice) bool {
	return s.dev.Driver == "" || s.dev.Driver == f.manifest.GetName()
}

// EmittedEvents are the device events the host accepted, in order
// (repeats it dropped are not among them).
func (f *FakeHost) EmittedEvents() []EmittedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]EmittedEvent, len(f.devs().emitted))
	for i, e := range f.devs().emitted {
		out[i] = EmittedEvent{DeviceEvent: proto.Clone(e.DeviceEvent).(*wuyepb.DeviceEvent), Batch: e.Batch}
	}
	return out
}

// EmittedCount counts the events the host accepted (cheaper than
// len(EmittedEvents()) in a polling loop).
func (f *FakeHost) EmittedCount() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.devs().emitted) }

// EmitBatches counts the EmitDeviceEvents calls the host accepted;
// Duplicates counts the events it dropped as repeats.
func (f *FakeHost) EmitBatches() int { f.mu.Lock(); defer f.mu.Unlock(); return f.devs().batches }

// Duplicates counts the emitted events the host dropped as repeats.
func (f *FakeHost) Duplicates() int { f.mu.Lock(); defer f.mu.Unlock(); return f.devs().dupes }

// DeviceStatuses are the status reports the host accepted, in order.
func (f *FakeHost) DeviceStatuses() []DeviceStatusReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.devs().statuses)
}

// DeviceCommands are the DeviceCommand calls a feature plugin made, in order.
func (f *FakeHost) DeviceCommands() []*wuyepb.CommandRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneAll(f.devs().commands)
}

// OnDeviceCommand routes DeviceCommand to fn (nil: the host answers
// Unavailable, as when the device's driver is not running).
func (f *FakeHost) OnDeviceCommand(fn CommandFunc) {
	f.mu.Lock()
	f.devs().onCommand = fn
	f.mu.Unlock()
}

// AddVehicle registers a vehicle; its plate is normalised.
func (f *FakeHost) AddVehicle(v *wuyepb.Vehicle) {
	v = proto.Clone(v).(*wuyepb.Vehicle)
	v.Plate = driver.NormalizePlate(v.Plate)
	if v.Id == "" {
		v.Id = newID()
	}
	f.mu.Lock()
	f.devs().vehicles = append(f.devs().vehicles, v)
	f.mu.Unlock()
}

// FailNext makes the next n calls of a Host method ("EmitDeviceEvents")
// fail with code before they reach the host, as an unreachable or
// overloaded core would answer.
func (f *FakeHost) FailNext(method string, n int, code codes.Code) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ds := f.devs()
	for range n {
		ds.failures[method] = append(ds.failures[method], code)
	}
}

// injected pops the failure planned for a call of method, if any.
func (f *FakeHost) injected(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ds := f.devs()
	q := ds.failures[method]
	if len(q) == 0 {
		return nil
	}
	ds.failures[method] = q[1:]
	return fail(q[0], "injected", "testkit: injected failure", "testkit:注入的故障")
}

// ---- feature plugins' device calls ----

func (f *FakeHost) ListDevices(_ context.Context, req *wuyepb.ListDevicesRequest) (*wuyepb.ListDevicesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &wuyepb.ListDevicesResponse{}
	for _, s := range f.devs().list {
		if (req.Class == "" || s.dev.Class == req.Class) && (req.CommunityId == "" || s.dev.Location.CommunityID == req.CommunityId) {
			out.Devices = append(out.Devices, f.info(s))
		}
	}
	return out, nil
}

func (f *FakeHost) GetDevice(_ context.Context, req *wuyepb.GetDeviceRequest) (*wuyepb.DeviceInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.device(req.Id); s != nil {
		return f.info(s), nil
	}
	return nil, fail(codes.NotFound, "not_found", "No such device.", "设备不存在。")
}

func (f *FakeHost) DeviceCommand(ctx context.Context, req *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	f.mu.Lock()
	s := f.device(req.DeviceId)
	if s == nil {
		f.mu.Unlock()
		return nil, fail(codes.NotFound, "not_found", "No such device.", "设备不存在。")
	}
	if err := jsonOrEmpty("args", req.Args, true); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	if len(s.dev.Commands) > 0 && !slices.Contains(s.dev.Commands, req.Command) {
		f.mu.Unlock()
		return nil, invalidField("command", "unsupported_command", "the device's driver does not execute "+req.Command, "该设备的驱动不支持此命令")
	}
	ds := f.devs()
	ds.commands = append(ds.commands, proto.Clone(req).(*wuyepb.CommandRequest))
	fn := ds.onCommand
	f.mu.Unlock()
	if fn == nil {
		return nil, fail(codes.Unavailable, "driver_unavailable", "The device's driver is not running.", "设备驱动未运行。")
	}
	return fn(ctx, req)
}

func (f *FakeHost) FindVehicle(_ context.Context, req *wuyepb.FindVehicleRequest) (*wuyepb.Vehicle, error) {
	if req.Plate == "" || len(req.Plate) > 32 {
		return nil, invalidField("plate", "invalid_plate", "plate is 1–32 bytes", "车牌号须为 1–32 字节")
	}
	plate := driver.NormalizePlate(req.Plate)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.devs().vehicles {
		if v.Plate == plate {
			return proto.Clone(v).(*wuyepb.Vehicle), nil
		}
	}
	return nil, fail(codes.NotFound, "not_found", "No such vehicle.", "车辆不存在。")
}

func (f *FakeHost) ListVehicles(_ context.Context, req *wuyepb.ListVehiclesRequest) (*wuyepb.ListVehiclesResponse, error) {
	if req.ResidentId == "" && req.RoomId == "" {
		return nil, invalidField("resident_id", "required", "name a resident or a room", "请指定住户或房间")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &wuyepb.ListVehiclesResponse{}
	for _, v := range f.devs().vehicles {
		if (req.ResidentId == "" || v.ResidentId == req.ResidentId) && (req.RoomId == "" || v.RoomId == req.RoomId) {
			out.Vehicles = append(out.Vehicles, proto.Clone(v).(*wuyepb.Vehicle))
		}
	}
	return out, nil
}

// ---- drivers' calls ----

var errNotADriver = fail(codes.PermissionDenied, "not_a_driver", "Only a device driver may make this call.", "只有设备驱动可以调用此接口。")

func (f *FakeHost) isDriver() bool { return f.manifest.GetKind() == wuyepb.Kind_KIND_DRIVER }

func (f *FakeHost) ListDriverDevices(context.Context, *wuyepb.ListDriverDevicesRequest) (*wuyepb.ListDriverDevicesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.isDriver() {
		return nil, errNotADriver
	}
	out := &wuyepb.ListDriverDevicesResponse{}
	for _, s := range f.devs().list {
		if f.mine(s) {
			out.Devices = append(out.Devices, s.spec())
		}
	}
	return out, nil
}

// EmitDeviceEvents checks the whole batch before it keeps any of it, as the
// core does: an event of an unknown device is NotFound, a malformed one
// InvalidArgument. Repeats of (device, type, key), or without a key of the
// same payload within a second, are counted and dropped.
func (f *FakeHost) EmitDeviceEvents(_ context.Context, req *wuyepb.DeviceEvents) (*wuyepb.EmitAck, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.isDriver() {
		return nil, errNotADriver
	}
	if len(req.Events) > 1000 {
		return nil, invalidField("events", "too_many", "at most 1000 events per call", "每次最多 1000 条事件")
	}
	for i, ev := range req.Events {
		field := fmt.Sprintf("events[%d]", i)
		if s := f.device(ev.DeviceId); s == nil || !f.mine(s) {
			return nil, fail(codes.NotFound, "not_found", "No such device of this driver: "+ev.DeviceId, "本驱动没有该设备:"+ev.DeviceId)
		}
		if !validLocalName(ev.Type) {
			return nil, invalidField(field+".type", "invalid_type", "an event type such as plate.recognized", "事件类型无效")
		}
		var p map[string]json.RawMessage
		if err := json.Unmarshal(ev.Payload, &p); err != nil || p == nil {
			return nil, invalidField(field+".payload", "invalid_json", "the payload must be a JSON object", "payload 须为 JSON 对象")
		}
		if _, ok := p["v"]; !ok {
			return nil, invalidField(field+".payload", "missing_version", "the payload needs its version field v", "payload 缺少版本字段 v")
		}
	}
	ds := f.devs()
	ds.batches++
	now := f.now()
	var ack wuyepb.EmitAck
	for _, ev := range req.Events {
		base := ev.DeviceId + "\x00" + ev.Type + "\x00"
		if ev.Key != "" {
			if ds.seenKeys[base+ev.Key] {
				ack.Duplicates++
				continue
			}
			ds.seenKeys[base+ev.Key] = true
		} else {
			k := base + string(ev.Payload)
			if at, ok := ds.seenBody[k]; ok && now.Sub(at) < time.Second {
				ack.Duplicates++
				continue
			}
			ds.seenBody[k] = now
		}
		ack.Accepted++
		ds.emitted = append(ds.emitted, EmittedEvent{DeviceEvent: proto.Clone(ev).(*wuyepb.DeviceEvent), Batch: ds.batches})
	}
	ds.dupes += int(ack.Duplicates)
	return &ack, nil
}

func (f *FakeHost) ReportDeviceStatus(_ context.Context, req *wuyepb.DeviceStatus) (*wuyepb.DeviceStatusAck, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.isDriver() {
		return nil, errNotADriver
	}
	s := f.device(req.DeviceId)
	if s == nil || !f.mine(s) {
		return nil, fail(codes.NotFound, "not_found", "No such device of this driver.", "本驱动没有该设备。")
	}
	switch req.Status {
	case driver.StatusOnline, driver.StatusOffline, driver.StatusFault:
	default:
		return nil, invalidField("status", "invalid_status", "status is online, offline or fault", "状态须为 online、offline 或 fault")
	}
	s.status = req.Status
	ds := f.devs()
	ds.statuses = append(ds.statuses, DeviceStatusReport{DeviceID: req.DeviceId, Status: req.Status, Detail: req.Detail})
	return &wuyepb.DeviceStatusAck{}, nil
}
