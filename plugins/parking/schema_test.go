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
// tenant's configuration, and the three tariff keys alone, against it.
func TestConfigSchemaAcceptsTheDemoAndRefusesMistakes(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(configSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("wuye:parking.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("wuye:parking.json")
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
	for name, good := range map[string]any{
		"tenants/demo.yaml": demoConfig(t),
		"empty":             map[string]any{},
		"the first three":   map[string]any{"free_minutes": 30, "hourly_rate_fen": 500, "daily_cap_fen": 3000},
	} {
		if err := check(good); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, bad := range map[string]any{
		"unknown setting":    map[string]any{"colour": "red"},
		"negative rate":      map[string]any{"hourly_rate_fen": -1},
		"a float of fen":     map[string]any{"hourly_rate_fen": 5.5},
		"night at 8pm":       map[string]any{"night_start": "8pm"},
		"grace 0":            map[string]any{"grace_minutes": 0},
		"demo without a lot": map[string]any{"demo": map[string]any{"community": "c"}},
	} {
		if err := check(bad); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
