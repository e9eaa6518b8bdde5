package workorder

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Input is a new order as the front desk (or any staff) records it.
type Input struct {
	Type     string `json:"type"`
	Category string `json:"category"`
	Priority string `json:"priority"` // normal when empty
	Channel  string `json:"channel"`  // phone, walk_in or staff (default)
	// LocationID is a room or a common area; CommunityID alone is the whole
	// community (a suggestion, a compound-wide inspection).
	LocationID    *uuid.UUID `json:"location_id"`
	CommunityID   *uuid.UUID `json:"community_id"`
	Description   string     `json:"description"`
	Contact       string     `json:"contact"` // who called, a phone number
	ReporterName  string     `json:"reporter_name"`
	PreferredTime *time.Time `json:"preferred_time"`
}

// MyInput is a new order as a resident files it, for one of their rooms.
type MyInput struct {
	Type          string     `json:"type"` // repair, complaint or suggestion
	Category      string     `json:"category"`
	Priority      string     `json:"priority"`
	RoomID        uuid.UUID  `json:"room_id"`
	Description   string     `json:"description"`
	Contact       string     `json:"contact"`
	PreferredTime *time.Time `json:"preferred_time"`
}

// check validates the fields every order has.
func (in *Input) check(st Settings) []apperr.FieldError {
	var fe []apperr.FieldError
	in.Description, in.Contact = strings.TrimSpace(in.Description), strings.TrimSpace(in.Contact)
	if in.Priority == "" {
		in.Priority = "normal"
	}
	if in.Channel == "" {
		in.Channel = "staff"
	}
	if !slices.Contains(Types, in.Type) {
		fe = append(fe, field("type", "invalid_type", "type must be one of "+strings.Join(Types, ", "), "类型必须是 repair、complaint、suggestion、inspection、maintenance 之一"))
	}
	if !categoryOK(st, in.Category) {
		fe = append(fe, field("category", "unknown_category", "category must be one of "+strings.Join(append(append([]string{}, Categories...), st.Categories...), ", "), "类别不存在"))
	}
	if !slices.Contains(Priorities, in.Priority) {
		fe = append(fe, field("priority", "invalid_priority", "priority must be low, normal, high or urgent", "优先级必须是 low、normal、high、urgent 之一"))
	}
	if !slices.Contains(Channels, in.Channel) {
		fe = append(fe, field("channel", "invalid_channel", "channel must be one of "+strings.Join(Channels, ", "), "渠道不正确"))
	}
	if in.Description == "" || len(in.Description) > 4000 {
		fe = append(fe, field("description", "required", "description is required (at most 4000 bytes)", "问题描述必填(最多 4000 字节)"))
	}
	if len(in.Contact) > 200 || len(in.ReporterName) > 200 {
		fe = append(fe, field("contact", "too_long", "contact and reporter_name are at most 200 bytes", "联系方式和报事人最多 200 字节"))
	}
	if in.LocationID == nil && in.CommunityID == nil {
		fe = append(fe, field("location_id", "required", "name the room or common area (location_id), or the community (community_id)", "请填写房屋或公共区域(location_id),或小区(community_id)"))
	}
	return fe
}

// Create records an order taken by staff (a call, a walk-in, something
// they saw). The actor in ctx is recorded as who took it.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, in Input) (o Order, err error) {
	if in.Channel == "app" || in.Channel == "plan" || in.Channel == "plugin" {
		return o, invalid([]apperr.FieldError{field("channel", "invalid_channel", "staff record phone, walk_in or staff orders", "员工登记的渠道只能是 phone、walk_in 或 staff")})
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		o, err = s.create(tx, tenantID, in, nil, "")
		return err
	})
	return o, err
}

// CreateMine records an order a resident files for one of the rooms they
// live in; any other room is ErrRoomNotYours.
func (s *Service) CreateMine(ctx context.Context, tenantID, userID uuid.UUID, in MyInput) (o Order, err error) {
	if in.Type != TypeRepair && in.Type != TypeComplaint && in.Type != TypeSuggestion {
		return o, invalid([]apperr.FieldError{field("type", "invalid_type", "residents file repair, complaint or suggestion", "业主只能提交报修、投诉或建议")})
	}
	loc := in.RoomID
	full := Input{Type: in.Type, Category: in.Category, Priority: in.Priority, Channel: "app", LocationID: &loc,
		Description: in.Description, Contact: in.Contact, PreferredTime: in.PreferredTime}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		rooms, err := s.d.Residents.MyRoomIDs(store.Ctx(tx), tenantID, userID)
		if err != nil {
			return err
		}
		if in.RoomID == uuid.Nil {
			return invalid([]apperr.FieldError{field("room_id", "required", "room_id is required", "请选择房屋")})
		}
		if !slices.Contains(rooms, in.RoomID) {
			return ErrRoomNotYours
		}
		o, err = s.create(tx, tenantID, full, &userID, "")
		return err
	})
	return o, err
}

// AlarmIn is an order raised by a device or a plugin ("plugin:elevator").
// Key de-duplicates: the same Source and Key raise one order.
type AlarmIn struct {
	Source      string     `json:"source"`
	Key         string     `json:"key"`
	Type        string     `json:"type"` // repair when empty
	Category    string     `json:"category"`
	Priority    string     `json:"priority"`
	LocationID  *uuid.UUID `json:"location_id"`
	CommunityID *uuid.UUID `json:"community_id"`
	Description string     `json:"description"`
}

// Raise records an alarm's order once per Source and Key: a repeated alarm
// returns the order the first one raised, whatever its status.
func (s *Service) Raise(ctx context.Context, tenantID uuid.UUID, a AlarmIn) (o Order, created bool, err error) {
	if strings.TrimSpace(a.Source) == "" || strings.TrimSpace(a.Key) == "" {
		return o, false, invalid([]apperr.FieldError{field("key", "required", "an alarm needs a source and a key", "告警须有来源和标识")})
	}
	if a.Type == "" {
		a.Type = TypeRepair
	}
	in := Input{Type: a.Type, Category: a.Category, Priority: a.Priority, Channel: "plugin", LocationID: a.LocationID,
		CommunityID: a.CommunityID, Description: a.Description, ReporterName: a.Source}
	return s.once(ctx, tenantID, "alarm:"+a.Source+":"+a.Key, in)
}

// once creates an order under a dedupe key unless one exists. The key's
// unique index makes a concurrent second call fail; it then reads the
// winner's order.
func (s *Service) once(ctx context.Context, tenantID uuid.UUID, key string, in Input) (o Order, created bool, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		err := tx.Where("tenant_id = ? AND dedupe_key = ?", tenantID, key).Take(&o).Error
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		o, err = s.create(tx, tenantID, in, nil, key)
		created = err == nil
		return err
	})
	if err != nil && store.IsUniqueViolation(err) {
		created = false
		err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			return tx.Where("tenant_id = ? AND dedupe_key = ?", tenantID, key).Take(&o).Error
		})
	}
	return o, created, err
}

// create validates in, places the order, sets its SLA clock and skill,
// writes it with its first timeline event, tells the dispatchers, and
// dispatches it at once when its rule says so.
func (s *Service) create(tx *gorm.DB, tenantID uuid.UUID, in Input, reporter *uuid.UUID, dedupe string) (Order, error) {
	st, err := settingsIn(tx, tenantID)
	if err != nil {
		return Order{}, err
	}
	fe := in.check(st)
	now := s.now().UTC()
	o := Order{TenantID: tenantID, ID: store.NewID(), Type: in.Type, Category: in.Category, Status: StatusSubmitted, Priority: in.Priority,
		Channel: in.Channel, Description: in.Description, Contact: in.Contact, ReporterName: in.ReporterName,
		ReporterID: reporter, Currency: "CNY", CreatedAt: now, UpdatedAt: now}
	if in.PreferredTime != nil {
		t := in.PreferredTime.UTC()
		o.PreferredTime = &t
	}
	if dedupe != "" {
		o.DedupeKey = &dedupe
	}
	by := who(store.Ctx(tx))
	if o.ReporterName == "" {
		o.ReporterName = actorName(by)
	}
	switch {
	case in.LocationID != nil:
		p, err := s.d.Places.Place(store.Ctx(tx), tenantID, *in.LocationID)
		if err != nil {
			if e, ok := apperr.As(err); ok && (e.Kind == apperr.KindInvalid || e.Kind == apperr.KindNotFound) {
				fe = append(fe, field("location_id", "unknown_location", "no such room or common area", "房屋或公共区域不存在"))
				break
			}
			return Order{}, err
		}
		if in.CommunityID != nil && *in.CommunityID != p.CommunityID {
			fe = append(fe, field("community_id", "location_elsewhere", "the location is in another community", "该位置不属于此小区"))
		}
		id := p.ID
		o.LocationID, o.LocationKind, o.CommunityID, o.BuildingID, o.LocationName = &id, p.Kind, p.CommunityID, p.BuildingID, p.Name
		if p.Kind == "room" {
			o.RoomID = &id
		}
	case in.CommunityID != nil:
		ok, err := s.d.Places.CommunityExists(store.Ctx(tx), tenantID, *in.CommunityID)
		if err != nil {
			return Order{}, err
		}
		if !ok {
			fe = append(fe, field("community_id", "unknown_community", "no such community", "小区不存在"))
		}
		o.CommunityID = *in.CommunityID
	}
	if err := invalid(fe); err != nil {
		return Order{}, err
	}
	resp, res, err := targets(tx, tenantID, o.Category, o.Priority)
	if err != nil {
		return Order{}, err
	}
	o.ResponseDue, o.ResolveDue = now.Add(time.Duration(resp)*time.Minute), now.Add(time.Duration(res)*time.Minute)
	skill, mode, err := route(tx, &o)
	if err != nil {
		return Order{}, err
	}
	o.Skill = skill
	if err := tx.Create(&o).Error; err != nil {
		return Order{}, err
	}
	ev, err := s.event(tx, &o, "submitted", "", StatusSubmitted, in.Channel, by)
	if err != nil {
		return Order{}, err
	}
	if err := s.notifyRoles(tx, &o, ev, "workorder.submitted", o.Priority == "urgent", nil, roleManager, roleFrontdesk); err != nil {
		return Order{}, err
	}
	if mode == "auto" {
		if err := s.autoDispatch(tx, &o, actor.Actor{Kind: actor.System, Name: "dispatch"}); err != nil {
			return Order{}, err
		}
	}
	return o, nil
}

// DuePlan is a maintenance plan occurrence that has fallen due.
type DuePlan struct {
	PlanID        uuid.UUID
	Name          string
	AssetName     string
	AssetCategory string
	CommunityID   uuid.UUID
	LocationID    *uuid.UUID
	Due           string // YYYY-MM-DD: the occurrence, part of the dedupe key
}

// FromPlans creates one maintenance order per due plan occurrence; an
// occurrence that already has its order is skipped (the hourly task calls
// it again and again). It returns how many orders it created.
func (s *Service) FromPlans(ctx context.Context, tenantID uuid.UUID, plans []DuePlan) (int, error) {
	n := 0
	for _, p := range plans {
		cat := "equipment"
		if c := strings.ToLower(p.AssetCategory); c == "lift" || c == "elevator" || strings.Contains(p.AssetCategory, "电梯") {
			cat = "lift"
		}
		cid := p.CommunityID
		in := Input{Type: TypeMaintenance, Category: cat, Priority: "normal", Channel: "plan", LocationID: p.LocationID, CommunityID: &cid,
			Description: "保养 Maintenance due " + p.Due + ": " + p.AssetName + " — " + p.Name, ReporterName: "maintenance plan"}
		_, created, err := s.once(ctx, tenantID, "plan:"+p.PlanID.String()+":"+p.Due, in)
		if err != nil {
			return n, err
		}
		if created {
			n++
		}
	}
	return n, nil
}
