package main

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// uiFiles are the console and H5 pages' bundles.
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
    "free_minutes": {"type": "integer", "minimum": 0, "maximum": 1440, "description": "A temporary stay this long or shorter is free (minutes)."},
    "hourly_rate_fen": {"type": "integer", "minimum": 0, "description": "Per started hour, in fen."},
    "daily_cap_fen": {"type": "integer", "minimum": 0, "description": "At most this per 24 hours from entry, in fen (0: no cap)."},
    "night_start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "Night tariff from (HH:MM, tenant's zone)."},
    "night_end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "Night tariff until (HH:MM)."},
    "night_rate_fen": {"type": "integer", "minimum": 0, "description": "Per started hour at night, in fen."},
    "night_flat_fen": {"type": "integer", "minimum": 0, "description": "One fee per night instead of the night rate, in fen."},
    "grace_minutes": {"type": "integer", "minimum": 1, "maximum": 120, "default": 15, "description": "Time to leave after paying (minutes)."},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "CNY"},
    "dedupe_seconds": {"type": "integer", "minimum": 1, "maximum": 300, "default": 10, "description": "The same plate at the same gate within this is one read."},
    "long_stay_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 7, "description": "A car inside longer raises a work order."},
    "guard_user_ids": {"type": "array", "items": {"type": "string"}, "description": "Accounts alerted at once (the guard desk)."},
    "pay_base_url": {"type": "string"},
    "demo": {
      "type": "object",
      "description": "A lot, its zones, gates on the demo cameras, passes, lists and a week of history, created on start when missing.",
      "additionalProperties": false,
      "required": ["community", "lot"],
      "properties": {
        "community": {"type": "string", "minLength": 1},
        "lot": {"type": "string", "minLength": 1},
        "zones": {"type": "array", "items": {"type": "object", "required": ["key", "name", "capacity"], "additionalProperties": false,
          "properties": {"key": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"}, "name": {"type": "string"}, "capacity": {"type": "integer", "minimum": 1},
            "owned_spaces": {"type": "integer", "minimum": 0}}}},
        "passes": {"type": "array", "items": {"type": "string"}, "description": "Plates with a monthly pass for this month."},
        "blacklist": {"type": "array", "items": {"type": "string"}},
        "whitelist": {"type": "array", "items": {"type": "string"}},
        "visitors": {"type": "array", "items": {"type": "string"}, "description": "Plates a resident authorised for today."},
        "history_days": {"type": "integer", "minimum": 0, "maximum": 31}
      }
    }
  }
}`

// Permissions (local codes; the host shows them as "parking.<code>").
const (
	permRead    = "read"
	permOperate = "operate"
	permManage  = "manage"
	permReport  = "report"
	permSelf    = "self.read" // core permission of residents' own routes
)

// New builds the plugin; now is its clock (time.Now in production).
func New(now func() time.Time) *plugin.Plugin {
	p, _ := build(now)
	return p
}

func build(now func() time.Time) (*plugin.Plugin, *app) {
	p := &plugin.Plugin{
		Name: "parking", Version: Version, Kind: plugin.Feature,
		TitleEN: "Parking", TitleZH: "车辆管理",
		Description:  "Lots, zones and spaces; gates with plate recognition; monthly passes, white and black lists, visitor authorisations; temporary parking paid by QR; free-space displays; abnormal-event work orders; reports.",
		ConfigSchema: json.RawMessage(configSchema),
		Collections: []*wuyepb.Collection{
			{Name: colLots, Indexes: idx("community_id", "name")},
			{Name: colZones, Indexes: idx("lot_id", "name")},
			{Name: colSpaces, Indexes: idx("zone_id", "resident_id", "camera_id")},
			{Name: colGates, Indexes: idx("lot_id", "camera_id")},
			{Name: colPasses, Indexes: idx("plate", "lot_id", "room_id", "valid_from_ms")},
			{Name: colLists, Indexes: idx("plate", "list")},
			{Name: colVisitors, Indexes: idx("plate", "room_id")},
			{Name: colSessions, Indexes: idx("plate", "lot_id", "state", "entry_at_ms", "paid_at_ms")},
			{Name: colInside, Indexes: idx("lot_id", "zone_id", "plate", "entry_at_ms")},
			{Name: colPassages, Indexes: idx("gate_plate", "plate", "gate_id", "lot_id", "decision", "at_ms")},
			{Name: colAlerts, Indexes: idx("kind", "at_ms")},
		},
		Assets: uiBundles(),
		Pages: []*wuyepb.Page{
			{Id: "guard-desk", TitleEn: "Parking", TitleZh: "车辆管理", Icon: "car", Permission: permOperate, Bundle: "guard-desk.js", Surface: "console"},
			{Id: "my-parking", TitleEn: "My vehicles", TitleZh: "我的车辆", Icon: "car", Permission: permSelf, Bundle: "my-parking.js", Surface: "h5"},
		},
		Templates: []*wuyepb.Template{
			{Code: "guard_alert", TitleZh: "停车场告警:{kind}", BodyZh: "{at} {kind} {plate}:{detail}",
				TitleEn: "Parking alert: {kind}", BodyEn: "{at} {kind} {plate}: {detail}"},
		},
	}
	// Guards run the gates; managers also keep the master data and read the
	// reports.
	p.Permission(permRead, "View lots, gates, passes and lists", "查看车场、道闸、月卡与名单", "manager", "guard", "frontdesk")
	p.Permission(permOperate, "Run the guard desk: passages, manual opening, tickets", "岗亭值守:通行记录、手动开闸、收费", "manager", "guard")
	p.Permission(permManage, "Manage lots, gates, passes and lists", "管理车场、道闸、月卡与名单", "manager")
	p.Permission(permReport, "Parking reports", "停车报表", "manager")

	a := &app{p: p, now: now}
	p.OnStart = func(ctx context.Context, _ *plugin.Host) error {
		if err := a.setConfig(p.Tenant.Config); err != nil {
			return err
		}
		if err := a.seedDemo(ctx, a.config().Demo); err != nil {
			plugin.Logger().Warn("demo data", "err", err)
		}
		return nil
	}
	p.OnConfigure = func(_ context.Context, raw json.RawMessage) error { return a.setConfig(raw) }
	a.routes()
	p.On(driver.PlateRecognized, a.onPlate)
	p.On(driver.CameraAlarm, a.onAlarm)
	p.On(driver.DeviceOffline, a.onOffline)
	p.On("payment.received", a.onPaymentReceived)
	p.Every("long-stay", "@every 1h", "Raise a work order for cars inside longer than long_stay_days.", a.longStays)
	return p, a
}

func idx(fields ...string) []*wuyepb.IndexField {
	out := make([]*wuyepb.IndexField, len(fields))
	for i, f := range fields {
		out[i] = &wuyepb.IndexField{Field: f}
	}
	return out
}
