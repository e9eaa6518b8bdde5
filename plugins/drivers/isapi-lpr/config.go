package main

import (
	"fmt"
	"net"
	"strconv"
)

// deviceSchema is the JSON Schema of one camera's connection config.
const deviceSchema = `{
  "type": "object",
  "required": ["address"],
  "additionalProperties": false,
  "properties": {
    "address":     {"type": "string", "minLength": 3, "maxLength": 255, "description": "host:port of the camera's web service"},
    "scheme":      {"type": "string", "enum": ["http", "https"], "default": "http"},
    "channel":     {"type": "integer", "minimum": 1, "maximum": 64, "default": 1, "description": "video/ANPR channel"},
    "gate_output": {"type": "integer", "minimum": 0, "maximum": 16, "description": "IO output wired to the barrier; 0 or absent: the camera's barrierGate service"},
    "mode":        {"type": "string", "enum": ["push", "stream"], "default": "push", "description": "push: the camera posts alerts to the ingress endpoint; stream: the driver reads the camera's alertStream"},
    "username":    {"type": "string", "maxLength": 64},
    "tls_skip_verify": {"type": "boolean", "description": "accept the camera's self-signed certificate"}
  }
}`

// config is one camera's connection config (deviceSchema).
type config struct {
	Address       string `json:"address"`
	Scheme        string `json:"scheme"`
	Channel       int    `json:"channel"`
	GateOutput    int    `json:"gate_output"`
	Mode          string `json:"mode"`
	Username      string `json:"username"`
	TLSSkipVerify bool   `json:"tls_skip_verify"`
}

// Modes of receiving alerts.
const (
	modePush   = "push"
	modeStream = "stream"
)

// normalize fills defaults and checks what the schema cannot (the host
// validates the schema, but a driver must not trust that alone).
func (c *config) normalize() error {
	if c.Scheme == "" {
		c.Scheme = "http"
	}
	if c.Channel == 0 {
		c.Channel = 1
	}
	if c.Mode == "" {
		c.Mode = modePush
	}
	if c.Scheme != "http" && c.Scheme != "https" {
		return fmt.Errorf("scheme %q: http or https", c.Scheme)
	}
	if c.Mode != modePush && c.Mode != modeStream {
		return fmt.Errorf("mode %q: push or stream", c.Mode)
	}
	if c.Channel < 1 || c.Channel > 64 {
		return fmt.Errorf("channel %d: 1 to 64", c.Channel)
	}
	if c.GateOutput < 0 || c.GateOutput > 16 {
		return fmt.Errorf("gate_output %d: 0 to 16", c.GateOutput)
	}
	host, port, err := net.SplitHostPort(c.Address)
	if err != nil || host == "" {
		return fmt.Errorf("address %q: host:port", c.Address)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("address %q: port 1 to 65535", c.Address)
	}
	return nil
}

// baseURL is where the camera's ISAPI is served.
func (c *config) baseURL() string { return c.Scheme + "://" + c.Address }
