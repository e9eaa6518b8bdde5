// Command modbus-elevator is the Wuye driver for lift monitoring boxes that
// speak Modbus TCP (class elevator_controller). It polls each box's holding
// registers on the device's interval, one goroutine and one connection per
// box, and emits elevator.status when anything but the heartbeat changes
// (and at least once a minute), elevator.fault when a fault code appears
// and again, Cleared, when it goes back to 0, and elevator.fault with
// Trapped true, severity critical, when passengers are trapped (see watch).
//
// Register map, holding registers from the device's base (default 0) on
// its unit id (default 1) — ours, in the style of lift monitoring boxes:
//
//	0 current floor, int16 (basement negative)
//	1 direction: 0 idle, 1 up, 2 down
//	2 door: 0 closed, 1 opening, 2 open, 3 closing
//	3 running: 0/1
//	4 load percent
//	5 fault code: 0 none, else faultTable (README.md)
//	6 alarm button: 0/1
//	7 heartbeat counter, +1 a second
//	8 door zone: 1 level with a landing, 0 between floors
//	9 service mode: 0 normal, 1 out of service (writable)
//
// Status: online after a good poll; offline after 3 polls in a row fail
// (the box is then dialled again with a doubling backoff up to 10 s);
// fault while the box answers with exceptions, malformed or short frames,
// or values out of range (floor beyond -20..200, direction 7), or a
// heartbeat that stopped (stale readings), with the reason in the detail.
// The simulator is in ./sim; README.md has the rest.
package main

import "github.com/wuye-project/wuye/sdk/driver"

// newDriver is the driver's declaration (a fresh one for each test harness).
func newDriver() *driver.Driver {
	return &driver.Driver{
		Name: "modbus-elevator", Version: "1.0.0",
		TitleEN: "Lift monitoring boxes (Modbus TCP)", TitleZH: "电梯监测终端(Modbus TCP)",
		Description:  "Polls lift monitoring boxes over Modbus TCP: floor, direction, door, load, faults, trapped passengers.",
		Classes:      []string{driver.ElevatorController},
		DeviceSchema: deviceSchema,
		Events:       []string{driver.ElevatorStatus, driver.ElevatorFault},
		Points:       points,
		Open:         open,
	}
}

func main() { driver.Serve(newDriver()) }
