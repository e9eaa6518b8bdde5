package main

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// uiFiles are the console pages' bundles.
//
//go:embed ui/*.js
var uiFiles embed.FS

func uiBundles() fs.FS {
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // ui/ is embedded above
	}
	return sub
}

// Version of this plugin binary.
const Version = "1.0.0"

const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "default_slot_minutes": {"type": "integer", "minimum": 5, "maximum": 1440, "default": 60,
      "description": "Slot length of a new venue when none is given (minutes)."},
    "reminder_hours": {"type": "integer", "minimum": 1, "maximum": 168, "default": 24,
      "description": "How long before an activity starts those signed up are reminded (hours)."},
    "demo": {
      "type": "object",
      "description": "Venues and activities created on start when missing (demo tenants).",
      "additionalProperties": false,
      "properties": {
        "venues": {"type": "array", "items": {
          "type": "object",
          "required": ["key", "name", "community", "capacity"],
          "additionalProperties": false,
          "properties": {
            "key": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
            "name": {"type": "string", "minLength": 1},
            "community": {"type": "string", "minLength": 1},
            "capacity": {"type": "integer", "minimum": 1},
            "slot_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
            "description": {"type": "string"},
            "hours": {"type": "object",
              "propertyNames": {"enum": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]},
              "additionalProperties": {"type": "object", "required": ["open", "close"], "additionalProperties": false,
                "properties": {"open": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}, "close": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}}}}
          }}},
        "activities": {"type": "array", "items": {
          "type": "object",
          "required": ["key", "title", "community", "start_in_days", "start_time", "capacity", "state"],
          "additionalProperties": false,
          "properties": {
            "key": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "community": {"type": "string"},
            "venue": {"type": "string"},
            "location": {"type": "string"},
            "start_in_days": {"type": "integer"},
            "start_time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "duration_minutes": {"type": "integer", "minimum": 30},
            "signup_deadline_hours_before": {"type": "integer", "minimum": 0},
            "capacity": {"type": "integer", "minimum": 1},
            "fee_fen": {"type": "integer", "minimum": 0},
            "target": {"type": "object", "additionalProperties": false, "properties": {
              "building_ids": {"type": "array", "items": {"type": "string"}},
              "tags": {"type": "array", "items": {"type": "string"}}}},
            "state": {"enum": ["published", "signup_open", "done"]},
            "signups": {"type": "integer", "minimum": 0},
            "checked_in": {"type": "integer", "minimum": 0}
          }}}
      }
    }
  }
}`

// Permissions (local codes; the host shows them as "events.<code>").
const (
	permVenue    = "venue.manage"
	permActivity = "activity.manage"
	permCheckin  = "checkin"
	permRead     = "read"
	permSelf     = "self.read" // core permission of residents' own routes
)

// New builds the plugin; now is its clock (time.Now in production).
func New(now func() time.Time) *plugin.Plugin {
	p, _ := build(now)
	return p
}

func build(now func() time.Time) (*plugin.Plugin, *app) {
	p := &plugin.Plugin{
		Name: "events", Version: Version, Kind: plugin.Feature,
		TitleEN: "Community events", TitleZH: "社区活动",
		Description:  "Venues and their bookings, community activities with sign-up, waitlist, fees, grouping, QR check-in and attendance.",
		ConfigSchema: json.RawMessage(configSchema),
		Collections: []*wuyepb.Collection{
			{Name: colVenues, Indexes: idx("community_id", "name")},
			{Name: colSlots, Indexes: idx("venue_id", "booking_id", "start_ms")},
			{Name: colBookings, Indexes: idx("venue_id", "community_id", "start_ms", "status", "activity_id")},
			{Name: colActivities, Indexes: idx("community_id", "state", "start_ms", "end_ms", "deadline_ms")},
			{Name: colSignups, Indexes: append(idx("activity_id", "resident_id", "status", "position", "signed_up_at_ms"),
				&wuyepb.IndexField{Field: "qr_token", Unique: true})},
			{Name: colProcessed},
		},
		// Console pages: ES modules in ui/, served through GetAsset (see ui/activities.js
		// for the mount contract).
		Assets: uiBundles(),
		Pages: []*wuyepb.Page{
			{Id: "activities", TitleEn: "Community events", TitleZh: "社区活动", Icon: "calendar", Permission: permRead, Bundle: "activities.js", Surface: "console"},
			{Id: "my-events", TitleEn: "Community events", TitleZh: "社区活动", Icon: "calendar", Permission: permSelf, Bundle: "my-events.js", Surface: "h5"},
		},
		Templates: []*wuyepb.Template{
			{Code: "activity_published", TitleZh: "社区活动:{title}", BodyZh: "{title} 将于 {start} 在 {place} 举行,费用:{fee},报名截止 {deadline}。欢迎参加!",
				TitleEn: "Community event: {title}", BodyEn: "{title} takes place at {place} on {start}; fee: {fee}; sign up before {deadline}."},
			{Code: "waitlist_promoted", TitleZh: "候补成功:{title}", BodyZh: "有名额空出,您已从候补转为正式报名「{title}」({start},{place})。",
				TitleEn: "You are in: {title}", BodyEn: "A seat came free: your waitlisted sign-up for {title} ({start}, {place}) is now confirmed."},
			{Code: "activity_reminder", TitleZh: "活动提醒:{title}", BodyZh: "您报名的「{title}」将于 {start} 在 {place} 开始,请凭签到码入场。",
				TitleEn: "Reminder: {title}", BodyEn: "{title} starts at {start} at {place}; show your check-in code at the door."},
			{Code: "activity_cancelled", TitleZh: "活动取消:{title}", BodyZh: "很抱歉,原定 {start} 举行的「{title}」已取消。",
				TitleEn: "Cancelled: {title}", BodyEn: "We are sorry: {title}, planned for {start}, is cancelled."},
		},
	}
	// Managers run events; the front desk signs residents up and checks them
	// in; guards check in at the door.
	p.Permission(permVenue, "Manage venues and bookings", "管理活动场地与预订", "manager")
	p.Permission(permActivity, "Manage activities and sign-ups", "管理社区活动与报名", "manager", "frontdesk")
	p.Permission(permCheckin, "Check participants in", "活动签到", "manager", "frontdesk", "guard")
	p.Permission(permRead, "View venues, activities and statistics", "查看场地、活动与统计", "manager", "frontdesk", "guard")

	a := &app{p: p, now: now}
	p.OnStart = func(ctx context.Context, _ *plugin.Host) error {
		if err := a.setConfig(p.Tenant.Config); err != nil {
			return err
		}
		// Demo data is a convenience: a failure is logged, not fatal, so a
		// tenant whose master data changed still gets its plugin.
		if err := a.seedDemo(ctx, a.config().Demo); err != nil {
			plugin.Logger().Warn("demo data", "err", err)
		}
		return nil
	}
	p.OnConfigure = func(_ context.Context, raw json.RawMessage) error { return a.setConfig(raw) }
	a.routes()
	p.Every("lifecycle", "@every 15m", "Close sign-ups past their deadline, finish activities past their end, send reminders.", a.lifecycle)
	p.On("resident.moved_out", a.movedOut)
	return p, a
}

func idx(fields ...string) []*wuyepb.IndexField {
	out := make([]*wuyepb.IndexField, len(fields))
	for i, f := range fields {
		out[i] = &wuyepb.IndexField{Field: f}
	}
	return out
}
