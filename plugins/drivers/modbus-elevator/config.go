package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// config is one device's connection config (deviceSchema).
type config struct {
	Address       string `json:"address"`
	UnitID        *int   `json:"unit_id"`
	Base          int    `json:"base"`
	PollMS        int    `json:"poll_ms"`
	TimeoutMS     int    `json:"timeout_ms"`
	TrappedAfterS int    `json:"trapped_after_s"`
	StaleAfterS   int    `json:"stale_after_s"`
}

// deviceSchema is the JSON Schema the host validates a device against;
// parseConfig checks the same again, since a test or an older host may not.
var deviceSchema = json.RawMessage(`{
  "type": "object",
  "required": ["address"],
  "additionalProperties": false,
  "properties": {
    "address": {"type": "string", "minLength": 3, "description": "host:port of the lift monitoring box (Modbus TCP, usually port 502)"},
    "unit_id": {"type": "integer", "minimum": 0, "maximum": 255, "default": 1, "description": "Modbus unit id"},
    "base": {"type": "integer", "minimum": 0, "maximum": 65526, "default": 0, "description": "address of holding register 0 of the map"},
    "poll_ms": {"type": "integer", "minimum": 200, "maximum": 3600000, "default": 1000},
    "timeout_ms": {"type": "integer", "minimum": 50, "maximum": 30000, "default": 1000},
    "trapped_after_s": {"type": "integer", "minimum": 1, "maximum": 600, "default": 30, "description": "fault 3 with the alarm pressed for this long means passengers trapped"},
    "stale_after_s": {"type": "integer", "minimum": 2, "maximum": 600, "default": 10, "description": "a heartbeat unchanged this long means the box's readings are stale"}
  }
}`)

// settings is a checked config with its defaults applied.
type settings struct {
	addr         string
	unit         uint8
	base         uint16
	poll         time.Duration
	timeout      time.Duration
	trappedAfter time.Duration
	staleAfter   time.Duration // at least three polls
}

func parseConfig(raw json.RawMessage) (settings, error) {
	var c config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return settings{}, driver.Invalid("config: " + err.Error())
	}
	host, port, err := net.SplitHostPort(c.Address)
	if err != nil || host == "" {
		return settings{}, driver.Invalid(fmt.Sprintf("address %q is not host:port", c.Address))
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return settings{}, driver.Invalid(fmt.Sprintf("address %q has no valid port", c.Address))
	}
	s := settings{addr: c.Address, unit: 1, poll: time.Second, timeout: time.Second, trappedAfter: 30 * time.Second,
		staleAfter: 10 * time.Second}
	if c.UnitID != nil {
		if *c.UnitID < 0 || *c.UnitID > 255 {
			return s, driver.Invalid("unit_id must be 0..255")
		}
		s.unit = uint8(*c.UnitID)
	}
	if c.Base < 0 || c.Base > 0xffff-numRegs+1 {
		return s, driver.Invalid(fmt.Sprintf("base must be 0..%d", 0xffff-numRegs+1))
	}
	s.base = uint16(c.Base)
	switch {
	case c.PollMS == 0:
	case c.PollMS < 200 || c.PollMS > 3600000:
		return s, driver.Invalid("poll_ms must be 200..3600000")
	default:
		s.poll = time.Duration(c.PollMS) * time.Millisecond
	}
	switch {
	case c.TimeoutMS == 0:
	case c.TimeoutMS < 50 || c.TimeoutMS > 30000:
		return s, driver.Invalid("timeout_ms must be 50..30000")
	default:
		s.timeout = time.Duration(c.TimeoutMS) * time.Millisecond
	}
	switch {
	case c.TrappedAfterS == 0:
	case c.TrappedAfterS < 1 || c.TrappedAfterS > 600:
		return s, driver.Invalid("trapped_after_s must be 1..600")
	default:
		s.trappedAfter = time.Duration(c.TrappedAfterS) * time.Second
	}
	switch {
	case c.StaleAfterS == 0:
	case c.StaleAfterS < 2 || c.StaleAfterS > 600:
		return s, driver.Invalid("stale_after_s must be 2..600")
	default:
		s.staleAfter = time.Duration(c.StaleAfterS) * time.Second
	}
	s.staleAfter = max(s.staleAfter, 3*s.poll)
	return s, nil
}
