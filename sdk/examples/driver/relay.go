package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// deviceSchema is one board's connection config; the host checks every
// device against it before Open sees it. The token is a secret: it is not
// in the config but in Device.Secrets.
var deviceSchema = json.RawMessage(`{
  "type": "object",
  "required": ["url"],
  "properties": {
    "url":      {"type": "string", "description": "the board's base URL, http://192.168.1.50"},
    "relay":    {"type": "integer", "minimum": 1, "maximum": 4, "description": "the relay wired to the barrier"},
    "pulse_ms": {"type": "integer", "minimum": 100, "maximum": 5000},
    "poll_s":   {"type": "integer", "minimum": 1, "maximum": 3600, "description": "how often the board is checked"}
  }
}`)

// New declares the driver; main serves it and the tests run it.
func New() *driver.Driver {
	return &driver.Driver{
		Name: "acme-relay", Version: "1.0.0", TitleEN: "ACME relay board", TitleZH: "ACME 继电器板",
		Description:   "Barrier gates on an ACME HTTP relay board, with its card reader.",
		Classes:       []string{driver.BarrierGate},
		DeviceSchema:  deviceSchema,
		DeviceSecrets: []string{"token"},
		Commands:      []string{driver.GateOpen},
		Events:        []string{driver.DoorAccessed},
		Push:          true,
		Open:          open,
	}
}

// config is a device's connection config with its defaults.
type config struct {
	URL     string `json:"url"`
	Relay   int    `json:"relay"`
	PulseMs int    `json:"pulse_ms"`
	PollS   int    `json:"poll_s"`
}

func readConfig(dev driver.Device) (config, error) {
	c := config{Relay: 1, PulseMs: 500, PollS: 30}
	if err := dev.Decode(&c); err != nil {
		return c, driver.Invalid("config: " + err.Error())
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, driver.Invalid("url must be the board's http:// or https:// address")
	}
	if c.Relay < 1 || c.Relay > 4 || c.PulseMs < 100 || c.PulseMs > 5000 || c.PollS < 1 {
		return c, driver.Invalid("relay is 1–4, pulse_ms 100–5000, poll_s at least 1")
	}
	if dev.Secrets["token"] == "" {
		return c, driver.Invalid("the board's token is missing")
	}
	return c, nil
}

// open connects to one board. It does not call the board: a board that is
// off is a device that is offline, not one that cannot be registered. A
// goroutine checks it every poll_s and reports its status.
func open(_ context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
	c, err := readConfig(dev)
	if err != nil {
		return nil, err
	}
	b := &board{cfg: c, token: dev.Secrets["token"], sink: sink, stop: make(chan struct{}),
		http: &http.Client{Timeout: 10 * time.Second}}
	go b.watch(time.Duration(c.PollS) * time.Second)
	return b, nil
}
