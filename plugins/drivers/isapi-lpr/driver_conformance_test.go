package main

import (
	"testing"

	"github.com/wuye-project/wuye/plugins/drivers/isapi-lpr/sim"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/testkit"
)

func TestDriverConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	cam, err := sim.New(sim.Options{Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cam.Close() })
	testkit.DriverConformance(t, buildDriver(t), testkit.DriverOptions{
		Devices: []testkit.Device{{ID: "cam-east", Name: "东门入口", Class: driver.LPRCamera,
			Location: driver.Location{Direction: "in"},
			Config:   map[string]any{"address": cam.Addr(), "username": "admin"}, Secrets: map[string]string{"password": "pw"}}},
		BadConfig: map[string]any{"address": "no-port-here"},
		Command:   driver.GateOpen,
		Push:      cam.AlertXML("粤B·D12345", "enter", sim.PushOptions{}),
		PushType:  "application/xml",
		Stall: func(on bool) {
			if on {
				cam.SetGate(sim.GateHang)
			} else {
				cam.SetGate(sim.GateAck)
			}
		},
	})
}
