package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestConfigSchemaAcceptsTheDemoAndRefusesMistakes compiles the manifest's
// schema as the host's catalogue does (draft 2020-12) and validates the demo
// tenant's configuration against it.
func TestConfigSchemaAcceptsTheDemoAndRefusesMistakes(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(configSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("wuye:events.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("wuye:events.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(v any) error {
		b, _ := json.Marshal(v)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(inst)
	}
	if err := check(demoConfig(t)); err != nil {
		t.Fatalf("tenants/demo.yaml: %v", err)
	}
	if err := check(map[string]any{}); err != nil {
		t.Fatalf("empty: %v", err)
	}
	for name, bad := range map[string]any{
		"unknown setting":   map[string]any{"colour": "red"},
		"reminder 0 hours":  map[string]any{"reminder_hours": 0},
		"slot of 2 minutes": map[string]any{"default_slot_minutes": 2},
		"venue day":         map[string]any{"demo": map[string]any{"venues": []any{map[string]any{"key": "x", "name": "x", "community": "c", "capacity": 1, "hours": map[string]any{"someday": map[string]any{"open": "08:00", "close": "09:00"}}}}}},
		"activity state":    map[string]any{"demo": map[string]any{"activities": []any{map[string]any{"key": "x", "title": "x", "community": "c", "start_in_days": 1, "start_time": "08:00", "capacity": 1, "state": "draft"}}}},
	} {
		if err := check(bad); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
