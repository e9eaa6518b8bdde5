package survey

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Survey statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusClosed    = "closed"
)

// Question kinds.
const (
	KindSingle   = "single"
	KindMultiple = "multiple"
	KindRating   = "rating"
	KindText     = "text"
)

// Survey is a questionnaire and where it goes.
type Survey struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	CommunityID uuid.UUID  `json:"community_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	TargetKind  string     `json:"target_kind"` // community, building or tag
	TargetID    *uuid.UUID `json:"target_id"`   // the building
	TargetTag   string     `json:"target_tag"`
	OpensOn     civil.Date `json:"opens_on"`
	ClosesOn    civil.Date `json:"closes_on"`
	Status      string     `json:"status"`
	Recipients  int        `json:"recipients"` // residents it was sent to (0 until published)
	PublishedAt *time.Time `json:"published_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Questions   []Question `gorm:"-" json:"questions,omitempty"`
}

// Question is one question of a survey. Code names it in answers and
// across surveys (trends compare a code's average rating over time).
type Question struct {
	TenantID uuid.UUID `gorm:"primaryKey" json:"-"`
	ID       uuid.UUID `gorm:"primaryKey" json:"id"`
	SurveyID uuid.UUID `json:"-"`
	Position int       `json:"position"`
	Code     string    `json:"code"`
	Kind     string    `json:"kind"` // single, multiple, rating (1–5) or text
	Text     string    `json:"text"`
	Required bool      `json:"required"`
	Options  []string  `gorm:"serializer:json" json:"options"` // choices of single and multiple
}

func (Question) TableName() string { return "survey_questions" }

// QuestionInput is a question as written.
type QuestionInput struct {
	Code     string   `json:"code"` // letters, digits, _ and -; default q1, q2 …
	Kind     string   `json:"kind"`
	Text     string   `json:"text"`
	Required bool     `json:"required"`
	Options  []string `json:"options"`
}

// SurveyInput creates or replaces a draft.
type SurveyInput struct {
	CommunityID uuid.UUID       `json:"community_id"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	TargetKind  string          `json:"target_kind"` // community (default), building or tag
	TargetID    *uuid.UUID      `json:"target_id,omitempty"`
	TargetTag   string          `json:"target_tag"`
	OpensOn     civil.Date      `json:"opens_on"`
	ClosesOn    civil.Date      `json:"closes_on"`
	Questions   []QuestionInput `json:"questions"`
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,50}$`)

func (in *SurveyInput) target() Target {
	return Target{CommunityID: in.CommunityID, Kind: in.TargetKind, BuildingID: in.TargetID, Tag: in.TargetTag}
}

func (s *Service) check(ctx context.Context, tenantID uuid.UUID, in *SurveyInput) error {
	var fe []apperr.FieldError
	in.Title, in.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	if in.Title == "" || len(in.Title) > 200 {
		fe = append(fe, field("title", "required", "title is required (at most 200 bytes)", "标题必填(最多 200 字节)"))
	}
	if len(in.Description) > 5000 {
		fe = append(fe, field("description", "too_long", "description is at most 5000 bytes", "说明最多 5000 字节"))
	}
	if in.TargetKind == "" {
		in.TargetKind = TargetCommunity
	}
	switch in.TargetKind {
	case TargetCommunity:
		in.TargetID, in.TargetTag = nil, ""
	case TargetBuilding:
		in.TargetTag = ""
		if in.TargetID == nil {
			fe = append(fe, field("target_id", "required", "a building target names the building in target_id", "按楼栋发送须填写 target_id"))
		}
	case TargetTag:
		in.TargetID, in.TargetTag = nil, strings.TrimSpace(in.TargetTag)
		if in.TargetTag == "" {
			fe = append(fe, field("target_tag", "required", "a tag target names the tag in target_tag", "按标签发送须填写 target_tag"))
		}
	default:
		fe = append(fe, field("target_kind", "unknown_target", "target_kind must be community, building or tag", "发送范围须为 community、building 或 tag"))
	}
	if in.CommunityID == uuid.Nil {
		fe = append(fe, field("community_id", "required", "community_id is required", "小区必填"))
	} else if len(fe) == 0 {
		ok, err := s.audience.Valid(ctx, tenantID, in.target())
		if err != nil {
			return err
		}
		if !ok {
			fe = append(fe, field("target_id", "unknown_target", "no such community or building of that community", "小区或楼栋不存在"))
		}
	}
	if in.OpensOn.IsZero() {
		fe = append(fe, field("opens_on", "required", "opens_on is required (YYYY-MM-DD)", "开始日期必填(YYYY-MM-DD)"))
	}
	if in.ClosesOn.IsZero() {
		fe = append(fe, field("closes_on", "required", "closes_on is required (YYYY-MM-DD)", "截止日期必填(YYYY-MM-DD)"))
	} else if !in.OpensOn.IsZero() && in.ClosesOn.Before(in.OpensOn) {
		fe = append(fe, field("closes_on", "range_reversed", "closes_on is before opens_on", "截止日期早于开始日期"))
	}
	if len(in.Questions) == 0 || len(in.Questions) > 100 {
		fe = append(fe, field("questions", "required", "a survey has 1 to 100 questions", "调查须有 1 到 100 道题"))
	}
	codes := map[string]bool{}
	for i := range in.Questions {
		q := &in.Questions[i]
		name := fmt.Sprintf("questions[%d]", i)
		q.Code, q.Text = strings.TrimSpace(q.Code), strings.TrimSpace(q.Text)
		if q.Code == "" {
			q.Code = fmt.Sprintf("q%d", i+1)
		}
		if !codeRE.MatchString(q.Code) || codes[q.Code] {
			fe = append(fe, field(name+".code", "invalid_code", "a question code is 1–50 letters, digits, _ or -, unique in the survey", "题目编码为 1–50 个字母、数字、_ 或 -,且在调查内唯一"))
		}
		codes[q.Code] = true
		if q.Text == "" || len(q.Text) > 1000 {
			fe = append(fe, field(name+".text", "required", "a question needs its text (at most 1000 bytes)", "题目内容必填(最多 1000 字节)"))
		}
		switch q.Kind {
		case KindSingle, KindMultiple:
			seen := map[string]bool{}
			ok := len(q.Options) >= 2 && len(q.Options) <= 50
			for j, o := range q.Options {
				o = strings.TrimSpace(o)
				q.Options[j] = o
				if o == "" || len(o) > 200 || seen[o] {
					ok = false
				}
				seen[o] = true
			}
			if !ok {
				fe = append(fe, field(name+".options", "invalid_options", "a choice question has 2 to 50 different, non-empty options", "选择题须有 2 到 50 个不同的非空选项"))
			}
		case KindRating, KindText:
			q.Options = []string{}
		default:
			fe = append(fe, field(name+".kind", "unknown_kind", "kind must be single, multiple, rating or text", "题型须为 single、multiple、rating 或 text"))
		}
	}
	return invalid(fe)
}

// CreateSurvey saves a draft; by names who wrote it.
func (s *Service) CreateSurvey(ctx context.Context, tenantID uuid.UUID, by string, in SurveyInput) (sv Survey, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := s.check(store.Ctx(tx), tenantID, &in); err != nil {
			return err
		}
		now := s.clock()
		sv = Survey{TenantID: tenantID, ID: store.NewID(), Status: StatusDraft, CreatedBy: by, CreatedAt: now, UpdatedAt: now}
		fill(&sv, in)
		if err := tx.Create(&sv).Error; err != nil {
			return err
		}
		sv.Questions, err = writeQuestions(tx, tenantID, sv.ID, in.Questions)
		return err
	})
	return sv, err
}

func fill(sv *Survey, in SurveyInput) {
	sv.CommunityID, sv.Title, sv.Description = in.CommunityID, in.Title, in.Description
	sv.TargetKind, sv.TargetID, sv.TargetTag, sv.OpensOn, sv.ClosesOn = in.TargetKind, in.TargetID, in.TargetTag, in.OpensOn, in.ClosesOn
}

func writeQuestions(tx *gorm.DB, tenantID, surveyID uuid.UUID, in []QuestionInput) ([]Question, error) {
	if err := tx.Where("tenant_id = ? AND survey_id = ?", tenantID, surveyID).Delete(&Question{}).Error; err != nil {
		return nil, err
	}
	out := make([]Question, len(in))
	for i, q := range in {
		out[i] = Question{TenantID: tenantID, ID: store.NewID(), SurveyID: surveyID, Position: i + 1, Code: q.Code, Kind: q.Kind, Text: q.Text, Required: q.Required, Options: q.Options}
	}
	return out, tx.CreateInBatches(out, 100).Error
}

// load reads a survey, locked for the transaction when lock is set.
func load(tx *gorm.DB, tenantID, id uuid.UUID) (sv Survey, err error) {
	err = store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).First(&sv).Error)
	return sv, err
}

func questions(tx *gorm.DB, tenantID, id uuid.UUID) ([]Question, error) {
	out := []Question{}
	return out, tx.Where("tenant_id = ? AND survey_id = ?", tenantID, id).Order("position").Find(&out).Error
}

// UpdateSurvey replaces a draft.
func (s *Service) UpdateSurvey(ctx context.Context, tenantID, id uuid.UUID, in SurveyInput) (sv Survey, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if sv, err = load(tx, tenantID, id); err != nil {
			return err
		}
		if sv.Status != StatusDraft {
			return ErrNotDraft
		}
		if err := s.check(store.Ctx(tx), tenantID, &in); err != nil {
			return err
		}
		fill(&sv, in)
		sv.UpdatedAt = s.clock()
		if err := tx.Save(&sv).Error; err != nil {
			return err
		}
		sv.Questions, err = writeQuestions(tx, tenantID, sv.ID, in.Questions)
		return err
	})
	return sv, err
}

// DeleteSurvey deletes a draft.
func (s *Service) DeleteSurvey(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		sv, err := load(tx, tenantID, id)
		if err != nil {
			return err
		}
		if sv.Status != StatusDraft {
			return ErrNotDraft
		}
		if err := tx.Where("tenant_id = ? AND survey_id = ?", tenantID, id).Delete(&Question{}).Error; err != nil {
			return err
		}
		return tx.Delete(&sv).Error
	})
}

// GetSurvey returns a survey with its questions.
func (s *Service) GetSurvey(ctx context.Context, tenantID, id uuid.UUID) (sv Survey, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if sv, err = load(tx, tenantID, id); err != nil {
			return err
		}
		sv.Questions, err = questions(tx, tenantID, id)
		return err
	})
	return sv, err
}

// SurveyFilter narrows the survey list.
type SurveyFilter struct {
	CommunityID string `form:"community_id" json:"community_id"`
	Status      string `form:"status" json:"status"`
}

// ListSurveys lists surveys (without their questions), newest first.
func (s *Service) ListSurveys(ctx context.Context, tenantID uuid.UUID, f SurveyFilter, p paging.Paging) (out []Survey, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Survey{}).Where("tenant_id = ?", tenantID)
		if f.CommunityID != "" {
			id, err := uuid.Parse(f.CommunityID)
			if err != nil {
				return invalid([]apperr.FieldError{field("community_id", "invalid_id", "community_id must be a UUID", "小区编号格式不正确")})
			}
			q = q.Where("community_id = ?", id)
		}
		if f.Status != "" {
			if !slices.Contains([]string{StatusDraft, StatusPublished, StatusClosed}, f.Status) {
				return invalid([]apperr.FieldError{field("status", "unknown_status", "status must be draft, published or closed", "状态须为 draft、published 或 closed")})
			}
			q = q.Where("status = ?", f.Status)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "created_at DESC"
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// recipientRow is a resident a published survey was sent to.
type recipientRow struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
	SurveyID uuid.UUID
	PersonID uuid.UUID
	UserID   *uuid.UUID
}

func (recipientRow) TableName() string { return "survey_recipients" }

// Publish sends a draft to the residents living in its target now: they
// become its recipients (batched rows), and those with an app account are
// told (Template "survey.published"; the event is the survey's id, so it
// is delivered once).
func (s *Service) Publish(ctx context.Context, tenantID, id uuid.UUID) (sv Survey, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if sv, err = load(tx, tenantID, id); err != nil {
			return err
		}
		if sv.Status != StatusDraft {
			return ErrNotDraft
		}
		jctx := store.Ctx(tx)
		members, err := s.audience.Members(jctx, tenantID, Target{CommunityID: sv.CommunityID, Kind: sv.TargetKind, BuildingID: sv.TargetID, Tag: sv.TargetTag})
		if err != nil {
			return err
		}
		if len(members) == 0 {
			return ErrNoRecipients
		}
		rows := make([]recipientRow, 0, len(members))
		users := []uuid.UUID{}
		seen := map[uuid.UUID]bool{}
		for _, m := range members {
			if seen[m.PersonID] {
				continue
			}
			seen[m.PersonID] = true
			rows = append(rows, recipientRow{TenantID: tenantID, ID: store.NewID(), SurveyID: id, PersonID: m.PersonID, UserID: m.UserID})
			if m.UserID != nil {
				users = append(users, *m.UserID)
			}
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		now := s.clock()
		sv.Status, sv.Recipients, sv.PublishedAt, sv.UpdatedAt = StatusPublished, len(rows), &now, now
		if err := tx.Save(&sv).Error; err != nil {
			return err
		}
		if sv.Questions, err = questions(tx, tenantID, id); err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		return s.notify.Notify(jctx, tenantID, Notice{Event: "survey.published:" + id.String(), Template: "survey.published", UserIDs: users,
			Link: "/me/surveys/" + id.String(), Vars: map[string]string{"title": sv.Title, "opens_on": sv.OpensOn.String(), "closes_on": sv.ClosesOn.String()}})
	})
	return sv, err
}

// Close stops a published survey taking answers.
func (s *Service) Close(ctx context.Context, tenantID, id uuid.UUID) (sv Survey, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if sv, err = load(tx, tenantID, id); err != nil {
			return err
		}
		if sv.Status != StatusPublished {
			return ErrNotPublished
		}
		now := s.clock()
		sv.Status, sv.ClosedAt, sv.UpdatedAt = StatusClosed, &now, now
		return tx.Save(&sv).Error
	})
	return sv, err
}

// CloseDue closes the published surveys whose close date has passed in the
// tenant's zone; it returns how many. Idempotent.
func (s *Service) CloseDue(ctx context.Context, tenantID uuid.UUID) (int, error) {
	today := s.today(ctx, tenantID)
	n := 0
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		now := s.clock()
		res := tx.Model(&Survey{}).Where("tenant_id = ? AND status = ? AND closes_on < ?", tenantID, StatusPublished, today).
			Updates(map[string]any{"status": StatusClosed, "closed_at": now, "updated_at": now})
		n = int(res.RowsAffected)
		return res.Error
	})
	return n, err
}
