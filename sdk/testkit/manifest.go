package testkit

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	semverPattern  = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	codePattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	segmentPattern = regexp.MustCompile(`^(:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9._~-]+)$`)
	methods        = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	// CorePermissions a route may name instead of one the plugin declares.
	CorePermissions = []string{"self.read", "self.pay", "self.workorder", "self.survey"}
	surfaces        = []string{"console", "h5"}
)

// CheckManifest lists what is wrong with a manifest, as the host would
// refuse it (empty when nothing is): name, semantic version, kind, API
// version, routes with method, path and a declared or core permission,
// permission codes, configuration schema, collections, templates, pages,
// tasks and a driver's device classes.
func CheckManifest(m *wuyepb.Manifest) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !namePattern.MatchString(m.Name) {
		bad("name %q: lowercase letters, digits and hyphens, starting with a letter, at most 40", m.Name)
	}
	if !semverPattern.MatchString(m.Version) {
		bad("version %q is not a semantic version (1.4.0)", m.Version)
	}
	if m.Kind != wuyepb.Kind_KIND_FEATURE && m.Kind != wuyepb.Kind_KIND_DRIVER {
		bad("kind %v: feature or driver", m.Kind)
	}
	if m.ApiVersion == 0 || m.ApiVersion > sdk.APIVersion {
		bad("api_version %d: 1 to %d", m.ApiVersion, sdk.APIVersion)
	}
	if m.TitleEn == "" || m.TitleZh == "" {
		bad("title_en and title_zh are both needed (the console shows them)")
	}
	declared := map[string]bool{}
	for _, perm := range m.Permissions {
		if !codePattern.MatchString(perm.Code) {
			bad("permission %q: lowercase words joined by dots (activity.manage)", perm.Code)
		}
		if declared[perm.Code] {
			bad("permission %q declared twice", perm.Code)
		}
		declared[perm.Code] = true
		if perm.TitleEn == "" || perm.TitleZh == "" {
			bad("permission %q needs title_en and title_zh", perm.Code)
		}
	}
	seen := map[string]bool{}
	for _, r := range m.Routes {
		name := r.Method + " " + r.Path
		if !slices.Contains(methods, r.Method) {
			bad("route %s: method is one of %v", name, methods)
		}
		if !strings.HasPrefix(r.Path, "/") {
			bad("route %s: the path starts with /", name)
		} else if r.Path != "/" {
			params := map[string]bool{}
			for _, seg := range strings.Split(strings.Trim(r.Path, "/"), "/") {
				if !segmentPattern.MatchString(seg) {
					bad("route %s: segment %q is neither a literal nor :param", name, seg)
				}
				if strings.HasPrefix(seg, ":") {
					if params[seg] {
						bad("route %s: parameter %s twice", name, seg)
					}
					params[seg] = true
				}
			}
		}
		if seen[name] {
			bad("route %s declared twice", name)
		}
		seen[name] = true
		switch {
		case r.Permission == "":
			bad("route %s has no permission", name)
		case !declared[r.Permission] && !slices.Contains(CorePermissions, r.Permission):
			bad("route %s: permission %q is neither declared by the plugin nor a core one %v", name, r.Permission, CorePermissions)
		}
		if r.MaxBodyBytes < 0 {
			bad("route %s: max_body_bytes is negative", name)
		}
	}
	if len(m.ConfigSchema) > 0 {
		if err := CheckSchema(m.ConfigSchema); err != nil {
			bad("config_schema: %v", err)
		}
	}
	for _, s := range m.Secrets {
		if !codePattern.MatchString(s) {
			bad("secret %q: a lowercase name", s)
		}
	}
	for _, sub := range m.Subscriptions {
		if !strings.Contains(sub, ".") || strings.ContainsAny(sub, " /") {
			bad("subscription %q: an event type such as resident.moved_in or <plugin>.<type>", sub)
		}
	}
	tasks := map[string]bool{}
	for _, t := range m.Tasks {
		if t.Name == "" || tasks[t.Name] {
			bad("task %q: a unique name is needed", t.Name)
		}
		tasks[t.Name] = true
		if err := CheckSchedule(t.Schedule); err != nil {
			bad("task %s: %v", t.Name, err)
		}
	}
	colls := map[string]bool{}
	for _, c := range m.Collections {
		if !codePattern.MatchString(c.Name) || colls[c.Name] || len(c.Name) > 100 {
			bad("collection %q: a unique lowercase name", c.Name)
		}
		colls[c.Name] = true
		fields := map[string]bool{}
		for _, ix := range c.Indexes {
			if ix.Field == "" || ix.Field == "id" || fields[ix.Field] {
				bad("collection %s: index field %q must be named, not id, and unique", c.Name, ix.Field)
			}
			fields[ix.Field] = true
		}
	}
	tpls := map[string]bool{}
	for _, t := range m.Templates {
		if !codePattern.MatchString(t.Code) || tpls[t.Code] {
			bad("template %q: a unique lowercase code", t.Code)
		}
		tpls[t.Code] = true
		if t.TitleZh == "" || t.BodyZh == "" {
			bad("template %s: title_zh and body_zh are needed", t.Code)
		}
		for _, s := range []string{t.TitleZh, t.BodyZh, t.TitleEn, t.BodyEn} {
			if strings.Count(s, "{{") != strings.Count(s, "}}") {
				bad("template %s: unbalanced {{ }} in %q", t.Code, s)
			}
		}
	}
	pages := map[string]bool{}
	for _, pg := range m.Pages {
		if pg.Id == "" || pages[pg.Id] {
			bad("page %q: a unique id is needed", pg.Id)
		}
		pages[pg.Id] = true
		if pg.TitleEn == "" || pg.TitleZh == "" {
			bad("page %s: title_en and title_zh are needed", pg.Id)
		}
		if pg.Bundle == "" || strings.HasPrefix(pg.Bundle, "/") || strings.Contains(pg.Bundle, "..") {
			bad("page %s: bundle %q must be a relative asset path", pg.Id, pg.Bundle)
		}
		if !slices.Contains(surfaces, pg.Surface) {
			bad("page %s: surface is console or h5", pg.Id)
		}
		if pg.Permission != "" && !declared[pg.Permission] && !slices.Contains(CorePermissions, pg.Permission) {
			bad("page %s: permission %q is not declared", pg.Id, pg.Permission)
		}
	}
	if m.Kind == wuyepb.Kind_KIND_DRIVER && len(m.DeviceClasses) == 0 {
		bad("a driver declares the device classes it drives")
	}
	if m.Kind == wuyepb.Kind_KIND_FEATURE && len(m.DeviceClasses) > 0 {
		bad("a feature plugin declares no device classes (that is a driver)")
	}
	for _, d := range m.DeviceClasses {
		if !codePattern.MatchString(d) {
			bad("device class %q: a lowercase name such as lpr_camera", d)
		}
	}
	return p
}

// CheckSchema checks a configuration schema is a JSON Schema object whose
// keywords have the right JSON types (the host compiles it fully).
func CheckSchema(b []byte) error {
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	return checkSchemaNode("", s)
}

var schemaTypes = []string{"object", "array", "string", "number", "integer", "boolean", "null"}

func checkSchemaNode(at string, s map[string]any) error {
	if t, ok := s["type"]; ok {
		var ts []any
		switch v := t.(type) {
		case string:
			ts = []any{v}
		case []any:
			ts = v
		default:
			return fmt.Errorf("%s/type: a string or an array of strings", at)
		}
		for _, x := range ts {
			if str, ok := x.(string); !ok || !slices.Contains(schemaTypes, str) {
				return fmt.Errorf("%s/type: %v is not a JSON Schema type", at, x)
			}
		}
	}
	if props, ok := s["properties"]; ok {
		pm, ok := props.(map[string]any)
		if !ok {
			return fmt.Errorf("%s/properties: an object", at)
		}
		for k, v := range pm {
			sub, ok := v.(map[string]any)
			if !ok {
				if _, isBool := v.(bool); isBool {
					continue
				}
				return fmt.Errorf("%s/properties/%s: a schema", at, k)
			}
			if err := checkSchemaNode(at+"/properties/"+k, sub); err != nil {
				return err
			}
		}
	}
	if req, ok := s["required"]; ok {
		rs, ok := req.([]any)
		if !ok {
			return fmt.Errorf("%s/required: an array of strings", at)
		}
		for _, r := range rs {
			if _, ok := r.(string); !ok {
				return fmt.Errorf("%s/required: an array of strings", at)
			}
		}
	}
	if items, ok := s["items"]; ok {
		if sub, ok := items.(map[string]any); ok {
			if err := checkSchemaNode(at+"/items", sub); err != nil {
				return err
			}
		} else if _, isBool := items.(bool); !isBool {
			return fmt.Errorf("%s/items: a schema", at)
		}
	}
	for _, k := range []string{"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"} {
		if v, ok := s[k]; ok {
			if _, ok := v.(float64); !ok {
				return fmt.Errorf("%s/%s: a number", at, k)
			}
		}
	}
	if e, ok := s["enum"]; ok {
		if _, ok := e.([]any); !ok {
			return fmt.Errorf("%s/enum: an array", at)
		}
	}
	return nil
}

// CheckSchedule checks a periodic task's schedule: "@every <duration>",
// "@hourly", "@daily", "@weekly", "@monthly", or five cron fields.
func CheckSchedule(s string) error {
	switch {
	case s == "@hourly" || s == "@daily" || s == "@weekly" || s == "@monthly" || s == "@yearly" || s == "@midnight":
		return nil
	case strings.HasPrefix(s, "@every "):
		d, err := parseDuration(strings.TrimPrefix(s, "@every "))
		if err != nil || d <= 0 {
			return fmt.Errorf("schedule %q: @every takes a positive duration (10m)", s)
		}
		return nil
	}
	f := strings.Fields(s)
	if len(f) != 5 {
		return fmt.Errorf("schedule %q: @every 10m, @hourly, @daily or five cron fields", s)
	}
	for _, x := range f {
		if strings.Trim(x, "0123456789*/,-") != "" && strings.Trim(strings.ToUpper(x), "ABCDEFGHIJKLMNOPQRSTUVWXYZ,-") != "" {
			return fmt.Errorf("schedule %q: cron field %q", s, x)
		}
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) { return time.ParseDuration(s) }
