// Package survey is satisfaction surveys (满意度调查): single and multiple
// choice, rating (1–5) and text questions, sent to a target group of
// residents (a community, a building, or residents with a tag), answered
// once per resident, with results per question, the response rate and the
// trend of a question code's average rating across surveys. A survey goes
// draft → published → closed; its recipients are fixed when it is
// published.
package survey

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/store"
)

// Target kinds.
const (
	TargetCommunity = "community"
	TargetBuilding  = "building"
	TargetTag       = "tag"
)

// Target names a group of residents of a community.
type Target struct {
	CommunityID uuid.UUID
	Kind        string     // community, building or tag
	BuildingID  *uuid.UUID // kind building
	Tag         string     // kind tag: residents of the community holding it
}

// Member is a resident a target reaches: the person, and their app
// account when they have one.
type Member struct {
	PersonID uuid.UUID
	UserID   *uuid.UUID
}

// Audience is what this package needs from the resident and property
// domains. Called with store.Ctx(tx), it joins this package's transaction.
type Audience interface {
	// Valid tells whether the target's community (and building) exist.
	Valid(ctx context.Context, tenantID uuid.UUID, t Target) (bool, error)
	// Members lists the residents living in the target now.
	Members(ctx context.Context, tenantID uuid.UUID, t Target) ([]Member, error)
	// PersonOf returns the person a resident account is linked to.
	PersonOf(ctx context.Context, tenantID, userID uuid.UUID) (uuid.UUID, bool, error)
}

// Notice is a notification this package asks for (see Notifier).
type Notice struct {
	Event    string
	Template string
	Vars     map[string]string
	UserIDs  []uuid.UUID
	Link     string
}

// Notifier sends notices; it is called with store.Ctx(tx) inside the
// publishing transaction, so queued deliveries commit with it.
type Notifier interface {
	Notify(ctx context.Context, tenantID uuid.UUID, n Notice) error
}

// Zone returns a tenant's time zone (tenant.Service.Location).
type Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location

// Service keeps surveys and their answers.
type Service struct {
	db       *store.DB
	audience Audience
	notify   Notifier
	zone     Zone
	now      func() time.Time
}

// Option changes a Service.
type Option func(*Service)

// WithClock replaces the wall clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service on db; every dependency is required.
func New(db *store.DB, audience Audience, notify Notifier, zone Zone, opts ...Option) (*Service, error) {
	if db == nil || audience == nil || notify == nil || zone == nil {
		return nil, errors.New("survey: New needs a database, the audience, a notifier and the tenant zone")
	}
	s := &Service{db: db, audience: audience, notify: notify, zone: zone, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// clock is the current time in UTC (SQLite compares stored times as text).
func (s *Service) clock() time.Time { return s.now().UTC() }

func (s *Service) today(ctx context.Context, tenantID uuid.UUID) civil.Date {
	return civil.On(s.now(), s.zone(ctx, tenantID))
}

// Errors of this package.
var (
	ErrNotDraft = apperr.New(apperr.KindConflict, "survey_not_draft",
		"Only a draft survey can be changed or deleted.", "只有草稿状态的调查可以修改或删除。")
	ErrNotPublished = apperr.New(apperr.KindConflict, "survey_not_published",
		"Only a published survey can be closed or answered.", "只有已发布的调查可以关闭或填写。")
	ErrNotOpen = apperr.New(apperr.KindConflict, "survey_not_open",
		"This survey is not taking answers now (see its open and close dates).", "此调查当前不在填写期内(见开始和截止日期)。")
	ErrAlreadyAnswered = apperr.New(apperr.KindConflict, "already_answered",
		"You have already answered this survey.", "您已填写过此调查。")
	ErrNoRecipients = apperr.New(apperr.KindUnprocessable, "no_recipients",
		"Nobody lives in this survey's target group now; change the target before publishing.", "目标群体中当前没有住户,请修改发送范围后再发布。")
	ErrNotResident = apperr.New(apperr.KindNotFound, "not_found",
		"The object does not exist or you cannot see it.", "对象不存在或您无权查看。")
)

// errAnswers is the 422 of answers that do not fit the questions; its
// details name each question (field "answers.<code>").
var errAnswers = apperr.New(apperr.KindUnprocessable, "invalid_answer",
	"Some answers do not fit their questions; see details for each question.", "部分答案不符合题目要求,请查看各题说明。")

func invalid(fe []apperr.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return apperr.Invalid.WithDetails(fe)
}

func field(name, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: name, Code: code, EN: en, ZH: zh}
}
