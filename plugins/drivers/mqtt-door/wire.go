package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wuye-project/wuye/sdk/driver"
)

// maxPayload bounds an event or ack message; a controller's event is a few
// hundred bytes, so anything far larger is garbage or abuse.
const maxPayload = 16 << 10

// Field limits of an event.
const (
	maxIDLen         = 128
	maxCredentialLen = 256
	maxReasonLen     = 256
)

// methods are the access methods the protocol knows.
var methods = map[string]bool{"card": true, "qr": true, "face": true, "password": true, "button": true, "remote": true}

// wireEvent is an access event as the controller publishes it.
type wireEvent struct {
	ID         string          `json:"id"`
	TS         int64           `json:"ts"` // unix milliseconds; 0: unknown
	Door       json.RawMessage `json:"door"`
	Method     string          `json:"method"`
	Credential string          `json:"credential"`
	Granted    *bool           `json:"granted"`
	Reason     string          `json:"reason"`
	Direction  string          `json:"direction"`
}

// wireCommand is what the driver publishes on the cmd topic.
type wireCommand struct {
	ID        string `json:"id"`
	Cmd       string `json:"cmd"` // open, close
	Door      int    `json:"door"`
	DurationS int    `json:"duration_s,omitempty"`
}

// wireAck is the controller's answer to a command.
type wireAck struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// parseEvent turns an event message into door.accessed, or says why not.
func parseEvent(b []byte) (driver.Event, error) {
	if len(b) > maxPayload {
		return driver.Event{}, fmt.Errorf("payload of %d bytes exceeds %d", len(b), maxPayload)
	}
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return driver.Event{}, fmt.Errorf("not an event object: %v", err)
	}
	if !methods[w.Method] {
		return driver.Event{}, fmt.Errorf("unknown method %q", clip(w.Method, 32))
	}
	if w.Granted == nil {
		return driver.Event{}, fmt.Errorf("granted missing")
	}
	if len(w.ID) > maxIDLen || len(w.Credential) > maxCredentialLen || len(w.Reason) > maxReasonLen {
		return driver.Event{}, fmt.Errorf("id, credential or reason too long")
	}
	if !utf8.ValidString(w.ID) || !utf8.ValidString(w.Credential) || !utf8.ValidString(w.Reason) {
		return driver.Event{}, fmt.Errorf("text is not UTF-8")
	}
	door, err := doorOf(w.Door)
	if err != nil {
		return driver.Event{}, err
	}
	ev := driver.Event{Type: driver.DoorAccessed, Key: w.ID, Data: driver.DoorAccess{
		V: driver.PayloadVersion, Door: door, Method: w.Method, Credential: w.Credential,
		Granted: *w.Granted, Reason: w.Reason, Direction: direction(w.Direction),
	}}
	// A controller whose clock is unset reports 1970; the host's receive
	// time is then the better guess.
	if w.TS > 0 {
		if at := time.UnixMilli(w.TS); at.Year() >= 2000 && at.Before(time.Now().Add(24*time.Hour)) {
			ev.At = at
		}
	}
	return ev, nil
}

// doorOf reads the door number, which controllers send as a number or a
// string; absent is "".
func doorOf(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil && n >= 0 && n < 1000 {
		return strconv.Itoa(n), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && len(s) <= 16 {
		return s, nil
	}
	return "", fmt.Errorf("door %s is not a door number", clip(string(raw), 32))
}

// direction keeps the protocol's in and out; anything else is unknown.
func direction(s string) string {
	if s == "in" || s == "out" {
		return s
	}
	return ""
}

// parseAck reads an ack message.
func parseAck(b []byte) (wireAck, error) {
	var a wireAck
	if len(b) > maxPayload {
		return a, fmt.Errorf("ack of %d bytes exceeds %d", len(b), maxPayload)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("not an ack object: %v", err)
	}
	if a.ID == "" {
		return a, fmt.Errorf("ack without id")
	}
	a.Message = clip(a.Message, maxReasonLen)
	return a, nil
}

// clip shortens s for a log line.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
