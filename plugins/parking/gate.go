package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

// inside marks a plate parked in a lot; its id derives from the lot and
// the plate, so a car is inside at most once however many reads race.
type inside struct {
	LotID     string `json:"lot_id"`
	ZoneID    string `json:"zone_id"`
	Plate     string `json:"plate"`
	SessionID string `json:"session_id"`
	Kind      string `json:"kind"`
	EntryAt   int64  `json:"entry_at_ms"`
}

func insideID(lotID, plate string) string { return hashID("inside", lotID, plate) }

// read is one plate read at a gate, what decide works on.
type read struct {
	EventID string
	Gate    Gate
	Plate   string
	At      time.Time
	Picture string
	lists   []ListEntry // the plate's white and black list entries, read once
}

// outcome is what decide concluded: the passage to record and what to do.
type outcome struct {
	Passage
	open    bool
	display []string
	alert   string // alert kind for the guard, "" for none
	session *Session
	close   bool // close the session (exit) once the gate opened
	inside  *inside
}

// onPlate handles plate.recognized from any LPR camera: a gate's camera
// decides a passage, a space's camera checks the car is its owner's.
func (a *app) onPlate(ctx context.Context, ev plugin.Event) error {
	var pl driver.Plate
	env, err := driver.Open(ev, &pl)
	if err != nil {
		plugin.Logger().Warn("malformed plate event", "event", ev.ID, "err", err)
		return nil // retrying cannot mend it
	}
	pid := hashID("passage", ev.ID)
	if _, err := a.host().Get(ctx, colPassages, pid, nil); err == nil {
		return nil // this event was decided already
	} else if !plugin.IsNotFound(err) {
		return err
	}
	gate, err := a.gateOf(ctx, env.Device.ID)
	if err != nil {
		return err
	}
	plate := driver.NormalizePlate(pl.Plate)
	if gate == nil {
		return a.checkSpace(ctx, ev.ID, env.Device.ID, plate, env.Picture)
	}
	at := env.OccurredAt
	if at.IsZero() {
		at = a.now()
	}
	if gate.ZoneID == "" { // resolved once for the whole decision
		if gate.ZoneID, err = a.entryZone(ctx, *gate); err != nil {
			return err
		}
	}
	_, err = a.pass(ctx, read{EventID: ev.ID, Gate: *gate, Plate: plate, At: at, Picture: env.Picture}, pid)
	return err
}

// pass decides a read, acts on it and records the passage under pid.
func (a *app) pass(ctx context.Context, r read, pid string) (*Passage, error) {
	o, err := a.decide(ctx, r)
	if err != nil {
		return nil, err
	}
	o.ID, o.EventID, o.Plate, o.GateID, o.LotID = pid, r.EventID, r.Plate, r.Gate.ID, r.Gate.LotID
	o.Direction, o.Picture, o.At, o.GatePlate = r.Gate.Direction, r.Picture, r.At.UnixMilli(), r.Gate.ID+"|"+r.Plate
	if o.open {
		res, err := a.dev().Command(ctx, r.Gate.barrier(), driver.GateOpen, map[string]string{"reason": o.Reason}, r.EventID)
		switch {
		case err == nil && res.GetOk():
		case err == nil || isTimeout(err):
			o.Decision, o.alert = GateNotOpened, GateNotOpened
		default:
			return nil, err // the host retries the event; the request id keeps it one opening
		}
	}
	if o.Decision == Open {
		if err := a.commit(ctx, r, &o); err != nil {
			return nil, err
		}
	}
	if len(o.display) > 0 && r.Gate.DisplayID != "" {
		if _, err := a.dev().Command(ctx, r.Gate.DisplayID, driver.DisplayShow, map[string]any{"lines": o.display}, r.EventID+":display"); err != nil {
			plugin.Logger().Warn("display", "gate", r.Gate.ID, "err", err)
		}
	}
	if _, err := a.host().Put(ctx, colPassages, pid, o.Passage, plugin.CreateOnly); err != nil && !isTaken(err) {
		return nil, err
	}
	if o.alert != "" {
		a.alert(ctx, Alert{ID: hashID("alert", pid), Kind: o.alert, Plate: r.Plate, GateID: r.Gate.ID, DeviceID: r.Gate.barrier(),
			Detail: r.Gate.Name + " " + r.Plate + " " + o.Reason, At: r.At.UnixMilli()}, false)
	}
	if o.Decision == Open {
		a.showFree(ctx, r.Gate.LotID, r.EventID)
	}
	return &o.Passage, nil
}

func isTimeout(err error) bool {
	var he *plugin.HostError
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &he) && he.GRPC == codes.DeadlineExceeded)
}

// decide classifies a read; it writes nothing.
func (a *app) decide(ctx context.Context, r read) (o outcome, err error) {
	opened, refused, err := a.recent(ctx, r)
	if err != nil {
		return o, err
	}
	if opened != nil && r.Plate != "" {
		o.Decision, o.Reason = Duplicate, "read_again"
		return o, nil
	}
	defer func() {
		if refused != nil && o.Decision == Refuse && o.Reason == refused.Reason {
			o.alert = "" // the guard was told at the first read
		}
	}()
	refuse := func(reason, alert string, lines ...string) (outcome, error) {
		o.Decision, o.Reason, o.alert, o.display = Refuse, reason, alert, lines
		return o, nil
	}
	if r.Plate == "" {
		return refuse("unreadable", "unreadable", "未识别车牌", "请稍候")
	}
	if r.lists, err = all(ctx, a.host(), plugin.Query{Collection: colLists}.Where("plate", "eq", r.Plate), func(e *ListEntry, id string) { e.ID = id }); err != nil {
		return o, err
	}
	in, err := a.insideOf(ctx, r.Gate.LotID, r.Plate)
	if err != nil {
		return o, err
	}
	if r.Gate.Direction == "out" {
		return a.decideExit(ctx, r, in)
	}
	if listed(r.lists, ListBlack, r.At) != nil {
		return refuse("blacklisted", "blacklisted", r.Plate, "禁止通行")
	}
	o.open, o.Decision = true, Open
	if in != nil { // read again after the window, or it left unseen: no second session
		o.Reason, o.Kind, o.SessionID = "already_inside", in.Kind, in.SessionID
		o.display = []string{r.Plate, "欢迎回家"}
		return o, nil
	}
	kind, who, err := a.classify(ctx, r)
	if err != nil {
		return o, err
	}
	if kind == KindTemporary {
		full, err := a.full(ctx, r.Gate)
		if err != nil {
			return o, err
		}
		if full {
			o.open = false
			return refuse("full", "full", r.Plate, "车位已满")
		}
	}
	zone, err := a.entryZone(ctx, r.Gate)
	if err != nil {
		return o, err
	}
	s := &Session{ID: hashID("session", r.EventID), Plate: r.Plate, LotID: r.Gate.LotID, ZoneID: zone, Kind: kind, State: "open",
		ResidentID: who.ResidentID, RoomID: who.RoomID, EntryGate: r.Gate.ID, EntryAt: r.At.UnixMilli(), EntryPicture: r.Picture,
		Currency: a.config().Currency}
	o.Reason, o.Kind, o.SessionID, o.session = kind, kind, s.ID, s
	o.inside = &inside{LotID: r.Gate.LotID, ZoneID: zone, Plate: r.Plate, SessionID: s.ID, Kind: kind, EntryAt: s.EntryAt}
	o.display = []string{r.Plate, map[bool]string{true: "临时车 欢迎光临", false: "欢迎回家"}[kind == KindTemporary]}
	if kind == KindVisitor {
		o.display[1] = "访客 欢迎光临"
	}
	return o, nil
}

// decideExit lets residents, pass holders and paid tickets out; an unpaid
// temporary car is refused with the amount and the URL to pay.
func (a *app) decideExit(ctx context.Context, r read, in *inside) (outcome, error) {
	o := outcome{}
	if in == nil {
		kind, _, err := a.classify(ctx, r)
		if err != nil {
			return o, err
		}
		if kind == KindTemporary {
			o.Decision, o.Reason, o.alert, o.display = Refuse, "no_entry_record", "no_entry_record", []string{r.Plate, "无入场记录 请联系岗亭"}
			return o, nil
		}
		o.Decision, o.Reason, o.Kind, o.open = Open, kind, kind, true
		o.display = []string{r.Plate, "一路平安"}
		return o, nil
	}
	var s Session
	v, err := a.get(ctx, colSessions, in.SessionID, &s, "session_not_found")
	if err != nil {
		return o, err
	}
	s.Version = v
	o.Kind, o.SessionID, o.session, o.inside = s.Kind, s.ID, &s, in
	if s.Kind != KindTemporary {
		o.Decision, o.Reason, o.open, o.close = Open, s.Kind, true, true
		o.display = []string{r.Plate, "一路平安"}
		return o, nil
	}
	cfg := a.config()
	fee := cfg.Fee(time.UnixMilli(s.EntryAt), r.At, a.loc())
	due := fee - s.PaidFen
	o.FeeFen = fee
	if due <= 0 || (s.PaidAt > 0 && r.At.UnixMilli() <= s.GraceUntil) {
		o.Decision, o.Reason, o.open, o.close = Open, map[bool]string{true: "paid", false: "free"}[s.PaidFen > 0], true, true
		o.display = []string{r.Plate, "一路平安"}
		return o, nil
	}
	pay, err := a.payment(ctx, &s, due)
	if err != nil {
		return o, err
	}
	o.Decision, o.Reason, o.PayURL = Refuse, "unpaid", pay.PayUrl
	o.display = []string{r.Plate, "请缴费 " + yuan(due)}
	return o, nil
}

// commit writes what an opened gate means: a new session and the car
// inside, or the session closed and the car gone.
func (a *app) commit(ctx context.Context, r read, o *outcome) error {
	if o.session == nil {
		return nil
	}
	if !o.close {
		if o.inside == nil {
			return nil
		}
		if _, err := a.host().Put(ctx, colInside, insideID(o.inside.LotID, o.inside.Plate), o.inside, plugin.CreateOnly); isTaken(err) {
			var cur inside
			if _, err := a.host().Get(ctx, colInside, insideID(o.inside.LotID, o.inside.Plate), &cur); err != nil {
				return err
			}
			o.SessionID, o.Reason = cur.SessionID, "already_inside"
			if cur.SessionID != o.session.ID {
				return nil
			}
		} else if err != nil {
			return err
		}
		if _, err := a.host().Put(ctx, colSessions, o.session.ID, o.session, plugin.CreateOnly); err != nil && !isTaken(err) {
			return err
		}
		if o.Kind == KindVisitor {
			return a.useVisitor(ctx, r)
		}
		return nil
	}
	err := retry(ctx, func() error {
		var s Session
		v, err := a.get(ctx, colSessions, o.session.ID, &s, "session_not_found")
		if err != nil {
			return err
		}
		if s.State == "closed" {
			return nil
		}
		s.State, s.ExitGate, s.ExitAt, s.ExitPicture = "closed", r.Gate.ID, r.At.UnixMilli(), r.Picture
		if s.Kind == KindTemporary {
			s.FeeFen = o.FeeFen
		}
		_, err = a.host().Put(ctx, colSessions, s.ID, s, v)
		return err
	})
	if err != nil {
		return err
	}
	if err := a.host().Delete(ctx, colInside, insideID(r.Gate.LotID, r.Plate), 0); err != nil && !plugin.IsNotFound(err) {
		return err
	}
	return nil
}

// who is the resident and room a vehicle belongs to, when known.
type who struct{ ResidentID, RoomID string }

// classify says why a car may enter: registered, pass, whitelist, visitor
// or none of these (temporary).
func (a *app) classify(ctx context.Context, r read) (string, who, error) {
	v, err := a.dev().Vehicle(ctx, r.Plate)
	switch {
	case err == nil && v != nil:
		return KindResident, who{v.ResidentId, v.RoomId}, nil
	case err != nil && !plugin.IsNotFound(err):
		return "", who{}, err
	}
	ms := r.At.UnixMilli()
	passes, err := all(ctx, a.host(), plugin.Query{Collection: colPasses}.Where("plate", "eq", r.Plate), func(p *Pass, id string) { p.ID = id })
	if err != nil {
		return "", who{}, err
	}
	for _, p := range passes {
		if p.LotID == r.Gate.LotID && p.ValidFrom <= ms && ms < p.ValidTo {
			return KindPass, who{p.ResidentID, p.RoomID}, nil
		}
	}
	if listed(r.lists, ListWhite, r.At) != nil {
		return KindWhitelist, who{}, nil
	}
	vis, err := a.visitor(ctx, r.Plate, r.At)
	if err != nil {
		return "", who{}, err
	}
	if vis != nil {
		return KindVisitor, who{vis.ResidentID, vis.RoomID}, nil
	}
	return KindTemporary, who{}, nil
}

// listed is the entry of a list in force at at (nil: none).
func listed(es []ListEntry, list string, at time.Time) *ListEntry {
	for i, e := range es {
		if e.List == list && (e.Until == 0 || at.UnixMilli() < e.Until) {
			return &es[i]
		}
	}
	return nil
}

// visitor is a valid, unused authorisation of plate at at.
func (a *app) visitor(ctx context.Context, plate string, at time.Time) (*Visitor, error) {
	recs, err := a.host().QueryAll(ctx, plugin.Query{Collection: colVisitors}.Where("plate", "eq", plate))
	if err != nil {
		return nil, err
	}
	ms := at.UnixMilli()
	for _, rec := range recs {
		var v Visitor
		if err := rec.Decode(&v); err != nil {
			return nil, err
		}
		v.ID, v.Version = rec.ID, rec.Version
		if v.ValidFrom <= ms && ms < v.ValidTo && !(v.SingleUse && v.UsedAt > 0) {
			return &v, nil
		}
	}
	return nil, nil
}

// useVisitor consumes a single-use authorisation.
func (a *app) useVisitor(ctx context.Context, r read) error {
	return retry(ctx, func() error {
		v, err := a.visitor(ctx, r.Plate, r.At)
		if err != nil || v == nil || !v.SingleUse {
			return err
		}
		v.UsedAt = r.At.UnixMilli()
		_, err = a.host().Put(ctx, colVisitors, v.ID, v, v.Version)
		return err
	})
}

// recent answers what this gate last decided for this plate within the
// dedupe window, by the latest decision of another event (opened beats
// refused: a car let through is through).
func (a *app) recent(ctx context.Context, r read) (opened, refused *Passage, err error) {
	recs, _, err := a.host().Query(ctx, plugin.Query{Collection: colPassages, OrderBy: "at_ms", Descending: true, Limit: 5}.
		Where("gate_plate", "eq", r.Gate.ID+"|"+r.Plate))
	if err != nil {
		return nil, nil, err
	}
	win := time.Duration(a.config().DedupeSeconds) * time.Second
	for _, rec := range recs {
		var p Passage
		if err := rec.Decode(&p); err != nil {
			return nil, nil, err
		}
		if p.EventID == r.EventID || r.At.Sub(time.UnixMilli(p.At)).Abs() >= win {
			continue
		}
		switch {
		case p.Decision == Open && opened == nil:
			opened = &p
		case p.Decision == Refuse && refused == nil:
			refused = &p
		}
	}
	return opened, refused, nil
}

func (a *app) insideOf(ctx context.Context, lotID, plate string) (*inside, error) {
	var in inside
	if _, err := a.host().Get(ctx, colInside, insideID(lotID, plate), &in); plugin.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &in, nil
}

// gateOf finds the gate whose camera is the device (nil: none).
func (a *app) gateOf(ctx context.Context, deviceID string) (*Gate, error) {
	gs, err := all(ctx, a.host(), plugin.Query{Collection: colGates}.Where("camera_id", "eq", deviceID), func(g *Gate, id string) { g.ID = id })
	if err != nil || len(gs) == 0 {
		return nil, err
	}
	return &gs[0], nil
}

// entryZone is the zone a gate lets cars into (its own, or the lot's first).
func (a *app) entryZone(ctx context.Context, g Gate) (string, error) {
	if g.ZoneID != "" {
		return g.ZoneID, nil
	}
	zs, err := a.zones(ctx, g.LotID)
	if err != nil || len(zs) == 0 {
		return "", err
	}
	return zs[0].ID, nil
}

// full: the gate's zone (or, without zones, its lot) has no free space.
func (a *app) full(ctx context.Context, g Gate) (bool, error) {
	zone, err := a.entryZone(ctx, g)
	if err != nil {
		return false, err
	}
	if zone != "" {
		var z Zone
		if _, err := a.get(ctx, colZones, zone, &z, "zone_not_found"); err != nil {
			return false, err
		}
		n, err := a.count(ctx, plugin.Query{Collection: colInside}.Where("zone_id", "eq", zone))
		return n >= z.Capacity, err
	}
	var l Lot
	if _, err := a.get(ctx, colLots, g.LotID, &l, "lot_not_found"); err != nil {
		return false, err
	}
	n, err := a.count(ctx, plugin.Query{Collection: colInside}.Where("lot_id", "eq", g.LotID))
	return n >= l.Capacity, err
}

// count counts the records matching q.
func (a *app) count(ctx context.Context, q plugin.Query) (int, error) {
	q.Limit = 1000
	n := 0
	for {
		recs, next, err := a.host().Query(ctx, q)
		if err != nil {
			return 0, err
		}
		n += len(recs)
		if next == "" {
			return n, nil
		}
		q.Cursor = next
	}
}

// yuan shows fen as "¥12.50".
func yuan(fen int64) string { return fmt.Sprintf("¥%d.%02d", fen/100, fen%100) }
