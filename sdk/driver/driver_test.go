package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// lab is a driver whose devices the test steers: it records what the
// runtime opened and closed and hands out each device's Sink.
type lab struct {
	mu     sync.Mutex
	opened []string // device id@config "name"
	closed []string
	sinks  map[string]driver.Sink
}

type labConfig struct {
	Name    string `json:"name"`
	Fail    bool   `json:"fail"`    // Open refuses the config
	Offline bool   `json:"offline"` // Check fails
}

func newLab() (*lab, *driver.Driver) {
	l := &lab{sinks: map[string]driver.Sink{}}
	d := &driver.Driver{
		Name: "lab", Version: "1.0.0", TitleEN: "Lab", TitleZH: "实验",
		Classes:       []string{driver.BarrierGate},
		DeviceSchema:  json.RawMessage(`{"type": "object", "properties": {"name": {"type": "string"}}}`),
		DeviceSecrets: []string{"password"},
		Commands:      []string{driver.GateOpen, "lab.slow"},
		Events:        []string{driver.PlateRecognized},
		Push:          true,
		Open: func(ctx context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
			var c labConfig
			if err := dev.Decode(&c); err != nil {
				return nil, driver.Invalid("config: " + err.Error())
			}
			if c.Fail {
				return nil, driver.Invalid("the lab cannot use this config")
			}
			l.mu.Lock()
			l.opened = append(l.opened, dev.ID+"@"+c.Name)
			l.sinks[dev.ID] = sink
			l.mu.Unlock()
			return &labConn{l: l, dev: dev, cfg: c, points: map[string]any{"output.1": false}}, nil
		},
		Discover: func(ctx context.Context, params json.RawMessage) ([]driver.Found, error) {
			return []driver.Found{{Class: driver.BarrierGate, Name: "gate", Vendor: "lab", Serial: "S1", Config: map[string]string{"name": "found"}}}, nil
		},
	}
	return l, d
}

func (l *lab) sink(id string) driver.Sink {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sinks[id]
}

func (l *lab) log() (opened, closed []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.opened...), append([]string(nil), l.closed...)
}

type labConn struct {
	l      *lab
	dev    driver.Device
	cfg    labConfig
	mu     sync.Mutex
	points map[string]any
}

func (c *labConn) Close() error {
	c.l.mu.Lock()
	c.l.closed = append(c.l.closed, c.dev.ID+"@"+c.cfg.Name)
	c.l.mu.Unlock()
	return nil
}

func (c *labConn) Execute(ctx context.Context, cmd driver.Command) (driver.Result, error) {
	switch cmd.Name {
	case driver.GateOpen:
		var a struct {
			Reason string `json:"reason"`
		}
		if err := cmd.Decode(&a); err != nil {
			return driver.Result{}, driver.Invalid("args: " + err.Error())
		}
		if a.Reason == "refuse" {
			return driver.Result{OK: false, Message: "the gate is jammed"}, nil
		}
		return driver.Result{OK: true, Data: map[string]string{"reason": a.Reason, "password": c.dev.Secrets["password"]}}, nil
	case "lab.slow":
		<-ctx.Done() // a device that never acknowledges
		return driver.Result{}, ctx.Err()
	}
	return driver.Result{}, driver.ErrUnsupported
}

func (c *labConn) Ingest(ctx context.Context, p driver.Push) ([]driver.Event, *driver.Reply, error) {
	var in struct {
		Plate string `json:"plate"`
		ID    string `json:"id"`
	}
	if err := json.Unmarshal(p.Body, &in); err != nil || in.Plate == "" {
		return nil, nil, driver.Invalid("not a plate read")
	}
	ev := driver.Event{Type: driver.PlateRecognized, Key: in.ID, At: time.UnixMilli(1700000000000),
		Data: driver.Plate{Plate: driver.NormalizePlate(in.Plate), Confidence: 90}}
	return []driver.Event{ev}, &driver.Reply{Status: 200, ContentType: "application/json", Body: []byte(`{"result":"ok"}`)}, nil
}

func (c *labConn) ReadPoints(ctx context.Context, names []string) ([]driver.Point, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []driver.Point
	for k, v := range c.points {
		if len(names) == 0 || contains(names, k) {
			out = append(out, driver.Point{Name: k, Value: v})
		}
	}
	return out, nil
}

func (c *labConn) WritePoints(ctx context.Context, pts []driver.Point) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range pts {
		if _, ok := c.points[p.Name]; !ok {
			return driver.Invalid("no point " + p.Name)
		}
		c.points[p.Name] = p.Value
	}
	return nil
}

func (c *labConn) Check(ctx context.Context) error {
	if c.cfg.Offline {
		return driver.ErrUnreachable
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func gate(id, name string) testkit.Device {
	return testkit.Device{ID: id, Name: "东门", Class: driver.BarrierGate, Config: labConfig{Name: name},
		Secrets: map[string]string{"password": "pw-" + id}}
}

func code(err error) codes.Code { return status.Code(err) }

func TestStartOpensTheListedDevices(t *testing.T) {
	l, d := newLab()
	bad := gate("gate-bad", "x")
	bad.Config = labConfig{Fail: true}
	h := testkit.StartDriver(t, d, gate("gate-1", "a"), gate("gate-2", "b"), bad)
	if opened, _ := l.log(); strings.Join(opened, ",") != "gate-1@a,gate-2@b" {
		t.Fatalf("opened %v", opened)
	}
	if n := h.Host.CallCount("ListDriverDevices"); n != 1 {
		t.Errorf("ListDriverDevices called %d times", n)
	}
	// The device that did not open is at fault; the others serve.
	h.WaitStatus("gate-bad", driver.StatusFault, 2*time.Second)
	res, err := h.Execute("gate-1", driver.GateOpen, map[string]string{"reason": "visitor"})
	if err != nil || !res.Ok || !strings.Contains(string(res.Data), `"password":"pw-gate-1"`) {
		t.Fatalf("gate.open: %v %v", res, err)
	}
	if _, err := h.Execute("gate-bad", driver.GateOpen, nil); code(err) != codes.NotFound {
		t.Errorf("a device that did not open: %v, want NotFound", err)
	}
}

func TestAddUpdateRemove(t *testing.T) {
	l, d := newLab()
	h := testkit.StartDriver(t, d)
	if err := h.AddDevice(gate("gate-1", "a")); err != nil {
		t.Fatal(err)
	}
	if err := h.UpdateDevice(gate("gate-1", "b")); err != nil {
		t.Fatal(err)
	}
	opened, closed := l.log()
	if strings.Join(opened, ",") != "gate-1@a,gate-1@b" || strings.Join(closed, ",") != "gate-1@a" {
		t.Fatalf("after update: opened %v closed %v", opened, closed)
	}
	// A config the driver refuses is InvalidArgument, and the device is no
	// longer served with its old one.
	bad := gate("gate-1", "c")
	bad.Config = labConfig{Fail: true}
	if err := h.UpdateDevice(bad); code(err) != codes.InvalidArgument {
		t.Fatalf("bad update: %v, want InvalidArgument", err)
	}
	if _, closed := l.log(); strings.Join(closed, ",") != "gate-1@a,gate-1@b" {
		t.Errorf("the old conn stayed open after a failed update: closed %v", closed)
	}
	h.WaitStatus("gate-1", driver.StatusFault, 2*time.Second)
	if _, err := h.Execute("gate-1", driver.GateOpen, nil); code(err) != codes.NotFound {
		t.Errorf("execute after a failed update: %v, want NotFound", err)
	}
	if err := h.UpdateDevice(gate("gate-1", "d")); err != nil {
		t.Fatal(err)
	}
	if err := h.RemoveDevice("gate-1"); err != nil {
		t.Fatal(err)
	}
	if _, closed := l.log(); closed[len(closed)-1] != "gate-1@d" {
		t.Errorf("remove did not close: %v", closed)
	}
	if err := h.RemoveDevice("never-was"); err != nil {
		t.Errorf("removing an unknown device: %v", err)
	}
	if _, err := h.Execute("gate-1", driver.GateOpen, nil); code(err) != codes.NotFound {
		t.Errorf("execute after remove: %v, want NotFound", err)
	}
}

func TestIngest(t *testing.T) {
	_, d := newLab()
	h := testkit.StartDriver(t, d, gate("cam-1", "a"))
	evs, reply, err := h.Ingest("cam-1", "application/json", []byte(`{"plate": "粤B·12345", "id": "r1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != driver.PlateRecognized || evs[0].Key != "r1" || evs[0].DeviceId != "cam-1" ||
		evs[0].OccurredAtUnixMs != 1700000000000 {
		t.Fatalf("events %v", evs)
	}
	var p driver.Plate
	if err := json.Unmarshal(evs[0].Payload, &p); err != nil || p.V != driver.PayloadVersion || p.Plate != "粤B12345" {
		t.Errorf("payload %s: %+v %v", evs[0].Payload, p, err)
	}
	if reply.Status != 200 || string(reply.Body) != `{"result":"ok"}` {
		t.Errorf("reply %+v", reply)
	}
	if _, _, err := h.Ingest("cam-1", "application/json", []byte("\x00garbage")); code(err) != codes.InvalidArgument {
		t.Errorf("garbage: %v, want InvalidArgument", err)
	}
	if _, _, err := h.Ingest("nobody", "application/json", []byte(`{}`)); code(err) != codes.NotFound {
		t.Errorf("unknown device: %v, want NotFound", err)
	}
	// Ingested events are the host's to store: none went through the Sink.
	if n := len(h.Events()); n != 0 {
		t.Errorf("%d events reached EmitDeviceEvents", n)
	}
}

func TestExecute(t *testing.T) {
	_, d := newLab()
	h := testkit.StartDriver(t, d, gate("gate-1", "a"))
	res, err := h.Execute("gate-1", driver.GateOpen, map[string]string{"reason": "refuse"})
	if err != nil || res.Ok || res.Message != "the gate is jammed" {
		t.Errorf("refused: %v %v", res, err)
	}
	if _, err := h.Execute("gate-1", driver.GateOpen, `{"reason": 12}`); code(err) != codes.InvalidArgument {
		t.Errorf("bad args: %v, want InvalidArgument", err)
	}
	if _, err := h.Execute("gate-1", driver.DoorOpen, nil); code(err) != codes.Unimplemented {
		t.Errorf("unsupported: %v, want Unimplemented", err)
	}
	start := time.Now()
	_, err = h.ExecuteWithin("gate-1", "lab.slow", nil, 100*time.Millisecond)
	if code(err) != codes.DeadlineExceeded {
		t.Errorf("no acknowledgement: %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Errorf("the 100 ms command took %v", took)
	}
}

func TestPointsDiscoverHealth(t *testing.T) {
	_, d := newLab()
	off := gate("gate-2", "b")
	off.Config = labConfig{Name: "b", Offline: true}
	h := testkit.StartDriver(t, d, gate("gate-1", "a"), off)
	if err := h.WritePoints("gate-1", map[string]any{"output.1": true}); err != nil {
		t.Fatal(err)
	}
	pts, err := h.Points("gate-1")
	if err != nil || pts["output.1"] != true {
		t.Fatalf("points %v %v", pts, err)
	}
	if err := h.WritePoints("gate-1", map[string]any{"nope": 1}); code(err) != codes.InvalidArgument {
		t.Errorf("unknown point: %v, want InvalidArgument", err)
	}
	found, err := h.Discover(nil, time.Second)
	if err != nil || len(found) != 1 || string(found[0].Config) != `{"name":"found"}` {
		t.Fatalf("discover %v %v", found, err)
	}
	hr, err := h.Health()
	if err != nil || !hr.Ok {
		t.Fatalf("health %v %v", hr, err) // one device down is not the driver down
	}
	h.WaitStatus("gate-1", driver.StatusOnline, time.Second)
	h.WaitStatus("gate-2", driver.StatusOffline, time.Second)
}

func TestSinkDeliversInOrderInBatches(t *testing.T) {
	l, d := newLab()
	h := testkit.StartDriver(t, d, gate("gate-1", "a"))
	// The host is down for the first calls: events pile up, then leave in
	// batches, in order, each retried until the host has it.
	h.Host.FailNext("EmitDeviceEvents", 3, codes.Unavailable)
	s := l.sink("gate-1")
	const n = 1200
	for i := range n {
		s.Emit(driver.Event{Type: driver.PlateRecognized, Key: itoa(i), Data: driver.Plate{Plate: "粤B" + itoa(i)}})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(h.Events()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	evs := h.Events()
	if len(evs) != n {
		t.Fatalf("%d of %d events reached the host", len(evs), n)
	}
	for i, ev := range evs {
		if ev.Key != itoa(i) {
			t.Fatalf("event %d has key %s: out of order", i, ev.Key)
		}
	}
	batches := h.Host.EmitBatches()
	if batches >= n/10 {
		t.Errorf("%d events took %d calls; they should batch", n, batches)
	}
	if failed := h.Host.CallCount("EmitDeviceEvents") - batches; failed != 3 {
		t.Errorf("%d failed calls, want 3 retried", failed)
	}
	for _, c := range h.Host.Calls() {
		if c.Method == "EmitDeviceEvents" && c.Code == codes.OK {
			if req := c.Request.(*wuyepb.DeviceEvents); len(req.Events) > 500 {
				t.Errorf("a batch of %d events; at most 500", len(req.Events))
			}
		}
	}
}

func TestSinkDropsABatchTheHostRefuses(t *testing.T) {
	l, d := newLab()
	h := testkit.StartDriver(t, d, gate("gate-1", "a"))
	h.Host.FailNext("EmitDeviceEvents", 1, codes.InvalidArgument)
	s := l.sink("gate-1")
	s.Emit(driver.Event{Type: driver.PlateRecognized, Key: "refused"})
	time.Sleep(100 * time.Millisecond)
	s.Emit(driver.Event{Type: driver.PlateRecognized, Key: "next"})
	if ev := h.WaitEvent(driver.PlateRecognized, 2*time.Second); ev.Key != "next" {
		t.Errorf("got %s; the refused batch must not be retried", ev.Key)
	}
	// The host de-duplicates repeats of a key.
	s.Emit(driver.Event{Type: driver.PlateRecognized, Key: "next"})
	deadline := time.Now().Add(2 * time.Second)
	for h.Host.Duplicates() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(h.Events()); n != 1 || h.Host.Duplicates() != 1 {
		t.Errorf("%d events, %d duplicates", n, h.Host.Duplicates())
	}
}

func TestStatusIsDeduplicated(t *testing.T) {
	l, d := newLab()
	h := testkit.StartDriver(t, d, gate("gate-1", "a"))
	s := l.sink("gate-1")
	for _, st := range []string{"online", "online", "online", "offline", "offline", "online"} {
		s.Status(st, "")
	}
	var got []string
	for _, r := range h.Statuses() {
		got = append(got, r.Status)
	}
	if strings.Join(got, ",") != "online,offline,online" {
		t.Errorf("statuses %v", got)
	}
	// A report the host did not take is sent again next time.
	h.Host.FailNext("ReportDeviceStatus", 1, codes.Unavailable)
	s.Status("fault", "jammed")
	s.Status("fault", "jammed")
	if r := h.Statuses(); len(r) != 4 || r[3].Status != "fault" || r[3].Detail != "jammed" {
		t.Errorf("statuses after a failed report: %v", r)
	}
	// A removed device's sink is silent.
	if err := h.RemoveDevice("gate-1"); err != nil {
		t.Fatal(err)
	}
	s.Status("online", "")
	if n := len(h.Statuses()); n != 4 {
		t.Errorf("a removed device reported status: %v", h.Statuses())
	}
	// Nor does it emit: the host would refuse the batch, other devices'
	// events with it.
	if err := h.AddDevice(gate("gate-2", "b")); err != nil {
		t.Fatal(err)
	}
	s.Emit(driver.Event{Type: driver.PlateRecognized, Key: "ghost"})
	l.sink("gate-2").Emit(driver.Event{Type: driver.PlateRecognized, Key: "live"})
	if ev := h.WaitEvent(driver.PlateRecognized, 2*time.Second); ev.Key != "live" || len(h.Events()) != 1 {
		t.Errorf("events %v", h.Events())
	}
}

func TestPayloadSetsTheVersion(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, `{"v":1}`},
		{driver.Plate{Plate: "粤B12345", Confidence: 90}, `"v":1`},
		{map[string]any{"v": 2, "x": 1}, `"v":2`},
		{json.RawMessage(`{"a": true}`), `"v":1`},
	} {
		b, err := driver.Payload(c.in)
		if err != nil || !strings.Contains(string(b), c.want) {
			t.Errorf("Payload(%v) = %s, %v; want %s in it", c.in, b, err, c.want)
		}
	}
	for _, in := range []any{"a string", []int{1}, (*driver.Plate)(nil), func() {}} {
		var inv *driver.InvalidError
		if _, err := driver.Payload(in); err == nil {
			t.Errorf("Payload(%T) succeeded", in)
		} else if _, isFunc := in.(func()); !isFunc && !errors.As(err, &inv) {
			t.Errorf("Payload(%T): %v, want an InvalidError", in, err)
		}
	}
}

func TestCallsBeforeStartAreRefused(t *testing.T) {
	_, d := newLab()
	rt := d.Plugin().DriverServer.(*driver.Runtime)
	defer rt.Close()
	if _, err := rt.AddDevice(context.Background(), nil); code(err) != codes.FailedPrecondition {
		t.Errorf("AddDevice before Start: %v", err)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
