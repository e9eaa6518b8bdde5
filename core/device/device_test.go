package device_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

var _ hostsvc.Devices = device.HostDevices{}

// lprSchema is a driver's device schema: an address is required.
const lprSchema = `{"type":"object","required":["address"],"properties":{"address":{"type":"string","minLength":3},"channel":{"type":"integer","minimum":1}},"additionalProperties":false}`

// catalog enables drivers per tenant.
type catalog struct {
	enabled map[uuid.UUID]map[string]*wuyepb.Manifest
}

func (c catalog) Resolve(_ context.Context, tenantID uuid.UUID, name string) (pluginhost.Spec, error) {
	m, ok := c.enabled[tenantID][name]
	if !ok {
		return pluginhost.Spec{}, pluginhost.ErrNotEnabled
	}
	return pluginhost.Spec{TenantID: tenantID, Name: name, Manifest: m}, nil
}

func (c catalog) Enabled(_ context.Context, tenantID uuid.UUID) (map[string]*wuyepb.Manifest, error) {
	return c.enabled[tenantID], nil
}

func lprManifest() *wuyepb.Manifest {
	return &wuyepb.Manifest{Name: "isapi-lpr", Version: "1.0.0", Kind: wuyepb.Kind_KIND_DRIVER, DeviceClasses: []string{driver.LPRCamera, driver.BarrierGate},
		Driver: &wuyepb.DriverInfo{DeviceSchema: []byte(lprSchema), DeviceSecrets: []string{"password"}, Commands: []string{driver.GateOpen, driver.CameraSnapshot}}}
}

// client is a fake Driver client: it records calls and answers Execute as told.
type client struct {
	wuyepb.DriverClient
	mu      sync.Mutex
	calls   []string
	specs   []*wuyepb.DeviceSpec
	execute func(*wuyepb.CommandRequest) (*wuyepb.CommandResult, error)
	start   time.Duration // how long the fake process takes to start
}

func (c *client) note(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
}

func (c *client) AddDevice(_ context.Context, in *wuyepb.DeviceSpec, _ ...grpc.CallOption) (*wuyepb.DeviceAck, error) {
	c.note("add " + in.GetName())
	c.mu.Lock()
	c.specs = append(c.specs, in)
	c.mu.Unlock()
	return &wuyepb.DeviceAck{}, nil
}

func (c *client) UpdateDevice(_ context.Context, in *wuyepb.DeviceSpec, _ ...grpc.CallOption) (*wuyepb.DeviceAck, error) {
	c.note("update " + in.GetName())
	return &wuyepb.DeviceAck{}, nil
}

func (c *client) RemoveDevice(_ context.Context, in *wuyepb.DeviceRef, _ ...grpc.CallOption) (*wuyepb.DeviceAck, error) {
	c.note("remove " + in.GetId())
	return &wuyepb.DeviceAck{}, nil
}

func (c *client) Execute(ctx context.Context, in *wuyepb.CommandRequest, _ ...grpc.CallOption) (*wuyepb.CommandResult, error) {
	c.note("execute " + in.GetCommand())
	if err := ctx.Err(); err != nil { // as gRPC does with a spent deadline
		return nil, status.FromContextError(err).Err()
	}
	return c.execute(in)
}

// runner is a fake DriverRunner with one client for every driver.
type runner struct{ c *client }

func (r runner) CallDriver(ctx context.Context, _ uuid.UUID, _ string, fn func(context.Context, wuyepb.DriverClient, *wuyepb.Manifest) error) error {
	time.Sleep(r.c.start)
	return fn(ctx, r.c, lprManifest())
}

// events records what the bus was given.
type events struct {
	mu  sync.Mutex
	evs []bus.Event
}

func (e *events) Emit(_ context.Context, _ uuid.UUID, ev bus.Event) (uuid.UUID, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
	return store.NewID(), nil
}

func (e *events) types() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.evs {
		out = append(out, ev.Type)
	}
	return out
}

func keyring(t testing.TB) *pii.Keyring {
	k, idx := make([]byte, 32), make([]byte, 32)
	k[0], idx[0] = 7, 9
	keys, err := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func details(err error) map[string]string {
	out := map[string]string{}
	if e, ok := apperr.As(err); ok {
		fe, _ := e.Details.([]apperr.FieldError)
		for _, f := range fe {
			out[f.Field] = f.Code
		}
	}
	return out
}

type fixture struct {
	s          *device.Service
	db         *store.DB
	tid, other uuid.UUID
	community  uuid.UUID
	cl         *client
	ev         *events
	now        time.Time
	nowMu      sync.Mutex
}

func (f *fixture) clock() time.Time {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	f.now = f.now.Add(d)
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	f := &fixture{db: db, tid: store.NewID(), other: store.NewID(), community: store.NewID(), ev: &events{}, now: time.Now().UTC()}
	f.cl = &client{execute: func(*wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
		return &wuyepb.CommandResult{Ok: true}, nil
	}}
	plain := &wuyepb.Manifest{Name: "parking", Kind: wuyepb.Kind_KIND_FEATURE}
	cat := catalog{enabled: map[uuid.UUID]map[string]*wuyepb.Manifest{
		f.tid:   {"isapi-lpr": lprManifest(), "parking": plain},
		f.other: {"isapi-lpr": lprManifest()},
	}}
	s, err := device.New(db, device.Options{Catalog: cat, Runner: runner{f.cl}, Keys: keyring(t), Bus: f.ev, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	return f
}

func (f *fixture) input(name string) device.Input {
	return device.Input{CommunityID: f.community, Name: name, Class: driver.LPRCamera, Driver: "isapi-lpr", Place: "东门", Direction: "in",
		Config: json.RawMessage(`{"address":"127.0.0.1:18181","channel":1}`), Secrets: map[string]string{"password": "s3cret"}}
}

func TestDeviceCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)

		// Every problem is named, against the input and the driver's manifest.
		bad := f.input("")
		bad.Class, bad.Direction, bad.Config, bad.Secrets = driver.Sensor, "up", json.RawMessage(`{"address":"x","channel":0,"extra":1}`), map[string]string{"token": "t"}
		_, err := f.s.Create(ctx, f.tid, bad)
		d := details(err)
		if code(err) != "invalid_input" || d["name"] != "required" || d["class"] != "unsupported_class" || d["direction"] != "invalid_direction" ||
			d["config.address"] != "schema" || d["config.channel"] != "schema" || d["secrets.token"] != "unknown_secret" {
			t.Fatalf("bad input: %v %v", err, d)
		}
		for drv, want := range map[string]string{"parking": "not_a_driver", "nope": "driver_not_enabled"} {
			in := f.input("x")
			in.Driver = drv
			if _, err := f.s.Create(ctx, f.tid, in); details(err)["driver"] != want {
				t.Fatalf("driver %s: %v %v", drv, err, details(err))
			}
		}

		c, err := f.s.Create(ctx, f.tid, f.input("东门入口"))
		if err != nil || c.Token == "" || c.Status != device.StatusUnknown || len(c.SecretsSet) != 1 || string(c.Config) != `{"address":"127.0.0.1:18181","channel":1}` {
			t.Fatalf("create: %+v %v", c, err)
		}
		raw, _ := json.Marshal(c)
		if strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), "token_hash") {
			t.Fatalf("secret answered: %s", raw)
		}
		if _, err := f.s.Create(ctx, f.tid, f.input("东门入口")); !errors.Is(err, device.ErrDuplicateName) {
			t.Fatalf("duplicate: %v", err)
		}
		// The driver was told, with the secret in clear.
		if len(f.cl.specs) != 1 || f.cl.specs[0].GetSecrets()["password"] != "s3cret" || f.cl.specs[0].GetLocation().GetDirection() != "in" {
			t.Fatalf("driver told: %v %+v", f.cl.calls, f.cl.specs)
		}

		// Update keeps the secret left out, and tells the driver.
		up := f.input("东门入口")
		up.Secrets, up.Place = nil, "东门 1 号道"
		v, err := f.s.Update(ctx, f.tid, c.ID, up)
		if err != nil || v.Place != "东门 1 号道" || len(v.SecretsSet) != 1 {
			t.Fatalf("update: %+v %v", v, err)
		}
		specs, err := f.s.DriverDevices(ctx, f.tid, "isapi-lpr")
		if err != nil || len(specs) != 1 || specs[0].GetSecrets()["password"] != "s3cret" {
			t.Fatalf("driver devices: %+v %v", specs, err)
		}

		// Another tenant sees nothing.
		if _, err := f.s.Get(ctx, f.other, c.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("cross-tenant get: %v", err)
		}
		if _, err := f.s.Update(ctx, f.other, c.ID, f.input("y")); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("cross-tenant update: %v", err)
		}
		if err := f.s.Delete(ctx, f.other, c.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("cross-tenant delete: %v", err)
		}
		if _, err := f.s.CheckToken(ctx, f.other, c.ID, c.Token); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("cross-tenant token: %v", err)
		}

		// List and filters.
		exit := f.input("东门出口")
		exit.Direction = "out"
		if _, err := f.s.Create(ctx, f.tid, exit); err != nil {
			t.Fatal(err)
		}
		list, total, err := f.s.List(ctx, f.tid, device.Filter{Class: driver.LPRCamera}, paging.Paging{Limit: 10})
		if err != nil || total != 2 || list[0].Commands[0] != driver.GateOpen {
			t.Fatalf("list: %+v %d %v", list, total, err)
		}
		if _, n, _ := f.s.List(ctx, f.tid, device.Filter{Status: device.StatusOnline}, paging.Paging{}); n != 0 {
			t.Fatalf("online: %d", n)
		}
		if _, _, err := f.s.List(ctx, f.tid, device.Filter{Status: "bogus"}, paging.Paging{}); details(err)["status"] != "unknown_status" {
			t.Fatalf("bad filter: %v", err)
		}
		infos, err := f.s.HostList(ctx, f.tid, driver.LPRCamera, f.community)
		if err != nil || len(infos) != 2 {
			t.Fatalf("host list: %v %v", infos, err)
		}

		// Token: check, rotate, the old one stops working.
		if r, err := f.s.CheckToken(ctx, f.tid, c.ID, c.Token); err != nil || r.Name != "东门入口" || r.Driver != "isapi-lpr" {
			t.Fatalf("check: %+v %v", r, err)
		}
		if _, err := f.s.CheckToken(ctx, f.tid, c.ID, "wdt_wrong"); !errors.Is(err, device.ErrBadToken) {
			t.Fatalf("wrong token: %v", err)
		}
		rot, err := f.s.RotateToken(ctx, f.tid, c.ID)
		if err != nil || rot.Token == c.Token {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := f.s.CheckToken(ctx, f.tid, c.ID, c.Token); !errors.Is(err, device.ErrBadToken) {
			t.Fatalf("old token: %v", err)
		}
		if _, err := f.s.CheckToken(ctx, f.tid, c.ID, rot.Token); err != nil {
			t.Fatalf("new token: %v", err)
		}

		// Delete tells the driver; the device is gone.
		if err := f.s.Delete(ctx, f.tid, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Ref(ctx, f.tid, c.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("ref after delete: %v", err)
		}
		want := []string{"add 东门入口", "update 东门入口", "add 东门出口", "remove " + c.ID.String()}
		if len(f.cl.calls) != len(want) {
			t.Fatalf("driver calls %v, want %v", f.cl.calls, want)
		}
		for i := range want {
			if f.cl.calls[i] != want[i] {
				t.Fatalf("driver calls %v, want %v", f.cl.calls, want)
			}
		}
		// Every change is audited, without secret values.
		var n int64
		var leaked int64
		err = db.InTenant(ctx, f.tid, func(tx *gorm.DB) error {
			if err := tx.Table("audit_log").Where("tenant_id = ? AND object_type = ?", f.tid, "device").Count(&n).Error; err != nil {
				return err
			}
			return tx.Table("audit_log").Where("tenant_id = ? AND changes LIKE ?", f.tid, "%s3cret%").Count(&leaked).Error
		})
		if err != nil || n < 5 || leaked != 0 {
			t.Fatalf("audit: %d entries, %d leaked, %v", n, leaked, err)
		}
	})
}

func TestCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actor.With(context.Background(), actor.Actor{Kind: actor.System, Name: "plugin:parking"})
		f := newFixture(t, db)
		c, err := f.s.Create(ctx, f.tid, f.input("东门入口"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := func(command string, timeoutMs uint32) (*wuyepb.CommandResult, error) {
			return f.s.Command(ctx, f.tid, &wuyepb.CommandRequest{DeviceId: c.ID.String(), Command: command, Args: []byte(`{"reason":"test"}`), TimeoutMs: timeoutMs})
		}
		if res, err := cmd(driver.GateOpen, 0); err != nil || !res.GetOk() {
			t.Fatalf("open: %v %v", res, err)
		}
		if _, err := cmd(driver.DoorOpen, 0); !errors.Is(err, device.ErrUnsupportedCommand) {
			t.Fatalf("unsupported: %v", err)
		}
		if _, err := f.s.Command(ctx, f.other, &wuyepb.CommandRequest{DeviceId: c.ID.String(), Command: driver.GateOpen}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("cross-tenant command: %v", err)
		}
		for grpcCode, want := range map[codes.Code]string{codes.DeadlineExceeded: "device_no_ack", codes.Unavailable: "driver_unavailable",
			codes.InvalidArgument: "device_refused", codes.Unimplemented: "device_refused"} {
			f.cl.execute = func(*wuyepb.CommandRequest) (*wuyepb.CommandResult, error) { return nil, status.Error(grpcCode, "no") }
			if _, err := cmd(driver.GateOpen, 0); code(err) != want {
				t.Fatalf("%v: %v, want %s", grpcCode, err, want)
			}
		}
		// A device that never answers: the deadline is the caller's (capped).
		f.cl.execute = func(in *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
			if in.GetTimeoutMs() != 50 {
				return nil, errors.New("timeout not passed on")
			}
			time.Sleep(200 * time.Millisecond)
			return nil, status.Error(codes.DeadlineExceeded, "late")
		}
		if _, err := cmd(driver.GateOpen, 50); !errors.Is(err, device.ErrNoAck) {
			t.Fatalf("no ack: %v", err)
		}
		// A driver started cold takes longer than the command's timeout to
		// come up: the device still gets its whole window to answer.
		f.cl.start = 200 * time.Millisecond
		f.cl.execute = func(*wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
			return &wuyepb.CommandResult{Ok: true}, nil
		}
		if res, err := cmd(driver.GateOpen, 50); err != nil || !res.GetOk() {
			t.Fatalf("open after a cold start: %v %v", res, err)
		}
		f.cl.start = 0
		var rows []struct {
			ActorName, Result, Detail string
		}
		err = db.InTenant(ctx, f.tid, func(tx *gorm.DB) error {
			return tx.Table("audit_log").Select("actor_name, result, detail").Where("tenant_id = ? AND action = ?", f.tid, "device.command").Order("at").Find(&rows).Error
		})
		if err != nil || len(rows) != 8 || rows[0].ActorName != "plugin:parking" || rows[0].Result != "ok" || rows[1].Detail != "door.open: unsupported_command" {
			t.Fatalf("command audit: %+v %v", rows, err)
		}
	})
}

func TestStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		in := f.input("东门入口")
		in.HeartbeatSeconds = 10
		c, err := f.s.Create(ctx, f.tid, in)
		if err != nil {
			t.Fatal(err)
		}
		quiet, err := f.s.Create(ctx, f.tid, f.input("东门出口")) // the driver reports its status
		if err != nil {
			t.Fatal(err)
		}
		// Driver reports: online, fault, fault again (no event), another driver's device is NotFound.
		report := func(id uuid.UUID, st, detail string) error {
			return f.s.ReportStatus(ctx, f.tid, "isapi-lpr", &wuyepb.DeviceStatus{DeviceId: id.String(), Status: st, Detail: detail})
		}
		if err := report(quiet.ID, device.StatusOnline, ""); err != nil {
			t.Fatal(err)
		}
		if err := report(quiet.ID, device.StatusFault, "lens covered"); err != nil {
			t.Fatal(err)
		}
		if err := report(quiet.ID, device.StatusFault, "lens covered"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.ReportStatus(ctx, f.tid, "other-driver", &wuyepb.DeviceStatus{DeviceId: quiet.ID.String(), Status: "online"}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other driver: %v", err)
		}
		// Seen brings the heartbeat device online once flushed; silence takes it offline.
		f.s.Seen(f.tid, c.ID, f.clock())
		f.s.Seen(f.tid, c.ID, f.clock().Add(-time.Second))
		if err := f.s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("early sweep: %d %v", n, err)
		}
		f.advance(31 * time.Second)
		if n, err := f.s.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		got, _ := f.s.Get(ctx, f.tid, c.ID)
		if got.Status != device.StatusOffline || got.LastSeenAt == nil {
			t.Fatalf("after sweep: %+v", got.Device)
		}
		want := []string{driver.DeviceOnline, driver.DeviceFault, driver.DeviceOnline, driver.DeviceOffline}
		types := f.ev.types()
		if len(types) != len(want) {
			t.Fatalf("events %v, want %v", types, want)
		}
		for i := range want {
			if types[i] != want[i] {
				t.Fatalf("events %v, want %v", types, want)
			}
		}
		var sc driver.StatusChange
		env, err := driver.Open(plugEvent(f.ev.evs[1]), &sc)
		if err != nil || env.Device.ID != quiet.ID.String() || sc.Was != device.StatusOnline || sc.Status != device.StatusFault || sc.Detail != "lens covered" {
			t.Fatalf("envelope: %+v %+v %v", env, sc, err)
		}
	})
}

func plugEvent(ev bus.Event) plugin.Event {
	return plugin.Event{ID: ev.ID.String(), Type: ev.Type, Source: ev.Source, OccurredAt: ev.OccurredAt, Payload: ev.Payload}
}

// BenchmarkSeen is the event pipeline's per-event cost of status tracking.
func BenchmarkSeen(b *testing.B) {
	s, err := device.New(storetest.SQLite(b), device.Options{Catalog: catalog{}})
	if err != nil {
		b.Fatal(err)
	}
	tid, ids := store.NewID(), make([]uuid.UUID, 64)
	for i := range ids {
		ids[i] = store.NewID()
	}
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Seen(tid, ids[i%len(ids)], now)
			i++
		}
	})
}

var pagingAll = paging.Paging{Limit: 100}

// BenchmarkCheckToken is the ingress endpoint's per-request device check
// (a cached Ref and a constant-time hash comparison).
func BenchmarkCheckToken(b *testing.B) {
	db := storetest.SQLite(b)
	tid, community := store.NewID(), store.NewID()
	cat := catalog{enabled: map[uuid.UUID]map[string]*wuyepb.Manifest{tid: {"isapi-lpr": lprManifest()}}}
	s, err := device.New(db, device.Options{Catalog: cat, Keys: keyring(b)})
	if err != nil {
		b.Fatal(err)
	}
	c, err := s.Create(context.Background(), tid, device.Input{CommunityID: community, Name: "东门入口", Class: driver.LPRCamera, Driver: "isapi-lpr",
		Config: json.RawMessage(`{"address":"127.0.0.1:18181"}`)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.CheckToken(ctx, tid, c.ID, c.Token); err != nil {
			b.Fatal(err)
		}
	}
}
