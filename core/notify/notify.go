// Package notify tells people things: an in-app inbox for staff and
// residents, email over SMTP, SMS through a provider's signed HTTP API and
// signed webhooks, from per-tenant templates in Chinese and English, with
// per-user channel preferences and quiet hours; and announcements (通知公告)
// to a community, a building or a tagged group, with read counts.
//
// Other domains call Send. It writes the inbox rows and one delivery row per
// (event, recipient, channel) in the caller's transaction, with one outbox
// task per delivery; the queue's handler makes the delivery and marks it
// sent, so a failing channel retries with backoff and never blocks the
// request that caused it, and an event is never delivered twice.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
)

// Recipient is one person to tell.
type Recipient struct {
	UserID uuid.UUID // staff or resident user: inbox + their channel preferences (uuid.Nil when none)
	// Direct addresses, e.g. a resident without an app account. For a user
	// they override the account's own phone and email.
	Name, Phone, Email, Lang string
}

// Message is one event to tell its recipients about.
type Message struct {
	Event    string            // dedupe key: at most one delivery per (Event, recipient, channel), ever
	Template string            // template code: "workorder.assigned", "bill.issued", "bill.overdue", …
	Vars     map[string]string // template variables
	To       []Recipient
	Link     string // optional in-app link (e.g. "/workorders/<id>")
	Urgent   bool   // ignores quiet hours (alarms)
}

// Channels. The inbox is always on for users; the others are deliveries.
const (
	ChannelInbox   = "inbox"
	ChannelSMS     = "sms"
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Delivery states.
const (
	StatusPending = "pending" // queued
	StatusHeld    = "held"    // queued for the end of the quiet hours
	StatusSending = "sending" // a worker is making it
	StatusSent    = "sent"
	StatusFailed  = "failed" // the last attempt failed; the queue retries with backoff
)

// TaskDeliver is the queue task that makes one delivery.
const TaskDeliver = "notify.deliver"

// Users is what this package reads from identity: a user's own name, phone,
// email and language, for channels beyond the inbox.
type Users interface {
	Contact(ctx context.Context, tenantID, userID uuid.UUID) (Recipient, bool, error)
}

// Target is an announcement's audience: everyone living in a community or
// a building, or the residents carrying a tag (within a community when one
// is named).
type Target struct {
	Kind        string // AudienceCommunity, AudienceBuilding or AudienceTag
	CommunityID uuid.UUID
	BuildingID  uuid.UUID
	Tag         string
}

// Audience kinds.
const (
	AudienceCommunity = "community"
	AudienceBuilding  = "building"
	AudienceTag       = "tag"
)

// Member is one resident an announcement reaches.
type Member struct {
	PersonID uuid.UUID
	UserID   uuid.UUID // uuid.Nil without an app account
	Name     string
	Phone    string // full number, for SMS to residents without an account
	Lang     string
}

// Audience resolves announcement targets (core/resident and core/property,
// adapted in core/app). Called with store.Ctx(tx), it joins the transaction.
type Audience interface {
	// Exists says whether the target's community, building or tag exists.
	Exists(ctx context.Context, tenantID uuid.UUID, t Target) (bool, error)
	// Members lists the residents the target reaches now, one per person.
	Members(ctx context.Context, tenantID uuid.UUID, t Target) ([]Member, error)
}

// Zone returns a tenant's time zone (tenant.Service.Location).
type Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location

// Deps are the other domains this package needs; all are required.
type Deps struct {
	Users    Users
	Audience Audience
	Keys     *pii.Keyring // seals SMTP passwords, SMS secrets, webhook secrets and addresses
	Zone     Zone
}

// Options tune the channels; the zero value is production.
type Options struct {
	// HTTPClient makes SMS and webhook calls (default: 10 s timeout).
	HTTPClient *http.Client
	// SMTPTLS is the TLS configuration for STARTTLS and port 465 (tests
	// pass their own CA); ServerName is set per connection.
	SMTPTLS *tls.Config
	// DialTimeout bounds connecting to an SMTP server (default 10 s).
	DialTimeout time.Duration
	// MaxRetry is the retries of a failed delivery (default 8: 5 s doubling,
	// about 20 minutes in all).
	MaxRetry int
	// AllowPrivate lets channels reach loopback, private and link-local
	// addresses (see outbound.go); off, they reach public addresses only.
	AllowPrivate bool
}

// Service is the notification service.
type Service struct {
	db   *store.DB
	deps Deps
	opt  Options
	now  func() time.Time
}

// New returns the service on db.
func New(db *store.DB, deps Deps, opt Options) (*Service, error) {
	if db == nil || deps.Users == nil || deps.Audience == nil || deps.Keys == nil || deps.Zone == nil {
		return nil, errors.New("notify: New needs a database, users, an audience, the keyring and the tenant zone")
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = 10 * time.Second
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = opt.httpClient()
	}
	if opt.MaxRetry == 0 {
		opt.MaxRetry = 8
	}
	return &Service{db: db, deps: deps, opt: opt, now: time.Now}, nil
}

// SetClock replaces the clock (tests of quiet hours).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Errors of this package.
var (
	ErrUnknownTemplate = apperr.New(apperr.KindInvalid, "unknown_template", "No such notification template.", "没有这个通知模板。")
	ErrNotDraft        = apperr.New(apperr.KindConflict, "announcement_not_draft", "Only a draft announcement can be changed or published.", "只有草稿状态的公告可以修改或发布。")
	ErrNotPublished    = apperr.New(apperr.KindConflict, "announcement_not_published", "Only a published announcement can be withdrawn.", "只有已发布的公告可以撤回。")
	ErrEmptyAudience   = apperr.New(apperr.KindInvalid, "empty_audience", "Nobody lives in the announcement's audience now.", "公告的发送范围内当前没有住户。")
	ErrUnknownTarget   = apperr.New(apperr.KindInvalid, "unknown_audience", "The announcement's community, building or tag does not exist.", "公告的小区、楼栋或标签不存在。")
)

func invalid(fe []apperr.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return apperr.Invalid.WithDetails(fe)
}

func field(name, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: name, Code: code, EN: en, ZH: zh}
}

// aad binds a sealed value to its tenant, row and column.
func aad(tenantID uuid.UUID, table string, id uuid.UUID, col string) []byte {
	return pii.Context(tenantID, "notify."+table+"."+col+"/"+id.String())
}
