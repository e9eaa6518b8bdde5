// Package payment is online payment of bills: each tenant's merchant
// accounts at Alipay, WeChat Pay or the built-in sandbox, payment orders with
// a QR code or H5 link, the providers' asynchronous notifications (verified
// with the merchant's keys, credited once to billing's ledger), the query job
// that repairs what a crash left half done, refunds at the provider and the
// reconciliation of a provider's daily statement. The ledger is billing's:
// this package reaches it only through Ledger. See docs/billing.md.
package payment

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
)

// Task types of this package.
const (
	// TaskRepair is the periodic query job (Service.Repair), platform-wide.
	TaskRepair = "payment.repair"
)

// Ledger is what payments need from billing. Calls made inside a payment
// transaction pass store.Ctx(tx), so the ledger write joins it.
type Ledger interface {
	// Due is the amount still owed on the bills. It refuses cancelled, paid
	// or unknown bills; with ResidentUser set, also bills of rooms that user
	// does not live in (a resident paying their own bills).
	Due(ctx context.Context, tenantID uuid.UUID, q DueQuery) (money.Money, error)
	// CreditOnline records a confirmed provider payment and returns the
	// ledger's reference of it (its payment id); idempotent on (Provider,
	// TxnID): again, it returns the same reference. An error matching
	// ErrAlreadyPaid says the bills were paid meanwhile and nothing was
	// written: the payment is then refunded at the provider.
	CreditOnline(ctx context.Context, tenantID uuid.UUID, c Credit) (ledgerRef string, err error)
	// RefundOnline records a refund the provider made of a credited payment,
	// approved here by a second finance user; idempotent on RefundNo.
	RefundOnline(ctx context.Context, tenantID uuid.UUID, r RefundRecord) error
}

// DueQuery names the bills to pay and, for a resident, who pays.
type DueQuery struct {
	BillIDs      []uuid.UUID
	ResidentUser uuid.UUID // uuid.Nil for staff collecting at the desk
}

// Credit is a payment the provider confirmed.
type Credit struct {
	OrderID  uuid.UUID
	OrderNo  string
	Provider string
	TxnID    string // the provider's transaction id
	BillIDs  []uuid.UUID
	Amount   money.Money
	PaidAt   time.Time
}

// RefundRecord is a refund the provider accepted for a credited payment.
type RefundRecord struct {
	LedgerRef string // what CreditOnline returned for the payment
	OrderID   uuid.UUID
	RefundID  uuid.UUID
	RefundNo  string
	Provider  string
	TxnID     string
	BillIDs   []uuid.UUID
	Amount    money.Money
	Reason    string
	By        string
	At        time.Time
}

// Auditor records rejected notifications: with the tenant when the merchant
// account is known, as a platform event when it is not (*audit.Log).
type Auditor interface {
	audit.PlatformRecorder
}

// Deps are the service's collaborators; all are required.
type Deps struct {
	Ledger Ledger
	Audit  Auditor
	Keys   *pii.Keyring // encrypts merchant secrets like residents' personal data
}

// Options tune the service; zero values take the defaults.
type Options struct {
	// PublicURL is the address providers and payers reach this server at
	// (notify URLs, sandbox pages), e.g. https://pay.example.com.
	PublicURL string
	// Sandbox allows sandbox merchant accounts, whose "payments" move no
	// money: on for the embedded demo, off in production.
	Sandbox bool
	// OrderTTL is how long an order can be paid (default 15 minutes).
	OrderTTL time.Duration
	// QueryAfter is how old a waiting order is before the query job asks the
	// provider about it (default 5 minutes).
	QueryAfter time.Duration
	// HTTP calls the providers' gateways (default: a client with a 15 s timeout).
	HTTP HTTPDoer
	// Zone is the tenant's time zone (tenant.Service.Location): a
	// statement's day is a day there. Beijing time when nil.
	Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Service is the payment domain.
type Service struct {
	db        *store.DB
	deps      Deps
	opt       Options
	providers map[string]Provider
	sandbox   *sandboxProvider
	creds     sync.Map // credKey → *Credentials
	byPublic  sync.Map // public id → cachedMerchant
	// pluginPaid hears of plugins' orders paid (SetPluginPaidHook).
	pluginPaid PluginPaidHook
}

// New builds the service.
func New(db *store.DB, deps Deps, opt Options) (*Service, error) {
	if db == nil || deps.Ledger == nil || deps.Audit == nil || deps.Keys == nil {
		return nil, errors.New("payment: New needs a database, a ledger, an audit log and a keyring")
	}
	if opt.OrderTTL <= 0 {
		opt.OrderTTL = 15 * time.Minute
	}
	if opt.QueryAfter <= 0 {
		opt.QueryAfter = 5 * time.Minute
	}
	if opt.HTTP == nil {
		opt.HTTP = defaultHTTP()
	}
	if opt.Zone == nil {
		opt.Zone = func(context.Context, uuid.UUID) *time.Location { return chinaTime }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Service{db: db, deps: deps, opt: opt, sandbox: newSandbox()}
	s.providers = map[string]Provider{
		ProviderAlipay:  alipay{http: opt.HTTP, now: opt.Now},
		ProviderWeChat:  wechat{http: opt.HTTP, now: opt.Now},
		ProviderSandbox: s.sandbox,
	}
	return s, nil
}

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

// in runs fn in the tenant's transaction (joining a caller's).
func (s *Service) in(ctx context.Context, tenantID uuid.UUID, fn func(tx *gorm.DB) error) error {
	return s.db.InTenant(ctx, tenantID, fn)
}
