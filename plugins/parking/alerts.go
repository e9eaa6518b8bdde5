package main

import (
	"context"
	"strconv"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// alertTitles are the alert kinds in words.
var alertTitles = map[string]string{
	"blacklisted": "黑名单车辆", "full": "车位已满", "unreadable": "车牌无法识别", "gate_not_opened": "道闸未响应",
	"no_entry_record": "无入场记录", "collision": "停车场碰撞报警", "wrong_space": "车辆占用他人车位",
	"long_stay": "车辆长期滞留", "device_offline": "停车设备离线",
}

// alert records a for the guard desk and notifies the guards; with
// workOrder it also raises a work order. The id makes a retry send nothing
// new. It answers the alert as recorded.
func (a *app) alert(ctx context.Context, al Alert, workOrder bool) Alert {
	if workOrder {
		wo, err := a.host().CreateWorkOrder(ctx, &wuyepb.CreateWorkOrderRequest{Type: "inspection", Category: "parking",
			Title: alertTitles[al.Kind] + " " + al.Plate, Description: al.Detail, Priority: "high",
			IdempotencyKey: "parking:alert:" + al.ID})
		if err != nil {
			plugin.Logger().Warn("work order", "alert", al.ID, "err", err)
		} else {
			al.WorkOrderID = wo.Id
		}
	}
	if _, err := a.host().Put(ctx, colAlerts, al.ID, al, plugin.CreateOnly); err != nil && !isTaken(err) {
		plugin.Logger().Warn("alert", "alert", al.ID, "err", err)
	}
	guards := a.config().GuardUserIDs
	if len(guards) == 0 {
		return al
	}
	to := make([]*wuyepb.Recipient, len(guards))
	for i, g := range guards {
		to[i] = &wuyepb.Recipient{UserId: g}
	}
	at := time.UnixMilli(al.At).In(a.loc()).Format("01-02 15:04")
	if _, err := a.host().Notify(ctx, &wuyepb.NotifyRequest{Template: "guard_alert", Recipients: to, Urgent: true,
		Vars: map[string]string{"kind": alertTitles[al.Kind], "plate": al.Plate, "detail": al.Detail, "at": at},
		Link: "/plugins/parking/guard-desk", IdempotencyKey: "parking:alert:" + al.ID}); err != nil {
		plugin.Logger().Warn("notify guards", "alert", al.ID, "err", err)
	}
	return al
}

// onAlarm raises a collision at a parking camera (a gate's or a space's).
func (a *app) onAlarm(ctx context.Context, ev plugin.Event) error {
	var al driver.Alarm
	env, err := driver.Open(ev, &al)
	if err != nil || al.Kind != "collision" || !al.Active {
		return nil
	}
	where := ""
	if g, err := a.gateOf(ctx, env.Device.ID); err != nil {
		return err
	} else if g != nil {
		where = g.Name
	} else if sp, err := a.spaceOf(ctx, env.Device.ID); err != nil {
		return err
	} else if sp != nil {
		where = "车位 " + sp.Number
	} else {
		return nil // not a parking camera
	}
	a.alert(ctx, Alert{ID: hashID("alarm", ev.ID), Kind: "collision", DeviceID: env.Device.ID,
		Detail: where + " " + env.Device.Name + " 碰撞报警", At: env.OccurredAt.UnixMilli()}, true)
	return nil
}

// onOffline alerts the guard when a gate's device goes offline.
func (a *app) onOffline(ctx context.Context, ev plugin.Event) error {
	env, err := driver.Open(ev, nil)
	if err != nil {
		return nil
	}
	gs, err := all(ctx, a.host(), plugin.Query{Collection: colGates}, func(g *Gate, id string) { g.ID = id })
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.CameraID == env.Device.ID || g.BarrierID == env.Device.ID || g.DisplayID == env.Device.ID {
			a.alert(ctx, Alert{ID: hashID("offline", ev.ID), Kind: "device_offline", GateID: g.ID, DeviceID: env.Device.ID,
				Detail: g.Name + " " + env.Device.Name + " 离线", At: a.now().UnixMilli()}, false)
			return nil
		}
	}
	return nil
}

func (a *app) spaceOf(ctx context.Context, cameraID string) (*Space, error) {
	ss, err := all(ctx, a.host(), plugin.Query{Collection: colSpaces}.Where("camera_id", "eq", cameraID), func(s *Space, id string) { s.ID = id })
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	return &ss[0], nil
}

// checkSpace: a camera watching an owned or rented space read a plate;
// a car that is not the space holder's raises a work order.
func (a *app) checkSpace(ctx context.Context, eventID, cameraID, plate, picture string) error {
	sp, err := a.spaceOf(ctx, cameraID)
	if err != nil || sp == nil || plate == "" || sp.Kind == SpacePublic || sp.ResidentID == "" {
		return err
	}
	v, err := a.dev().Vehicle(ctx, plate)
	if err != nil && !plugin.IsNotFound(err) {
		return err
	}
	if v != nil && (v.ResidentId == sp.ResidentID || (sp.RoomID != "" && v.RoomId == sp.RoomID)) {
		return nil
	}
	a.alert(ctx, Alert{ID: hashID("space", eventID), Kind: "wrong_space", Plate: plate, DeviceID: cameraID,
		Detail: "车位 " + sp.Number + " 被 " + plate + " 占用 " + picture, At: a.now().UnixMilli()}, true)
	return nil
}

// longStays raises a work order for every car inside longer than the
// configured days (once per session).
func (a *app) longStays(ctx context.Context, _ plugin.Task) error {
	days := a.config().LongStayDays
	before := a.now().Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
	in, err := all[inside](ctx, a.host(), plugin.Query{Collection: colInside}.Where("entry_at_ms", "lt", before), nil)
	if err != nil {
		return err
	}
	for _, c := range in {
		a.alert(ctx, Alert{ID: hashID("long", c.SessionID), Kind: "long_stay", Plate: c.Plate,
			Detail: c.Plate + " 已停放超过 " + strconv.Itoa(days) + " 天", At: a.now().UnixMilli()}, true)
	}
	return nil
}

// showFree sends each zone display of the lot its free count.
func (a *app) showFree(ctx context.Context, lotID, requestID string) {
	zs, err := a.zones(ctx, lotID)
	if err != nil {
		plugin.Logger().Warn("free spaces", "lot", lotID, "err", err)
		return
	}
	for _, z := range zs {
		if len(z.DisplayIDs) == 0 {
			continue // nothing to show it on: no need to count
		}
		n, err := a.count(ctx, plugin.Query{Collection: colInside}.Where("zone_id", "eq", z.ID))
		if err != nil {
			plugin.Logger().Warn("free spaces", "zone", z.ID, "err", err)
			return
		}
		for _, d := range z.DisplayIDs {
			if _, err := a.dev().Command(ctx, d, driver.DisplayShow, map[string]any{"lines": []string{z.Name, "空位 " + strconv.Itoa(max(0, z.Capacity-n))}},
				requestID+":free:"+z.ID); err != nil {
				plugin.Logger().Warn("zone display", "zone", z.ID, "err", err)
			}
		}
	}
}

// FreeZone is a zone's count for guidance displays.
type FreeZone struct {
	Zone
	Free int `json:"free"`
}

func (a *app) zones(ctx context.Context, lotID string) ([]Zone, error) {
	q := plugin.Query{Collection: colZones, OrderBy: "name"}
	if lotID != "" {
		q = q.Where("lot_id", "eq", lotID)
	}
	return all(ctx, a.host(), q, func(z *Zone, id string) { z.ID = id })
}

// freeSpaces counts the cars inside each zone of a lot ("" for all).
func (a *app) freeSpaces(ctx context.Context, lotID string) ([]FreeZone, error) {
	zs, err := a.zones(ctx, lotID)
	if err != nil {
		return nil, err
	}
	out := make([]FreeZone, 0, len(zs))
	for _, z := range zs {
		n, err := a.count(ctx, plugin.Query{Collection: colInside}.Where("zone_id", "eq", z.ID))
		if err != nil {
			return nil, err
		}
		z.Occupied = n
		out = append(out, FreeZone{Zone: z, Free: max(0, z.Capacity-n)})
	}
	return out, nil
}
