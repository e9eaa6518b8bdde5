package payment

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/money"
)

// merchantRow is a stored merchant account; *_enc columns are sealed with
// the keyring (AAD: tenant, field and account id).
type merchantRow struct {
	TenantID          uuid.UUID `gorm:"primaryKey"`
	ID                uuid.UUID `gorm:"primaryKey"`
	PublicID          string
	Provider          string
	Name              string
	AppID             string
	MchID             string
	MerchantSerial    string
	PlatformSerial    string
	ProviderPublicKey string
	PrivateKeyEnc     string
	APIv3KeyEnc       string `gorm:"column:api_v3_key_enc"`
	SandboxKeyEnc     string
	Gateway           string
	Enabled           bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (merchantRow) TableName() string { return "payment_merchants" }

// Order statuses.
const (
	StatusCreated  = "created"
	StatusPaid     = "paid"
	StatusClosed   = "closed"
	StatusRefunded = "refunded" // wholly refunded (automatically when the bills were paid meanwhile)
)

// Order is an online payment order.
type Order struct {
	TenantID      uuid.UUID `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID `gorm:"primaryKey" json:"id"`
	OrderNo       string    `json:"order_no"`
	MerchantID    uuid.UUID `json:"merchant_id"`
	Provider      string    `json:"provider"`
	Channel       string    `json:"channel"`
	BillIDsJSON   string    `gorm:"column:bill_ids" json:"-"`
	BillIDs       []string  `gorm:"-" json:"bill_ids"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Status        string    `json:"status"`
	PayURL        string    `json:"pay_url"`
	ProviderTxnID string    `json:"provider_txn_id"`
	LedgerRef     string    `json:"ledger_ref"` // the ledger's payment, from Ledger.CreditOnline
	// A plugin's order (Host.CreatePayment) pays no bill: it names the
	// plugin, the plugin's reference and the plugin's idempotency key.
	Plugin      string     `json:"plugin,omitempty"`
	Reference   string     `json:"reference,omitempty"`
	IdemKey     string     `gorm:"column:idem_key" json:"-"`
	PayerUserID *uuid.UUID `json:"payer_user_id"`
	CreatedBy   string     `json:"created_by"`
	ExpiresAt   time.Time  `json:"expires_at"`
	PaidAt      *time.Time `json:"paid_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func (Order) TableName() string { return "payment_orders" }

// Money is the order's amount.
func (o Order) Money() money.Money { return money.New(o.Amount, money.Currency(o.Currency)) }

func (o *Order) fill() {
	o.BillIDs = []string{}
	_ = json.Unmarshal([]byte(o.BillIDsJSON), &o.BillIDs)
}

func (o Order) bills() []uuid.UUID {
	var ids []uuid.UUID
	_ = json.Unmarshal([]byte(o.BillIDsJSON), &ids)
	return ids
}

// Refund statuses.
const (
	RefundRequested = "requested" // waits for a second finance user's approval
	RefundRejected  = "rejected"
	RefundPending   = "pending" // approved (or automatic); the provider call is still to succeed
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed" // the provider refused it for good; finance must act
)

// Refund is a refund sent to the provider.
type Refund struct {
	TenantID         uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID               uuid.UUID  `gorm:"primaryKey" json:"id"`
	OrderID          uuid.UUID  `json:"order_id"`
	RefundNo         string     `json:"refund_no"`
	Amount           int64      `json:"amount"`
	Currency         string     `json:"currency"`
	Reason           string     `json:"reason"`
	Automatic        bool       `json:"automatic"`
	Status           string     `json:"status"`
	ProviderRefundID string     `json:"provider_refund_id"`
	Error            string     `json:"error"`
	Attempts         int        `json:"attempts"`
	CreatedBy        string     `json:"created_by"`
	RequestedByID    *uuid.UUID `json:"requested_by_id"`
	ApprovedByID     *uuid.UUID `json:"approved_by_id"`
	ApprovedBy       string     `json:"approved_by"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

func (Refund) TableName() string { return "payment_refunds" }
