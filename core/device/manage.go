package device

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Input is a device's editable fields. Secrets are the driver's named secret
// values: a name left out keeps its stored value, "" removes it.
type Input struct {
	CommunityID      uuid.UUID         `json:"community_id"`
	BuildingID       *uuid.UUID        `json:"building_id"`
	Name             string            `json:"name"`
	Class            string            `json:"class"`
	Driver           string            `json:"driver"`
	Place            string            `json:"place"`
	Direction        string            `json:"direction"`
	Config           json.RawMessage   `json:"config" swaggertype:"object"`
	Secrets          map[string]string `json:"secrets"`
	HeartbeatSeconds int               `json:"heartbeat_seconds"`

	// Token, when set (a tenant manifest's fixed demo token), is the
	// device's ingress token instead of a generated one.
	Token string `json:"-"`
	// Declared is the tenant manifest's declaration being applied.
	Declared string `json:"-"`
}

// AssetLink is the equipment-register asset that names this device.
type AssetLink struct {
	ID   uuid.UUID `json:"id"`
	Code string    `json:"code"`
	Name string    `json:"name"`
}

// View is a device as the API shows it: its config, the names of the secrets
// set (never their values), its driver's commands and the linked asset.
type View struct {
	Device
	Config     json.RawMessage `json:"config" swaggertype:"object"`
	SecretsSet []string        `json:"secrets_set"`
	Commands   []string        `json:"commands"`
	Asset      *AssetLink      `json:"asset"`
}

// Created is the answer to a create or a token rotation: the token is shown
// this once.
type Created struct {
	View
	Token string `json:"token"`
}

// Filter narrows List.
type Filter struct {
	Class       string `form:"class" json:"class"`
	CommunityID string `form:"community_id" json:"community_id"`
	Status      string `form:"status" json:"status"`
	Driver      string `form:"driver" json:"driver"`
}

func (in *Input) trim() {
	in.Name, in.Class, in.Driver = strings.TrimSpace(in.Name), strings.TrimSpace(in.Class), strings.TrimSpace(in.Driver)
	in.Place, in.Direction = strings.TrimSpace(in.Place), strings.TrimSpace(in.Direction)
}

// checked is an input that passed validation against its driver.
type checked struct {
	config   string
	manifest *wuyepb.Manifest
}

// check validates in against itself and its driver's manifest; every
// problem is named.
func (s *Service) check(ctx context.Context, tenantID uuid.UUID, in *Input) (checked, error) {
	in.trim()
	var fe []apperr.FieldError
	add := func(f apperr.FieldError) { fe = append(fe, f) }
	if in.Name == "" || len(in.Name) > 200 {
		add(field("name", "required", "name is required (at most 200 bytes)", "设备名称不能为空(最多 200 字节)"))
	}
	if in.CommunityID == uuid.Nil {
		add(field("community_id", "required", "community_id is required", "请选择小区"))
	}
	if !slices.Contains(driver.Classes, in.Class) {
		add(field("class", "unknown_class", "class must be one of "+strings.Join(driver.Classes, ", "), "设备类别须为 "+strings.Join(driver.Classes, "、")+" 之一"))
	}
	if in.Direction != "" && in.Direction != "in" && in.Direction != "out" {
		add(field("direction", "invalid_direction", "direction is in, out or empty", "方向须为 in、out 或留空"))
	}
	if len(in.Place) > 200 {
		add(field("place", "too_long", "place is at most 200 bytes", "安装位置最多 200 字节"))
	}
	if in.HeartbeatSeconds < 0 || in.HeartbeatSeconds > 86400 {
		add(field("heartbeat_seconds", "out_of_range", "heartbeat_seconds is 0–86400", "心跳间隔须为 0–86400 秒"))
	}
	var out checked
	if in.Driver == "" {
		add(field("driver", "required", "driver is required", "请选择设备驱动"))
	} else {
		spec, err := s.opt.Catalog.Resolve(ctx, tenantID, in.Driver)
		switch {
		case isKind(err, apperr.KindNotFound):
			add(field("driver", "driver_not_enabled", "this driver is not enabled for your organisation", "本单位未启用该驱动"))
		case err != nil:
			return out, err
		case spec.Manifest.GetKind() != wuyepb.Kind_KIND_DRIVER || spec.Manifest.GetDriver() == nil:
			add(field("driver", "not_a_driver", "this plugin is not a device driver", "该插件不是设备驱动"))
		default:
			m := spec.Manifest
			out.manifest = m
			if in.Class != "" && !slices.Contains(m.GetDeviceClasses(), in.Class) {
				add(field("class", "unsupported_class", "the driver drives "+strings.Join(m.GetDeviceClasses(), ", "), "该驱动支持的设备类别为 "+strings.Join(m.GetDeviceClasses(), "、")))
			}
			cfg, cfe := checkConfig(m.GetDriver().GetDeviceSchema(), in.Config)
			fe = append(fe, cfe...)
			out.config = cfg
			names := m.GetDriver().GetDeviceSecrets()
			for k := range in.Secrets {
				if !slices.Contains(names, k) {
					add(field("secrets."+k, "unknown_secret", "the driver has no secret of this name (it has: "+strings.Join(names, ", ")+")", "驱动没有此名称的密钥(可用:"+strings.Join(names, "、")+")"))
				}
			}
		}
	}
	if len(fe) == 0 && in.CommunityID != uuid.Nil && s.opt.Places != nil {
		ok, err := s.opt.Places.ValidPlace(ctx, tenantID, in.CommunityID, in.BuildingID)
		if err != nil {
			return out, err
		}
		if !ok {
			add(field("community_id", "unknown_place", "no such community, or the building is not in it", "小区不存在,或楼栋不属于该小区"))
		}
	}
	if len(fe) > 0 {
		sort.SliceStable(fe, func(i, j int) bool { return fe[i].Field < fe[j].Field })
		return out, invalid(fe...)
	}
	return out, nil
}

// merge applies in's secrets to the stored ones.
func merge(stored, in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range in {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func get(tx *gorm.DB, tenantID, id uuid.UUID) (Device, error) {
	var d Device
	err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&d).Error
	return d, store.NotFound(err)
}

// view builds what the API shows of d, read in tx.
func (s *Service) view(tx *gorm.DB, d Device, commands []string) (View, error) {
	v := View{Device: d, Config: json.RawMessage(d.Config), SecretsSet: []string{}, Commands: commands}
	if len(v.Config) == 0 {
		v.Config = json.RawMessage("{}")
	}
	if v.Commands == nil {
		v.Commands = []string{}
	}
	if sec, err := s.openSecrets(d); err == nil {
		for k := range sec {
			v.SecretsSet = append(v.SecretsSet, k)
		}
		sort.Strings(v.SecretsSet)
	}
	var a AssetLink
	err := tx.Table("assets").Select("id, code, name").Where("tenant_id = ? AND device_id = ?", d.TenantID, d.ID).Order("code").Limit(1).Scan(&a).Error
	if err != nil {
		return v, err
	}
	if a.ID != uuid.Nil {
		v.Asset = &a
	}
	return v, nil
}

// auditView is what the audit log compares: no secret values, no token.
type auditView struct {
	Device
	Config  json.RawMessage `json:"config"`
	Secrets []string        `json:"secrets_set"`
}

func (s *Service) auditOf(d *Device) any {
	if d == nil {
		return nil
	}
	v := auditView{Device: *d, Config: json.RawMessage(d.Config)}
	if sec, err := s.openSecrets(*d); err == nil {
		for k := range sec {
			v.Secrets = append(v.Secrets, k)
		}
		sort.Strings(v.Secrets)
	}
	return v
}

// record audits a change in tx: into the request's notes when a tenant's
// own request makes it (the API writes that entry), else an entry of its own.
func (s *Service) record(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, action string, id uuid.UUID, before, after *Device) error {
	changes := audit.Diff(s.auditOf(before), s.auditOf(after))
	if n := audit.From(ctx); n != nil {
		if a, ok := actor.From(ctx); ok && a.TenantID == tenantID && a.Kind != actor.System {
			n.Object("device", id.String())
			n.Change(changes...)
			return nil
		}
	}
	e := audit.Entry{TenantID: tenantID, Action: action, Object: "device/" + id.String(), ObjectType: "device", ObjectID: id.String(), Result: audit.ResultOK, Changes: changes}
	actorOf(ctx, &e, "device registry")
	return audit.RecordTx(tx, e)
}

func actorOf(ctx context.Context, e *audit.Entry, system string) {
	e.ActorKind, e.ActorName = string(actor.System), system
	if a, ok := actor.From(ctx); ok && a.Kind != "" {
		e.ActorKind, e.ActorID, e.ActorName, e.IP, e.RequestID = string(a.Kind), a.ID, a.Name, a.IP, a.RequestID
	}
}

// Create registers a device and returns it with its ingress token (shown once).
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, in Input) (Created, error) {
	c, err := s.check(ctx, tenantID, &in)
	if err != nil {
		return Created{}, err
	}
	if len(in.Secrets) > 0 && s.opt.Keys == nil {
		return Created{}, apperr.Internal
	}
	token := in.Token
	if token == "" {
		token = newToken()
	}
	now := s.now()
	d := Device{TenantID: tenantID, ID: store.NewID(), CommunityID: in.CommunityID, BuildingID: in.BuildingID, Name: in.Name,
		Class: in.Class, Driver: in.Driver, Place: in.Place, Direction: in.Direction, Config: c.config,
		TokenHash: hashToken(token), Status: StatusUnknown, HeartbeatSeconds: in.HeartbeatSeconds, Declared: in.Declared,
		CreatedAt: now, UpdatedAt: now}
	if d.SecretsEnc, err = s.sealSecrets(tenantID, d.ID, merge(nil, in.Secrets)); err != nil {
		return Created{}, err
	}
	var out Created
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Create(&d).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return ErrDuplicateName
			}
			return err
		}
		if err := s.record(ctx, tx, tenantID, "device.create", d.ID, nil, &d); err != nil {
			return err
		}
		v, err := s.view(tx, d, c.manifest.GetDriver().GetCommands())
		out = Created{View: v, Token: token}
		return err
	})
	if err != nil {
		return Created{}, err
	}
	s.afterCommit(ctx, tenantID, d.ID, now, func(ctx context.Context) { s.tellDriver(ctx, tenantID, d.Driver, d.ID, opAdd) })
	return out, nil
}

// Update replaces a device's fields (its token and status stay).
func (s *Service) Update(ctx context.Context, tenantID, id uuid.UUID, in Input) (View, error) {
	// Another tenant's device is NotFound whatever the body says.
	if _, err := s.Ref(ctx, tenantID, id); err != nil {
		return View{}, err
	}
	c, err := s.check(ctx, tenantID, &in)
	if err != nil {
		return View{}, err
	}
	var (
		out    View
		before Device
		now    = s.now()
	)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		cur, err := get(tx, tenantID, id)
		if err != nil {
			return err
		}
		before = cur
		stored, err := s.openSecrets(cur)
		if err != nil {
			return err
		}
		d := cur
		d.CommunityID, d.BuildingID, d.Name, d.Class, d.Driver = in.CommunityID, in.BuildingID, in.Name, in.Class, in.Driver
		d.Place, d.Direction, d.Config, d.HeartbeatSeconds, d.UpdatedAt = in.Place, in.Direction, c.config, in.HeartbeatSeconds, now
		if in.Declared != "" {
			d.Declared = in.Declared
		}
		if in.Token != "" {
			d.TokenHash = hashToken(in.Token)
		}
		if len(in.Secrets) > 0 {
			if d.SecretsEnc, err = s.sealSecrets(tenantID, id, merge(stored, in.Secrets)); err != nil {
				return err
			}
		}
		if err := tx.Save(&d).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return ErrDuplicateName
			}
			return err
		}
		if err := s.record(ctx, tx, tenantID, "device.update", id, &cur, &d); err != nil {
			return err
		}
		out, err = s.view(tx, d, c.manifest.GetDriver().GetCommands())
		return err
	})
	if err != nil {
		return View{}, err
	}
	s.refs.forget(tenantID, id)
	s.afterCommit(ctx, tenantID, id, now, func(ctx context.Context) {
		if before.Driver != in.Driver {
			s.tellDriver(ctx, tenantID, before.Driver, id, opRemove)
			s.tellDriver(ctx, tenantID, in.Driver, id, opAdd)
			return
		}
		s.tellDriver(ctx, tenantID, in.Driver, id, opUpdate)
	})
	return out, nil
}

// Delete removes a device (its linked asset keeps a dangling id, shown as none).
func (s *Service) Delete(ctx context.Context, tenantID, id uuid.UUID) error {
	var cur Device
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
		if cur, err = get(tx, tenantID, id); err != nil {
			return err
		}
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Device{}).Error; err != nil {
			return err
		}
		return s.record(ctx, tx, tenantID, "device.delete", id, &cur, nil)
	})
	if err != nil {
		return err
	}
	s.refs.forget(tenantID, id)
	s.afterCommit(ctx, tenantID, id, time.Time{}, func(ctx context.Context) { s.tellDriver(ctx, tenantID, cur.Driver, id, opRemove) })
	return nil
}

// Get returns one device.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (View, error) {
	var out View
	commands := s.commandsOf(ctx, tenantID)
	err := s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		d, err := get(tx, tenantID, id)
		if err != nil {
			return err
		}
		out, err = s.view(tx, d, commands(d.Driver))
		return err
	})
	return out, err
}

// commandsOf answers a driver's commands from the tenant's enabled drivers,
// read once per call.
func (s *Service) commandsOf(ctx context.Context, tenantID uuid.UUID) func(driver string) []string {
	var ms map[string]*wuyepb.Manifest
	read := false
	return func(name string) []string {
		if !read {
			read = true
			ms, _ = s.opt.Catalog.Enabled(ctx, tenantID)
		}
		return ms[name].GetDriver().GetCommands()
	}
}

// List lists devices, by name unless p orders otherwise.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID, f Filter, p paging.Paging) (out []View, total int64, err error) {
	commands := s.commandsOf(ctx, tenantID)
	err = s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Device{}).Where("tenant_id = ?", tenantID)
		if f.CommunityID != "" {
			id, err := uuid.Parse(f.CommunityID)
			if err != nil {
				return invalid(field("community_id", "invalid_id", "community_id must be a UUID", "小区编号格式不正确"))
			}
			q = q.Where("community_id = ?", id)
		}
		if f.Class != "" {
			q = q.Where("class = ?", f.Class)
		}
		if f.Driver != "" {
			q = q.Where("driver = ?", f.Driver)
		}
		if f.Status != "" {
			if !slices.Contains([]string{StatusUnknown, StatusOnline, StatusOffline, StatusFault}, f.Status) {
				return invalid(field("status", "unknown_status", "status is unknown, online, offline or fault", "状态须为 unknown、online、offline 或 fault"))
			}
			q = q.Where("status = ?", f.Status)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "name"
		}
		var ds []Device
		if err := p.Apply(q).Find(&ds).Error; err != nil {
			return err
		}
		out = make([]View, 0, len(ds))
		for _, d := range ds {
			v, err := s.view(tx, d, commands(d.Driver))
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, total, err
}

// RotateToken gives a device a new ingress token (shown this once); the old
// one stops working at once.
func (s *Service) RotateToken(ctx context.Context, tenantID, id uuid.UUID) (Created, error) {
	token := newToken()
	var out Created
	commands := s.commandsOf(ctx, tenantID)
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		d, err := get(tx, tenantID, id)
		if err != nil {
			return err
		}
		d.TokenHash, d.UpdatedAt = hashToken(token), s.now()
		if err := tx.Model(&Device{}).Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"token_hash": d.TokenHash, "updated_at": d.UpdatedAt}).Error; err != nil {
			return err
		}
		if n := audit.From(ctx); n != nil {
			n.Object("device", id.String())
			n.Detail("ingress token rotated")
		}
		if a, ok := actor.From(ctx); !ok || a.TenantID != tenantID || audit.From(ctx) == nil {
			e := audit.Entry{TenantID: tenantID, Action: "device.rotate_token", Object: "device/" + id.String(), ObjectType: "device", ObjectID: id.String(), Result: audit.ResultOK, Detail: "ingress token rotated"}
			actorOf(ctx, &e, "device registry")
			if err := audit.RecordTx(tx, e); err != nil {
				return err
			}
		}
		v, err := s.view(tx, d, commands(d.Driver))
		out = Created{View: v, Token: token}
		return err
	})
	s.refs.forget(tenantID, id)
	return out, err
}

// spec is what a driver is told of a device.
func (s *Service) spec(d Device) (*wuyepb.DeviceSpec, error) {
	sec, err := s.openSecrets(d)
	if err != nil {
		return nil, err
	}
	out := &wuyepb.DeviceSpec{Id: d.ID.String(), Name: d.Name, Class: d.Class, Location: location(d), Config: []byte(d.Config), Secrets: sec}
	if len(out.Config) == 0 {
		out.Config = []byte("{}")
	}
	return out, nil
}

func location(d Device) *wuyepb.Location {
	l := &wuyepb.Location{CommunityId: d.CommunityID.String(), Place: d.Place, Direction: d.Direction}
	if d.BuildingID != nil {
		l.BuildingId = d.BuildingID.String()
	}
	return l
}

// driverOp is what a driver is told after a change.
type driverOp int

const (
	opAdd driverOp = iota
	opUpdate
	opRemove
)

// tellDriver tells the running driver of a change. A driver that is down
// (or not yet registered) learns its devices when it starts
// (Host.ListDriverDevices): that is logged, never an error.
func (s *Service) tellDriver(ctx context.Context, tenantID uuid.UUID, name string, id uuid.UUID, op driverOp) {
	if s.opt.Runner == nil {
		return
	}
	var spec *wuyepb.DeviceSpec
	if op != opRemove {
		var d Device
		err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) { d, err = get(tx, tenantID, id); return err })
		if err != nil {
			return // deleted meanwhile: its delete tells the driver
		}
		if spec, err = s.spec(d); err != nil {
			s.opt.Log.Warn("device secrets unreadable", "tenant", tenantID, "device", id, "err", err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.opt.Runner.CallDriver(ctx, tenantID, name, func(ctx context.Context, c wuyepb.DriverClient, _ *wuyepb.Manifest) error {
		var err error
		switch op {
		case opAdd:
			_, err = c.AddDevice(ctx, spec)
		case opUpdate:
			_, err = c.UpdateDevice(ctx, spec)
		case opRemove:
			_, err = c.RemoveDevice(ctx, &wuyepb.DeviceRef{Id: id.String()})
		}
		return err
	})
	if err != nil {
		s.opt.Log.Warn("driver not told of a device change", "tenant", tenantID, "driver", name, "device", id, "op", op, "err", err)
	}
}

// afterCommit runs fn once the change is visible to others. Outside a
// request transaction that is now; inside one (an API call) the change
// commits after the handler returns, so the row is watched on a
// transaction of its own until it shows stamp (or is gone, for a delete:
// stamp zero), for at most 30 s (the request rolled back).
func (s *Service) afterCommit(ctx context.Context, tenantID, id uuid.UUID, stamp time.Time, fn func(ctx context.Context)) {
	if !store.InRequestTx(ctx) {
		fn(ctx)
		return
	}
	bg := store.Detach(context.WithoutCancel(ctx))
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			var d Device
			err := s.db.InTenant(bg, tenantID, func(tx *gorm.DB) (err error) { d, err = get(tx, tenantID, id); return err })
			switch {
			case stamp.IsZero() && isKind(err, apperr.KindNotFound):
				fn(bg)
				return
			case !stamp.IsZero() && err == nil && !d.UpdatedAt.Before(stamp):
				fn(bg)
				return
			}
		}
	}()
}
