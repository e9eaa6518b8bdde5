package main

import "github.com/wuye-project/wuye/sdk/driver"

// version of the driver binary.
const version = "1.0.0"

// New describes the driver.
func New() *driver.Driver {
	return &driver.Driver{
		Name: "mqtt-door", Version: version,
		TitleEN: "MQTT door and barrier controllers", TitleZH: "MQTT 门禁与道闸控制器",
		Description: "Door controllers and barrier gates behind an MQTT broker: access events " +
			"(card, QR, face, password, button, remote) and open/close commands with acknowledgements.",
		Classes:       []string{driver.DoorController, driver.BarrierGate},
		DeviceSchema:  deviceSchema,
		DeviceSecrets: []string{"password"},
		Commands:      []string{driver.DoorOpen, driver.GateOpen, driver.GateClose},
		Events:        []string{driver.DoorAccessed},
		Open:          open,
	}
}
