package survey

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// SeedData is the "surveys" section of a tenant manifest's seed data.
type SeedData struct {
	Community string `yaml:"community"`
	Surveys   []struct {
		Title       string          `yaml:"title"`
		Description string          `yaml:"description"`
		Opens       string          `yaml:"opens"`  // relative day: "-60d"
		Closes      string          `yaml:"closes"` // a past day makes it closed
		Questions   []QuestionInput `yaml:"questions"`
		// Answers are generated: the first from the recipients (app), the
		// rest as paper questionnaires; ratings and comments cycle.
		Answers  int      `yaml:"answers"`
		Ratings  []int    `yaml:"ratings"`
		Comments []string `yaml:"comments"`
	} `yaml:"surveys"`
}

// FindCommunity finds a community by name (the seeder's only lookup).
type FindCommunity func(ctx context.Context, tenantID uuid.UUID, name string) (uuid.UUID, bool, error)

// SeedDemo publishes the demo surveys to the community's residents with
// generated answers, once: a tenant with surveys is left alone.
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any, find FindCommunity) (changed bool, err error) {
	var data SeedData
	b, err := yaml.Marshal(raw)
	if err == nil {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&data)
	}
	if err != nil {
		return false, fmt.Errorf("survey seed: %w", err)
	}
	if len(data.Surveys) == 0 {
		return false, nil
	}
	today := civil.TodayOf(ctx)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Survey{}).Where("tenant_id = ?", tenantID).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		jctx := store.Ctx(tx)
		cid, ok, err := find(jctx, tenantID, data.Community)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("survey seed: no community %q", data.Community)
		}
		members, err := s.audience.Members(jctx, tenantID, Target{CommunityID: cid, Kind: TargetCommunity})
		if err != nil {
			return err
		}
		for _, d := range data.Surveys {
			opens, err1 := civil.ParseRelative(d.Opens, today)
			closes, err2 := civil.ParseRelative(d.Closes, today)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("survey seed: %q: dates %q, %q", d.Title, d.Opens, d.Closes)
			}
			in := SurveyInput{CommunityID: cid, Title: d.Title, Description: d.Description, TargetKind: TargetCommunity, OpensOn: opens, ClosesOn: closes, Questions: d.Questions}
			if err := s.check(jctx, tenantID, &in); err != nil {
				return fmt.Errorf("survey seed: %q: %w", d.Title, err)
			}
			published := opens.In(time.UTC)
			sv := Survey{TenantID: tenantID, ID: store.NewID(), Status: StatusPublished, CreatedBy: "demo", CreatedAt: published, UpdatedAt: published, PublishedAt: &published}
			fill(&sv, in)
			if closes.Before(today) {
				at := closes.AddDays(1).In(time.UTC)
				sv.Status, sv.ClosedAt = StatusClosed, &at
			}
			recips := make([]recipientRow, len(members))
			for i, m := range members {
				recips[i] = recipientRow{TenantID: tenantID, ID: store.NewID(), SurveyID: sv.ID, PersonID: m.PersonID, UserID: m.UserID}
			}
			sv.Recipients = len(recips)
			if err := tx.Create(&sv).Error; err != nil {
				return err
			}
			qs, err := writeQuestions(tx, tenantID, sv.ID, in.Questions)
			if err != nil {
				return err
			}
			if err := tx.CreateInBatches(recips, 500).Error; err != nil {
				return err
			}
			// An open survey is answered only by people without an app
			// account, so the demo's resident still has one to answer.
			answering := members
			if sv.Status == StatusPublished {
				answering = nil
				for _, m := range members {
					if m.UserID == nil {
						answering = append(answering, m)
					}
				}
			}
			var resps []responseRow
			var answers []answerRow
			for i := 0; i < d.Answers; i++ {
				r := responseRow{TenantID: tenantID, ID: store.NewID(), SurveyID: sv.ID, Channel: ChannelPaper, EnteredBy: "demo",
					SubmittedAt: published.Add(time.Duration(i) * 7 * time.Hour)}
				if i < len(answering) {
					r.PersonID, r.UserID, r.Channel, r.EnteredBy = &answering[i].PersonID, answering[i].UserID, ChannelApp, ""
				}
				resps = append(resps, r)
				var in AnswersInput
				for j, q := range qs {
					a := Answer{Question: q.Code}
					switch q.Kind {
					case KindRating:
						if len(d.Ratings) > 0 {
							a.Rating = d.Ratings[(i+j*3)%len(d.Ratings)]
						}
					case KindSingle:
						a.Option = q.Options[(i*7+j)%len(q.Options)%max(1, len(q.Options)-1)]
					case KindMultiple:
						a.Options = []string{q.Options[i%len(q.Options)]}
						if i%3 == 0 {
							if o := q.Options[(i+1)%len(q.Options)]; o != a.Options[0] {
								a.Options = append(a.Options, o)
							}
						}
					case KindText:
						if len(d.Comments) > 0 && i%2 == 0 {
							a.Text = d.Comments[(i/2)%len(d.Comments)]
						}
					}
					in.Answers = append(in.Answers, a)
				}
				rs, err := rows(qs, in, tenantID, sv.ID, r.ID)
				if err != nil {
					return fmt.Errorf("survey seed: %q answer %d: %w", d.Title, i, err)
				}
				answers = append(answers, rs...)
			}
			if err := tx.CreateInBatches(resps, 200).Error; err != nil {
				return err
			}
			if err := tx.CreateInBatches(answers, 200).Error; err != nil {
				return err
			}
			changed = true
		}
		return nil
	})
	return changed, err
}
