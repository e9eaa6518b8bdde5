package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// myVehicles lists the caller's registered vehicles (the core's list) with
// their passes.
func (a *app) myVehicles(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	type item struct {
		*wuyepb.Vehicle
		Passes []Pass `json:"passes"`
	}
	out := []item{}
	seen := map[string]bool{}
	for _, rid := range r.Caller.ResidentIDs {
		vs, err := a.dev().Vehicles(ctx, rid, "")
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if seen[v.Plate] {
				continue
			}
			seen[v.Plate] = true
			ps, err := all(ctx, a.host(), plugin.Query{Collection: colPasses}.Where("plate", "eq", v.Plate), func(p *Pass, id string) { p.ID = id })
			if err != nil {
				return nil, err
			}
			out = append(out, item{Vehicle: v, Passes: ps})
		}
	}
	return plugin.JSON(http.StatusOK, map[string]any{"items": out}), nil
}

func (a *app) myPlates(ctx context.Context, r *plugin.Request) ([]string, error) {
	var plates []string
	for _, rid := range r.Caller.ResidentIDs {
		vs, err := a.dev().Vehicles(ctx, rid, "")
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			plates = append(plates, v.Plate)
		}
	}
	return plates, nil
}

func (a *app) mySessions(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	plates, err := a.myPlates(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(plates) == 0 {
		return plugin.JSON(http.StatusOK, map[string]any{"items": []Session{}}), nil
	}
	recs, _, err := a.host().Query(ctx, plugin.Query{Collection: colSessions, OrderBy: "entry_at_ms", Descending: true, Limit: 50}.Where("plate", "in", plates))
	if err != nil {
		return nil, err
	}
	out := make([]Session, 0, len(recs))
	for _, rec := range recs {
		var s Session
		if err := rec.Decode(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return plugin.JSON(http.StatusOK, map[string]any{"items": out}), nil
}

func (a *app) myVisitors(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	if len(r.Caller.RoomIDs) == 0 {
		return plugin.JSON(http.StatusOK, map[string]any{"items": []Visitor{}}), nil
	}
	vs, err := all(ctx, a.host(), plugin.Query{Collection: colVisitors, Limit: 200}.Where("room_id", "in", r.Caller.RoomIDs), func(v *Visitor, id string) { v.ID = id })
	if err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusOK, map[string]any{"items": vs}), nil
}

// authoriseVisitor lets a visitor's plate in for the caller's room.
func (a *app) authoriseVisitor(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in struct {
		Plate     string `json:"plate"`
		RoomID    string `json:"room_id"`
		From      string `json:"from"` // RFC 3339 or "YYYY-MM-DD HH:MM"; default now
		Hours     int    `json:"hours"`
		SingleUse *bool  `json:"single_use"`
	}
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	in.Plate = driver.NormalizePlate(in.Plate)
	var fs []plugin.FieldError
	if n := len([]rune(in.Plate)); n < 7 || n > 8 {
		fs = append(fs, field("plate", "invalid", "A plate has 7 or 8 characters (粤B12345).", "车牌号须为 7–8 位(如 粤B12345)。"))
	}
	if in.RoomID == "" && len(r.Caller.RoomIDs) == 1 {
		in.RoomID = r.Caller.RoomIDs[0]
	}
	if !slices.Contains(r.Caller.RoomIDs, in.RoomID) {
		fs = append(fs, field("room_id", "not_yours", "Choose one of your rooms.", "请选择您名下的房间。"))
	}
	if in.Hours == 0 {
		in.Hours = 24
	}
	if in.Hours < 1 || in.Hours > 72 {
		fs = append(fs, field("hours", "out_of_range", "A visit lasts 1–72 hours.", "访客授权时长为 1–72 小时。"))
	}
	from := a.now()
	if in.From != "" {
		t, err := time.Parse(time.RFC3339, in.From)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(in.From), a.loc())
		}
		if err != nil {
			fs = append(fs, field("from", "invalid", "from is a time (2026-06-01 09:00).", "开始时间格式有误(如 2026-06-01 09:00)。"))
		}
		from = t
	}
	if len(fs) > 0 {
		return nil, plugin.Invalid(fs...)
	}
	single := in.SingleUse == nil || *in.SingleUse
	rid := ""
	if len(r.Caller.ResidentIDs) > 0 {
		rid = r.Caller.ResidentIDs[0]
	}
	v := Visitor{ID: newID(), Plate: in.Plate, ResidentID: rid, RoomID: in.RoomID, ValidFrom: from.UnixMilli(),
		ValidTo: from.Add(time.Duration(in.Hours) * time.Hour).UnixMilli(), SingleUse: single}
	if _, err := a.host().Put(ctx, colVisitors, v.ID, v, plugin.CreateOnly); err != nil {
		return nil, err
	}
	_ = a.audit(ctx, "visitor.authorise", "visitor", v.ID, v)
	return plugin.JSON(http.StatusCreated, v), nil
}
