package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/tenant"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// TestDemoDevicesAtStart: the demo manifest's devices: section takes effect
// once its drivers are registered and enabled at start, with the fixed
// tokens the simulators push with. The driver binaries are scripts that
// never start (a driver that is down is not an error).
func TestDemoDevicesAtStart(t *testing.T) {
	classes := map[string][]string{"isapi-lpr": {driver.LPRCamera}, "mqtt-door": {driver.DoorController},
		"modbus-elevator": {driver.ElevatorController}, "onvif-camera": {driver.Camera}}
	saved := pluginDescribe
	pluginDescribe = func(_ context.Context, path, _ string) (*wuyepb.Manifest, error) {
		name := filepath.Base(path)
		return &wuyepb.Manifest{Name: name, Version: "1.0.0", Kind: wuyepb.Kind_KIND_DRIVER, ApiVersion: 3, DeviceClasses: classes[name],
			Driver: &wuyepb.DriverInfo{DeviceSchema: []byte(`{"type":"object"}`), DeviceSecrets: []string{"password"}, Commands: []string{driver.GateOpen}}}, nil
	}
	defer func() { pluginDescribe = saved }()
	dir := t.TempDir()
	for n := range classes {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	a, err := New(ctx, Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), TenantsDir: "../../tenants", LogLevel: "error", NoSeed: true, PluginDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	m, err := tenant.LoadManifest("../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prop := m.Seed["property"].(map[string]any)
	prop["communities"] = prop["communities"].([]any)[:1]
	m.Seed = map[string]any{"property": prop}
	res, err := a.Tenants.Apply(actor.With(ctx, actor.Actor{Kind: actor.Operator, Name: "test"}), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	list, total, err := a.Devices.List(ctx, res.Tenant.ID, device.Filter{}, paging.Paging{Limit: 20})
	if err != nil || total != 6 {
		t.Fatalf("demo devices: %d %+v %v", total, list, err)
	}
	byName := map[string]device.View{}
	for _, d := range list {
		byName[d.Name] = d
	}
	in := byName["东门入口车牌识别"]
	if in.Direction != "in" || in.Driver != "isapi-lpr" || len(in.SecretsSet) != 1 {
		t.Fatalf("east gate entry: %+v", in)
	}
	if _, err := a.Devices.CheckToken(ctx, res.Tenant.ID, in.ID, "demo-lpr-east-in-7f3a9c"); err != nil {
		t.Fatalf("demo token: %v", err)
	}
}
