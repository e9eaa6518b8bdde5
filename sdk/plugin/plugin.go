// Package plugin is what a Wuye plugin binary imports. A plugin declares
// itself as a *Plugin value — name, version, configuration schema,
// permissions, record collections — adds its routes, event handlers and
// tasks, and calls Serve from main:
//
//	func main() {
//		p := &plugin.Plugin{Name: "hello", Version: "1.0.0", TitleEN: "Hello", TitleZH: "你好"}
//		p.Permission("greet", "Greet people", "打招呼")
//		p.Handle("GET", "/greeting/:name", "greet", func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
//			return plugin.JSON(200, map[string]string{"hello": r.Params["name"]}), nil
//		})
//		plugin.Serve(p)
//	}
//
// Everything a plugin needs from the core goes through Host, which the
// plugin receives in OnStart (and as p.Host): it is bound to the one tenant
// the process serves, so no call names a tenant.
package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"time"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Kind of plugin.
type Kind = wuyepb.Kind

// Kinds of plugin.
const (
	Feature = wuyepb.Kind_KIND_FEATURE
	Driver  = wuyepb.Kind_KIND_DRIVER
)

// Plugin describes a plugin and dispatches the host's calls to its handlers.
// Fill the exported fields, register handlers with Handle, On, Every and
// Task before Serve; everything not set has a sensible default (health is
// ok, configuration is accepted, unknown routes answer 404).
type Plugin struct {
	Name        string // lowercase letters, digits and hyphens
	Version     string // semantic version of this binary
	Kind        Kind   // Feature when unset
	TitleEN     string
	TitleZH     string
	Description string
	// ConfigSchema is the JSON Schema the host validates configuration
	// against before the plugin sees it. Empty means "any JSON object".
	ConfigSchema json.RawMessage
	// Secrets names configuration values the host stores encrypted; read
	// them with Host.Config.
	Secrets       []string
	Collections   []*wuyepb.Collection
	Templates     []*wuyepb.Template
	Pages         []*wuyepb.Page
	DeviceClasses []string
	// Assets holds the console bundle served through GetAsset (Page.bundle
	// names a path in it).
	Assets fs.FS

	// OnStart runs once when the host starts the process, after Host is
	// connected. An error stops the process from serving.
	OnStart func(ctx context.Context, host *Host) error
	// OnConfigure is told of a new configuration (already valid against
	// ConfigSchema). Returning an error refuses it; the old one stays.
	OnConfigure func(ctx context.Context, config json.RawMessage) error
	// OnHealth reports whether the plugin can serve; nil means healthy.
	OnHealth func(ctx context.Context) error

	// DriverInfo and DriverServer make the plugin a device driver (API 3):
	// the first goes into the manifest, the second is served next to the
	// Plugin service. Package driver sets both; use driver.Serve.
	DriverInfo   *wuyepb.DriverInfo
	DriverServer wuyepb.DriverServer

	// Host is the tenant-bound client of the core's host services, set
	// before OnStart runs.
	Host *Host
	// Tenant is what the host said about the tenant at start.
	Tenant TenantInfo

	permissions []*wuyepb.Permission
	routes      []*route
	events      map[string]EventFunc
	tasks       map[string]TaskFunc
	periodic    []*wuyepb.PeriodicTask
}

// TenantInfo is what a process knows of the tenant it serves.
type TenantInfo struct {
	ID       string
	Code     string
	Location *time.Location // the tenant's zone; times shown to people use it
	Config   json.RawMessage
}

// Event is one event delivered at least once; Type and ID identify it.
type Event struct {
	ID         string
	Type       string
	Source     string // "core" or the publishing plugin
	OccurredAt time.Time
	Payload    json.RawMessage
	Attempt    int
}

// Decode reads the event's JSON payload into v.
func (e Event) Decode(v any) error { return json.Unmarshal(e.Payload, v) }

// Task is one run of a periodic or scheduled task.
type Task struct {
	ID          string
	Name        string
	Payload     json.RawMessage
	Attempt     int
	ScheduledAt time.Time
}

// Decode reads the task's JSON payload into v.
func (t Task) Decode(v any) error { return json.Unmarshal(t.Payload, v) }

// EventFunc handles an event. Returning an error makes the host deliver it
// again later, so handlers must be idempotent (use Event.ID).
type EventFunc func(ctx context.Context, ev Event) error

// TaskFunc runs a task. Returning an error makes the host retry it.
type TaskFunc func(ctx context.Context, t Task) error

// Permission declares a permission the plugin's routes use. The host shows
// it to tenant administrators as "<plugin>.<code>", so roles can be given it.
// roles names the built-in roles that hold it by default (manager,
// frontdesk, finance, technician, guard, resident); the administrator always
// holds it.
func (p *Plugin) Permission(code, titleEN, titleZH string, roles ...string) {
	p.permissions = append(p.permissions, &wuyepb.Permission{Code: code, TitleEn: titleEN, TitleZh: titleZH, Roles: roles})
}

// On subscribes to an event type ("resident.moved_in", "bill.overdue",
// "<plugin>.<type>" …) and handles it with h.
func (p *Plugin) On(eventType string, h EventFunc) {
	if p.events == nil {
		p.events = map[string]EventFunc{}
	}
	p.events[eventType] = h
}

// Every declares a periodic task the host runs on schedule ("@every 10m",
// "@hourly" or a five-field cron spec in the tenant's zone).
func (p *Plugin) Every(name, schedule, description string, h TaskFunc) {
	p.Task(name, h)
	p.periodic = append(p.periodic, &wuyepb.PeriodicTask{Name: name, Schedule: schedule, Description: description})
}

// Task registers the handler of a task the plugin schedules itself with
// Host.Schedule.
func (p *Plugin) Task(name string, h TaskFunc) {
	if p.tasks == nil {
		p.tasks = map[string]TaskFunc{}
	}
	p.tasks[name] = h
}

// Manifest is what the plugin tells the host about itself.
func (p *Plugin) Manifest() *wuyepb.Manifest {
	kind := p.Kind
	if kind == wuyepb.Kind_KIND_UNSPECIFIED {
		kind = Feature
	}
	m := &wuyepb.Manifest{
		Name: p.Name, Version: p.Version, Kind: kind, ApiVersion: sdk.APIVersion,
		TitleEn: p.TitleEN, TitleZh: p.TitleZH, Description: p.Description,
		ConfigSchema: p.ConfigSchema, Secrets: p.Secrets, Permissions: p.permissions,
		Tasks: p.periodic, Collections: p.Collections, Templates: p.Templates,
		Pages: p.Pages, DeviceClasses: p.DeviceClasses, Driver: p.DriverInfo,
	}
	for _, r := range p.routes {
		m.Routes = append(m.Routes, r.spec)
	}
	for t := range p.events {
		m.Subscriptions = append(m.Subscriptions, t)
	}
	sortStrings(m.Subscriptions)
	return m
}

// namePattern is the catalogue's rule for plugin names.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// check reports mistakes a plugin author makes before the host sees them.
func (p *Plugin) check() error {
	if !namePattern.MatchString(p.Name) {
		return fmt.Errorf("plugin: Name %q must be lowercase letters, digits and hyphens, start with a letter, at most 40", p.Name)
	}
	if p.Version == "" {
		return fmt.Errorf("plugin %s: Version is required", p.Name)
	}
	for _, r := range p.routes {
		// A route's permission is one the plugin declares, or a core one
		// (self.read for residents' own routes); none at all is a mistake.
		if r.spec.Permission == "" {
			return fmt.Errorf("plugin %s: route %s %s has no permission", p.Name, r.spec.Method, r.spec.Path)
		}
	}
	return nil
}
