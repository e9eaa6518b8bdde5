package notify

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Announcement states.
const (
	AnnDraft     = "draft"
	AnnPublished = "published"
	AnnWithdrawn = "withdrawn"
)

// Announcement is a notice (通知公告) to a community, a building or a tagged
// group of residents. Recipients and Read count its audience at publishing
// and how many of them have read it.
type Announcement struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Audience    string     `json:"audience"` // community, building or tag
	CommunityID *uuid.UUID `json:"community_id"`
	BuildingID  *uuid.UUID `json:"building_id"`
	Tag         string     `json:"tag"`
	Urgent      bool       `json:"urgent"`
	Status      string     `json:"status"`
	Recipients  int        `json:"recipients"`
	Read        int64      `gorm:"-" json:"read"`
	CreatedBy   string     `json:"created_by"`
	PublishedAt *time.Time `json:"published_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func (Announcement) TableName() string { return "announcements" }

// AnnouncementInput writes a draft.
type AnnouncementInput struct {
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Audience    string     `json:"audience"` // community, building or tag
	CommunityID *uuid.UUID `json:"community_id"`
	BuildingID  *uuid.UUID `json:"building_id"`
	Tag         string     `json:"tag"` // a care tag (elderly_alone …); community_id narrows it
	Urgent      bool       `json:"urgent"`
}

type recipientRow struct {
	TenantID       uuid.UUID `gorm:"primaryKey"`
	ID             uuid.UUID `gorm:"primaryKey"`
	AnnouncementID uuid.UUID
	PersonID       uuid.UUID
	UserID         *uuid.UUID
	Name           string
	ReadAt         *time.Time
}

func (recipientRow) TableName() string { return "announcement_recipients" }

func (in *AnnouncementInput) check() error {
	var fe []apperr.FieldError
	in.Title, in.Body, in.Tag = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body), strings.TrimSpace(in.Tag)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 100 {
		fe = append(fe, field("title", "required", "title is required (at most 100 characters)", "标题必填(不超过 100 个字)"))
	}
	if in.Body == "" || len(in.Body) > 20000 {
		fe = append(fe, field("body", "required", "body is required (at most 20000 bytes)", "正文必填(不超过 20000 字节)"))
	}
	switch in.Audience {
	case AudienceCommunity:
		if in.CommunityID == nil {
			fe = append(fe, field("community_id", "required", "community_id is required", "请选择小区"))
		}
	case AudienceBuilding:
		if in.BuildingID == nil {
			fe = append(fe, field("building_id", "required", "building_id is required", "请选择楼栋"))
		}
	case AudienceTag:
		if in.Tag == "" {
			fe = append(fe, field("tag", "required", "tag is required", "请填写标签"))
		}
	default:
		fe = append(fe, field("audience", "unknown_audience", "audience must be community, building or tag", "发送范围须为 community、building 或 tag"))
	}
	return invalid(fe)
}

func (a Announcement) target() Target {
	t := Target{Kind: a.Audience, Tag: a.Tag}
	if a.CommunityID != nil {
		t.CommunityID = *a.CommunityID
	}
	if a.BuildingID != nil {
		t.BuildingID = *a.BuildingID
	}
	return t
}

func (s *Service) checkTarget(tx *gorm.DB, tenantID uuid.UUID, in AnnouncementInput) error {
	a := Announcement{Audience: in.Audience, CommunityID: in.CommunityID, BuildingID: in.BuildingID, Tag: in.Tag}
	ok, err := s.deps.Audience.Exists(store.Ctx(tx), tenantID, a.target())
	if err != nil {
		return err
	}
	if !ok {
		return ErrUnknownTarget
	}
	return nil
}

// CreateAnnouncement writes a draft.
func (s *Service) CreateAnnouncement(ctx context.Context, tenantID uuid.UUID, by string, in AnnouncementInput) (a Announcement, err error) {
	if err := in.check(); err != nil {
		return a, err
	}
	now := s.now().UTC()
	a = Announcement{TenantID: tenantID, ID: store.NewID(), Title: in.Title, Body: in.Body, Audience: in.Audience,
		CommunityID: in.CommunityID, BuildingID: in.BuildingID, Tag: in.Tag, Urgent: in.Urgent, Status: AnnDraft,
		CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := s.checkTarget(tx, tenantID, in); err != nil {
			return err
		}
		return tx.Create(&a).Error
	})
	return a, err
}

// UpdateAnnouncement rewrites a draft.
func (s *Service) UpdateAnnouncement(ctx context.Context, tenantID, id uuid.UUID, in AnnouncementInput) (a Announcement, err error) {
	if err := in.check(); err != nil {
		return a, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if a, err = announcementIn(tx, tenantID, id, true); err != nil {
			return err
		}
		if a.Status != AnnDraft {
			return ErrNotDraft
		}
		if err := s.checkTarget(tx, tenantID, in); err != nil {
			return err
		}
		a.Title, a.Body, a.Audience, a.CommunityID, a.BuildingID, a.Tag, a.Urgent = in.Title, in.Body, in.Audience, in.CommunityID, in.BuildingID, in.Tag, in.Urgent
		a.UpdatedAt = s.now().UTC()
		return tx.Save(&a).Error
	})
	return a, err
}

func announcementIn(tx *gorm.DB, tenantID, id uuid.UUID, lock bool) (Announcement, error) {
	var a Announcement
	q := tx.Where("tenant_id = ? AND id = ?", tenantID, id)
	if lock && tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Take(&a).Error
	if store.IsNotFound(err) {
		return a, apperr.NotFound
	}
	return a, err
}

// GetAnnouncement returns an announcement with its read count.
func (s *Service) GetAnnouncement(ctx context.Context, tenantID, id uuid.UUID) (a Announcement, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if a, err = announcementIn(tx, tenantID, id, false); err != nil {
			return err
		}
		return tx.Model(&recipientRow{}).Where("tenant_id = ? AND announcement_id = ? AND read_at IS NOT NULL", tenantID, id).Count(&a.Read).Error
	})
	return a, err
}

// AnnouncementFilter narrows the staff list.
type AnnouncementFilter struct {
	Status string `form:"status" json:"status"` // draft, published, withdrawn
}

// ListAnnouncements lists announcements, newest first, with read counts.
func (s *Service) ListAnnouncements(ctx context.Context, tenantID uuid.UUID, f AnnouncementFilter, p paging.Paging) (out []Announcement, total int64, err error) {
	if f.Status != "" && !slices.Contains([]string{AnnDraft, AnnPublished, AnnWithdrawn}, f.Status) {
		return nil, 0, invalid([]apperr.FieldError{field("status", "unknown_status", "status must be draft, published or withdrawn", "状态须为 draft、published 或 withdrawn")})
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Announcement{}).Where("tenant_id = ?", tenantID)
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "created_at DESC"
		}
		if err := p.Apply(q).Find(&out).Error; err != nil {
			return err
		}
		return fillReads(tx, tenantID, out)
	})
	return out, total, err
}

func fillReads(tx *gorm.DB, tenantID uuid.UUID, as []Announcement) error {
	var ids []uuid.UUID
	for _, a := range as {
		if a.Status != AnnDraft {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		AnnouncementID uuid.UUID
		N              int64
	}
	if err := tx.Model(&recipientRow{}).Select("announcement_id, COUNT(*) AS n").
		Where("tenant_id = ? AND announcement_id IN ? AND read_at IS NOT NULL", tenantID, ids).Group("announcement_id").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		for i := range as {
			if as[i].ID == r.AnnouncementID {
				as[i].Read = r.N
			}
		}
	}
	return nil
}

// PublishAnnouncement resolves the audience, records each recipient, and
// sends the announcement to every recipient's inbox and channels, all in one
// transaction: the outbox carries the deliveries.
func (s *Service) PublishAnnouncement(ctx context.Context, tenantID, id uuid.UUID) (a Announcement, err error) {
	loc := s.deps.Zone(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if a, err = announcementIn(tx, tenantID, id, true); err != nil {
			return err
		}
		if a.Status != AnnDraft {
			return ErrNotDraft
		}
		members, err := s.deps.Audience.Members(store.Ctx(tx), tenantID, a.target())
		if err != nil {
			return err
		}
		if len(members) == 0 {
			return ErrEmptyAudience
		}
		rows := make([]recipientRow, 0, len(members))
		to := make([]Recipient, 0, len(members))
		seen := make(map[uuid.UUID]bool, len(members))
		for _, m := range members {
			if seen[m.PersonID] {
				continue
			}
			seen[m.PersonID] = true
			r := recipientRow{TenantID: tenantID, ID: store.NewID(), AnnouncementID: a.ID, PersonID: m.PersonID, Name: m.Name}
			rc := Recipient{Name: m.Name, Lang: m.Lang}
			if m.UserID != uuid.Nil {
				u := m.UserID
				r.UserID, rc.UserID = &u, u
			} else {
				rc.Phone = m.Phone
			}
			rows = append(rows, r)
			to = append(to, rc)
		}
		if err := tx.CreateInBatches(&rows, 1000).Error; err != nil {
			return err
		}
		now := s.now().UTC()
		a.Status, a.Recipients, a.PublishedAt, a.UpdatedAt = AnnPublished, len(rows), &now, now
		if err := tx.Save(&a).Error; err != nil {
			return err
		}
		_, err = s.send(tx, tenantID, loc, Message{Event: "announcement:" + a.ID.String(), Template: "announcement.published",
			Vars: map[string]string{"title": a.Title, "summary": summary(a.Body)}, To: to, Link: "/announcements/" + a.ID.String(), Urgent: a.Urgent})
		return err
	})
	return a, err
}

// summary is the first 70 characters of a body, for SMS and inbox lines.
func summary(body string) string {
	r := []rune(strings.Join(strings.Fields(body), " "))
	if len(r) <= 70 {
		return string(r)
	}
	return string(r[:70]) + "…"
}

// WithdrawAnnouncement takes a published announcement back: residents no
// longer see it; what was delivered stays delivered.
func (s *Service) WithdrawAnnouncement(ctx context.Context, tenantID, id uuid.UUID) (a Announcement, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if a, err = announcementIn(tx, tenantID, id, true); err != nil {
			return err
		}
		if a.Status != AnnPublished {
			return ErrNotPublished
		}
		now := s.now().UTC()
		a.Status, a.WithdrawnAt, a.UpdatedAt = AnnWithdrawn, &now, now
		return tx.Save(&a).Error
	})
	return a, err
}

// DeleteAnnouncement removes a draft.
func (s *Service) DeleteAnnouncement(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		a, err := announcementIn(tx, tenantID, id, true)
		if err != nil {
			return err
		}
		if a.Status != AnnDraft {
			return ErrNotDraft
		}
		return tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Announcement{}).Error
	})
}

// Reader is one recipient of an announcement.
type Reader struct {
	PersonID   uuid.UUID  `json:"person_id"`
	Name       string     `json:"name"`
	HasAccount bool       `json:"has_account"`
	ReadAt     *time.Time `json:"read_at"`
}

// ReaderFilter picks the recipients who have (read=true) or have not (false) read it.
type ReaderFilter struct {
	Read *bool `form:"read" json:"read"`
}

// Readers lists an announcement's recipients (by name).
func (s *Service) Readers(ctx context.Context, tenantID, id uuid.UUID, f ReaderFilter, p paging.Paging) (out []Reader, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := announcementIn(tx, tenantID, id, false); err != nil {
			return err
		}
		q := tx.Model(&recipientRow{}).Where("tenant_id = ? AND announcement_id = ?", tenantID, id)
		if f.Read != nil && *f.Read {
			q = q.Where("read_at IS NOT NULL")
		} else if f.Read != nil {
			q = q.Where("read_at IS NULL")
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "name"
		}
		var rows []recipientRow
		if err := p.Apply(q).Find(&rows).Error; err != nil {
			return err
		}
		out = make([]Reader, len(rows))
		for i, r := range rows {
			out[i] = Reader{PersonID: r.PersonID, Name: r.Name, HasAccount: r.UserID != nil, ReadAt: r.ReadAt}
		}
		return nil
	})
	return out, total, err
}

// MyAnnouncement is an announcement as a resident sees it.
type MyAnnouncement struct {
	ID          uuid.UUID  `json:"id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Urgent      bool       `json:"urgent"`
	PublishedAt *time.Time `json:"published_at"`
	ReadAt      *time.Time `json:"read_at"`
}

// MyAnnouncements lists the published announcements addressed to the user, newest first.
func (s *Service) MyAnnouncements(ctx context.Context, tenantID, userID uuid.UUID, p paging.Paging) (out []MyAnnouncement, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var recs []recipientRow
		if err := tx.Where("tenant_id = ? AND user_id = ?", tenantID, userID).Find(&recs).Error; err != nil {
			return err
		}
		if len(recs) == 0 {
			out = []MyAnnouncement{}
			return nil
		}
		read := map[uuid.UUID]*time.Time{}
		ids := make([]uuid.UUID, 0, len(recs))
		for _, r := range recs {
			read[r.AnnouncementID] = r.ReadAt
			ids = append(ids, r.AnnouncementID)
		}
		q := tx.Model(&Announcement{}).Where("tenant_id = ? AND status = ? AND id IN ?", tenantID, AnnPublished, ids)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "published_at DESC"
		}
		var as []Announcement
		if err := p.Apply(q).Find(&as).Error; err != nil {
			return err
		}
		out = make([]MyAnnouncement, len(as))
		for i, a := range as {
			out[i] = MyAnnouncement{ID: a.ID, Title: a.Title, Body: a.Body, Urgent: a.Urgent, PublishedAt: a.PublishedAt, ReadAt: read[a.ID]}
		}
		return nil
	})
	return out, total, err
}

// ReadMyAnnouncement returns one announcement addressed to the user and
// marks it (and its inbox entry) read; any other is not found.
func (s *Service) ReadMyAnnouncement(ctx context.Context, tenantID, userID, id uuid.UUID) (out MyAnnouncement, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var recs []recipientRow
		if err := tx.Where("tenant_id = ? AND announcement_id = ? AND user_id = ?", tenantID, id, userID).Limit(1).Find(&recs).Error; err != nil {
			return err
		}
		if len(recs) == 0 {
			return apperr.NotFound
		}
		a, err := announcementIn(tx, tenantID, id, false)
		if err != nil {
			return err
		}
		if a.Status != AnnPublished {
			return apperr.NotFound
		}
		readAt := recs[0].ReadAt
		if readAt == nil {
			now := s.now().UTC()
			readAt = &now
			if err := markAnnouncementRead(tx, tenantID, id, userID, now); err != nil {
				return err
			}
			if err := tx.Model(&Item{}).Where("tenant_id = ? AND event = ? AND user_id = ? AND read_at IS NULL", tenantID, "announcement:"+id.String(), userID).
				Update("read_at", now).Error; err != nil {
				return err
			}
		}
		out = MyAnnouncement{ID: a.ID, Title: a.Title, Body: a.Body, Urgent: a.Urgent, PublishedAt: a.PublishedAt, ReadAt: readAt}
		return nil
	})
	return out, err
}

func markAnnouncementRead(tx *gorm.DB, tenantID, id, userID uuid.UUID, at time.Time) error {
	return tx.Model(&recipientRow{}).Where("tenant_id = ? AND announcement_id = ? AND user_id = ? AND read_at IS NULL", tenantID, id, userID).
		Update("read_at", at).Error
}
