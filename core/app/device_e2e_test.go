package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/tenant"
	isapisim "github.com/wuye-project/wuye/plugins/drivers/isapi-lpr/sim"
	liftsim "github.com/wuye-project/wuye/plugins/drivers/modbus-elevator/sim"
	doorsim "github.com/wuye-project/wuye/plugins/drivers/mqtt-door/sim"
	onvifsim "github.com/wuye-project/wuye/plugins/drivers/onvif-camera/sim"
)

// deviceBinNames are the plugins a site with devices runs: the parking
// feature plugin and the four first-party drivers.
var deviceBinNames = []string{"parking", "isapi-lpr", "modbus-elevator", "onvif-camera", "mqtt-door"}

var (
	deviceBinOnce sync.Once
	deviceBinDir  string
	deviceBinErr  error
)

// deviceBins builds parking and the drivers once per test binary into a
// folder of their own (the app registers every binary it finds there).
func deviceBins(t testing.TB) string {
	t.Helper()
	deviceBinOnce.Do(func() {
		if deviceBinDir, deviceBinErr = os.MkdirTemp("", "wuye-devices-"); deviceBinErr != nil {
			return
		}
		for _, n := range deviceBinNames {
			src := "../../plugins/" + n
			if n != "parking" {
				src = "../../plugins/drivers/" + n
			}
			if out, err := exec.Command("go", "build", "-o", filepath.Join(deviceBinDir, n), src).CombinedOutput(); err != nil {
				deviceBinErr = fmt.Errorf("go build %s: %v\n%s", src, err, out)
				return
			}
		}
	})
	if deviceBinErr != nil {
		t.Fatal(deviceBinErr)
	}
	return deviceBinDir
}

// mqttBroker is the test broker's address: $WUYE_TEST_MQTT_ADDR (required
// under CI), else the door simulator's in-process broker.
func mqttBroker(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("WUYE_TEST_MQTT_ADDR"); a != "" {
		return a
	}
	if os.Getenv("CI") != "" {
		t.Fatal("WUYE_TEST_MQTT_ADDR is not set (CI needs the MQTT broker)")
	}
	b, err := doorsim.Broker("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr()
}

// site is a running app with one tenant whose devices are simulators.
type site struct {
	*running
	t        testing.TB
	tenant   tenant.ApplyResult
	code     string
	entry    *isapisim.Camera
	exit     *isapisim.Camera
	entryOK  chan time.Time // entry barrier opened
	exitOK   chan time.Time
	lift     *liftsim.Lift
	cam      *onvifsim.Camera
	door     *doorsim.Door
	manager  string
	devices  map[string]string // name → id
	tokens   map[string]string // name → ingress token (the manifest's)
	lastSeen map[string]bool
}

// The demo's device names.
const (
	devEntry = "东门入口车牌识别"
	devExit  = "东门出口车牌识别"
	devDoor  = "1栋单元门禁"
	devLift  = "1栋1单元电梯"
	devCam   = "东门监控"
)

// demoDevices is the demo manifest adjusted to a test: the plugins a site
// with devices runs, and its devices pointed at simulators.
func demoDevices(t testing.TB, code string, addr map[string]map[string]any) tenant.Manifest {
	t.Helper()
	m, err := demoShort()
	if err != nil {
		t.Fatal(err)
	}
	m.Code = code
	var plugins []tenant.PluginSpec
	for _, p := range m.Plugins {
		for _, n := range deviceBinNames {
			if p.Name == n {
				p.Enabled = nil // drivers are enabled by being listed
				plugins = append(plugins, p)
			}
		}
	}
	m.Plugins = plugins
	var devs []tenant.DeviceSpec
	for _, d := range m.Devices {
		if cfg, ok := addr[d.Name]; ok {
			for k, v := range cfg {
				d.Config[k] = v
			}
			devs = append(devs, d)
		}
	}
	m.Devices = devs
	return m
}

// startSite starts the simulators, the app on dialect d and tenant code.
func startSite(t testing.TB, d store.Dialect, code string) *site {
	t.Helper()
	s := &site{t: t, code: code, entryOK: make(chan time.Time, 1024), exitOK: make(chan time.Time, 1024)}
	var err error
	camOpts := func(ch chan time.Time) isapisim.Options {
		return isapisim.Options{Username: "admin", Password: "demo-Isapi-2026", OnGate: func(cmd string, at time.Time) {
			if cmd == "gate.open" {
				select {
				case ch <- at:
				default:
				}
			}
		}}
	}
	if s.entry, err = isapisim.New(camOpts(s.entryOK)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.entry.Close() })
	if s.exit, err = isapisim.New(camOpts(s.exitOK)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.exit.Close() })
	if s.lift, err = liftsim.New(liftsim.Options{FloorTime: 200 * time.Millisecond, DoorTime: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.lift.Close() })
	if s.cam, err = onvifsim.New(onvifsim.Options{Username: "admin", Password: "demo-Onvif-2026"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cam.Close() })
	broker := mqttBroker(t)
	prefix := "wuye/e2e/" + uuid.NewString()[:8]
	if s.door, err = doorsim.NewDoor(doorsim.Options{Broker: broker, Prefix: prefix, Serial: "B1U1", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.door.Close() })

	cfg := testConfig(t, d)
	if os.Getenv("WUYE_TEST_LOG_LEVEL") != "" {
		cfg.LogLevel = os.Getenv("WUYE_TEST_LOG_LEVEL")
	}
	cfg.PluginDir = deviceBins(t)
	cfg.PaymentSandbox = "on"
	s.running = startWith(t, cfg)
	m := demoDevices(t, code, map[string]map[string]any{
		devEntry: {"address": s.entry.Addr()},
		devExit:  {"address": s.exit.Addr()},
		devLift:  {"address": s.lift.Addr()},
		devCam:   {"address": s.cam.Addr()},
		devDoor:  {"broker": broker, "prefix": prefix},
	})
	s.tokens = map[string]string{}
	for _, d := range m.Devices {
		s.tokens[d.Name] = d.Token
	}
	op := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
	if s.tenant, err = s.Tenants.Apply(op, m); err != nil {
		t.Fatal(err)
	}
	s.manager = s.login(t, code, "manager", password(s.tenant, "manager"))
	st, body := s.call(t, s.manager, "GET", "/api/v1/devices?limit=50", nil)
	if st != 200 || len(items(body)) != len(m.Devices) {
		t.Fatalf("devices: %d %v", st, body)
	}
	s.devices = map[string]string{}
	for _, it := range items(body) {
		d := it.(map[string]any)
		s.devices[d["name"].(string)] = d["id"].(string)
	}
	return s
}

// ingress is a device's ingress URL with its token.
func (s *site) ingress(name string) string {
	return s.base + "/api/v1/ingress/" + s.code + "/" + s.devices[name] + "?token=" + url.QueryEscape(s.tokens[name])
}

// residentPlates are plates of the tenant's residents' vehicles.
func (s *site) residentPlates(t testing.TB) []string {
	t.Helper()
	var plates []string
	err := s.DB.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Raw("SELECT plate FROM vehicles WHERE tenant_id = ? ORDER BY plate", s.tenant.Tenant.ID).Scan(&plates).Error
	})
	if err != nil || len(plates) == 0 {
		t.Fatalf("residents' plates: %v %v", plates, err)
	}
	return plates
}

// count runs a count query on the platform handle.
func (s *site) count(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB.Platform(context.Background(), func(tx *gorm.DB) error { return tx.Raw(q, args...).Scan(&n).Error }); err != nil {
		t.Fatal(err)
	}
	return n
}

// events counts the device's events of a type in the log.
func (s *site) events(t testing.TB, name, typ string) int64 {
	return s.count(t, "SELECT count(*) FROM device_events WHERE tenant_id = ? AND device_id = ? AND type = ?", s.tenant.Tenant.ID, s.devices[name], typ)
}

// audits counts the tenant's audit entries of an action on a device.
func (s *site) audits(t testing.TB, action, name, result string) int64 {
	return s.count(t, "SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action = ? AND object_id = ? AND result = ?",
		s.tenant.Tenant.ID, action, s.devices[name], result)
}

// eventually retries cond until it holds or within passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gateOpened waits for a barrier to open.
func gateOpened(t testing.TB, ch chan time.Time, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: the barrier did not open", what)
	}
}

// gateStayed checks a barrier did not open.
func gateStayed(t testing.TB, ch chan time.Time, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: the barrier opened", what)
	case <-time.After(300 * time.Millisecond):
	}
}

// passages lists parking's passages of a plate, newest first.
func (s *site) passages(t testing.TB, plate string) []map[string]any {
	t.Helper()
	st, body := s.call(t, s.manager, "GET", "/api/v1/plugins/parking/passages?plate="+url.QueryEscape(plate), nil)
	if st != 200 {
		t.Fatalf("passages: %d %v", st, body)
	}
	var out []map[string]any
	for _, it := range items(body) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// postRaw posts a body to a URL and returns the status and the body.
func postRaw(t testing.TB, u, ct string, body []byte) (int, string) {
	t.Helper()
	res, err := http.Post(u, ct, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestDevicesEndToEnd runs parking and the four drivers as real processes
// behind the real core, with simulated devices on real sockets, and checks
// through the HTTP API what a manager would see: plates open gates and
// leave passages, a car that owes is refused until paid in the sandbox,
// bad pushes are refused and audited, commands reach devices (or time out),
// the lift's points and faults, the camera's snapshot and alarms, the door's
// commands and swipes, and a lift that stops answering goes offline.
func TestDevicesEndToEnd(t *testing.T) {
	deviceBins(t)
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			s := startSite(t, d, "t-a")
			ctx := context.Background()
			tid := s.tenant.Tenant.ID
			push := func(cam *isapisim.Camera, name, plate, dir string, o isapisim.PushOptions) {
				t.Helper()
				if err := cam.Push(ctx, s.ingress(name), plate, dir, o); err != nil {
					t.Fatalf("push %s at %s: %v", plate, name, err)
				}
			}

			// A resident's registered plate at the entry: the gate opens, the
			// passage shows the picture, the camera is online and seen.
			resident := s.residentPlates(t)[0]
			push(s.entry, devEntry, resident, "enter", isapisim.PushOptions{Picture: true})
			gateOpened(t, s.entryOK, "resident at the entry")
			var p []map[string]any
			eventually(t, 15*time.Second, "the resident's passage", func() bool { p = s.passages(t, resident); return len(p) == 1 })
			if p[0]["decision"] != "open" || p[0]["reason"] != "resident" || p[0]["picture"] == nil || p[0]["picture"] == "" {
				t.Fatalf("resident's passage: %v", p[0])
			}
			st, dev := s.call(t, s.manager, "GET", "/api/v1/devices/"+s.devices[devEntry], nil)
			if st != 200 || dev["status"] != "online" || dev["last_seen_at"] == nil {
				t.Fatalf("entry camera after a push: %d %v", st, dev)
			}

			// An unknown plate: in two hours ago as a temporary car, refused at
			// the exit with the fee and a pay URL; paid in the sandbox, it leaves.
			visitor := "沪C" + strings.ToUpper(uuid.NewString()[:5])
			push(s.entry, devEntry, visitor, "enter", isapisim.PushOptions{Time: time.Now().Add(-2 * time.Hour)})
			gateOpened(t, s.entryOK, "a temporary car at the entry")
			eventually(t, 15*time.Second, "the temporary car's entry", func() bool { p = s.passages(t, visitor); return len(p) == 1 })
			if p[0]["decision"] != "open" || p[0]["kind"] != "temporary" {
				t.Fatalf("temporary entry: %v", p[0])
			}
			refusedAt := time.Now()
			push(s.exit, devExit, visitor, "exit", isapisim.PushOptions{})
			eventually(t, 15*time.Second, "the refusal at the exit", func() bool { p = s.passages(t, visitor); return len(p) == 2 })
			out := p[0]
			if out["direction"] != "out" || out["decision"] != "refuse" || out["reason"] != "unpaid" || out["fee_fen"] == nil || out["pay_url"] == nil {
				t.Fatalf("unpaid exit: %v", out)
			}
			gateStayed(t, s.exitOK, "an unpaid car at the exit")
			pay, err := url.Parse(out["pay_url"].(string))
			if err != nil || !strings.Contains(pay.Path, "/api/v1/payments/sandbox/") {
				t.Fatalf("pay URL %v: %v", out["pay_url"], err)
			}
			if st, body := postRaw(t, s.base+pay.Path+"/pay", "application/x-www-form-urlencoded", nil); st != 200 {
				t.Fatalf("sandbox pay: %d %s", st, body)
			}
			eventually(t, 15*time.Second, "the session paid", func() bool {
				_, body := s.call(t, s.manager, "GET", "/api/v1/plugins/parking/sessions?plate="+url.QueryEscape(visitor), nil)
				ss := items(body)
				return len(ss) == 1 && ss[0].(map[string]any)["paid_fen"] != nil && ss[0].(map[string]any)["paid_fen"].(float64) > 0
			})
			// The stream takes a camera's reads of one plate within 2 s for one
			// (samePlateWindow); a driver pays on a phone for longer than that.
			time.Sleep(time.Until(refusedAt.Add(2100 * time.Millisecond)))
			push(s.exit, devExit, visitor, "exit", isapisim.PushOptions{})
			select {
			case <-s.exitOK:
			case <-time.After(15 * time.Second):
				_, body := s.call(t, s.manager, "GET", "/api/v1/plugins/parking/sessions?plate="+url.QueryEscape(visitor), nil)
				var evs, fails, curs []map[string]any
				_ = s.DB.Platform(ctx, func(tx *gorm.DB) error {
					tx.Raw("SELECT seq, type, device_id, payload FROM device_events WHERE tenant_id = ? ORDER BY seq", tid).Scan(&evs)
					tx.Raw("SELECT * FROM device_event_failures").Scan(&fails)
					return tx.Raw("SELECT * FROM device_event_cursors").Scan(&curs).Error
				})
				t.Fatalf("a paid car at the exit: the barrier did not open (%d commands); passages %v; sessions %v\nevents %v\nfailures %v\ncursors %v", len(s.exit.Commands()), s.passages(t, visitor), body, evs, fails, curs)
			}

			// The same alert twice (a camera retransmitting) and the same plate
			// read again within a second: one opening, one passage.
			again := s.residentPlates(t)[1]
			push(s.entry, devEntry, again, "enter", isapisim.PushOptions{Twice: true})
			time.Sleep(200 * time.Millisecond)
			push(s.entry, devEntry, again, "enter", isapisim.PushOptions{})
			gateOpened(t, s.entryOK, "a read twice")
			gateStayed(t, s.entryOK, "a read twice")
			eventually(t, 15*time.Second, "the reads' passage", func() bool { p = s.passages(t, again); return len(p) > 0 })
			time.Sleep(300 * time.Millisecond)
			if p = s.passages(t, again); len(p) != 1 || p[0]["decision"] != "open" {
				t.Fatalf("a plate read twice: %v", p)
			}

			// Malformed XML: 400 bad_device_payload, audited. A bad token: 401,
			// audited. Tenant B's device and token under A's code: 404.
			if st, body := postRaw(t, s.ingress(devEntry), "application/xml", []byte("<EventNotificationAlert><eventType>ANPR")); st != 400 || !strings.Contains(body, "bad_device_payload") {
				t.Fatalf("malformed XML: %d %s", st, body)
			}
			eventually(t, 15*time.Second, "the payload audit", func() bool { return s.audits(t, "device.ingress.payload", devEntry, "failed") == 1 })
			bad := strings.Replace(s.ingress(devEntry), "token=", "token=x", 1)
			if st, body := postRaw(t, bad, "application/xml", s.entry.Heartbeat()); st != 401 || !strings.Contains(body, "bad_device_token") {
				t.Fatalf("bad token: %d %s", st, body)
			}
			eventually(t, 15*time.Second, "the token audit", func() bool { return s.audits(t, "device.ingress.token", devEntry, "denied") == 1 })
			mb := demoDevices(t, "t-b", map[string]map[string]any{devEntry: {"address": s.entry.Addr()}})
			mb.Plugins = []tenant.PluginSpec{{Name: "isapi-lpr"}}
			resB, err := s.Tenants.Apply(actor.With(ctx, actor.Actor{Kind: actor.Operator, Name: "test"}), mb)
			if err != nil {
				t.Fatal(err)
			}
			var idB string
			if err := s.DB.Platform(ctx, func(tx *gorm.DB) error {
				return tx.Raw("SELECT id FROM devices WHERE tenant_id = ?", resB.Tenant.ID).Scan(&idB).Error
			}); err != nil || idB == "" {
				t.Fatalf("tenant B's camera: %q %v", idB, err)
			}
			u := s.base + "/api/v1/ingress/t-a/" + idB + "?token=" + url.QueryEscape(s.tokens[devEntry])
			if st, body := postRaw(t, u, "application/xml", s.entry.Heartbeat()); st != 404 {
				t.Fatalf("tenant B's device under A's code: %d %s", st, body)
			}
			u = s.base + "/api/v1/ingress/t-b/" + idB + "?token=" + url.QueryEscape(s.tokens[devEntry])
			if st, body := postRaw(t, u, "application/xml", s.entry.Heartbeat()); st != 200 {
				t.Fatalf("tenant B's device under its own code: %d %s", st, body)
			}

			// Commands (device.manage: the administrator; the built-in manager
			// holds device.read only): acknowledged, then a hung barrier is 504
			// device_no_ack and audited; a technician and the manager may not.
			admin := s.login(t, s.code, "admin", password(s.tenant, "admin"))
			cmd := "/api/v1/devices/" + s.devices[devExit] + "/commands"
			before := len(s.exit.Commands())
			if st, body := s.call(t, admin, "POST", cmd, map[string]any{"command": "gate.open", "args": map[string]any{"reason": "e2e"}}); st != 200 || body["ok"] != true {
				t.Fatalf("gate.open: %d %v", st, body)
			}
			if got := s.exit.Commands(); len(got) != before+1 || got[len(got)-1].Name != "gate.open" {
				t.Fatalf("the camera's commands: %+v", got)
			}
			gateOpened(t, s.exitOK, "gate.open by the manager")
			s.exit.SetGate(isapisim.GateHang)
			if st, body := s.call(t, admin, "POST", cmd, map[string]any{"command": "gate.open", "timeout_ms": 1000}); st != 504 || errCode(body) != "device_no_ack" {
				t.Fatalf("hung gate: %d %v", st, body)
			}
			s.exit.SetGate(isapisim.GateAck)
			eventually(t, 15*time.Second, "the unacknowledged command's audit", func() bool {
				return s.count(t, "SELECT count(*) FROM audit_log WHERE tenant_id = ? AND action = 'device.command' AND object_id = ? AND detail = 'gate.open: device_no_ack'",
					tid, s.devices[devExit]) == 1
			})
			tech := s.login(t, s.code, "technician", password(s.tenant, "technician"))
			for who, tok := range map[string]string{"technician": tech, "manager": s.manager} {
				if st, body := s.call(t, tok, "POST", cmd, map[string]any{"command": "gate.open"}); st != 403 {
					t.Fatalf("%s's gate.open: %d %v", who, st, body)
				}
			}

			// The lift: its points, and passengers trapped → elevator.fault.
			lift := "/api/v1/devices/" + s.devices[devLift]
			eventually(t, 15*time.Second, "the lift's points", func() bool {
				st, body := s.call(t, s.manager, "GET", lift+"/points", nil)
				pts, _ := body["points"].([]any)
				return st == 200 && len(pts) > 0 && strings.Contains(fmt.Sprint(pts), "floor")
			})
			s.lift.Trap()
			eventually(t, 15*time.Second, "elevator.fault in the device log", func() bool { return s.events(t, devLift, "elevator.fault") > 0 })
			s.lift.Clear()

			// The ONVIF camera: a snapshot, and an alarm stored.
			st, snap := s.call(t, admin, "POST", "/api/v1/devices/"+s.devices[devCam]+"/commands", map[string]any{"command": "camera.snapshot"})
			if st != 200 || snap["ok"] != true || snap["blob"] == nil || !strings.HasPrefix(fmt.Sprint(snap["blob_type"]), "image/") {
				t.Fatalf("snapshot: %d ok=%v type=%v", st, snap["ok"], snap["blob_type"])
			}
			if err := s.cam.Alarm(onvifsim.Motion, true); err != nil {
				t.Fatal(err)
			}
			eventually(t, 15*time.Second, "the camera's alarm stored", func() bool { return s.events(t, devCam, "camera.alarm") > 0 })

			// The door: door.open acknowledged; a swipe becomes door.accessed.
			st, body := s.call(t, admin, "POST", "/api/v1/devices/"+s.devices[devDoor]+"/commands", map[string]any{"command": "door.open"})
			if st != 200 || body["ok"] != true || len(s.door.Commands()) == 0 {
				t.Fatalf("door.open: %d %v (%d commands)", st, body, len(s.door.Commands()))
			}
			eventually(t, 15*time.Second, "door.accessed", func() bool {
				if s.events(t, devDoor, "door.accessed") > 0 {
					return true
				}
				_, _ = s.door.Swipe("card", "0012345678", true)
				return false
			})

			// The lift's box stops answering: offline within three polls.
			s.lift.Stop()
			eventually(t, 15*time.Second, "the lift offline", func() bool {
				_, body := s.call(t, s.manager, "GET", lift, nil)
				return body["status"] == "offline"
			})
			if n := s.count(t, "SELECT count(*) FROM audit_log WHERE tenant_id = ?", tid); n == 0 {
				t.Fatal("no audit entries")
			}
		})
	}
}
