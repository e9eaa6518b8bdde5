package survey

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Response channels.
const (
	ChannelApp   = "app"
	ChannelPaper = "paper" // a paper questionnaire entered by staff
)

type responseRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	SurveyID    uuid.UUID
	PersonID    *uuid.UUID
	UserID      *uuid.UUID
	Channel     string
	EnteredBy   string
	SubmittedAt time.Time
}

func (responseRow) TableName() string { return "survey_responses" }

type answerRow struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	SurveyID   uuid.UUID
	ResponseID uuid.UUID
	QuestionID uuid.UUID
	Option     *string
	Rating     *int
	Text       *string
}

func (answerRow) TableName() string { return "survey_answers" }

// Answer is the answer to one question, named by its code: Option for a
// single choice, Options for a multiple choice, Rating 1–5, or Text.
type Answer struct {
	Question string   `json:"question"`
	Option   string   `json:"option,omitempty"`
	Options  []string `json:"options,omitempty"`
	Rating   int      `json:"rating,omitempty"`
	Text     string   `json:"text,omitempty"`
}

// AnswersInput is one resident's answers to a survey.
type AnswersInput struct {
	Answers []Answer `json:"answers"`
}

// Submitted answers a stored response.
type Submitted struct {
	ResponseID  uuid.UUID `json:"response_id"`
	SurveyID    uuid.UUID `json:"survey_id"`
	Channel     string    `json:"channel"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// rows checks answers against the questions and returns the answer rows;
// every problem is reported at once, each naming its question.
func rows(qs []Question, in AnswersInput, tenantID, surveyID, responseID uuid.UUID) ([]answerRow, error) {
	var fe []apperr.FieldError
	byCode := map[string]Question{}
	for _, q := range qs {
		byCode[q.Code] = q
	}
	bad := func(code, c, en, zh string) {
		fe = append(fe, field("answers."+code, c, en, zh))
	}
	given := map[string]bool{}
	var out []answerRow
	row := func(q Question) answerRow {
		return answerRow{TenantID: tenantID, ID: store.NewID(), SurveyID: surveyID, ResponseID: responseID, QuestionID: q.ID}
	}
	for _, a := range in.Answers {
		q, ok := byCode[a.Question]
		if !ok {
			bad(a.Question, "unknown_question", "no question has this code", "没有此编码的题目")
			continue
		}
		if given[a.Question] {
			bad(a.Question, "duplicate_answer", "the question is answered twice", "同一题回答了两次")
			continue
		}
		given[a.Question] = true
		switch q.Kind {
		case KindSingle:
			o := strings.TrimSpace(a.Option)
			if o == "" && !q.Required {
				continue
			}
			if !slices.Contains(q.Options, o) {
				bad(q.Code, "unknown_option", fmt.Sprintf("%q is not an option of question %s", o, q.Code), fmt.Sprintf("“%s”不是第 %s 题的选项", o, q.Code))
				continue
			}
			r := row(q)
			r.Option = &o
			out = append(out, r)
		case KindMultiple:
			seen := map[string]bool{}
			for _, o := range a.Options {
				o = strings.TrimSpace(o)
				if !slices.Contains(q.Options, o) || seen[o] {
					bad(q.Code, "unknown_option", fmt.Sprintf("%q is not an option of question %s, or is chosen twice", o, q.Code), fmt.Sprintf("“%s”不是第 %s 题的选项或重复选择", o, q.Code))
					continue
				}
				seen[o] = true
				r := row(q)
				r.Option = &o
				out = append(out, r)
			}
			if len(seen) == 0 {
				given[a.Question] = false
			}
		case KindRating:
			if a.Rating == 0 && !q.Required {
				continue
			}
			if a.Rating < 1 || a.Rating > 5 {
				bad(q.Code, "rating_out_of_range", "a rating is 1 to 5", "评分须为 1 到 5")
				continue
			}
			r := row(q)
			v := a.Rating
			r.Rating = &v
			out = append(out, r)
		case KindText:
			t := strings.TrimSpace(a.Text)
			if t == "" {
				given[a.Question] = false
				continue
			}
			if len(t) > 2000 {
				bad(q.Code, "too_long", "a text answer is at most 2000 bytes", "文字回答最多 2000 字节")
				continue
			}
			r := row(q)
			r.Text = &t
			out = append(out, r)
		}
	}
	for _, q := range qs {
		if q.Required && !given[q.Code] {
			bad(q.Code, "missing_answer", "question "+q.Code+" is required", "第 "+q.Code+" 题为必答题")
		}
	}
	if len(fe) > 0 {
		return nil, errAnswers.WithDetails(fe)
	}
	return out, nil
}

// recipient returns the person the user is, if the survey was sent to
// them; anyone else gets not found (a survey not addressed to you does
// not exist for you).
func (s *Service) recipient(tx *gorm.DB, tenantID, userID, surveyID uuid.UUID) (uuid.UUID, error) {
	pid, ok, err := s.audience.PersonOf(store.Ctx(tx), tenantID, userID)
	if err != nil {
		return uuid.Nil, err
	}
	if !ok {
		return uuid.Nil, apperr.NotFound
	}
	var n int64
	if err := tx.Model(&recipientRow{}).Where("tenant_id = ? AND survey_id = ? AND person_id = ?", tenantID, surveyID, pid).Count(&n).Error; err != nil {
		return uuid.Nil, err
	}
	if n == 0 {
		return uuid.Nil, apperr.NotFound
	}
	return pid, nil
}

// MySurvey is a survey addressed to the signed-in resident.
type MySurvey struct {
	Survey
	Open     bool `json:"open"`     // taking answers today
	Answered bool `json:"answered"` // the resident has answered it
}

func (s *Service) mine(ctx context.Context, tenantID uuid.UUID, sv Survey, answered bool) MySurvey {
	today := s.today(ctx, tenantID)
	open := sv.Status == StatusPublished && !today.Before(sv.OpensOn) && !today.After(sv.ClosesOn)
	return MySurvey{Survey: sv, Open: open, Answered: answered}
}

// MySurveys lists the published and closed surveys sent to the user's
// person, newest first (empty for an account linked to no person).
func (s *Service) MySurveys(ctx context.Context, tenantID, userID uuid.UUID, p paging.Paging) (out []MySurvey, total int64, err error) {
	out = []MySurvey{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		pid, ok, err := s.audience.PersonOf(store.Ctx(tx), tenantID, userID)
		if err != nil || !ok {
			return err
		}
		q := tx.Model(&Survey{}).Where("tenant_id = ? AND status <> ? AND id IN (?)", tenantID, StatusDraft,
			tx.Model(&recipientRow{}).Select("survey_id").Where("tenant_id = ? AND person_id = ?", tenantID, pid))
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var svs []Survey
		p.Order = "opens_on DESC"
		if err := p.Apply(q).Find(&svs).Error; err != nil || len(svs) == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(svs))
		for i, sv := range svs {
			ids[i] = sv.ID
		}
		var done []uuid.UUID
		if err := tx.Model(&responseRow{}).Where("tenant_id = ? AND person_id = ? AND survey_id IN ?", tenantID, pid, ids).Pluck("survey_id", &done).Error; err != nil {
			return err
		}
		for _, sv := range svs {
			out = append(out, s.mine(ctx, tenantID, sv, slices.Contains(done, sv.ID)))
		}
		return nil
	})
	return out, total, err
}

// MySurveyByID returns a survey sent to the user, with its questions.
func (s *Service) MySurveyByID(ctx context.Context, tenantID, userID, id uuid.UUID) (out MySurvey, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		pid, err := s.recipient(tx, tenantID, userID, id)
		if err != nil {
			return err
		}
		sv, err := load(tx, tenantID, id)
		if err != nil {
			return err
		}
		if sv.Questions, err = questions(tx, tenantID, id); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&responseRow{}).Where("tenant_id = ? AND survey_id = ? AND person_id = ?", tenantID, id, pid).Count(&n).Error; err != nil {
			return err
		}
		out = s.mine(ctx, tenantID, sv, n > 0)
		return nil
	})
	return out, err
}

// Answer stores the user's answers to a survey sent to them, once.
func (s *Service) Answer(ctx context.Context, tenantID, userID, id uuid.UUID, in AnswersInput) (out Submitted, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		pid, err := s.recipient(tx, tenantID, userID, id)
		if err != nil {
			return err
		}
		uid := userID
		out, err = s.store(ctx, tx, tenantID, id, responseRow{PersonID: &pid, UserID: &uid, Channel: ChannelApp}, in)
		return err
	})
	return out, err
}

// PaperAnswer stores a paper questionnaire entered by staff (by): it has
// no person, so it is not checked against the recipients.
func (s *Service) PaperAnswer(ctx context.Context, tenantID, id uuid.UUID, by string, in AnswersInput) (out Submitted, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.store(ctx, tx, tenantID, id, responseRow{Channel: ChannelPaper, EnteredBy: by}, in)
		return err
	})
	return out, err
}

func (s *Service) store(ctx context.Context, tx *gorm.DB, tenantID, id uuid.UUID, resp responseRow, in AnswersInput) (Submitted, error) {
	sv, err := load(tx, tenantID, id)
	if err != nil {
		return Submitted{}, err
	}
	today := s.today(ctx, tenantID)
	if sv.Status != StatusPublished || today.Before(sv.OpensOn) || today.After(sv.ClosesOn) {
		return Submitted{}, ErrNotOpen
	}
	if resp.PersonID != nil {
		var n int64
		if err := tx.Model(&responseRow{}).Where("tenant_id = ? AND survey_id = ? AND person_id = ?", tenantID, id, *resp.PersonID).Count(&n).Error; err != nil {
			return Submitted{}, err
		}
		if n > 0 {
			return Submitted{}, ErrAlreadyAnswered
		}
	}
	qs, err := questions(tx, tenantID, id)
	if err != nil {
		return Submitted{}, err
	}
	resp.TenantID, resp.ID, resp.SurveyID, resp.SubmittedAt = tenantID, store.NewID(), id, s.clock()
	ans, err := rows(qs, in, tenantID, id, resp.ID)
	if err != nil {
		return Submitted{}, err
	}
	// Two answers racing past the count meet the unique index.
	if err := tx.Create(&resp).Error; err != nil {
		if store.IsUniqueViolation(err) {
			return Submitted{}, ErrAlreadyAnswered
		}
		return Submitted{}, err
	}
	if len(ans) > 0 {
		if err := tx.CreateInBatches(ans, 200).Error; err != nil {
			return Submitted{}, err
		}
	}
	return Submitted{ResponseID: resp.ID, SurveyID: id, Channel: resp.Channel, SubmittedAt: resp.SubmittedAt}, nil
}
