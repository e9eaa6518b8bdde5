package notify

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/chunk"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Item is one entry of a user's in-app inbox.
type Item struct {
	TenantID  uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID  `gorm:"primaryKey" json:"id"`
	UserID    uuid.UUID  `json:"-"`
	Event     string     `json:"-"`
	Template  string     `json:"template"`
	Category  string     `json:"category"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	Urgent    bool       `json:"urgent"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func (Item) TableName() string { return "notify_inbox" }

// InboxFilter narrows a user's inbox.
type InboxFilter struct {
	Unread   bool   `form:"unread" json:"unread"`     // only unread entries
	Category string `form:"category" json:"category"` // billing, workorder, announcement, survey, patrol
}

// Inbox lists a user's entries, unread first and newest first within each.
func (s *Service) Inbox(ctx context.Context, tenantID, userID uuid.UUID, f InboxFilter, p paging.Paging) (out []Item, total int64, err error) {
	if f.Category != "" && !slices.Contains(Categories, f.Category) {
		return nil, 0, invalid([]apperr.FieldError{field("category", "unknown_category", "category must be one of "+strings.Join(Categories, ", "), "类别须为 "+strings.Join(Categories, "、")+" 之一")})
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Item{}).Where("tenant_id = ? AND user_id = ?", tenantID, userID)
		if f.Unread {
			q = q.Where("read_at IS NULL")
		}
		if f.Category != "" {
			q = q.Where("category = ?", f.Category)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" && p.Keyset == nil {
			// Unread first, then newest (ids are UUIDv7: time ordered).
			q = q.Order("CASE WHEN read_at IS NULL THEN 0 ELSE 1 END")
			p.Order = "id DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// UnreadCount counts a user's unread entries.
func (s *Service) UnreadCount(ctx context.Context, tenantID, userID uuid.UUID) (n int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Model(&Item{}).Where("tenant_id = ? AND user_id = ? AND read_at IS NULL", tenantID, userID).Count(&n).Error
	})
	return n, err
}

// MarkRead marks one of the user's entries read; another user's entry is not found.
func (s *Service) MarkRead(ctx context.Context, tenantID, userID, id uuid.UUID) (it Item, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ? AND id = ? AND user_id = ?", tenantID, id, userID).Take(&it).Error; err != nil {
			if store.IsNotFound(err) {
				return apperr.NotFound
			}
			return err
		}
		if it.ReadAt != nil {
			return nil
		}
		now := s.now().UTC()
		it.ReadAt = &now
		if err := tx.Model(&Item{}).Where("tenant_id = ? AND id = ?", tenantID, id).Update("read_at", now).Error; err != nil {
			return err
		}
		// An announcement read from the inbox counts as read there too.
		if a, ok := strings.CutPrefix(it.Event, "announcement:"); ok {
			if aid, err := uuid.Parse(a); err == nil {
				return markAnnouncementRead(tx, tenantID, aid, userID, now)
			}
		}
		return nil
	})
	return it, err
}

// MarkAllRead marks every unread entry of the user read and says how many.
func (s *Service) MarkAllRead(ctx context.Context, tenantID, userID uuid.UUID) (n int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Model(&Item{}).Where("tenant_id = ? AND user_id = ? AND read_at IS NULL", tenantID, userID).Update("read_at", s.now().UTC())
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// prefRow is one user's channel choices and quiet hours.
type prefRow struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	UserID     uuid.UUID
	Channels   string
	QuietStart string
	QuietEnd   string
	UpdatedAt  time.Time
}

func (prefRow) TableName() string { return "notify_preferences" }

// Preferences are a user's choices. Channels maps a category to the channels
// the user turned on (true) or off (false); a channel not named follows the
// template's default. The inbox is always on. Quiet hours, when set,
// replace the tenant's for this user's SMS and email.
type Preferences struct {
	Channels   map[string]map[string]bool `json:"channels"`
	QuietStart string                     `json:"quiet_start"`
	QuietEnd   string                     `json:"quiet_end"`
}

// PrefChannels are the channels a user can turn on or off.
var PrefChannels = []string{ChannelSMS, ChannelEmail}

func (r prefRow) view() Preferences {
	p := Preferences{Channels: map[string]map[string]bool{}, QuietStart: r.QuietStart, QuietEnd: r.QuietEnd}
	_ = json.Unmarshal([]byte(r.Channels), &p.Channels)
	return p
}

// GetPreferences returns a user's preferences (none set: every template's defaults).
func (s *Service) GetPreferences(ctx context.Context, tenantID, userID uuid.UUID) (out Preferences, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		m, err := prefsOf(tx, tenantID, []uuid.UUID{userID})
		out = m[userID].view()
		return err
	})
	return out, err
}

// PutPreferences replaces a user's preferences.
func (s *Service) PutPreferences(ctx context.Context, tenantID, userID uuid.UUID, in Preferences) (Preferences, error) {
	in.QuietStart, in.QuietEnd = strings.TrimSpace(in.QuietStart), strings.TrimSpace(in.QuietEnd)
	fe := checkQuiet(in.QuietStart, in.QuietEnd)
	for cat, chs := range in.Channels {
		if !slices.Contains(Categories, cat) {
			fe = append(fe, field("channels."+cat, "unknown_category", "category must be one of "+strings.Join(Categories, ", "), "类别须为 "+strings.Join(Categories, "、")+" 之一"))
			continue
		}
		for ch := range chs {
			if !slices.Contains(PrefChannels, ch) {
				fe = append(fe, field("channels."+cat+"."+ch, "unknown_channel", "a preference names sms or email (the inbox is always on)", "偏好只能设置 sms 或 email(站内信始终开启)"))
			}
		}
	}
	if err := invalid(fe); err != nil {
		return Preferences{}, err
	}
	if in.Channels == nil {
		in.Channels = map[string]map[string]bool{}
	}
	b, _ := json.Marshal(in.Channels)
	row := prefRow{TenantID: tenantID, ID: store.NewID(), UserID: userID, Channels: string(b), QuietStart: in.QuietStart, QuietEnd: in.QuietEnd, UpdatedAt: s.now().UTC()}
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"channels", "quiet_start", "quiet_end", "updated_at"}),
		}).Create(&row).Error
	})
	return in, err
}

// prefsOf loads the preferences of users, 500 at a time.
func prefsOf(tx *gorm.DB, tenantID uuid.UUID, users []uuid.UUID) (map[uuid.UUID]prefRow, error) {
	out := map[uuid.UUID]prefRow{}
	err := chunk.Unique(users, func(part []uuid.UUID) error {
		var rows []prefRow
		if err := tx.Where("tenant_id = ? AND user_id IN ?", tenantID, part).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			out[r.UserID] = r
		}
		return nil
	})
	return out, err
}
