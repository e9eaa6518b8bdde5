package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// clock is a test clock the plugin and the fake host share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var monday = time.Date(2026, 6, 1, 9, 0, 0, 0, shanghai)

// fakeHW stands in for the host's device, vehicle and payment calls (API
// 3) until the SDK's FakeHost has them: it records commands, dedupes them
// by request id as the host does, and opens payments keyed like the core.
type fakeHW struct {
	mu       sync.Mutex
	devices  []*wuyepb.DeviceInfo
	vehicles map[string]*wuyepb.Vehicle
	silent   map[string]bool // devices that never acknowledge
	commands []cmd
	seen     map[string]bool
	payKeys  map[string]*wuyepb.Payment
	pays     int
}

type cmd struct {
	Device, Command, RequestID string
	Args                       json.RawMessage
}

func newFakeHW() *fakeHW {
	return &fakeHW{vehicles: map[string]*wuyepb.Vehicle{}, silent: map[string]bool{}, seen: map[string]bool{}, payKeys: map[string]*wuyepb.Payment{}}
}

func (f *fakeHW) Devices(_ context.Context, class, _ string) ([]*wuyepb.DeviceInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*wuyepb.DeviceInfo
	for _, d := range f.devices {
		if class == "" || d.Class == class {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeHW) Command(_ context.Context, deviceID, command string, args any, requestID string) (*wuyepb.CommandResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.silent[deviceID] {
		return nil, &plugin.HostError{GRPC: codes.DeadlineExceeded, Code: "timeout", EN: "the device did not answer"}
	}
	if !f.seen[requestID] { // the host runs a request id once
		f.seen[requestID] = true
		b, _ := json.Marshal(args)
		f.commands = append(f.commands, cmd{deviceID, command, requestID, b})
	}
	return &wuyepb.CommandResult{Ok: true}, nil
}

func (f *fakeHW) Vehicle(_ context.Context, plate string) (*wuyepb.Vehicle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.vehicles[plate]; v != nil {
		return v, nil
	}
	return nil, &plugin.HostError{GRPC: codes.NotFound, Code: "not_found", EN: "no such vehicle"}
}

func (f *fakeHW) Vehicles(_ context.Context, residentID, roomID string) ([]*wuyepb.Vehicle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*wuyepb.Vehicle
	for _, v := range f.vehicles {
		if (residentID != "" && v.ResidentId == residentID) || (roomID != "" && v.RoomId == roomID) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeHW) Pay(_ context.Context, req *wuyepb.CreatePaymentRequest) (*wuyepb.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.AmountFen <= 0 || req.IdempotencyKey == "" {
		return nil, &plugin.HostError{GRPC: codes.InvalidArgument, Code: "invalid_input"}
	}
	if p := f.payKeys[req.IdempotencyKey]; p != nil {
		return p, nil
	}
	f.pays++
	id := "pay-" + strconv.Itoa(f.pays)
	p := &wuyepb.Payment{Id: id, AmountFen: req.AmountFen, Currency: req.Currency, Status: "created", PayUrl: "https://pay.example/" + id, Reference: req.Reference}
	f.payKeys[req.IdempotencyKey] = p
	return p, nil
}

// opens counts the gate.open commands sent to a device.
func (f *fakeHW) opens(device string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.commands {
		if c.Device == device && c.Command == driver.GateOpen {
			n++
		}
	}
	return n
}

func (f *fakeHW) lastShown(device string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.commands) - 1; i >= 0; i-- {
		if c := f.commands[i]; c.Device == device && c.Command == driver.DisplayShow {
			var a struct{ Lines []string }
			_ = json.Unmarshal(c.Args, &a)
			return a.Lines
		}
	}
	return nil
}

type env struct {
	*testkit.Harness
	t   *testing.T
	clk *clock
	app *app
	hw  *fakeHW
	lot Lot
	zn  Zone
	in  Gate
	out Gate
	ev  int
}

const (
	camIn   = "cam-east-in"
	camOut  = "cam-east-out"
	dispIn  = "led-east-in"
	dispOut = "led-east-out"
	zoneLED = "led-zone-a"
)

// start runs the plugin with the demo tariff, a lot with one zone of
// capacity places, and the east gate's entry and exit lanes.
func start(t *testing.T, capacity int, config map[string]any) *env {
	t.Helper()
	clk := &clock{t: monday}
	p, a := build(clk.Now)
	hw := newFakeHW()
	a.hw = hw
	cfg := map[string]any{"free_minutes": 30, "hourly_rate_fen": 500, "daily_cap_fen": 3000, "guard_user_ids": []string{"user-guard"}}
	for k, v := range config {
		cfg[k] = v
	}
	h := testkit.Start(t, p, testkit.Options{Now: clk.Now, Config: cfg})
	e := &env{Harness: h, t: t, clk: clk, app: a, hw: hw}
	e.DoJSON("POST", "/lots", map[string]any{"community_id": testkit.CommunityID, "name": "地下车库", "capacity": capacity}, nil, &e.lot)
	e.DoJSON("POST", "/zones", map[string]any{"lot_id": e.lot.ID, "name": "A区", "capacity": capacity, "display_ids": []string{zoneLED}}, nil, &e.zn)
	e.DoJSON("POST", "/gates", map[string]any{"lot_id": e.lot.ID, "name": "东门入口", "direction": "in", "camera_id": camIn, "display_id": dispIn}, nil, &e.in)
	e.DoJSON("POST", "/gates", map[string]any{"lot_id": e.lot.ID, "name": "东门出口", "direction": "out", "camera_id": camOut, "display_id": dispOut}, nil, &e.out)
	return e
}

// plateEvent is a plate.recognized envelope from a camera.
func (e *env) plateEvent(camera, plate string) driver.Envelope {
	data, _ := json.Marshal(driver.Plate{V: 1, Plate: plate, Confidence: 95})
	e.ev++
	return driver.Envelope{Device: driver.DeviceRef{ID: camera, Class: driver.LPRCamera}, OccurredAt: e.clk.Now(), ReceivedAt: e.clk.Now(),
		Data: data, Picture: fmt.Sprintf("pic-%d", e.ev)}
}

// read delivers a plate read and returns the passage it recorded.
func (e *env) read(camera, plate string) Passage {
	e.t.Helper()
	id, err := e.Event(driver.PlateRecognized, e.plateEvent(camera, plate))
	if err != nil {
		e.t.Fatalf("plate event: %v", err)
	}
	return e.passage(id)
}

func (e *env) passage(eventID string) Passage {
	e.t.Helper()
	var p Passage
	if _, err := e.app.host().Get(context.Background(), colPassages, hashID("passage", eventID), &p); err != nil {
		e.t.Fatalf("no passage for %s: %v", eventID, err)
	}
	return p
}

func (e *env) session(id string) Session {
	e.t.Helper()
	var s Session
	if _, err := e.app.host().Get(context.Background(), colSessions, id, &s); err != nil {
		e.t.Fatalf("no session %s: %v", id, err)
	}
	return s
}

func (e *env) add(col string, doc any) {
	e.t.Helper()
	if _, err := e.app.host().Put(context.Background(), col, newID(), doc, plugin.CreateOnly); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) payReceived(sessionID, paymentID string, amount int64) string {
	e.t.Helper()
	id, err := e.Event("payment.received", map[string]any{"plugin": "parking", "reference": sessionID, "payment_id": paymentID, "amount_fen": amount, "currency": "CNY"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func errorCode(b []byte) string {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &env)
	return env.Error.Code
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func (f *fakeHW) payCount() int { f.mu.Lock(); defer f.mu.Unlock(); return f.pays }
