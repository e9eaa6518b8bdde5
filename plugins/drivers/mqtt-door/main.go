// Command mqtt-door is the Wuye driver for door and barrier controllers
// behind an MQTT broker: the JSON-per-device-topic protocol many access
// control gateways speak. Classes door_controller and barrier_gate;
// commands door.open, gate.open, gate.close; events door.accessed.
//
// Protocol (see README.md), for a device with topic prefix P (default
// "wuye/door") and serial S:
//
//	P/S/event   device → driver  {"id":"evt-123","ts":1732950000123,"door":1,"method":"card",
//	                              "credential":"3000012345","granted":true,"reason":"","direction":"in"}
//	                             → door.accessed, Key = id
//	P/S/status  device → driver  "online" / "offline", retained; the device's last will is "offline"
//	P/S/cmd     driver → device  {"id":"<request id>","cmd":"open|close","door":1,"duration_s":5}
//	P/S/ack     device → driver  {"id":"<request id>","ok":true,"message":""}
//
// A command without an ack within ack_timeout_ms fails with ErrNoAck. The
// driver republishes a command with the same id while it waits, and the
// host's retries carry the same request id: the device must execute an id
// once and ack repeats again.
//
// Devices on one broker (same address and credentials) share one MQTT
// client, which reconnects with backoff and subscribes again on every
// connect. Unreadable, oversized or unknown-method events are dropped with a
// warning and counted, never emitted.
package main

import "github.com/wuye-project/wuye/sdk/driver"

func main() { driver.Serve(New()) }
