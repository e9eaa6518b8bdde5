package testkit

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// DriverOptions configure DriverConformance.
type DriverOptions struct {
	// Devices are registered before Start: the driver must list and open
	// them. Point them at your protocol simulator. The first one is used
	// for Ingest, Command and Stall.
	Devices []Device
	// BadConfig is a connection config that passes the device schema but
	// that the driver cannot use (a URL of the wrong scheme): AddDevice
	// with it must be InvalidArgument. Nil: only garbage configs are tried.
	BadConfig any
	// Command and Args, when set, must succeed (ok true) on the first
	// device: the driver really talks to the simulator.
	Command string
	Args    any
	// Push, for a driver whose devices push, is a body the first device
	// would push (content type PushType); it must give canonical events of
	// the declared types.
	Push     []byte
	PushType string
	// Stall, when set, makes the simulator stop answering (true) and
	// answer again (false): a command must then end at its deadline with
	// DeadlineExceeded, not hang.
	Stall func(on bool)
	// Setup adjusts the fake host before Start.
	Setup func(*FakeHost)
}

// DriverConformance starts the driver binary at path as the core does
// (go-plugin over gRPC, checksum, AutoMTLS, broker — see Conformance) with
// the devices of o registered, and checks in subtests what the core relies
// on:
//
//   - describes: a valid manifest (CheckManifest, CheckDriverManifest): kind
//     driver, API 3, canonical classes, an object device schema, commands
//     and events canonical or "<name>.<x>".
//   - lists_devices: Start listed the devices (Host.ListDriverDevices).
//   - health: Health answers ok.
//   - devices: AddDevice with garbage configs answers (an error or not) and
//     the process lives; BadConfig is InvalidArgument; RemoveDevice of an
//     unknown id is OK; Execute, Ingest and ReadPoints of an unknown device
//     are NotFound.
//   - ingest (Push drivers): garbage pushes are InvalidArgument; o.Push
//     gives declared events with a versioned JSON object payload.
//   - command: o.Command succeeds on the first device.
//   - cancellation: a cancelled Execute returns at once; with o.Stall, a
//     command past its deadline is DeadlineExceeded; the process lives.
func DriverConformance(t *testing.T, binaryPath string, o DriverOptions) {
	t.Helper()
	c := startBinary(t, binaryPath, Options{Setup: func(fh *FakeHost) {
		for _, d := range o.Devices {
			if err := fh.AddDevice(d); err != nil {
				t.Fatalf("conformance: device %s: %v", d.ID, err)
			}
		}
		if o.Setup != nil {
			o.Setup(fh)
		}
	}})
	dc := &driverConformance{conformance: c, rpc: wuyepb.NewDriverClient(c.conn), o: o}
	t.Run("describes", dc.describes)
	t.Run("lists_devices", dc.listsDevices)
	t.Run("health", c.health)
	t.Run("devices", dc.devices)
	t.Run("ingest", dc.ingest)
	t.Run("command", dc.command)
	t.Run("cancellation", dc.cancellation)
	if c.client.Exited() {
		t.Errorf("the driver process exited during the suite\nstderr:\n%s", c.stderr.String())
	}
}

type driverConformance struct {
	*conformance
	rpc wuyepb.DriverClient
	o   DriverOptions
}

func (c *driverConformance) info() *wuyepb.DriverInfo {
	if c.manifest.Driver == nil {
		return &wuyepb.DriverInfo{}
	}
	return c.manifest.Driver
}

func (c *driverConformance) describes(t *testing.T) {
	for _, p := range append(CheckManifest(c.manifest), CheckDriverManifest(c.manifest)...) {
		t.Error(p)
	}
	if c.api < 3 {
		t.Errorf("negotiated API %d; a driver needs 3", c.api)
	}
}

func (c *driverConformance) listsDevices(t *testing.T) {
	if c.host.CallCount("ListDriverDevices") == 0 {
		t.Error("the driver did not list its devices (Host.ListDriverDevices) on Start")
	}
}

// call runs one Driver call with a deadline and reports a crash.
func (c *driverConformance) call(t *testing.T, what string, f func(ctx context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := f(ctx)
	if status.Code(err) == codes.Unavailable && exitedSoon(c.client) {
		t.Fatalf("%s: the driver process died\nstderr:\n%s", what, c.stderr.String())
	}
	return err
}

func (c *driverConformance) devices(t *testing.T) {
	class := "conformance"
	if len(c.manifest.DeviceClasses) > 0 {
		class = c.manifest.DeviceClasses[0]
	}
	for i, cfg := range [][]byte{[]byte("garbage"), []byte(`{}`), []byte(`null`), []byte(`[1, 2]`),
		[]byte(`{"url": 12, "host": ["x"], "port": "eighty", "address": {"deep": null}}`)} {
		spec := &wuyepb.DeviceSpec{Id: "conformance-bad-" + itoa(i), Name: "bad", Class: class, Config: cfg}
		_ = c.call(t, "AddDevice with config "+string(cfg), func(ctx context.Context) error {
			_, err := c.rpc.AddDevice(ctx, spec)
			return err
		})
		c.alive(t, "AddDevice with config "+string(cfg))
	}
	if c.o.BadConfig != nil {
		cfg, err := Options{Config: c.o.BadConfig}.config()
		if err != nil {
			t.Fatal(err)
		}
		spec := &wuyepb.DeviceSpec{Id: "conformance-bad-config", Name: "bad", Class: class, Config: cfg}
		if len(c.o.Devices) > 0 {
			spec.Secrets = c.o.Devices[0].Secrets
		}
		err = c.call(t, "AddDevice with BadConfig", func(ctx context.Context) error { _, err := c.rpc.AddDevice(ctx, spec); return err })
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("AddDevice with a config the driver cannot use: %v, want InvalidArgument", err)
		}
	}
	if err := c.call(t, "RemoveDevice", func(ctx context.Context) error {
		_, err := c.rpc.RemoveDevice(ctx, &wuyepb.DeviceRef{Id: "conformance-never-added"})
		return err
	}); err != nil {
		t.Errorf("RemoveDevice of an unknown id: %v, want OK", err)
	}
	commands := append([]string{driver.GateOpen}, c.info().Commands...)
	for _, cmd := range commands {
		err := c.call(t, "Execute "+cmd, func(ctx context.Context) error {
			_, err := c.rpc.Execute(ctx, &wuyepb.CommandRequest{DeviceId: "conformance-unknown", Command: cmd, Args: []byte(`{}`), TimeoutMs: 2000})
			return err
		})
		if status.Code(err) != codes.NotFound {
			t.Errorf("Execute %s on an unknown device: %v, want NotFound", cmd, err)
		}
	}
	err := c.call(t, "Ingest", func(ctx context.Context) error {
		_, err := c.rpc.Ingest(ctx, &wuyepb.IngestRequest{DeviceId: "conformance-unknown", Method: "POST", Body: []byte(`{}`)})
		return err
	})
	if status.Code(err) != codes.NotFound {
		t.Errorf("Ingest for an unknown device: %v, want NotFound", err)
	}
	err = c.call(t, "ReadPoints", func(ctx context.Context) error {
		_, err := c.rpc.ReadPoints(ctx, &wuyepb.PointsRequest{DeviceId: "conformance-unknown"})
		return err
	})
	if status.Code(err) != codes.NotFound {
		t.Errorf("ReadPoints of an unknown device: %v, want NotFound", err)
	}
	c.alive(t, "calls for unknown devices")
}

func (c *driverConformance) first(t *testing.T, what string) string {
	t.Helper()
	if len(c.o.Devices) == 0 {
		t.Skip(what + " needs DriverOptions.Devices")
	}
	return c.o.Devices[0].ID
}

func (c *driverConformance) ingest(t *testing.T) {
	if !c.info().Ingest {
		t.Skip("the driver's devices do not push")
	}
	id := c.first(t, "ingest")
	for name, body := range map[string][]byte{
		"garbage": []byte("\x00\xff{not json"), "empty": nil, "html": []byte("<html></html>"),
		"deep": []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
	} {
		for _, ct := range []string{"application/json", "application/octet-stream"} {
			err := c.call(t, "Ingest "+name, func(ctx context.Context) error {
				_, err := c.rpc.Ingest(ctx, &wuyepb.IngestRequest{DeviceId: id, Method: "POST", ContentType: ct, Body: body})
				return err
			})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("Ingest of a %s body as %s: %v, want InvalidArgument", name, ct, err)
			}
		}
		c.alive(t, "a "+name+" push")
	}
	if c.o.Push == nil {
		return
	}
	var resp *wuyepb.IngestResponse
	err := c.call(t, "Ingest", func(ctx context.Context) (err error) {
		resp, err = c.rpc.Ingest(ctx, &wuyepb.IngestRequest{DeviceId: id, Method: "POST", ContentType: c.o.PushType, Body: c.o.Push})
		return err
	})
	if err != nil {
		t.Fatalf("Ingest of DriverOptions.Push: %v", err)
	}
	if len(resp.Events) == 0 {
		t.Error("DriverOptions.Push gave no events")
	}
	for _, ev := range resp.Events {
		c.checkEvent(t, id, ev)
	}
	if resp.Status != 0 && (resp.Status < 100 || resp.Status > 599) {
		t.Errorf("reply status %d", resp.Status)
	}
}

// checkEvent checks an event is of its device, of a declared type, with a
// JSON object payload that names its version.
func (c *driverConformance) checkEvent(t *testing.T, device string, ev *wuyepb.DeviceEvent) {
	t.Helper()
	if ev.DeviceId != device {
		t.Errorf("event of device %q, want %q", ev.DeviceId, device)
	}
	if !slices.Contains(c.info().Events, ev.Type) {
		t.Errorf("event type %q is not among the declared %v", ev.Type, c.info().Events)
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p == nil {
		t.Errorf("event %s: the payload is not a JSON object: %s", ev.Type, ev.Payload)
	} else if _, ok := p["v"]; !ok {
		t.Errorf("event %s: the payload has no version v: %s", ev.Type, ev.Payload)
	}
}

func (c *driverConformance) command(t *testing.T) {
	if c.o.Command == "" {
		t.Skip("no DriverOptions.Command")
	}
	id := c.first(t, "command")
	args, err := body(c.o.Args)
	if err != nil {
		t.Fatal(err)
	}
	var res *wuyepb.CommandResult
	err = c.call(t, "Execute", func(ctx context.Context) (err error) {
		res, err = c.rpc.Execute(ctx, &wuyepb.CommandRequest{DeviceId: id, Command: c.o.Command, Args: args, TimeoutMs: 3000, RequestId: "conformance-1"})
		return err
	})
	if err != nil || !res.Ok {
		t.Errorf("%s on %s: %v %v", c.o.Command, id, res, err)
	}
	if len(res.GetData()) > 0 {
		var m map[string]any
		if json.Unmarshal(res.Data, &m) != nil {
			t.Errorf("result data is not a JSON object: %s", res.Data)
		}
	}
}

func (c *driverConformance) cancellation(t *testing.T) {
	cmds := c.info().Commands
	if len(cmds) == 0 || len(c.o.Devices) == 0 {
		t.Skip("no commands or no devices")
	}
	id := c.o.Devices[0].ID
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := c.rpc.Execute(ctx, &wuyepb.CommandRequest{DeviceId: id, Command: cmds[0], Args: []byte(`{}`), RequestId: "conformance-2"})
	if status.Code(err) != codes.Canceled || time.Since(start) > DeadlineSlack {
		t.Errorf("a cancelled Execute: %v after %v", err, time.Since(start))
	}
	if c.o.Stall != nil {
		c.o.Stall(true)
		defer c.o.Stall(false)
		const deadline = 200 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.rpc.Execute(ctx, &wuyepb.CommandRequest{DeviceId: id, Command: cmds[0], Args: []byte(`{}`),
			TimeoutMs: uint32(deadline / time.Millisecond), RequestId: "conformance-3"})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("%s on a device that does not answer: %v, want DeadlineExceeded", cmds[0], err)
		}
		if took := time.Since(start); took > deadline+DeadlineSlack {
			t.Errorf("%s with a %v timeout returned after %v", cmds[0], deadline, took)
		}
		c.o.Stall(false)
	}
	c.alive(t, "cancelled commands")
}

// exitedSoon reports whether the process has exited, waiting a moment: a
// call fails with Unavailable just before go-plugin notices the exit.
func exitedSoon(p interface{ Exited() bool }) bool {
	for deadline := time.Now().Add(2 * time.Second); !p.Exited(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
