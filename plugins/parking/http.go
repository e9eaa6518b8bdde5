package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

func (a *app) routes() {
	p := a.p
	lim := plugin.MaxBody(16 << 10)
	// Master data (managers).
	p.Handle("GET", "/lots", permRead, a.listOf(colLots, "community_id"), plugin.Summary("Lots (?community_id=)"))
	p.Handle("POST", "/lots", permManage, a.createLot, lim, plugin.Summary("Create a lot"))
	p.Handle("GET", "/zones", permRead, a.listOf(colZones, "lot_id"), plugin.Summary("Zones (?lot_id=)"))
	p.Handle("POST", "/zones", permManage, a.createZone, lim, plugin.Summary("Create a zone"))
	p.Handle("GET", "/spaces", permRead, a.listOf(colSpaces, "zone_id"), plugin.Summary("Spaces (?zone_id=)"))
	p.Handle("POST", "/spaces", permManage, a.createSpace, lim, plugin.Summary("Create a space"))
	p.Handle("GET", "/gates", permRead, a.listOf(colGates, "lot_id"), plugin.Summary("Gates (?lot_id=)"))
	p.Handle("POST", "/gates", permManage, a.createGate, lim, plugin.Summary("Create a gate"))
	p.Handle("GET", "/passes", permRead, a.listOf(colPasses, "plate"), plugin.Summary("Monthly passes (?plate=)"))
	p.Handle("POST", "/passes", permManage, a.createPass, lim, plugin.Idempotent(), plugin.Summary("Sell a monthly pass (charged to the room)"))
	p.Handle("GET", "/lists", permRead, a.listOf(colLists, "plate"), plugin.Summary("White and black lists (?plate=)"))
	p.Handle("POST", "/lists", permManage, a.createListEntry, lim, plugin.Summary("List a plate (white or black)"))
	p.Handle("DELETE", "/lists/:id", permManage, a.deleteListEntry, plugin.Summary("Unlist a plate"))
	p.Handle("GET", "/visitors", permRead, a.listOf(colVisitors, "plate"), plugin.Summary("Visitor authorisations (?plate=)"))

	// The guard desk.
	p.Handle("GET", "/free", permOperate, a.freeHTTP, plugin.Summary("Free spaces per zone (?lot_id=)"))
	p.Handle("GET", "/passages", permOperate, a.passagesHTTP, plugin.Summary("Passages (?plate=&gate_id=&decision=&date=&cursor=)"))
	p.Handle("GET", "/sessions", permOperate, a.sessionsHTTP, plugin.Summary("Sessions (?plate=&state=&cursor=)"))
	p.Handle("GET", "/alerts", permOperate, a.listOf(colAlerts, "kind"), plugin.Summary("Alerts (?kind=)"))
	p.Handle("GET", "/tickets/:plate", permOperate, a.ticketHTTP, plugin.Summary("What a car inside owes now, with the URL to pay"))
	p.Handle("POST", "/gates/:id/open", permOperate, a.manualOpen, lim, plugin.Summary("Open a gate by hand (audited; a reason is required)"))
	p.Handle("POST", "/spaces/:id/report", permOperate, a.reportSpace, lim, plugin.Summary("Report a car in a space not its own"))

	// Reports.
	p.Handle("GET", "/reports/occupancy", permReport, a.occupancyHTTP, plugin.Summary("Cars inside by hour (?date=YYYY-MM-DD&lot_id=)"))
	p.Handle("GET", "/reports/revenue", permReport, a.revenueHTTP, plugin.Summary("Temporary fees paid and passes sold (?from=&to=)"))

	// Residents' own routes.
	p.Handle("GET", "/my/vehicles", permSelf, a.myVehicles, plugin.Summary("My vehicles and passes"))
	p.Handle("GET", "/my/sessions", permSelf, a.mySessions, plugin.Summary("My vehicles' recent stays"))
	p.Handle("GET", "/my/visitors", permSelf, a.myVisitors, plugin.Summary("Visitors I authorised"))
	p.Handle("POST", "/my/visitors", permSelf, a.authoriseVisitor, lim, plugin.Summary("Authorise a visitor's plate for my room"))
}

// listOf lists a collection, filtered by one indexed field from the query
// string, one page at a time (?cursor=).
func (a *app) listOf(col, by string) plugin.HandlerFunc {
	return func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
		q := plugin.Query{Collection: col, Limit: 100, Cursor: r.Query.Get("cursor")}
		if v := r.Query.Get(by); v != "" {
			if by == "plate" {
				v = driver.NormalizePlate(v)
			}
			q = q.Where(by, "eq", v)
		}
		return a.page(ctx, q)
	}
}

func (a *app) page(ctx context.Context, q plugin.Query) (*plugin.Response, error) {
	recs, next, err := a.host().Query(ctx, q)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, 0, len(recs))
	for _, rec := range recs {
		var m map[string]any
		if err := rec.Decode(&m); err != nil {
			return nil, err
		}
		m["id"] = rec.ID
		items = append(items, m)
	}
	return plugin.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": next}), nil
}

// create binds, checks and stores a new master record.
func create[T any](ctx context.Context, a *app, r *plugin.Request, col string, check func(*T) []plugin.FieldError, setID func(*T, string)) (*plugin.Response, error) {
	var v T
	if err := r.Bind(&v); err != nil {
		return nil, err
	}
	if fs := check(&v); len(fs) > 0 {
		return nil, plugin.Invalid(fs...)
	}
	id := newID()
	setID(&v, id)
	if _, err := a.host().Put(ctx, col, id, v, plugin.CreateOnly); err != nil {
		return nil, err
	}
	_ = a.audit(ctx, col+".create", col, id, v)
	return plugin.JSON(http.StatusCreated, v), nil
}

func required(fs []plugin.FieldError, name, v string) []plugin.FieldError {
	if strings.TrimSpace(v) == "" {
		fs = append(fs, field(name, "required", name+" is required.", name+" 为必填项。"))
	}
	return fs
}

func (a *app) exists(ctx context.Context, fs []plugin.FieldError, name, col, id string) []plugin.FieldError {
	if id == "" {
		return fs
	}
	if _, err := a.host().Get(ctx, col, id, nil); err != nil {
		fs = append(fs, field(name, "not_found", "No such "+name+".", name+" 不存在。"))
	}
	return fs
}

func (a *app) createLot(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	return create(ctx, a, r, colLots, func(l *Lot) []plugin.FieldError {
		fs := required(nil, "name", l.Name)
		if l.Capacity <= 0 {
			fs = append(fs, field("capacity", "out_of_range", "Capacity is at least 1.", "车位数至少为 1。"))
		}
		if err := a.checkCommunity(ctx, l.CommunityID); err != nil {
			fs = append(fs, field("community_id", "not_found", "No such community.", "小区不存在。"))
		}
		return fs
	}, func(l *Lot, id string) { l.ID = id })
}

func (a *app) checkCommunity(ctx context.Context, id string) error {
	cs, err := a.host().Communities(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Id == id {
			return nil
		}
	}
	return notFound("community_not_found", "No such community.", "小区不存在。")
}

func (a *app) createZone(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	return create(ctx, a, r, colZones, func(z *Zone) []plugin.FieldError {
		fs := required(required(nil, "name", z.Name), "lot_id", z.LotID)
		fs = a.exists(ctx, fs, "lot_id", colLots, z.LotID)
		if z.Capacity <= 0 {
			fs = append(fs, field("capacity", "out_of_range", "Capacity is at least 1.", "车位数至少为 1。"))
		}
		z.Occupied = 0
		return fs
	}, func(z *Zone, id string) { z.ID = id })
}

func (a *app) createSpace(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	return create(ctx, a, r, colSpaces, func(s *Space) []plugin.FieldError {
		fs := required(required(nil, "number", s.Number), "zone_id", s.ZoneID)
		fs = a.exists(ctx, fs, "zone_id", colZones, s.ZoneID)
		if !slices.Contains([]string{SpaceOwned, SpaceRented, SpacePublic}, s.Kind) {
			fs = append(fs, field("kind", "invalid", "kind is owned, rented or public.", "车位类型须为 owned、rented 或 public。"))
		}
		if s.Kind != SpacePublic && s.ResidentID == "" {
			fs = append(fs, field("resident_id", "required", "An owned or rented space has a resident.", "产权或租赁车位须指定业主。"))
		}
		return fs
	}, func(s *Space, id string) { s.ID = id })
}

func (a *app) createGate(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	return create(ctx, a, r, colGates, func(g *Gate) []plugin.FieldError {
		fs := required(required(required(nil, "name", g.Name), "lot_id", g.LotID), "camera_id", g.CameraID)
		fs = a.exists(ctx, fs, "lot_id", colLots, g.LotID)
		fs = a.exists(ctx, fs, "zone_id", colZones, g.ZoneID)
		if g.Direction != "in" && g.Direction != "out" {
			fs = append(fs, field("direction", "invalid", "direction is in or out.", "方向须为 in 或 out。"))
		}
		return fs
	}, func(g *Gate, id string) { g.ID = id })
}

// passIn is a pass to sell: dates in the tenant's zone.
type passIn struct {
	Plate      string `json:"plate"`
	ResidentID string `json:"resident_id"`
	RoomID     string `json:"room_id"`
	LotID      string `json:"lot_id"`
	ZoneID     string `json:"zone_id"`
	From       string `json:"from"` // YYYY-MM-DD
	To         string `json:"to"`   // YYYY-MM-DD, inclusive
	FeeFen     int64  `json:"fee_fen"`
}

func (a *app) createPass(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in passIn
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	in.Plate = driver.NormalizePlate(in.Plate)
	fs := required(required(nil, "plate", in.Plate), "lot_id", in.LotID)
	fs = a.exists(ctx, fs, "lot_id", colLots, in.LotID)
	from, err1 := time.ParseInLocation("2006-01-02", in.From, a.loc())
	to, err2 := time.ParseInLocation("2006-01-02", in.To, a.loc())
	if err1 != nil {
		fs = append(fs, field("from", "invalid", "from is YYYY-MM-DD.", "开始日期格式为 YYYY-MM-DD。"))
	}
	if err2 != nil || (err1 == nil && to.Before(from)) {
		fs = append(fs, field("to", "invalid", "to is YYYY-MM-DD, not before from.", "结束日期格式为 YYYY-MM-DD,且不早于开始日期。"))
	}
	if in.FeeFen < 0 {
		fs = append(fs, field("fee_fen", "out_of_range", "The fee is not negative.", "费用不能为负数。"))
	}
	if in.FeeFen > 0 && in.RoomID == "" {
		fs = append(fs, field("room_id", "required", "A paid pass is charged to a room.", "收费月卡须指定房间。"))
	}
	if in.RoomID != "" {
		if _, err := a.host().Room(ctx, in.RoomID); err != nil {
			fs = append(fs, field("room_id", "not_found", "No such room.", "房间不存在。"))
		}
	}
	if len(fs) > 0 {
		return nil, plugin.Invalid(fs...)
	}
	p := Pass{ID: hashID("pass", r.RequestID, r.Header["idempotency-key"], in.Plate, in.From), Plate: in.Plate, ResidentID: in.ResidentID,
		RoomID: in.RoomID, LotID: in.LotID, ZoneID: in.ZoneID, ValidFrom: from.UnixMilli(), ValidTo: to.AddDate(0, 0, 1).UnixMilli(), FeeFen: in.FeeFen}
	if err := a.chargePass(ctx, &p); err != nil {
		return nil, err
	}
	if _, err := a.host().Put(ctx, colPasses, p.ID, p, plugin.AnyVersion); err != nil {
		return nil, err
	}
	_ = a.audit(ctx, "pass.create", "pass", p.ID, p)
	return plugin.JSON(http.StatusCreated, p), nil
}

func (a *app) createListEntry(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	return create(ctx, a, r, colLists, func(e *ListEntry) []plugin.FieldError {
		e.Plate = driver.NormalizePlate(e.Plate)
		fs := required(required(nil, "plate", e.Plate), "reason", e.Reason)
		if e.List != ListWhite && e.List != ListBlack {
			fs = append(fs, field("list", "invalid", "list is white or black.", "名单须为 white 或 black。"))
		}
		return fs
	}, func(e *ListEntry, id string) { e.ID = id })
}

func (a *app) deleteListEntry(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	id := r.Params["id"]
	if _, err := a.get(ctx, colLists, id, nil, "list_entry_not_found"); err != nil {
		return nil, err
	}
	if err := a.host().Delete(ctx, colLists, id, 0); err != nil {
		return nil, err
	}
	_ = a.audit(ctx, "lists.delete", colLists, id, nil)
	return plugin.NoContent(), nil
}

func (a *app) freeHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	zs, err := a.freeSpaces(ctx, r.Query.Get("lot_id"))
	if err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusOK, map[string]any{"zones": zs}), nil
}

// dayRange reads ?date= (default today) as the day's bounds in ms.
func (a *app) dayRange(s string) (int64, int64, error) {
	d := a.now().In(a.loc())
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, a.loc())
	if s != "" {
		t, err := time.ParseInLocation("2006-01-02", s, a.loc())
		if err != nil {
			return 0, 0, plugin.Invalid(field("date", "invalid", "date is YYYY-MM-DD.", "日期格式为 YYYY-MM-DD。"))
		}
		d = t
	}
	return d.UnixMilli(), d.AddDate(0, 0, 1).UnixMilli(), nil
}

func (a *app) passagesHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	q := plugin.Query{Collection: colPassages, OrderBy: "at_ms", Descending: true, Limit: 50, Cursor: r.Query.Get("cursor")}
	if v := r.Query.Get("plate"); v != "" {
		q = q.Where("plate", "eq", driver.NormalizePlate(v))
	}
	if v := r.Query.Get("gate_id"); v != "" {
		q = q.Where("gate_id", "eq", v)
	}
	if v := r.Query.Get("decision"); v != "" {
		if !slices.Contains([]string{Open, Refuse, Duplicate, GateNotOpened}, v) {
			return nil, plugin.Invalid(field("decision", "invalid", "decision is open, refuse, duplicate or gate_not_opened.", "决定须为 open、refuse、duplicate 或 gate_not_opened。"))
		}
		q = q.Where("decision", "eq", v)
	}
	if v := r.Query.Get("date"); v != "" {
		from, to, err := a.dayRange(v)
		if err != nil {
			return nil, err
		}
		q = q.Where("at_ms", "gte", from).Where("at_ms", "lt", to)
	}
	return a.page(ctx, q)
}

func (a *app) sessionsHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	q := plugin.Query{Collection: colSessions, OrderBy: "entry_at_ms", Descending: true, Limit: 50, Cursor: r.Query.Get("cursor")}
	if v := r.Query.Get("plate"); v != "" {
		q = q.Where("plate", "eq", driver.NormalizePlate(v))
	}
	if v := r.Query.Get("state"); v != "" {
		q = q.Where("state", "eq", v)
	}
	return a.page(ctx, q)
}

// openSession finds the open session of a plate in any lot.
func (a *app) openSession(ctx context.Context, plate string) (*Session, error) {
	ins, err := all[inside](ctx, a.host(), plugin.Query{Collection: colInside}.Where("plate", "eq", plate), nil)
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 {
		return nil, notFound("not_inside", "This car is not parked here.", "该车辆不在场内。")
	}
	var s Session
	v, err := a.get(ctx, colSessions, ins[0].SessionID, &s, "session_not_found")
	s.Version = v
	return &s, err
}

func (a *app) ticketHTTP(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	s, err := a.openSession(ctx, driver.NormalizePlate(r.Params["plate"]))
	if err != nil {
		return nil, err
	}
	t, err := a.ticket(ctx, s)
	if err != nil {
		return nil, err
	}
	return plugin.JSON(http.StatusOK, t), nil
}

// manualOpen is a guard opening a gate by hand: the car goes through as
// decided at the gate (a session starts or closes), audited with the reason.
func (a *app) manualOpen(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in struct {
		Plate  string `json:"plate"`
		Reason string `json:"reason"`
	}
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return nil, plugin.Invalid(field("reason", "required", "Say why the gate is opened by hand.", "请填写手动开闸原因。"))
	}
	var g Gate
	if _, err := a.get(ctx, colGates, r.Params["id"], &g, "gate_not_found"); err != nil {
		return nil, err
	}
	g.ID = r.Params["id"]
	plate := driver.NormalizePlate(in.Plate)
	reqID := "manual:" + r.RequestID
	res, err := a.dev().Command(ctx, g.barrier(), driver.GateOpen, map[string]string{"reason": in.Reason}, reqID)
	decision := Open
	if err != nil || !res.GetOk() {
		decision = GateNotOpened
	}
	p := Passage{ID: hashID("passage", reqID), EventID: reqID, Plate: plate, GateID: g.ID, LotID: g.LotID, Direction: g.Direction,
		Decision: decision, Reason: "manual: " + in.Reason, At: a.now().UnixMilli(), Manual: true, GatePlate: g.ID + "|" + plate}
	if decision == Open && plate != "" && g.Direction == "out" {
		if in, err := a.insideOf(ctx, g.LotID, plate); err == nil && in != nil {
			o := outcome{session: &Session{ID: in.SessionID}, close: true}
			if err := a.commit(ctx, read{EventID: reqID, Gate: g, Plate: plate, At: a.now()}, &o); err != nil {
				return nil, err
			}
			p.SessionID = in.SessionID
		}
	}
	if _, err := a.host().Put(ctx, colPassages, p.ID, p, plugin.CreateOnly); err != nil && !isTaken(err) {
		return nil, err
	}
	if err := a.audit(ctx, "gate.manual_open", "gate", g.ID, map[string]any{"plate": plate, "reason": in.Reason, "decision": decision}); err != nil {
		return nil, err
	}
	if decision != Open {
		return nil, plugin.Errorf(http.StatusBadGateway, "gate_not_opened", "The gate did not acknowledge the command.", "道闸未响应开闸指令。")
	}
	return plugin.JSON(http.StatusOK, p), nil
}

func (a *app) reportSpace(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
	var in struct {
		Plate string `json:"plate"`
		Note  string `json:"note"`
	}
	if err := r.Bind(&in); err != nil {
		return nil, err
	}
	in.Plate = driver.NormalizePlate(in.Plate)
	if in.Plate == "" {
		return nil, plugin.Invalid(field("plate", "required", "plate is required.", "车牌为必填项。"))
	}
	var s Space
	if _, err := a.get(ctx, colSpaces, r.Params["id"], &s, "space_not_found"); err != nil {
		return nil, err
	}
	al := Alert{ID: hashID("report", r.RequestID), Kind: "wrong_space", Plate: in.Plate,
		Detail: "车位 " + s.Number + " 被 " + in.Plate + " 占用 " + in.Note, At: a.now().UnixMilli()}
	al = a.alert(ctx, al, true)
	_ = a.audit(ctx, "space.report", "space", r.Params["id"], in)
	return plugin.JSON(http.StatusCreated, al), nil
}
