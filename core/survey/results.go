package survey

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
)

// OptionCount is how many respondents chose an option, and their percent
// of those who answered the question.
type OptionCount struct {
	Option  string  `json:"option"`
	Count   int     `json:"count"`
	Percent float64 `json:"percent"`
}

// QuestionResult is one question's results.
type QuestionResult struct {
	QuestionID uuid.UUID     `json:"question_id"`
	Code       string        `json:"code"`
	Kind       string        `json:"kind"`
	Text       string        `json:"text"`
	Answered   int           `json:"answered"`          // responses answering it
	Options    []OptionCount `json:"options,omitempty"` // single and multiple, in the question's order
	Average    *float64      `json:"average,omitempty"` // rating: mean of 1–5, two decimals
	Ratings    []int         `json:"ratings,omitempty"` // rating: how many gave 1, 2, 3, 4, 5
}

// Results is a survey's results.
type Results struct {
	SurveyID       uuid.UUID        `json:"survey_id"`
	Status         string           `json:"status"`
	Recipients     int              `json:"recipients"`
	Responses      int              `json:"responses"`       // every response, paper included
	AppResponses   int              `json:"app_responses"`   // answered by recipients themselves
	PaperResponses int              `json:"paper_responses"` // entered by staff
	ResponseRate   float64          `json:"response_rate"`   // app_responses / recipients, percent, one decimal
	Questions      []QuestionResult `json:"questions"`
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// Results counts a survey's answers in the database: per option, per
// rating, and respondents per question.
func (s *Service) Results(ctx context.Context, tenantID, id uuid.UUID) (out Results, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		sv, err := load(tx, tenantID, id)
		if err != nil {
			return err
		}
		qs, err := questions(tx, tenantID, id)
		if err != nil {
			return err
		}
		out = Results{SurveyID: id, Status: sv.Status, Recipients: sv.Recipients, Questions: []QuestionResult{}}
		var byChannel []struct {
			Channel string
			N       int
		}
		if err := tx.Model(&responseRow{}).Select("channel, COUNT(*) AS n").Where("tenant_id = ? AND survey_id = ?", tenantID, id).Group("channel").Scan(&byChannel).Error; err != nil {
			return err
		}
		for _, c := range byChannel {
			out.Responses += c.N
			if c.Channel == ChannelPaper {
				out.PaperResponses += c.N
			} else {
				out.AppResponses += c.N
			}
		}
		if sv.Recipients > 0 {
			out.ResponseRate = round(100*float64(out.AppResponses)/float64(sv.Recipients), 1)
		}
		var counts []struct {
			QuestionID uuid.UUID
			Option     *string
			Rating     *int
			N          int
		}
		if err := tx.Model(&answerRow{}).Select("question_id, option, rating, COUNT(*) AS n").
			Where("tenant_id = ? AND survey_id = ? AND text IS NULL", tenantID, id).Group("question_id, option, rating").Scan(&counts).Error; err != nil {
			return err
		}
		var answered []struct {
			QuestionID uuid.UUID
			N          int
		}
		if err := tx.Model(&answerRow{}).Select("question_id, COUNT(DISTINCT response_id) AS n").
			Where("tenant_id = ? AND survey_id = ?", tenantID, id).Group("question_id").Scan(&answered).Error; err != nil {
			return err
		}
		for _, q := range qs {
			r := QuestionResult{QuestionID: q.ID, Code: q.Code, Kind: q.Kind, Text: q.Text}
			for _, a := range answered {
				if a.QuestionID == q.ID {
					r.Answered = a.N
				}
			}
			switch q.Kind {
			case KindSingle, KindMultiple:
				r.Options = make([]OptionCount, len(q.Options))
				for i, o := range q.Options {
					r.Options[i].Option = o
					for _, c := range counts {
						if c.QuestionID == q.ID && c.Option != nil && *c.Option == o {
							r.Options[i].Count = c.N
						}
					}
					if r.Answered > 0 {
						r.Options[i].Percent = round(100*float64(r.Options[i].Count)/float64(r.Answered), 1)
					}
				}
			case KindRating:
				r.Ratings = make([]int, 5)
				sum, n := 0, 0
				for _, c := range counts {
					if c.QuestionID == q.ID && c.Rating != nil {
						r.Ratings[*c.Rating-1] += c.N
						sum += *c.Rating * c.N
						n += c.N
					}
				}
				if n > 0 {
					avg := round(float64(sum)/float64(n), 2)
					r.Average = &avg
				}
			}
			out.Questions = append(out.Questions, r)
		}
		return nil
	})
	return out, err
}

// TextAnswer is one answer to a text question.
type TextAnswer struct {
	ResponseID  uuid.UUID `json:"response_id"`
	Text        string    `json:"text"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// TextQuery names the text question of the answers list.
type TextQuery struct {
	Question string `form:"question" json:"question"` // the question's code; empty: every text question
}

// TextAnswers pages the answers to a text question, newest first.
func (s *Service) TextAnswers(ctx context.Context, tenantID, id uuid.UUID, code string, p paging.Paging) (out []TextAnswer, total int64, err error) {
	out = []TextAnswer{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := load(tx, tenantID, id); err != nil {
			return err
		}
		// Both tables carry the tenant in the join; the scan type has no
		// TenantID, so the scope callback leaves it as written.
		base := tx.Table("survey_answers a").Joins("JOIN survey_responses r ON r.tenant_id = a.tenant_id AND r.id = a.response_id").
			Where("a.tenant_id = ? AND a.survey_id = ? AND a.text IS NOT NULL", tenantID, id)
		if code != "" {
			var q Question
			if err := tx.Where("tenant_id = ? AND survey_id = ? AND code = ? AND kind = ?", tenantID, id, code, KindText).Limit(1).Find(&q).Error; err != nil {
				return err
			}
			if q.ID == uuid.Nil {
				return invalid([]apperr.FieldError{field("question", "unknown_question", "question must be the code of a text question of this survey", "question 须为本调查文字题的编码")})
			}
			base = base.Where("a.question_id = ?", q.ID)
		}
		if err := base.Count(&total).Error; err != nil {
			return err
		}
		qq := base.Select("a.response_id, a.text, r.submitted_at").Order("r.submitted_at DESC, a.id")
		if p.Limit > 0 {
			qq = qq.Offset(p.Offset).Limit(p.Limit)
		}
		return qq.Scan(&out).Error
	})
	return out, total, err
}

// TrendQuery selects a trend: a rating question's code, and optionally a
// community and a range of open dates.
type TrendQuery struct {
	Code        string `form:"code" json:"code"` // default "overall"
	CommunityID string `form:"community_id" json:"community_id"`
	From        string `form:"from" json:"from"` // surveys opening on or after, YYYY-MM-DD
	To          string `form:"to" json:"to"`
}

// TrendPoint is one survey's average for the code.
type TrendPoint struct {
	SurveyID    uuid.UUID  `json:"survey_id"`
	Title       string     `json:"title"`
	CommunityID uuid.UUID  `json:"community_id"`
	OpensOn     civil.Date `json:"opens_on"`
	ClosesOn    civil.Date `json:"closes_on"`
	Answers     int        `json:"answers"`
	Average     float64    `json:"average"`
}

// Trend is the average rating of one question code across published and
// closed surveys, oldest first.
func (s *Service) Trend(ctx context.Context, tenantID uuid.UUID, q TrendQuery) (out []TrendPoint, err error) {
	var fe []apperr.FieldError
	if q.Code == "" {
		q.Code = "overall"
	}
	var community uuid.UUID
	if q.CommunityID != "" {
		if community, err = uuid.Parse(q.CommunityID); err != nil {
			fe = append(fe, field("community_id", "invalid_id", "community_id must be a UUID", "小区编号格式不正确"))
		}
	}
	var from, to civil.Date
	for _, d := range []struct {
		name, v string
		dst     *civil.Date
	}{{"from", q.From, &from}, {"to", q.To, &to}} {
		if d.v == "" {
			continue
		}
		if *d.dst, err = civil.Parse(d.v); err != nil {
			fe = append(fe, field(d.name, "invalid_date", d.name+" must be a day such as 2026-01-31", d.name+" 须为日期,如 2026-01-31"))
		}
	}
	if err := invalid(fe); err != nil {
		return nil, err
	}
	out = []TrendPoint{}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		qq := tx.Table("survey_answers a").
			Joins("JOIN survey_questions q ON q.tenant_id = a.tenant_id AND q.id = a.question_id").
			Joins("JOIN surveys s ON s.tenant_id = a.tenant_id AND s.id = a.survey_id").
			Where("a.tenant_id = ? AND q.code = ? AND q.kind = ? AND a.rating IS NOT NULL AND s.status <> ?", tenantID, q.Code, KindRating, StatusDraft)
		if community != uuid.Nil {
			qq = qq.Where("s.community_id = ?", community)
		}
		if !from.IsZero() {
			qq = qq.Where("s.opens_on >= ?", from)
		}
		if !to.IsZero() {
			qq = qq.Where("s.opens_on <= ?", to)
		}
		var rows []struct {
			SurveyID    uuid.UUID
			Title       string
			CommunityID uuid.UUID
			OpensOn     civil.Date
			ClosesOn    civil.Date
			Answers     int
			Total       int
		}
		if err := qq.Select("s.id AS survey_id, s.title, s.community_id, s.opens_on, s.closes_on, COUNT(*) AS answers, SUM(a.rating) AS total").
			Group("s.id, s.title, s.community_id, s.opens_on, s.closes_on").Order("s.opens_on, s.id").Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, TrendPoint{SurveyID: r.SurveyID, Title: r.Title, CommunityID: r.CommunityID, OpensOn: r.OpensOn, ClosesOn: r.ClosesOn,
				Answers: r.Answers, Average: round(float64(r.Total)/float64(r.Answers), 2)})
		}
		return nil
	})
	return out, err
}
