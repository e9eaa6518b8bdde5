package main

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// demoConfig is the parking entry of tenants/demo.yaml.
func demoConfig(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Plugins []struct {
			Name   string         `yaml:"name"`
			Config map[string]any `yaml:"config"`
		} `yaml:"plugins"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Plugins {
		if p.Name == "parking" {
			return p.Config
		}
	}
	t.Fatal("no parking entry in tenants/demo.yaml")
	return nil
}

// TestDemoSeedsOnceAndDecides: the demo manifest's config starts the
// plugin, maps the two demo cameras to gates, and a restart duplicates
// nothing; a demo pass holder drives in.
func TestDemoSeedsOnceAndDecides(t *testing.T) {
	cfg := demoConfig(t)
	for _, k := range []string{"free_minutes", "hourly_rate_fen", "daily_cap_fen"} {
		if _, ok := cfg[k]; !ok {
			t.Fatalf("the demo lost %s", k)
		}
	}
	cfg["demo"].(map[string]any)["community"] = testkit.CommunityID
	hw := newFakeHW()
	hw.devices = []*wuyepb.DeviceInfo{
		{Id: "cam-in", Name: "东门入口车牌识别", Class: driver.LPRCamera, Location: &wuyepb.Location{Place: "东门", Direction: "in"}},
		{Id: "cam-out", Name: "东门出口车牌识别", Class: driver.LPRCamera, Location: &wuyepb.Location{Place: "东门", Direction: "out"}},
	}
	clk := &clock{t: monday}
	p, a := build(clk.Now)
	a.hw = hw
	h := testkit.Start(t, p, testkit.Options{Now: clk.Now, Config: cfg})
	counts := map[string]int{}
	for _, c := range []string{colLots, colZones, colSpaces, colGates, colPasses, colLists, colVisitors, colSessions, colPassages} {
		counts[c] = len(h.Host.Records(c))
	}
	if counts[colGates] != 2 || counts[colZones] != 2 || counts[colSessions] != 7*12 || counts[colLists] != 2 || counts[colVisitors] != 1 {
		t.Fatalf("seeded: %v", counts)
	}
	if err := a.seedDemo(t.Context(), a.config().Demo); err != nil {
		t.Fatal(err)
	}
	for c, n := range counts {
		if got := len(h.Host.Records(c)); got != n {
			t.Errorf("%s: %d after a restart, %d before", c, got, n)
		}
	}
	if _, err := h.Event(driver.PlateRecognized, driver.Envelope{Device: driver.DeviceRef{ID: "cam-in"}, OccurredAt: monday, Data: []byte(`{"v":1,"plate":"浙A·8M888"}`)}); err != nil {
		t.Fatal(err)
	}
	ps, err := all[Passage](t.Context(), a.host(), plugin.Query{Collection: colPassages}.Where("plate", "eq", "浙A8M888"), nil)
	if err != nil || len(ps) != 1 || ps[0].Reason != KindPass {
		t.Fatalf("pass holder: %+v %v", ps, err)
	}
	var occ struct{ Hours []int }
	h.DoJSON("GET", "/reports/occupancy?date=2026-05-31", nil, nil, &occ)
	busy := 0
	for _, n := range occ.Hours {
		busy += n
	}
	if len(occ.Hours) != 24 || busy == 0 {
		t.Fatalf("occupancy: %v", occ.Hours)
	}
}
