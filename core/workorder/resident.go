package workorder

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// ActMine is a resident's own action on their order: confirm (accept the
// result; the only way a complaint ends), reopen (not fixed) or cancel.
func (s *Service) ActMine(ctx context.Context, tenantID, userID, id uuid.UUID, action string, in ActionInput) (o Order, err error) {
	if action != ActConfirm && action != ActReopen && action != ActCancel {
		return o, apperr.NotFound
	}
	in.Result, in.ExpectedArrival = "", nil
	if err := in.check(action); err != nil {
		return o, err
	}
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = s.mine(tx, tenantID, userID, id, true); err != nil {
			return err
		}
		return s.apply(tx, &o, action, in, by)
	})
	return o, err
}

// Chase (催单) reminds the technician and the managers of an open order, at
// most once per the tenant's chase interval.
func (s *Service) Chase(ctx context.Context, tenantID, userID, id uuid.UUID) (o Order, err error) {
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = s.mine(tx, tenantID, userID, id, true); err != nil {
			return err
		}
		if !o.open() {
			return ErrIllegalTransition.Withf(o.Status, "chase").WithDetails(map[string]string{"from": o.Status, "to": o.Status, "action": "chase"})
		}
		st, err := settingsIn(tx, tenantID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if o.ChasedAt != nil && now.Sub(*o.ChasedAt) < time.Duration(st.ChaseMinutes)*time.Minute {
			return ErrChaseTooSoon.WithDetails(map[string]string{"retry_after": o.ChasedAt.Add(time.Duration(st.ChaseMinutes) * time.Minute).Format(time.RFC3339)})
		}
		res := tx.Model(&Order{}).Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"chase_count": gorm.Expr("chase_count + 1"), "chased_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		o.ChaseCount++
		o.ChasedAt = &now
		ev, err := s.event(tx, &o, "chased", "", "", "", by)
		if err != nil {
			return err
		}
		var extra []uuid.UUID
		if o.AssigneeID != nil {
			extra = append(extra, *o.AssigneeID)
		}
		return s.notifyRoles(tx, &o, ev, "workorder.chased", true, extra, roleManager)
	})
	return o, err
}

// RatingInput is a resident's rating of a resolved order.
type RatingInput struct {
	Stars   int    `json:"stars"` // 1–5
	Comment string `json:"comment"`
}

// Rate records the resident's rating (1–5 and a comment) once, after the
// order is resolved.
func (s *Service) Rate(ctx context.Context, tenantID, userID, id uuid.UUID, in RatingInput) (o Order, err error) {
	in.Comment = strings.TrimSpace(in.Comment)
	if in.Stars < 1 || in.Stars > 5 || len(in.Comment) > 2000 {
		return o, invalid([]apperr.FieldError{field("stars", "out_of_range", "stars must be 1 to 5 (comment at most 2000 bytes)", "评分须为 1–5 星(评语最多 2000 字节)")})
	}
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = s.mine(tx, tenantID, userID, id, true); err != nil {
			return err
		}
		if !slices.Contains([]string{StatusResolved, StatusConfirmed, StatusClosed}, o.Status) {
			return ErrNotResolved
		}
		if o.Rating != nil {
			return ErrAlreadyRated
		}
		now := s.now().UTC()
		if err := tx.Model(&Order{}).Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"rating": in.Stars, "rating_comment": in.Comment, "rated_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		o.Rating, o.RatingComment, o.RatedAt = &in.Stars, in.Comment, &now
		_, err := s.event(tx, &o, "rated", "", "", strings.Repeat("★", in.Stars)+" "+in.Comment, by)
		return err
	})
	return o, err
}

// FollowUpInput is the note of a follow-up visit or call (回访).
type FollowUpInput struct {
	Note string `json:"note"`
}

// FollowUp records staff's follow-up with the resident after resolution.
func (s *Service) FollowUp(ctx context.Context, tenantID, id uuid.UUID, in FollowUpInput) (o Order, err error) {
	in.Note = strings.TrimSpace(in.Note)
	if in.Note == "" || len(in.Note) > 2000 {
		return o, invalid([]apperr.FieldError{field("note", "required", "note is required (at most 2000 bytes)", "回访记录必填(最多 2000 字节)")})
	}
	by := who(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if o, err = load(tx, tenantID, id); err != nil {
			return err
		}
		if !slices.Contains([]string{StatusResolved, StatusConfirmed, StatusClosed}, o.Status) {
			return ErrNotResolved
		}
		now := s.now().UTC()
		if err := tx.Model(&Order{}).Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"follow_up": in.Note, "followed_up_at": now, "followed_up_by": actorName(by), "updated_at": now}).Error; err != nil {
			return err
		}
		o.FollowUp, o.FollowedUpAt, o.FollowedUpBy = in.Note, &now, actorName(by)
		_, err := s.event(tx, &o, "follow_up", "", "", in.Note, by)
		return err
	})
	return o, err
}
