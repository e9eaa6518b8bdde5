package patrol

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Route is a patrol route: its schedule (times of day, days of the week,
// in the tenant's zone), how long a round stays open, and its guards.
type Route struct {
	TenantID      uuid.UUID    `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID    `gorm:"primaryKey" json:"id"`
	CommunityID   uuid.UUID    `json:"community_id"`
	Name          string       `json:"name"`
	Times         []string     `gorm:"serializer:json" json:"times"`    // "22:00", "02:00": round starts, tenant's zone
	Weekdays      []int        `gorm:"serializer:json" json:"weekdays"` // 0 Sunday … 6 Saturday; empty: every day
	WindowMinutes int          `json:"window_minutes"`                  // a round is done within this
	LateMinutes   int          `json:"late_minutes"`                    // check-ins after the window, counted late, still taken
	GuardIDs      []uuid.UUID  `gorm:"serializer:json" json:"guard_ids"`
	Active        bool         `json:"active"`
	Checkpoints   []Checkpoint `gorm:"-" json:"checkpoints"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

func (Route) TableName() string { return "patrol_routes" }

// Location kinds of a checkpoint.
const (
	LocBuilding   = "building"
	LocCommonArea = "common_area"
	LocText       = "text"
)

// Checkpoint is a point of a route, in the route's order. Its token is what
// its QR code holds; it is never in a JSON answer (the QR image shows it to
// those who manage routes).
type Checkpoint struct {
	TenantID       uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID             uuid.UUID  `gorm:"primaryKey" json:"id"`
	RouteID        uuid.UUID  `json:"route_id"`
	Position       int        `json:"position"` // 1, 2, … the expected order
	Name           string     `json:"name"`
	LocationKind   string     `json:"location_kind"` // building, common_area or text
	LocationID     *uuid.UUID `json:"location_id"`
	LocationText   string     `json:"location_text"`
	Token          string     `json:"-"`
	TokenRotatedAt time.Time  `json:"token_rotated_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

func (Checkpoint) TableName() string { return "patrol_checkpoints" }

// CheckpointInput is one point of a route. ID names an existing point (its
// token is kept); a point without one is new.
type CheckpointInput struct {
	ID           *uuid.UUID `json:"id,omitempty"`
	Name         string     `json:"name"`
	LocationKind string     `json:"location_kind"` // building, common_area or text (default)
	LocationID   *uuid.UUID `json:"location_id,omitempty"`
	LocationText string     `json:"location_text"`
}

// RouteInput creates or replaces a route. Checkpoints are in patrol order;
// on a replace, points left out are removed (rounds already planned keep
// their copy of the point's name).
type RouteInput struct {
	CommunityID   uuid.UUID         `json:"community_id"`
	Name          string            `json:"name"`
	Times         []string          `json:"times"`
	Weekdays      []int             `json:"weekdays"`
	WindowMinutes int               `json:"window_minutes"`
	LateMinutes   int               `json:"late_minutes"`
	GuardIDs      []uuid.UUID       `json:"guard_ids"`
	Active        *bool             `json:"active,omitempty"` // default true
	Checkpoints   []CheckpointInput `json:"checkpoints"`
}

// check validates every field at once; ctx joins the caller's transaction.
func (s *Service) check(ctx context.Context, tenantID uuid.UUID, in *RouteInput) error {
	var fe []apperr.FieldError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		fe = append(fe, field("name", "required", "name is required (at most 200 bytes)", "路线名称必填(最多 200 字节)"))
	}
	if in.CommunityID == uuid.Nil {
		fe = append(fe, field("community_id", "required", "community_id is required", "小区必填"))
	} else if ok, err := s.places.CommunityExists(ctx, tenantID, in.CommunityID); err != nil {
		return err
	} else if !ok {
		fe = append(fe, field("community_id", "unknown_community", "no such community", "小区不存在"))
	}
	if len(in.Times) == 0 || len(in.Times) > 24 {
		fe = append(fe, field("times", "required", "times needs 1 to 24 start times such as \"22:00\"", "须填写 1 到 24 个开始时间,如 \"22:00\""))
	}
	seen := map[string]bool{}
	for i, t := range in.Times {
		if _, _, ok := clock(t); !ok || seen[t] {
			fe = append(fe, field(fmt.Sprintf("times[%d]", i), "invalid_time", "a start time is HH:MM (00:00–23:59), each once", "开始时间格式为 HH:MM(00:00–23:59),不得重复"))
		}
		seen[t] = true
	}
	for i, d := range in.Weekdays {
		if d < 0 || d > 6 {
			fe = append(fe, field(fmt.Sprintf("weekdays[%d]", i), "out_of_range", "a weekday is 0 (Sunday) to 6 (Saturday)", "星期须为 0(周日)到 6(周六)"))
		}
	}
	if in.WindowMinutes < 5 || in.WindowMinutes > 720 {
		fe = append(fe, field("window_minutes", "out_of_range", "window_minutes must be 5 to 720", "巡更时长须为 5 到 720 分钟"))
	}
	if in.LateMinutes < 0 || in.LateMinutes > 240 {
		fe = append(fe, field("late_minutes", "out_of_range", "late_minutes must be 0 to 240", "迟到宽限须为 0 到 240 分钟"))
	}
	for i, g := range in.GuardIDs {
		ok, err := s.staff.IsGuard(ctx, tenantID, g)
		if err != nil {
			return err
		}
		if !ok {
			fe = append(fe, field(fmt.Sprintf("guard_ids[%d]", i), "not_a_guard", "not a staff user with the guard role", "不是具有保安角色的员工"))
		}
	}
	if len(in.Checkpoints) == 0 || len(in.Checkpoints) > 100 {
		fe = append(fe, field("checkpoints", "required", "a route has 1 to 100 checkpoints", "路线须有 1 到 100 个巡更点"))
	}
	for i := range in.Checkpoints {
		c := &in.Checkpoints[i]
		name := fmt.Sprintf("checkpoints[%d]", i)
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" || len(c.Name) > 200 {
			fe = append(fe, field(name+".name", "required", "a checkpoint needs a name (at most 200 bytes)", "巡更点名称必填(最多 200 字节)"))
		}
		if c.LocationKind == "" {
			c.LocationKind = LocText
		}
		switch c.LocationKind {
		case LocText:
			c.LocationID = nil
			if len(c.LocationText) > 500 {
				fe = append(fe, field(name+".location_text", "too_long", "location_text is at most 500 bytes", "位置说明最多 500 字节"))
			}
		case LocBuilding, LocCommonArea:
			if c.LocationID == nil || in.CommunityID == uuid.Nil {
				fe = append(fe, field(name+".location_id", "required", "a building or common area point names its location_id", "楼栋或公共区域点位须填写 location_id"))
				continue
			}
			ok, err := s.places.LocationIn(ctx, tenantID, in.CommunityID, c.LocationKind, *c.LocationID)
			if err != nil {
				return err
			}
			if !ok {
				fe = append(fe, field(name+".location_id", "unknown_location", "no such "+c.LocationKind+" in the route's community", "该小区没有此位置"))
			}
		default:
			fe = append(fe, field(name+".location_kind", "unknown_kind", "location_kind must be building, common_area or text", "位置类型须为 building、common_area 或 text"))
		}
	}
	return invalid(fe)
}

// clock parses "HH:MM".
func clock(s string) (h, m int, ok bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}

// newToken is 128 random bits in base32: unguessable, and short enough for
// a QR code a phone reads from a metre away.
func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// CreateRoute creates a route with its checkpoints and plans its rounds of
// the next day.
func (s *Service) CreateRoute(ctx context.Context, tenantID uuid.UUID, in RouteInput) (r Route, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := s.check(store.Ctx(tx), tenantID, &in); err != nil {
			return err
		}
		r = Route{TenantID: tenantID, ID: store.NewID()}
		fillRoute(&r, in)
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		if r.Checkpoints, err = s.writeCheckpoints(tx, tenantID, r.ID, in.Checkpoints); err != nil {
			return err
		}
		_, err = s.planRoute(tx, tenantID, r, r.Checkpoints, s.clock())
		return err
	})
	return r, err
}

func fillRoute(r *Route, in RouteInput) {
	r.CommunityID, r.Name, r.WindowMinutes, r.LateMinutes = in.CommunityID, in.Name, in.WindowMinutes, in.LateMinutes
	r.Times = slices.Clone(in.Times)
	slices.Sort(r.Times)
	r.Weekdays = slices.Compact(slices.Sorted(slices.Values(in.Weekdays)))
	r.GuardIDs = slices.Clone(in.GuardIDs)
	if r.Weekdays == nil {
		r.Weekdays = []int{}
	}
	if r.GuardIDs == nil {
		r.GuardIDs = []uuid.UUID{}
	}
	r.Active = in.Active == nil || *in.Active
}

// writeCheckpoints replaces the route's points by in, in order, keeping the
// token of each point in names by id.
func (s *Service) writeCheckpoints(tx *gorm.DB, tenantID, routeID uuid.UUID, in []CheckpointInput) ([]Checkpoint, error) {
	var old []Checkpoint
	if err := tx.Where("tenant_id = ? AND route_id = ?", tenantID, routeID).Find(&old).Error; err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]Checkpoint{}
	for _, c := range old {
		byID[c.ID] = c
	}
	now := s.clock()
	out := make([]Checkpoint, 0, len(in))
	kept := map[uuid.UUID]bool{}
	for i, c := range in {
		cp := Checkpoint{TenantID: tenantID, ID: store.NewID(), RouteID: routeID, Token: newToken(), TokenRotatedAt: now, CreatedAt: now}
		if c.ID != nil {
			o, ok := byID[*c.ID]
			if !ok || kept[o.ID] {
				return nil, invalid([]apperr.FieldError{field(fmt.Sprintf("checkpoints[%d].id", i), "unknown_checkpoint", "not a checkpoint of this route", "不是本路线的巡更点")})
			}
			cp, kept[o.ID] = o, true
		}
		cp.Position, cp.Name, cp.LocationKind, cp.LocationID, cp.LocationText = i+1, c.Name, c.LocationKind, c.LocationID, strings.TrimSpace(c.LocationText)
		out = append(out, cp)
	}
	if len(old) > 0 {
		// Positions are rewritten as a whole: delete and insert again (tokens kept).
		if err := tx.Where("tenant_id = ? AND route_id = ?", tenantID, routeID).Delete(&Checkpoint{}).Error; err != nil {
			return nil, err
		}
	}
	return out, tx.CreateInBatches(out, 100).Error
}

// UpdateRoute replaces a route's fields and points. Rounds not started yet
// are planned again from the new schedule; started and past rounds stay.
func (s *Service) UpdateRoute(ctx context.Context, tenantID, id uuid.UUID, in RouteInput) (r Route, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&r).Error); err != nil {
			return err
		}
		if err := s.check(store.Ctx(tx), tenantID, &in); err != nil {
			return err
		}
		fillRoute(&r, in)
		r.UpdatedAt = s.clock()
		if err := tx.Save(&r).Error; err != nil {
			return err
		}
		if r.Checkpoints, err = s.writeCheckpoints(tx, tenantID, r.ID, in.Checkpoints); err != nil {
			return err
		}
		if err := dropFutureRounds(tx, tenantID, r.ID, s.clock()); err != nil {
			return err
		}
		_, err = s.planRoute(tx, tenantID, r, r.Checkpoints, s.clock())
		return err
	})
	return r, err
}

// DeleteRoute removes a route, its points and the rounds not started yet;
// past rounds stay for the record.
func (s *Service) DeleteRoute(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Route{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.NotFound
		}
		if err := tx.Where("tenant_id = ? AND route_id = ?", tenantID, id).Delete(&Checkpoint{}).Error; err != nil {
			return err
		}
		return dropFutureRounds(tx, tenantID, id, s.clock())
	})
}

// GetRoute returns a route with its checkpoints in order.
func (s *Service) GetRoute(ctx context.Context, tenantID, id uuid.UUID) (r Route, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&r).Error); err != nil {
			return err
		}
		return tx.Where("tenant_id = ? AND route_id = ?", tenantID, id).Order("position").Find(&r.Checkpoints).Error
	})
	return r, err
}

// RouteFilter narrows the route list.
type RouteFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
}

// ListRoutes lists routes with their checkpoints.
func (s *Service) ListRoutes(ctx context.Context, tenantID uuid.UUID, f RouteFilter, p paging.Paging) (out []Route, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Route{}).Where("tenant_id = ?", tenantID)
		if f.CommunityID != "" {
			id, err := uuid.Parse(f.CommunityID)
			if err != nil {
				return invalid([]apperr.FieldError{field("community_id", "invalid_id", "community_id must be a UUID", "小区编号格式不正确")})
			}
			q = q.Where("community_id = ?", id)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if err := p.Apply(q).Find(&out).Error; err != nil || len(out) == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(out))
		for i, r := range out {
			ids[i] = r.ID
		}
		var cps []Checkpoint
		if err := tx.Where("tenant_id = ? AND route_id IN ?", tenantID, ids).Order("position").Find(&cps).Error; err != nil {
			return err
		}
		for i := range out {
			out[i].Checkpoints = []Checkpoint{}
			for _, c := range cps {
				if c.RouteID == out[i].ID {
					out[i].Checkpoints = append(out[i].Checkpoints, c)
				}
			}
		}
		return nil
	})
	return out, total, err
}

// RotateToken gives a checkpoint a new QR token (the old printed code stops
// working at once) and returns the point.
func (s *Service) RotateToken(ctx context.Context, tenantID, id uuid.UUID) (c Checkpoint, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&c).Error); err != nil {
			return err
		}
		c.Token, c.TokenRotatedAt = newToken(), s.clock()
		return tx.Model(&c).Updates(map[string]any{"token": c.Token, "token_rotated_at": c.TokenRotatedAt}).Error
	})
	return c, err
}

// QRContent is what a checkpoint's QR code holds: a prefix naming the app,
// then the token. The guard's app posts the token after the prefix.
const QRPrefix = "wuye-patrol:"

// QRCode renders a checkpoint's QR code as a PNG of size pixels.
func (s *Service) QRCode(ctx context.Context, tenantID, id uuid.UUID, size int) ([]byte, error) {
	var c Checkpoint
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&c).Error)
	})
	if err != nil {
		return nil, err
	}
	return qrcode.Encode(QRPrefix+c.Token, qrcode.Medium, size)
}
