package survey_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/survey"
)

// audience: a community whose residents are persons linked to users.
type audience struct {
	community uuid.UUID
	members   []survey.Member
}

func (a audience) Valid(_ context.Context, _ uuid.UUID, t survey.Target) (bool, error) {
	return t.CommunityID == a.community, nil
}
func (a audience) Members(context.Context, uuid.UUID, survey.Target) ([]survey.Member, error) {
	return a.members, nil
}
func (a audience) PersonOf(_ context.Context, _ uuid.UUID, user uuid.UUID) (uuid.UUID, bool, error) {
	for _, m := range a.members {
		if m.UserID != nil && *m.UserID == user {
			return m.PersonID, true, nil
		}
	}
	if user == outsider.user {
		return outsider.person, true, nil
	}
	return uuid.Nil, false, nil
}

var outsider = struct{ user, person uuid.UUID }{store.NewID(), store.NewID()}

type recorder struct {
	mu sync.Mutex
	n  []survey.Notice
}

func (r *recorder) Notify(_ context.Context, _ uuid.UUID, n survey.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n = append(r.n, n)
	return nil
}

func shanghai(context.Context, uuid.UUID) *time.Location {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return loc
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func details(err error) map[string]string {
	out := map[string]string{}
	if e, ok := apperr.As(err); ok {
		fe, _ := e.Details.([]apperr.FieldError)
		for _, f := range fe {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestSurveyLifeCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid, other := store.NewID(), store.NewID()
		au := audience{community: store.NewID()}
		var users []uuid.UUID
		for i := 0; i < 4; i++ {
			u := store.NewID()
			users = append(users, u)
			au.members = append(au.members, survey.Member{PersonID: store.NewID(), UserID: &u})
		}
		au.members = append(au.members, survey.Member{PersonID: store.NewID()}) // no app account
		rec := &recorder{}
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		s, err := survey.New(db, au, rec, shanghai, survey.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		in := survey.SurveyInput{CommunityID: au.community, Title: "满意度", OpensOn: civil.New(2026, 3, 1), ClosesOn: civil.New(2026, 3, 31),
			Questions: []survey.QuestionInput{
				{Code: "overall", Kind: survey.KindRating, Text: "总体", Required: true},
				{Code: "speed", Kind: survey.KindSingle, Text: "速度", Options: []string{"快", "慢"}, Required: true},
				{Code: "improve", Kind: survey.KindMultiple, Text: "改进", Options: []string{"停车", "绿化", "保洁"}},
				{Code: "comment", Kind: survey.KindText, Text: "意见"},
			}}
		bad := in
		bad.Questions = []survey.QuestionInput{{Kind: "essay", Text: ""}, {Kind: survey.KindSingle, Text: "x", Options: []string{"a"}}}
		bad.ClosesOn = civil.New(2026, 2, 1)
		if d := details(func() error { _, err := s.CreateSurvey(ctx, tid, "m", bad); return err }()); d["questions[0].kind"] != "unknown_kind" || d["questions[1].options"] != "invalid_options" || d["closes_on"] != "range_reversed" {
			t.Fatalf("bad survey: %v", d)
		}
		sv, err := s.CreateSurvey(ctx, tid, "m", in)
		if err != nil || sv.Status != survey.StatusDraft {
			t.Fatalf("create: %+v %v", sv, err)
		}
		// A draft is nobody's yet.
		if _, err := s.MySurveyByID(ctx, tid, users[0], sv.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("draft seen: %v", err)
		}
		sv, err = s.Publish(ctx, tid, sv.ID)
		if err != nil || sv.Recipients != 5 || len(rec.n) != 1 || len(rec.n[0].UserIDs) != 4 || rec.n[0].Template != "survey.published" {
			t.Fatalf("publish: %+v %v %+v", sv, err, rec.n)
		}
		if _, err := s.UpdateSurvey(ctx, tid, sv.ID, in); code(err) != "survey_not_draft" {
			t.Fatalf("edit published: %v", err)
		}
		mine, total, err := s.MySurveys(ctx, tid, users[0], paging.Paging{Limit: 20})
		if err != nil || total != 1 || !mine[0].Open || mine[0].Answered {
			t.Fatalf("mine: %+v %v", mine, err)
		}
		// Answers checked against the questions, every problem named.
		_, err = s.Answer(ctx, tid, users[0], sv.ID, survey.AnswersInput{Answers: []survey.Answer{
			{Question: "overall", Rating: 6}, {Question: "improve", Options: []string{"电梯"}}, {Question: "nope"}}})
		if d := details(err); code(err) != "invalid_answer" || d["answers.overall"] != "rating_out_of_range" || d["answers.improve"] != "unknown_option" ||
			d["answers.nope"] != "unknown_question" || d["answers.speed"] != "missing_answer" {
			t.Fatalf("bad answers: %v %v", err, d)
		}
		answer := func(i, rating int, speed string, text string) error {
			_, err := s.Answer(ctx, tid, users[i], sv.ID, survey.AnswersInput{Answers: []survey.Answer{
				{Question: "overall", Rating: rating}, {Question: "speed", Option: speed}, {Question: "improve", Options: []string{"停车", "保洁"}}, {Question: "comment", Text: text}}})
			return err
		}
		if err := answer(0, 5, "快", "很好"); err != nil {
			t.Fatal(err)
		}
		if err := answer(0, 1, "慢", "again"); code(err) != "already_answered" {
			t.Fatalf("second answer: %v", err)
		}
		if err := answer(1, 4, "快", ""); err != nil {
			t.Fatal(err)
		}
		if err := answer(2, 3, "慢", "电梯慢"); err != nil {
			t.Fatal(err)
		}
		// Outside the target group, or another tenant: not found.
		if _, err := s.Answer(ctx, tid, outsider.user, sv.ID, survey.AnswersInput{}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("outsider: %v", err)
		}
		if _, err := s.Answer(ctx, other, users[3], sv.ID, survey.AnswersInput{}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		// A paper questionnaire counts as a response, not towards the rate.
		if _, err := s.PaperAnswer(ctx, tid, sv.ID, "front", survey.AnswersInput{Answers: []survey.Answer{{Question: "overall", Rating: 2}, {Question: "speed", Option: "慢"}}}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Results(ctx, tid, sv.ID)
		if err != nil || res.Responses != 4 || res.AppResponses != 3 || res.PaperResponses != 1 || res.ResponseRate != 60 {
			t.Fatalf("results: %+v %v", res, err)
		}
		q := res.Questions
		if *q[0].Average != 3.5 || q[0].Ratings[4] != 1 || q[1].Options[1].Count != 2 || q[1].Options[1].Percent != 50 || q[2].Options[0].Count != 3 || q[2].Answered != 3 || q[3].Answered != 2 {
			t.Fatalf("questions: %+v", q)
		}
		texts, n, err := s.TextAnswers(ctx, tid, sv.ID, "comment", paging.Paging{Limit: 10})
		if err != nil || n != 2 || len(texts) != 2 {
			t.Fatalf("texts: %v %d %v", texts, n, err)
		}
		trend, err := s.Trend(ctx, tid, survey.TrendQuery{Code: "overall"})
		if err != nil || len(trend) != 1 || trend[0].Average != 3.5 || trend[0].Answers != 4 {
			t.Fatalf("trend: %+v %v", trend, err)
		}
		// After the close date the survey closes and takes no more answers.
		now = time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC) // 09:00 on 1 April in Shanghai
		if n, err := s.CloseDue(ctx, tid); err != nil || n != 1 {
			t.Fatalf("close due: %d %v", n, err)
		}
		if err := answer(3, 5, "快", ""); code(err) != "survey_not_open" {
			t.Fatalf("closed: %v", err)
		}
	})
}
