package main

import (
	"fmt"
	"testing"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

// BenchmarkPlateDecision is one temporary car's entry through the plugin
// (in-process harness over gRPC to the fake host): event → decision →
// gate.open → session and passage written.
func BenchmarkPlateDecision(b *testing.B) {
	clk := &clock{t: monday}
	p, a := build(clk.Now)
	hw := newFakeHW()
	a.hw = hw
	h := testkit.Start(b, p, testkit.Options{Now: clk.Now, Config: map[string]any{"free_minutes": 30, "hourly_rate_fen": 500}})
	var lot Lot
	var gate Gate
	h.DoJSON("POST", "/lots", map[string]any{"community_id": testkit.CommunityID, "name": "车库", "capacity": 1 << 30}, nil, &lot)
	h.DoJSON("POST", "/gates", map[string]any{"lot_id": lot.ID, "name": "入口", "direction": "in", "camera_id": "cam"}, nil, &gate)
	i := 0
	for b.Loop() {
		i++
		data := fmt.Appendf(nil, `{"v":1,"plate":"浙A%05d"}`, i)
		if _, err := h.Event(driver.PlateRecognized, driver.Envelope{Device: driver.DeviceRef{ID: "cam"}, OccurredAt: clk.Now(), Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	if hw.opens("cam") != i {
		b.Fatalf("%d openings for %d cars", hw.opens("cam"), i)
	}
}
