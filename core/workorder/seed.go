package workorder

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// SeedData is the "workorders" section of a tenant manifest's seed data.
type SeedData struct {
	Technicians []struct {
		User   string   `yaml:"user"`
		Skills []string `yaml:"skills"`
		Days   []int    `yaml:"days"` // weekdays, 0 = Sunday
		Start  string   `yaml:"start"`
		End    string   `yaml:"end"`
	} `yaml:"technicians"`
	Rules []RuleInput `yaml:"rules"`
	SLA   []struct {
		Category string `yaml:"category"`
		Priority string `yaml:"priority"`
		Response int    `yaml:"response_minutes"`
		Resolve  int    `yaml:"resolve_minutes"`
	} `yaml:"sla"`
	Settings *struct {
		AutoConfirmDays int `yaml:"auto_confirm_days"`
		ChaseMinutes    int `yaml:"chase_minutes"`
	} `yaml:"settings"`
	Orders int `yaml:"orders"` // how many orders over the last Months months
	Months int `yaml:"months"`
}

// SeedRefs are what the seeder needs from other domains: staff user ids by
// user name (with names), and places to report at.
type SeedRefs struct {
	Users map[string]uuid.UUID
	Names map[uuid.UUID]string
	Rooms []Place
	Areas []Place
	// Reporters are residents with an app account and their room: some
	// orders are theirs, so the resident side of the demo has a history.
	Reporters []Reporter
}

// Reporter is a resident account and one room it lives in.
type Reporter struct {
	UserID uuid.UUID
	Name   string
	Room   Place
}

var demoText = map[string][]string{
	"plumbing":      {"厨房水龙头漏水", "卫生间下水道堵塞", "阳台地漏返水", "热水器进水阀滴水"},
	"electrical":    {"客厅插座没电", "楼道声控灯不亮", "空气开关频繁跳闸"},
	"lift":          {"电梯按钮失灵", "电梯运行异响", "电梯门关不严"},
	"cleaning":      {"楼道有垃圾未清理", "地库积水需清扫"},
	"noise":         {"楼上夜间装修噪音", "广场舞音响太吵"},
	"doors_windows": {"单元门门禁坏了", "窗户关不严漏风"},
	"security":      {"陌生人尾随进入单元", "地库摄像头不工作"},
	"greenery":      {"小区绿化带杂草丛生"},
}

// SeedDemo creates the demo's technicians, rules, SLA targets, settings and
// a few months of orders in every state, once: a tenant that has orders is
// left alone. Orders are written with their timelines in batches; one paid
// repair is charged to its room through the Charger.
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any, refs SeedRefs) (changed bool, err error) {
	var data SeedData
	b, err := yaml.Marshal(raw)
	if err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&data)
	}
	if err != nil {
		return false, fmt.Errorf("workorders seed: %w", err)
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Order{}).Where("tenant_id = ?", tenantID).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		changed = true
		now := s.now().UTC()
		var techs []Technician
		for _, t := range data.Technicians {
			id, ok := refs.Users[t.User]
			if !ok {
				return fmt.Errorf("workorders seed: no user %q", t.User)
			}
			tc := Technician{TenantID: tenantID, ID: id, Name: refs.Names[id], Skills: t.Skills, Communities: []uuid.UUID{}, Active: true, CreatedAt: now, UpdatedAt: now}
			for _, d := range t.Days {
				tc.Shifts = append(tc.Shifts, Shift{Weekday: d, Start: t.Start, End: t.End})
			}
			in := TechnicianInput{Skills: tc.Skills, Shifts: tc.Shifts}
			if err := in.check(); err != nil {
				return err
			}
			techs = append(techs, tc)
		}
		if len(techs) > 0 {
			if err := tx.Create(&techs).Error; err != nil {
				return err
			}
		}
		for i, r := range data.Rules {
			if err := tx.Create(&Rule{TenantID: tenantID, ID: store.NewID(), Position: i, Category: r.Category, CommunityID: r.CommunityID,
				Skill: r.Skill, Mode: r.Mode, CreatedAt: now}).Error; err != nil {
				return err
			}
		}
		for _, r := range data.SLA {
			if err := tx.Create(&SLA{TenantID: tenantID, ID: store.NewID(), Category: r.Category, Priority: r.Priority, ResponseMinutes: r.Response, ResolveMinutes: r.Resolve}).Error; err != nil {
				return err
			}
		}
		if data.Settings != nil {
			st := Settings{TenantID: tenantID, AutoConfirmDays: data.Settings.AutoConfirmDays, ChaseMinutes: data.Settings.ChaseMinutes, Categories: []string{}, UpdatedAt: now}
			if err := st.check(); err != nil {
				return err
			}
			if err := tx.Create(&st).Error; err != nil {
				return err
			}
		}
		if data.Orders == 0 || len(refs.Rooms) == 0 {
			return nil
		}
		return s.seedOrders(tx, tenantID, data, refs, techs, now)
	})
	return changed, err
}

func (s *Service) seedOrders(tx *gorm.DB, tenantID uuid.UUID, data SeedData, refs SeedRefs, techs []Technician, now time.Time) error {
	rng := rand.New(rand.NewPCG(9, 2026))
	cats := []string{"plumbing", "plumbing", "plumbing", "electrical", "electrical", "lift", "cleaning", "noise", "doors_windows", "security", "greenery"}
	span := time.Duration(max(data.Months, 1)*30*24) * time.Hour
	var orders []Order
	var events []Event
	var paid *Order
	staff := actor.Actor{Kind: actor.User, Name: "frontdesk"}
	if id, ok := refs.Users["frontdesk"]; ok {
		staff.ID = id
	}
	for i := 0; i < data.Orders; i++ {
		cat := cats[rng.IntN(len(cats))]
		typ := TypeRepair
		switch {
		case cat == "noise" || cat == "security" && i%2 == 0:
			typ = TypeComplaint
		case cat == "greenery":
			typ = TypeSuggestion
		case i%17 == 0:
			typ, cat = TypeInspection, "public_facilities"
		}
		prio := []string{"low", "normal", "normal", "normal", "high", "urgent"}[rng.IntN(6)]
		// Older orders are finished; the last few days hold every open state.
		age := time.Duration(float64(span) * float64(i) / float64(data.Orders))
		created := now.Add(-age - time.Duration(rng.IntN(600))*time.Minute)
		var p Place
		if cat == "lift" || cat == "cleaning" || typ == TypeInspection || cat == "security" {
			if len(refs.Areas) > 0 {
				p = refs.Areas[rng.IntN(len(refs.Areas))]
			} else {
				p = refs.Rooms[0]
			}
		} else {
			// A handful of rooms report most repairs, so some repeat.
			p = refs.Rooms[rng.IntN(min(len(refs.Rooms), 40))]
		}
		texts := demoText[cat]
		desc := "公共设施巡检"
		if len(texts) > 0 {
			desc = texts[rng.IntN(len(texts))]
		}
		resp, res, err := targets(tx, tenantID, cat, prio)
		if err != nil {
			return err
		}
		channel := []string{"app", "app", "phone", "walk_in"}[rng.IntN(4)]
		if typ == TypeInspection {
			channel = "staff"
		}
		id := p.ID
		o := Order{TenantID: tenantID, ID: store.NewID(), Type: typ, Category: cat, Status: StatusSubmitted, Priority: prio, Channel: channel,
			CommunityID: p.CommunityID, BuildingID: p.BuildingID, LocationID: &id, LocationKind: p.Kind, LocationName: p.Name,
			Description: desc, ReporterName: "业主", Skill: cat, Currency: "CNY", CreatedAt: created,
			ResponseDue: created.Add(time.Duration(resp) * time.Minute), ResolveDue: created.Add(time.Duration(res) * time.Minute)}
		if p.Kind == "room" && len(refs.Reporters) > 0 && i%10 == 3 {
			r := refs.Reporters[(i/10)%len(refs.Reporters)]
			p, id, channel = r.Room, r.Room.ID, "app"
			o.CommunityID, o.BuildingID, o.LocationID, o.LocationName, o.Channel = p.CommunityID, p.BuildingID, &id, p.Name, channel
			uid := r.UserID
			o.ReporterID, o.ReporterName = &uid, r.Name
		}
		if p.Kind == "room" {
			o.RoomID = &id
		} else {
			o.ReporterName = "巡查"
		}
		ev := func(kind, from, to, note string, at time.Time, who actor.Actor) {
			e := Event{TenantID: tenantID, ID: store.NewID(), OrderID: o.ID, Kind: kind, FromStatus: from, ToStatus: to, ActorName: actorName(who), Note: note, At: at}
			if who.ID != uuid.Nil {
				wid := who.ID
				e.ActorID = &wid
			}
			events = append(events, e)
		}
		ev("submitted", "", StatusSubmitted, channel, created, staff)
		// How far it got: the newest ten are spread over the open states.
		stage := 7
		if i < 12 {
			stage = i % 6
		} else if i%23 == 0 {
			stage = -1 // cancelled
		}
		var tech Technician
		for _, t := range techs {
			if slices.Contains(t.Skills, cat) {
				tech = t
				break
			}
		}
		if tech.ID == uuid.Nil && len(techs) > 0 {
			tech = techs[i%len(techs)]
		}
		tw := actor.Actor{Kind: actor.User, ID: tech.ID, Name: tech.Name}
		at := created
		late := i%6 == 1 // about one in six misses its target
		stepAt := func(target time.Time, frac float64) time.Time {
			d := target.Sub(o.CreatedAt)
			if late {
				return o.CreatedAt.Add(time.Duration(float64(d) * (1.2 + frac)))
			}
			return o.CreatedAt.Add(time.Duration(float64(d) * frac))
		}
		move := func(kind, to string, t time.Time, who actor.Actor, note string) {
			if t.After(now) {
				t = now.Add(-time.Minute)
			}
			ev(kind, o.Status, to, note, t, who)
			o.Status, at = to, t
		}
		if stage == -1 {
			o.CancelReason = "业主已自行处理"
			move(ActCancel, StatusCancelled, created.Add(40*time.Minute), staff, o.CancelReason)
		}
		if stage >= 1 && tech.ID != uuid.Nil {
			t := stepAt(o.ResponseDue, 0.3)
			o.AssigneeID, o.AssigneeName, o.AssignedAt = &tech.ID, tech.Name, &t
			move(ActAssign, StatusAssigned, t, staff, "")
		}
		if stage >= 2 && o.AssigneeID != nil {
			t := stepAt(o.ResponseDue, 0.7)
			eta := t.Add(30 * time.Minute)
			o.AcceptedAt, o.ExpectedArrival = &t, &eta
			move(ActAccept, StatusAccepted, t, tw, "")
		}
		if stage >= 3 && o.AssigneeID != nil {
			move(ActStart, StatusInProgress, at.Add(25*time.Minute), tw, "")
		}
		if stage >= 4 && o.AssigneeID != nil {
			t := stepAt(o.ResolveDue, 0.5)
			o.Result = "已处理:" + desc
			o.ResolvedAt = &t
			move(ActResolve, StatusResolved, t, tw, o.Result)
		}
		if stage >= 5 && o.AssigneeID != nil && i%4 != 0 {
			stars := 5 - rng.IntN(3)
			if late {
				stars = 2 + rng.IntN(2)
			}
			t := at.Add(3 * time.Hour)
			o.Rating, o.RatingComment, o.RatedAt = &stars, []string{"", "师傅很专业", "来得有点晚", "态度很好"}[rng.IntN(4)], &t
			ev("rated", "", "", fmt.Sprintf("%d", stars), t, actor.Actor{Kind: actor.User, Name: "resident"})
		}
		if stage >= 6 && o.AssigneeID != nil {
			t := at.Add(26 * time.Hour)
			o.ConfirmedAt = &t
			move(ActConfirm, StatusConfirmed, t, actor.Actor{Kind: actor.User, Name: "resident"}, "")
			if i%3 == 0 {
				ft := t.Add(24 * time.Hour)
				o.FollowUp, o.FollowedUpAt, o.FollowedUpBy = "电话回访,业主满意", &ft, "frontdesk"
				ev("follow_up", "", "", o.FollowUp, ft, staff)
			}
			if i%2 == 0 {
				ct := t.Add(48 * time.Hour)
				o.ClosedAt = &ct
				move(ActClose, StatusClosed, ct, staff, "")
			}
		}
		if o.open() && now.After(o.ResolveDue) || late && o.Status != StatusCancelled && o.Status != StatusSubmitted {
			o.SLABreached = true
			ev("sla_breached", "", "", "target missed", o.ResolveDue.Add(time.Minute), actor.Actor{Kind: actor.System, Name: "sla"})
		}
		if i%5 == 0 && o.Status == StatusSubmitted {
			ct := created.Add(2 * time.Hour)
			o.ChaseCount, o.ChasedAt = 1, &ct
			ev("chased", "", "", "", ct, actor.Actor{Kind: actor.User, Name: "resident"})
		}
		o.UpdatedAt = at
		orders = append(orders, o)
		if paid == nil && o.Status == StatusConfirmed && o.RoomID != nil && typ == TypeRepair {
			paid = &orders[len(orders)-1]
		}
	}
	if err := tx.CreateInBatches(orders, 200).Error; err != nil {
		return err
	}
	if err := tx.CreateInBatches(events, 300).Error; err != nil {
		return err
	}
	if paid == nil {
		return nil
	}
	// One paid repair: a new tap and an hour's work, billed to the room.
	o := *paid
	lines := []Line{
		{TenantID: tenantID, ID: store.NewID(), OrderID: o.ID, Kind: "labour", Name: "上门维修工时", Quantity: 1, UnitMinor: 5000, AmountMinor: 5000, Currency: "CNY", CreatedAt: now},
		{TenantID: tenantID, ID: store.NewID(), OrderID: o.ID, Kind: "material", Name: "不锈钢水龙头", Quantity: 1, UnitMinor: 8800, AmountMinor: 8800, Currency: "CNY", CreatedAt: now},
	}
	if err := tx.Create(&lines).Error; err != nil {
		return err
	}
	if err := tx.Model(&Order{}).Where("tenant_id = ? AND id = ?", tenantID, o.ID).Update("charge_minor", 13800).Error; err != nil {
		return err
	}
	o.ChargeMinor = 13800
	return s.charge(tx, &o, staff)
}
