package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

func TestParseEvent(t *testing.T) {
	ts := time.Date(2024, 11, 30, 8, 0, 0, 123e6, time.UTC)
	ev, err := parseEvent([]byte(`{"id":"evt-123","ts":` + itoa(ts.UnixMilli()) + `,"door":"2","method":"face","credential":"face-9",
		"granted":false,"reason":"out of schedule","direction":"sideways","vendor_extra":{"x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	da := ev.Data.(driver.DoorAccess)
	if ev.Type != driver.DoorAccessed || ev.Key != "evt-123" || !ev.At.Equal(ts) ||
		da.Door != "2" || da.Method != "face" || da.Granted || da.Reason != "out of schedule" || da.Direction != "" {
		t.Fatalf("%+v %+v", ev, da)
	}
	// A controller with an unset clock: the host's time is better.
	ev, err = parseEvent([]byte(`{"ts":5000,"method":"button","granted":true}`))
	if err != nil || !ev.At.IsZero() || ev.Key != "" || ev.Data.(driver.DoorAccess).Door != "" {
		t.Fatalf("%+v %v", ev, err)
	}
	for _, bad := range []string{
		`{"method":"card"}`, `{"method":"CARD","granted":true}`, `{"method":"card","granted":true,"door":1.5}`,
		`{"method":"card","granted":true,"id":"` + strings.Repeat("i", 200) + `"}`,
		`{"method":"card","granted":true,"door":"` + strings.Repeat("9", 20) + `"}`,
		`{"method":"card","granted":true,"credential":"\xff"}`,
	} {
		if _, err := parseEvent([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

func TestParseConfig(t *testing.T) {
	dev := func(cfg string) driver.Device {
		return driver.Device{ID: "d", Class: driver.DoorController, Config: json.RawMessage(cfg), Secrets: map[string]string{"password": "pw"}}
	}
	c, err := parseConfig(dev(`{"broker":"10.0.0.5:1883","serial":"SN1","prefix":"acme/doors/"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.topic("cmd") != "acme/doors/SN1/cmd" || c.qos() != 1 || c.ackTimeout() != 3*time.Second || c.OpenDuration != 5 || c.password != "pw" {
		t.Fatalf("%+v", c)
	}
	if c, _ := parseConfig(dev(`{"broker":"b:1883","serial":"S","qos":0}`)); c.qos() != 0 || c.Prefix != defaultPrefix {
		t.Fatalf("%+v", c)
	}
	var inv *driver.InvalidError
	for _, bad := range []string{
		`{}`, `{"broker":"nohost","serial":"S"}`, `{"broker":"b:1883"}`, `{"broker":"b:1883","serial":"a/b"}`,
		`{"broker":"b:1883","serial":"#"}`, `{"broker":"b:1883","serial":"S","prefix":"x/+"}`,
		`{"broker":"b:1883","serial":"S","qos":2}`, `{"broker":"b:1883","serial":"S","ack_timeout_ms":5}`,
		`{"broker":"b:1883","serial":"S","open_duration_s":-1}`, `[]`,
	} {
		if _, err := parseConfig(dev(bad)); err == nil || !errors.As(err, &inv) {
			t.Errorf("%s: %v, want invalid", bad, err)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// BenchmarkParseEvent is the driver's cost per access event, broker aside.
func BenchmarkParseEvent(b *testing.B) {
	msg := []byte(`{"id":"evt-123","ts":1732950000123,"door":1,"method":"card","credential":"3000012345","granted":true,"reason":"","direction":"in"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseEvent(msg); err != nil {
			b.Fatal(err)
		}
	}
}
