package deviceapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/device/deviceapi"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/httpapi/httpapitest"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

var manifest = &wuyepb.Manifest{Name: "isapi-lpr", Kind: wuyepb.Kind_KIND_DRIVER, DeviceClasses: []string{driver.LPRCamera},
	Driver: &wuyepb.DriverInfo{DeviceSchema: []byte(`{"type":"object","required":["address"]}`), Commands: []string{driver.GateOpen, driver.CameraSnapshot}}}

type catalog struct{ tenant uuid.UUID }

func (c catalog) Resolve(_ context.Context, tenantID uuid.UUID, name string) (pluginhost.Spec, error) {
	if tenantID != c.tenant || name != "isapi-lpr" {
		return pluginhost.Spec{}, pluginhost.ErrNotEnabled
	}
	return pluginhost.Spec{Name: name, Manifest: manifest}, nil
}

func (c catalog) Enabled(_ context.Context, tenantID uuid.UUID) (map[string]*wuyepb.Manifest, error) {
	if tenantID != c.tenant {
		return nil, nil
	}
	return map[string]*wuyepb.Manifest{"isapi-lpr": manifest}, nil
}

// slowGate acknowledges gate.open only after the caller's deadline.
type slowGate struct{ wuyepb.DriverClient }

func (slowGate) AddDevice(context.Context, *wuyepb.DeviceSpec, ...grpc.CallOption) (*wuyepb.DeviceAck, error) {
	return &wuyepb.DeviceAck{}, nil
}

func (slowGate) Execute(ctx context.Context, in *wuyepb.CommandRequest, _ ...grpc.CallOption) (*wuyepb.CommandResult, error) {
	if in.GetCommand() == driver.CameraSnapshot {
		return &wuyepb.CommandResult{Ok: true, Data: []byte(`{"w":1}`), Blob: []byte("jpeg"), BlobType: "image/jpeg"}, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

type runner struct{}

func (runner) CallDriver(ctx context.Context, _ uuid.UUID, _ string, fn func(context.Context, wuyepb.DriverClient, *wuyepb.Manifest) error) error {
	return fn(ctx, slowGate{}, manifest)
}

func TestDeviceRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := store.NewID(), store.NewID()
		k, idx := make([]byte, 32), make([]byte, 32)
		k[0] = 3
		keys, _ := pii.NewKeyring(map[string][]byte{"k": k}, "k", idx)
		s, err := device.New(db, device.Options{Catalog: catalog{a}, Runner: runner{}, Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		auth := httpapitest.TokenActors{"a": {Kind: actor.User, ID: store.NewID(), TenantID: a, Name: "staff"}, "b": {Kind: actor.User, ID: store.NewID(), TenantID: b}}
		srv := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Auth: auth, Authz: httpapitest.AllowAll{}, Routes: deviceapi.Routes(s)})
		call := func(method, path, token string, body any) (int, map[string]any) {
			raw, _ := json.Marshal(body)
			req := httptest.NewRequest(method, path, bytes.NewReader(raw))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			var out map[string]any
			json.Unmarshal(rec.Body.Bytes(), &out)
			return rec.Code, out
		}
		st, body := call("POST", "/api/v1/devices", "a", map[string]any{"community_id": store.NewID(), "name": "东门入口", "class": "lpr_camera", "driver": "isapi-lpr", "config": map[string]any{}})
		if st != 400 {
			t.Fatalf("config without address: %d %v", st, body)
		}
		st, body = call("POST", "/api/v1/devices", "a", map[string]any{"community_id": store.NewID(), "name": "东门入口", "class": "lpr_camera", "driver": "isapi-lpr",
			"config": map[string]any{"address": "127.0.0.1:18181"}})
		if st != 201 || body["token"] == "" {
			t.Fatalf("create: %d %v", st, body)
		}
		id := body["id"].(string)
		start := time.Now()
		st, body = call("POST", "/api/v1/devices/"+id+"/commands", "a", map[string]any{"command": "gate.open", "timeout_ms": 100})
		if st != 504 || body["error"].(map[string]any)["code"] != "device_no_ack" || time.Since(start) > 3*time.Second {
			t.Fatalf("no ack: %d %v", st, body)
		}
		st, body = call("POST", "/api/v1/devices/"+id+"/commands", "a", map[string]any{"command": "camera.snapshot"})
		if st != 200 || body["ok"] != true || body["blob_type"] != "image/jpeg" {
			t.Fatalf("snapshot: %d %v", st, body)
		}
		if st, body := call("POST", "/api/v1/devices/"+id+"/commands", "a", map[string]any{"command": "door.open"}); st != 400 {
			t.Fatalf("unsupported: %d %v", st, body)
		}
		if st, _ := call("POST", "/api/v1/devices/"+id+"/commands", "b", map[string]any{"command": "gate.open"}); st != 404 {
			t.Fatalf("another tenant's command: %d", st)
		}
		if st, body := call("GET", "/api/v1/device-drivers", "a", nil); st != 200 || len(body["items"].([]any)) != 1 {
			t.Fatalf("drivers: %d %v", st, body)
		}
	})
}
