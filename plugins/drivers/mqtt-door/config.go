package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// deviceSchema is the JSON Schema of one device's connection config.
var deviceSchema = json.RawMessage(`{
  "type": "object",
  "required": ["broker", "serial"],
  "properties": {
    "broker": {"type": "string", "minLength": 3, "maxLength": 255, "description": "MQTT broker host:port"},
    "prefix": {"type": "string", "maxLength": 200, "default": "wuye/door", "description": "topic prefix"},
    "serial": {"type": "string", "minLength": 1, "maxLength": 100, "description": "device serial, one topic level"},
    "username": {"type": "string", "maxLength": 200},
    "qos": {"type": "integer", "enum": [0, 1], "default": 1},
    "ack_timeout_ms": {"type": "integer", "minimum": 100, "maximum": 60000, "default": 3000},
    "open_duration_s": {"type": "integer", "minimum": 1, "maximum": 600, "default": 5,
      "description": "how long a door or gate stays open when a command names no duration"}
  },
  "additionalProperties": false
}`)

const (
	defaultPrefix       = "wuye/door"
	defaultAckTimeout   = 3 * time.Second
	defaultOpenDuration = 5
)

// config is one device's connection config, defaults applied.
type config struct {
	Broker       string `json:"broker"`
	Prefix       string `json:"prefix"`
	Serial       string `json:"serial"`
	Username     string `json:"username"`
	QoS          *int   `json:"qos"`
	AckTimeoutMS int    `json:"ack_timeout_ms"`
	OpenDuration int    `json:"open_duration_s"`

	password string // from the device's secrets
}

// parseConfig reads and checks a device's config; the host validated it
// against deviceSchema, but Open must not trust that for topic safety.
func parseConfig(dev driver.Device) (config, error) {
	var c config
	if err := dev.Decode(&c); err != nil {
		return c, driver.Invalid("config: " + err.Error())
	}
	if _, port, err := net.SplitHostPort(c.Broker); err != nil || port == "" {
		return c, driver.Invalid(fmt.Sprintf("broker %q is not host:port", c.Broker))
	}
	if c.Prefix == "" {
		c.Prefix = defaultPrefix
	}
	c.Prefix = strings.TrimSuffix(c.Prefix, "/")
	// Wildcards in a prefix or serial would subscribe to other devices'
	// topics.
	if c.Prefix == "" || strings.ContainsAny(c.Prefix, "+#\x00") || strings.HasPrefix(c.Prefix, "/") {
		return c, driver.Invalid(fmt.Sprintf("prefix %q is not a topic without wildcards", c.Prefix))
	}
	if c.Serial == "" || strings.ContainsAny(c.Serial, "+#/\x00") {
		return c, driver.Invalid(fmt.Sprintf("serial %q cannot be one topic level", c.Serial))
	}
	if c.QoS == nil {
		one := 1
		c.QoS = &one
	} else if *c.QoS != 0 && *c.QoS != 1 {
		return c, driver.Invalid("qos must be 0 or 1")
	}
	if c.AckTimeoutMS == 0 {
		c.AckTimeoutMS = int(defaultAckTimeout / time.Millisecond)
	} else if c.AckTimeoutMS < 100 || c.AckTimeoutMS > 60000 {
		return c, driver.Invalid("ack_timeout_ms must be 100–60000")
	}
	if c.OpenDuration == 0 {
		c.OpenDuration = defaultOpenDuration
	} else if c.OpenDuration < 1 || c.OpenDuration > 600 {
		return c, driver.Invalid("open_duration_s must be 1–600")
	}
	c.password = dev.Secrets["password"]
	return c, nil
}

func (c config) qos() byte                 { return byte(*c.QoS) }
func (c config) ackTimeout() time.Duration { return time.Duration(c.AckTimeoutMS) * time.Millisecond }
func (c config) topic(suffix string) string {
	return c.Prefix + "/" + c.Serial + "/" + suffix
}

// brokerKey names the shared client a device uses: the same broker with
// other credentials is another client.
func (c config) brokerKey() string { return c.Broker + "\x00" + c.Username + "\x00" + c.password }
