package driver

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// Device classes: what a device is, whoever made it. A feature plugin asks
// for devices by class and never by vendor.
const (
	LPRCamera          = "lpr_camera"          // plate-recognition camera (often with a barrier on its IO output)
	BarrierGate        = "barrier_gate"        // vehicle barrier
	DoorController     = "door_controller"     // pedestrian door / turnstile with card, QR or face readers
	ElevatorController = "elevator_controller" // lift controller or lift monitoring box
	Camera             = "camera"              // CCTV camera or NVR channel
	Sensor             = "sensor"              // smoke, water, temperature ...
)

// Classes lists the device classes the core knows.
var Classes = []string{LPRCamera, BarrierGate, DoorController, ElevatorController, Camera, Sensor}

// Canonical event types. Their payloads are the structs below, each with a
// version field "v" (PayloadVersion); a later version only adds fields.
const (
	PlateRecognized = "plate.recognized" // Plate
	DoorAccessed    = "door.accessed"    // DoorAccess
	ElevatorStatus  = "elevator.status"  // Elevator
	ElevatorFault   = "elevator.fault"   // Fault
	CameraAlarm     = "camera.alarm"     // Alarm
	SensorReading   = "sensor.reading"   // Reading
)

// EventTypes lists the canonical event types.
var EventTypes = []string{PlateRecognized, DoorAccessed, ElevatorStatus, ElevatorFault, CameraAlarm, SensorReading}

// Canonical commands. Args and result data are JSON objects named below.
const (
	GateOpen       = "gate.open"       // args: {"reason": "..."}; opens a barrier (or a camera's barrier output)
	GateClose      = "gate.close"      // args: {}
	DoorOpen       = "door.open"       // args: {"door": "1"} (optional channel)
	CameraSnapshot = "camera.snapshot" // result: Blob (image) and BlobType
	CameraStream   = "camera.stream"   // result data: {"rtsp": "rtsp://...", "snapshot": "http://..."}
	DisplayShow    = "display.show"    // args: {"lines": ["粤B12345", "请缴费"]} for a gate's LED display
)

// Commands lists the canonical commands.
var Commands = []string{GateOpen, GateClose, DoorOpen, CameraSnapshot, CameraStream, DisplayShow}

// PayloadVersion is the version of the canonical payloads this SDK writes.
const PayloadVersion = 1

// Plate is the payload of plate.recognized.
type Plate struct {
	V          int    `json:"v"`
	Plate      string `json:"plate"`                  // normalised with NormalizePlate; "" when unreadable
	Color      string `json:"color,omitempty"`        // plate colour: blue, yellow, green, white, black
	Confidence int    `json:"confidence"`             // 0–100
	Direction  string `json:"direction,omitempty"`    // in, out, unknown
	Lane       int    `json:"lane,omitempty"`         // lane number at the gate
	Vehicle    string `json:"vehicle_type,omitempty"` // car, truck, bus, motorcycle
}

// DoorAccess is the payload of door.accessed.
type DoorAccess struct {
	V          int    `json:"v"`
	Door       string `json:"door,omitempty"` // channel or door number on the controller
	Method     string `json:"method"`         // card, qr, face, password, button, remote
	Credential string `json:"credential"`     // card number, QR token or face id, as read
	Person     string `json:"person,omitempty"`
	Granted    bool   `json:"granted"`          // whether the controller let them through
	Reason     string `json:"reason,omitempty"` // why not
	Direction  string `json:"direction,omitempty"`
}

// Elevator is the payload of elevator.status: the lift as last polled.
type Elevator struct {
	V         int    `json:"v"`
	Floor     int    `json:"floor"`
	Direction string `json:"direction"` // up, down, idle
	Door      string `json:"door"`      // open, closed, opening, closing
	Running   bool   `json:"running"`
	Load      int    `json:"load_percent"`
	FaultCode int    `json:"fault_code"` // 0: none
	Alarm     bool   `json:"alarm"`      // alarm button pressed
}

// Fault is the payload of elevator.fault.
type Fault struct {
	V           int    `json:"v"`
	Code        int    `json:"code"`
	Description string `json:"description"`
	Severity    string `json:"severity"` // minor, major, critical
	Trapped     bool   `json:"trapped"`  // passengers trapped: rescue now
	Floor       int    `json:"floor"`
	Cleared     bool   `json:"cleared"` // the fault ended
}

// Alarm is the payload of camera.alarm.
type Alarm struct {
	V       int    `json:"v"`
	Kind    string `json:"kind"`              // motion, smoke, intrusion, tamper, collision, line_crossing
	Channel string `json:"channel,omitempty"` // camera channel / video source
	Active  bool   `json:"active"`            // true when it starts, false when it ends
	Region  string `json:"region,omitempty"`
}

// Reading is the payload of sensor.reading. Values are measurements, not
// money: a float is fine here.
type Reading struct {
	V        int     `json:"v"`
	Quantity string  `json:"quantity"` // temperature, humidity, smoke, water_level, co2
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Alarm    bool    `json:"alarm"` // beyond the device's threshold
}

// NormalizePlate is the one spelling of a plate number the core and every
// driver use: upper case, without spaces, dots, hyphens or the middle dot
// (粤B·12345 → 粤B12345). Plates match exactly after it.
func NormalizePlate(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '.', r == '-', r == '·', r == '•', r == '・':
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// SourceDevice is the Source of device events delivered to feature plugins.
const SourceDevice = "device"

// Device status events the host publishes to feature plugins (payload: an
// Envelope whose Data is StatusChange).
const (
	DeviceOnline  = "device.online"
	DeviceOffline = "device.offline"
	DeviceFault   = "device.fault"
)

// StatusChange is the Data of device.online / device.offline / device.fault.
type StatusChange struct {
	V      int    `json:"v"`
	Status string `json:"status"`
	Was    string `json:"was"`
	Detail string `json:"detail,omitempty"`
}

// Envelope is the payload of a device event as a feature plugin receives
// it (plugin.Event with Source "device"): which device, and the canonical
// payload of the event's type.
type Envelope struct {
	Device     DeviceRef       `json:"device"`
	OccurredAt time.Time       `json:"occurred_at"`
	ReceivedAt time.Time       `json:"received_at"`
	Data       json.RawMessage `json:"data"`
	// Picture is the id of the picture that came with the event (a
	// passage photo), readable by staff through the attachments API.
	Picture string `json:"picture,omitempty"`
}

// DeviceRef names the device an event came from.
type DeviceRef struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Class    string   `json:"class"`
	Driver   string   `json:"driver"`
	Location Location `json:"location"`
}

// Open reads a delivered device event: its envelope, and the canonical
// payload into data (a *Plate for plate.recognized, and so on; nil to skip).
//
//	p.On(driver.PlateRecognized, func(ctx context.Context, ev plugin.Event) error {
//		var plate driver.Plate
//		env, err := driver.Open(ev, &plate)
//		...
//	})
func Open(ev plugin.Event, data any) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(ev.Payload, &env); err != nil {
		return env, fmt.Errorf("device event %s: %w", ev.ID, err)
	}
	if data != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, data); err != nil {
			return env, fmt.Errorf("device event %s data: %w", ev.ID, err)
		}
	}
	return env, nil
}
