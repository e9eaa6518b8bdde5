package main

import (
	"strconv"
	"strings"

	"github.com/wuye-project/wuye/sdk/driver"
)

// events turns one alert into canonical events: a plate for ANPR, an alarm
// for the camera's other alerts, nothing for heartbeats. gateDir is the
// device's Location.Direction (in, out or "").
func (a *alert) events(gateDir string, pic []byte, picType string) ([]driver.Event, error) {
	if a.heartbeat() {
		return nil, nil
	}
	if !a.isANPR() {
		return []driver.Event{{Type: driver.CameraAlarm, At: a.at(), Key: a.alarmKey(), Data: driver.Alarm{
			Kind: alarmKind(a.EventType), Channel: strings.TrimSpace(a.ChannelID), Active: a.active(), Region: a.Region,
		}, Picture: pic, PictureType: picType}}, nil
	}
	if a.ANPR == nil || a.ANPR.LicensePlate == nil {
		return nil, driver.Invalid("the ANPR alert has no ANPR/licensePlate element; is the camera's ANPR upload configured?")
	}
	p := a.ANPR
	lane := p.LaneNo
	if lane == 0 {
		lane = p.Line
	}
	ev := driver.Event{Type: driver.PlateRecognized, At: a.at(), Key: a.key(), Picture: pic, PictureType: picType,
		Data: driver.Plate{
			Plate:      plateText(*p.LicensePlate),
			Color:      plateColor(p.PlateColor),
			Confidence: confidence(p.Confidence),
			Direction:  direction(p.Direction, gateDir),
			Lane:       max(lane, 0),
			Vehicle:    vehicleType(p.VehicleType),
		}}
	return []driver.Event{ev}, nil
}

// alarmKey identifies a non-plate alert: its UUID, else its type, state and time.
func (a *alert) alarmKey() string {
	if k := a.key(); k != "" {
		return k
	}
	if a.DateTime == "" {
		return "" // the host drops identical payloads within a second
	}
	return strings.ToLower(a.EventType) + ":" + strings.ToLower(a.EventState) + "@" + strings.TrimSpace(a.DateTime) + "#" + strings.TrimSpace(a.ChannelID)
}

// plateText normalises the plate; the camera's words for "no plate read"
// become "" (the canonical unreadable plate).
func plateText(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "无车牌", "车牌", "unknown", "none", "no plate":
		return ""
	}
	return driver.NormalizePlate(s)
}

func plateColor(s string) string {
	switch c := strings.ToLower(strings.TrimSpace(s)); c {
	case "blue", "yellow", "green", "white", "black":
		return c
	case "newenergy", "greenyellow", "yellowgreen":
		return "green" // new-energy plates (green, or green-yellow for trucks)
	}
	return ""
}

// confidence is the camera's confidenceLevel clamped to 0–100.
func confidence(s string) int {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f {
		return 0
	}
	if f <= 1 && strings.Contains(s, ".") {
		f *= 100 // some firmware reports 0.97
	}
	return int(min(max(f, 0), 100))
}

// direction maps the camera's travel direction to in/out. enter/exit say
// it outright. forward (towards the camera) and reverse are relative to
// how the camera is mounted: at a gate that faces out, forward is out.
// Without a word from the camera, the gate's direction stands.
func direction(s, gateDir string) string {
	gateDir = strings.ToLower(strings.TrimSpace(gateDir))
	if gateDir != "in" && gateDir != "out" {
		gateDir = ""
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "enter", "entry", "in":
		return "in"
	case "exit", "leave", "out":
		return "out"
	case "forward":
		if gateDir == "out" {
			return "out"
		}
		return "in"
	case "reverse", "backward":
		if gateDir == "out" {
			return "in"
		}
		return "out"
	}
	if gateDir != "" {
		return gateDir
	}
	return "unknown"
}

func vehicleType(s string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "", strings.Contains(t, "nonmotor"), strings.Contains(t, "pedestrian"):
		return ""
	case strings.Contains(t, "bus"):
		return "bus"
	case strings.Contains(t, "truck"), strings.Contains(t, "van"), strings.Contains(t, "lorry"):
		return "truck"
	case strings.Contains(t, "twowheel"), strings.Contains(t, "motor") && !strings.Contains(t, "motorvehicle"):
		return "motorcycle"
	case strings.Contains(t, "car"), strings.Contains(t, "vehicle"), strings.Contains(t, "suv"), strings.Contains(t, "mpv"):
		return "car"
	}
	return ""
}

// alarmKind maps ISAPI event types to the canonical alarm kinds.
func alarmKind(eventType string) string {
	switch t := strings.ToLower(eventType); t {
	case "vmd", "motiondetection":
		return "motion"
	case "fielddetection", "regionentrance", "regionexiting", "intrusion":
		return "intrusion"
	case "linedetection":
		return "line_crossing"
	case "shelteralarm", "tamperdetection":
		return "tamper"
	case "smokedetection", "firedetection", "smokeandfiredetection":
		return "smoke"
	case "videoloss":
		return "video_loss"
	default:
		return t
	}
}
