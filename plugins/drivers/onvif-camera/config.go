package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// deviceSchema is one camera's connection config.
var deviceSchema = json.RawMessage(`{
  "type": "object",
  "required": ["address"],
  "additionalProperties": false,
  "properties": {
    "address":        {"type": "string", "minLength": 3, "maxLength": 255, "description": "host:port of the camera's ONVIF service"},
    "scheme":         {"type": "string", "enum": ["http", "https"], "default": "http"},
    "username":       {"type": "string", "maxLength": 64},
    "profile":        {"type": "string", "maxLength": 64, "description": "media profile token; default the camera's first"},
    "pull_timeout_s": {"type": "integer", "minimum": 1, "maximum": 60, "default": 5},
    "channel":        {"type": "string", "maxLength": 64, "description": "channel named in alarms whose message names no video source"},
    "alarm_snapshot": {"type": "boolean", "default": false, "description": "attach a snapshot to each alarm as it starts"}
  }
}`)

// config is one camera's connection config.
type config struct {
	Address      string `json:"address"`
	Scheme       string `json:"scheme"`
	Username     string `json:"username"`
	Profile      string `json:"profile"`
	PullTimeoutS int    `json:"pull_timeout_s"`
	Channel      string `json:"channel"`
	// AlarmSnapshot attaches a snapshot to each alarm as it starts.
	AlarmSnapshot bool `json:"alarm_snapshot"`
}

// parseConfig reads and checks a device's config; the host validated it
// against the schema, but a driver trusts no input.
func parseConfig(dev driver.Device) (config, error) {
	var c config
	if err := dev.Decode(&c); err != nil {
		return c, driver.Invalid("config: " + err.Error())
	}
	c.Address = strings.TrimSpace(c.Address)
	host, port, err := net.SplitHostPort(c.Address)
	if err != nil || host == "" {
		return c, driver.Invalid(fmt.Sprintf("address %q is not host:port", c.Address))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return c, driver.Invalid(fmt.Sprintf("address %q has a bad port", c.Address))
	}
	switch c.Scheme {
	case "":
		c.Scheme = "http"
	case "http", "https":
	default:
		return c, driver.Invalid(fmt.Sprintf("scheme %q is not http or https", c.Scheme))
	}
	switch {
	case c.PullTimeoutS == 0:
		c.PullTimeoutS = 5
	case c.PullTimeoutS < 1 || c.PullTimeoutS > 60:
		return c, driver.Invalid("pull_timeout_s must be 1 to 60")
	}
	return c, nil
}

func (c config) pullTimeout() time.Duration { return time.Duration(c.PullTimeoutS) * time.Second }
