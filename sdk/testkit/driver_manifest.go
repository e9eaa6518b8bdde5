package testkit

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// pointTypes are the types a data point may declare.
var pointTypes = []string{"bool", "int", "float", "string"}

// CheckDriverManifest lists what is wrong with a driver's manifest beyond
// CheckManifest: kind driver at API 3 or later, canonical device classes,
// a device schema that is a JSON Schema of an object, commands and events
// canonical or the driver's own ("<name>.<x>"), secret and point names.
func CheckDriverManifest(m *wuyepb.Manifest) []string {
	var p []string
	bad := func(s string) { p = append(p, s) }
	if m.Kind != wuyepb.Kind_KIND_DRIVER {
		bad("kind is " + m.Kind.String() + ", want KIND_DRIVER")
	}
	if m.ApiVersion < 3 {
		bad("api_version " + itoa(int(m.ApiVersion)) + ": a driver needs API 3 (the Driver service)")
	}
	for _, c := range m.DeviceClasses {
		if !slices.Contains(driver.Classes, c) {
			bad("device class " + quote(c) + " is not canonical " + strings.Join(driver.Classes, ", "))
		}
	}
	info := m.Driver
	if info == nil {
		return append(p, "no driver info (DriverInfo): device schema, commands, events")
	}
	if len(info.DeviceSchema) == 0 {
		bad("device_schema is empty: the host validates every device's config against it")
	} else if err := CheckSchema(info.DeviceSchema); err != nil {
		bad("device_schema: " + err.Error())
	} else {
		var s map[string]any
		_ = json.Unmarshal(info.DeviceSchema, &s)
		if s["type"] != "object" {
			bad(`device_schema: a device's config is an object ("type": "object")`)
		}
	}
	own := func(what, name string, canonical []string) {
		if slices.Contains(canonical, name) {
			return
		}
		if rest, ok := strings.CutPrefix(name, m.Name+"."); ok && codePattern.MatchString(rest) {
			return
		}
		bad(what + " " + quote(name) + " is neither canonical nor the driver's own (" + m.Name + ".<name>)")
	}
	for _, c := range info.Commands {
		own("command", c, driver.Commands)
	}
	for _, e := range info.Events {
		own("event", e, driver.EventTypes)
	}
	for _, s := range info.DeviceSecrets {
		if !codePattern.MatchString(s) {
			bad("device secret " + quote(s) + ": a lowercase name")
		}
	}
	seen := map[string]bool{}
	for _, pt := range info.Points {
		if pt.Name == "" || seen[pt.Name] {
			bad("point " + quote(pt.Name) + ": a unique name is needed")
		}
		seen[pt.Name] = true
		if !slices.Contains(pointTypes, pt.Type) {
			bad("point " + pt.Name + ": type is bool, int, float or string")
		}
	}
	return p
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
