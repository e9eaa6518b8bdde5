package patrol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/store"
)

// Round statuses: scheduled until its window closes (or every point is
// checked in), then complete or incomplete (some point missed).
const (
	StatusScheduled  = "scheduled"
	StatusComplete   = "complete"
	StatusIncomplete = "incomplete"
)

// PlanAhead is how far ahead rounds are planned, so guards see tonight's.
const PlanAhead = 24 * time.Hour

// Round is one scheduled occurrence of a route.
type Round struct {
	TenantID      uuid.UUID    `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID    `gorm:"primaryKey" json:"id"`
	RouteID       uuid.UUID    `json:"route_id"`
	CommunityID   uuid.UUID    `json:"community_id"`
	SlotStart     time.Time    `json:"slot_start"`
	ClosesAt      time.Time    `json:"closes_at"`  // end of the window; later check-ins are late
	LateUntil     time.Time    `json:"late_until"` // no check-in after this
	Status        string       `json:"status"`
	GuardID       *uuid.UUID   `json:"guard_id"` // who checked in first
	GuardName     string       `json:"guard_name"`
	PointsTotal   int          `json:"points_total"`
	PointsChecked int          `json:"points_checked"`
	PointsLate    int          `json:"points_late"`
	PointsMissed  int          `json:"points_missed"`
	ClosedAt      *time.Time   `json:"closed_at"`
	CreatedAt     time.Time    `json:"created_at"`
	Points        []RoundPoint `gorm:"-" json:"points,omitempty"`
}

func (Round) TableName() string { return "patrol_rounds" }

// RoundPoint is a checkpoint within one round: checked in or not, and how.
type RoundPoint struct {
	TenantID      uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID  `gorm:"primaryKey" json:"id"`
	RoundID       uuid.UUID  `json:"round_id"`
	CheckpointID  uuid.UUID  `json:"checkpoint_id"`
	Position      int        `json:"position"`
	Name          string     `json:"name"`
	CheckedAt     *time.Time `json:"checked_at"`
	CheckedBy     *uuid.UUID `json:"checked_by"`
	CheckedByName string     `json:"checked_by_name"`
	Late          bool       `json:"late"`
	OutOfOrder    bool       `json:"out_of_order"`
	Abnormal      bool       `json:"abnormal"`
	Note          string     `json:"note"`
	PhotoID       *uuid.UUID `json:"photo_id"`
	Missed        bool       `json:"missed"`
}

func (RoundPoint) TableName() string { return "patrol_round_points" }

// slots lists the route's round starts with from <= start < to, in loc.
func slots(r Route, loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	day := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -1)
	for ; day.Before(to); day = day.AddDate(0, 0, 1) {
		if len(r.Weekdays) > 0 && !slices.Contains(r.Weekdays, int(day.Weekday())) {
			continue
		}
		for _, t := range r.Times {
			h, m, ok := clock(t)
			if !ok {
				continue
			}
			at := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
			if !at.Before(from) && at.Before(to) {
				out = append(out, at.UTC())
			}
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// planRoute creates the rounds of r's slots from those still open at now to
// PlanAhead, each once (the unique route+slot index makes a second planning
// a no-op), with a point per checkpoint. It returns how many were new.
func (s *Service) planRoute(tx *gorm.DB, tenantID uuid.UUID, r Route, cps []Checkpoint, now time.Time) (int, error) {
	if !r.Active || len(cps) == 0 {
		return 0, nil
	}
	loc := s.zone(store.Ctx(tx), tenantID)
	window := time.Duration(r.WindowMinutes+r.LateMinutes) * time.Minute
	n := 0
	for _, start := range slots(r, loc, now.Add(-window), now.Add(PlanAhead)) {
		closes := start.Add(time.Duration(r.WindowMinutes) * time.Minute)
		rd := Round{TenantID: tenantID, ID: store.NewID(), RouteID: r.ID, CommunityID: r.CommunityID, SlotStart: start,
			ClosesAt: closes, LateUntil: closes.Add(time.Duration(r.LateMinutes) * time.Minute), Status: StatusScheduled,
			PointsTotal: len(cps), CreatedAt: now}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rd)
		if res.Error != nil {
			return n, res.Error
		}
		if res.RowsAffected == 0 {
			continue
		}
		n++
		pts := make([]RoundPoint, len(cps))
		for i, c := range cps {
			pts[i] = RoundPoint{TenantID: tenantID, ID: store.NewID(), RoundID: rd.ID, CheckpointID: c.ID, Position: c.Position, Name: c.Name}
		}
		if err := tx.CreateInBatches(pts, 100).Error; err != nil {
			return n, err
		}
	}
	return n, nil
}

// dropFutureRounds deletes the route's rounds that have not started.
func dropFutureRounds(tx *gorm.DB, tenantID, routeID uuid.UUID, now time.Time) error {
	var ids []uuid.UUID
	if err := tx.Model(&Round{}).Where("tenant_id = ? AND route_id = ? AND status = ? AND slot_start > ?", tenantID, routeID, StatusScheduled, now).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return err
	}
	if err := tx.Where("tenant_id = ? AND round_id IN ?", tenantID, ids).Delete(&RoundPoint{}).Error; err != nil {
		return err
	}
	return tx.Where("tenant_id = ? AND id IN ?", tenantID, ids).Delete(&Round{}).Error
}

// Tick is the periodic work of one tenant: plan the rounds of the next
// PlanAhead and close the rounds whose window has passed. Idempotent.
func (s *Service) Tick(ctx context.Context, tenantID uuid.UUID) (planned, closed int, err error) {
	now := s.clock()
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var routes []Route
		if err := tx.Where("tenant_id = ? AND active = ?", tenantID, true).Find(&routes).Error; err != nil {
			return err
		}
		for _, r := range routes {
			var cps []Checkpoint
			if err := tx.Where("tenant_id = ? AND route_id = ?", tenantID, r.ID).Order("position").Find(&cps).Error; err != nil {
				return err
			}
			n, err := s.planRoute(tx, tenantID, r, cps, now)
			if err != nil {
				return err
			}
			planned += n
		}
		closed, err = s.closeDue(tx, tenantID, now)
		return err
	})
	return planned, closed, err
}

// closeDue closes every scheduled round whose last check-in time has passed:
// points not checked in become missed, the round complete or incomplete,
// and the managers are told about each incomplete round (one notice per
// round: its event is the round's id).
func (s *Service) closeDue(tx *gorm.DB, tenantID uuid.UUID, now time.Time) (int, error) {
	var due []Round
	if err := tx.Where("tenant_id = ? AND status = ? AND late_until <= ?", tenantID, StatusScheduled, now).Order("slot_start").Limit(1000).Find(&due).Error; err != nil || len(due) == 0 {
		return 0, err
	}
	var managers []uuid.UUID
	loc := s.zone(store.Ctx(tx), tenantID)
	names := map[uuid.UUID]string{}
	for _, rd := range due {
		res := tx.Model(&RoundPoint{}).Where("tenant_id = ? AND round_id = ? AND checked_at IS NULL", tenantID, rd.ID).Update("missed", true)
		if res.Error != nil {
			return 0, res.Error
		}
		missed := int(res.RowsAffected)
		status := StatusComplete
		if missed > 0 {
			status = StatusIncomplete
		}
		if err := tx.Model(&Round{}).Where("tenant_id = ? AND id = ?", tenantID, rd.ID).
			Updates(map[string]any{"status": status, "points_missed": missed, "closed_at": now}).Error; err != nil {
			return 0, err
		}
		if missed == 0 {
			continue
		}
		if managers == nil {
			m, err := s.staff.Managers(store.Ctx(tx), tenantID)
			if err != nil {
				return 0, err
			}
			managers = append([]uuid.UUID{}, m...)
		}
		name, ok := names[rd.RouteID]
		if !ok {
			var r Route
			tx.Select("name").Where("tenant_id = ? AND id = ?", tenantID, rd.RouteID).Limit(1).Find(&r)
			name, names[rd.RouteID] = r.Name, r.Name
		}
		var points []string
		if err := tx.Model(&RoundPoint{}).Where("tenant_id = ? AND round_id = ? AND missed = ?", tenantID, rd.ID, true).Order("position").Pluck("name", &points).Error; err != nil {
			return 0, err
		}
		if len(managers) == 0 {
			continue
		}
		err := s.notify.Notify(store.Ctx(tx), tenantID, Notice{
			Event: "patrol.missed:" + rd.ID.String(), Template: "patrol.missed", UserIDs: managers,
			Link: "/patrol-rounds/" + rd.ID.String(),
			Vars: map[string]string{"route": name, "slot": rd.SlotStart.In(loc).Format("2006-01-02 15:04"),
				"missed": fmt.Sprint(missed), "total": fmt.Sprint(rd.PointsTotal), "points": strings.Join(points, "、")},
		})
		if err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// CheckinInput is a scan at a checkpoint.
type CheckinInput struct {
	Token    string     `json:"token"` // the QR code's content, with or without the "wuye-patrol:" prefix
	Note     string     `json:"note"`
	Abnormal bool       `json:"abnormal"` // something is wrong at the point (note says what)
	PhotoID  *uuid.UUID `json:"photo_id,omitempty"`
}

// Checkin records a guard's scan in a round. A second scan of the same
// point answers the first check-in (created false) without changing it.
func (s *Service) Checkin(ctx context.Context, tenantID, roundID uuid.UUID, in CheckinInput) (p RoundPoint, created bool, err error) {
	in.Token = strings.TrimPrefix(strings.TrimSpace(in.Token), QRPrefix)
	by, _ := actor.From(ctx)
	now := s.clock()
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		// The round first: another tenant's round is not found whatever the body.
		var rd Round
		if err := store.NotFound(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND id = ?", tenantID, roundID).First(&rd).Error); err != nil {
			return err
		}
		var fe []apperr.FieldError
		if in.Token == "" {
			fe = append(fe, field("token", "required", "token is required: the scanned QR code", "token 必填:扫描到的二维码内容"))
		}
		if len(in.Note) > 1000 {
			fe = append(fe, field("note", "too_long", "note is at most 1000 bytes", "备注最多 1000 字节"))
		}
		if err := invalid(fe); err != nil {
			return err
		}
		var cp Checkpoint
		err := tx.Where("tenant_id = ? AND token = ?", tenantID, in.Token).Take(&cp).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrUnknownCheckpoint
		}
		if err != nil {
			return err
		}
		if cp.RouteID != rd.RouteID {
			return ErrNotOnRoute
		}
		err = tx.Where("tenant_id = ? AND round_id = ? AND checkpoint_id = ?", tenantID, rd.ID, cp.ID).Take(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotOnRoute // a point added to the route after this round was planned
		}
		if err != nil {
			return err
		}
		if p.CheckedAt != nil {
			return nil // the same point scanned again: idempotent
		}
		switch {
		case rd.Status != StatusScheduled || !now.Before(rd.LateUntil):
			return ErrRoundClosed
		case now.Before(rd.SlotStart):
			return ErrRoundNotOpen
		}
		var r Route
		if err := tx.Select("guard_ids").Where("tenant_id = ? AND id = ?", tenantID, rd.RouteID).Limit(1).Find(&r).Error; err != nil {
			return err
		}
		if len(r.GuardIDs) > 0 && !slices.Contains(r.GuardIDs, by.ID) {
			return ErrNotAssigned
		}
		if in.PhotoID != nil {
			if _, err := attachment.Get(tx, tenantID, photoOwner(rd.ID), *in.PhotoID); err != nil {
				return ErrUnknownPhoto
			}
		}
		var later int64
		if err := tx.Model(&RoundPoint{}).Where("tenant_id = ? AND round_id = ? AND checked_at IS NOT NULL AND position > ?", tenantID, rd.ID, p.Position).Count(&later).Error; err != nil {
			return err
		}
		uid := by.ID
		p.CheckedAt, p.CheckedBy, p.CheckedByName = &now, &uid, by.Name
		p.Late, p.OutOfOrder, p.Abnormal, p.Note, p.PhotoID = now.After(rd.ClosesAt), later > 0, in.Abnormal, strings.TrimSpace(in.Note), in.PhotoID
		if err := tx.Save(&p).Error; err != nil {
			return err
		}
		created = true
		upd := map[string]any{"points_checked": gorm.Expr("points_checked + 1")}
		if p.Late {
			upd["points_late"] = gorm.Expr("points_late + 1")
		}
		if rd.GuardID == nil {
			upd["guard_id"], upd["guard_name"] = uid, by.Name
		}
		if rd.PointsChecked+1 >= rd.PointsTotal {
			upd["status"], upd["closed_at"] = StatusComplete, now
		}
		return tx.Model(&Round{}).Where("tenant_id = ? AND id = ?", tenantID, rd.ID).Updates(upd).Error
	})
	return p, created, err
}

// PhotoOwnerKind names rounds as owners of check-in photos.
const PhotoOwnerKind = "patrol_round"

func photoOwner(id uuid.UUID) attachment.Owner { return attachment.Owner{Kind: PhotoOwnerKind, ID: id} }

// CheckRound answers not found unless the round exists (asked before an
// upload is read).
func (s *Service) CheckRound(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return store.NotFound(tx.Select("id").Where("tenant_id = ? AND id = ?", tenantID, id).Take(&Round{}).Error)
	})
}

// Photo returns one check-in photo of a round; another round's (or
// tenant's) photo is not found.
func (s *Service) Photo(ctx context.Context, tenantID, roundID, photoID uuid.UUID) (out attachment.Attachment, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = attachment.Get(tx, tenantID, photoOwner(roundID), photoID)
		return err
	})
	return out, err
}

// CopyPhoto streams a photo found by Photo to w.
func (s *Service) CopyPhoto(ctx context.Context, w io.Writer, tenantID uuid.UUID, a attachment.Attachment) error {
	if a.OwnerKind != PhotoOwnerKind {
		return apperr.NotFound
	}
	return attachment.NewStore(s.db).Copy(ctx, w, tenantID, a)
}

// AddPhoto stores a check-in photo of a round (images only); a check-in
// then names it by photo_id.
func (s *Service) AddPhoto(ctx context.Context, tenantID, roundID uuid.UUID, f attachment.File) (out attachment.Attachment, err error) {
	switch f.ContentType {
	case "image/jpeg", "image/png", "image/webp":
	default:
		return out, ErrNotImage
	}
	by, _ := actor.From(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var rd Round
		if err := store.NotFound(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND id = ?", tenantID, roundID).First(&rd).Error); err != nil {
			return err
		}
		if rd.Status != StatusScheduled || !s.clock().Before(rd.LateUntil) {
			return ErrRoundClosed
		}
		out, err = attachment.Put(tx, tenantID, photoOwner(roundID), f, by)
		return err
	})
	return out, err
}
