package billing

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
)

var lockClause = clause.Locking{Strength: "UPDATE"}

// Bill statuses.
const (
	StatusIssued    = "issued"
	StatusCancelled = "cancelled"
)

// Ledger accounts and entry kinds.
const (
	AccountReceivable = "receivable" // what the room owes
	AccountPrepaid    = "prepaid"    // money the room paid in advance (预存), as a negative sum

	KindCharge     = "charge"
	KindPayment    = "payment"
	KindRefund     = "refund"
	KindAdjustment = "adjustment"
	KindWriteOff   = "write_off"
	KindLateFee    = "late_fee"
	KindPrepayment = "prepayment"
)

// Offline payment channels; online ones are the payment domain's names.
var OfflineChannels = []string{"cash", "bank_transfer", "pos", "cheque"}

// Bill is one room's bill for a period, or one one-off charge.
type Bill struct {
	TenantID    uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID      `gorm:"primaryKey" json:"id"`
	RoomID      uuid.UUID      `json:"room_id"`
	CommunityID uuid.UUID      `json:"community_id"`
	BuildingID  uuid.UUID      `json:"building_id"`
	Period      string         `json:"period"`
	BillKey     string         `json:"-"`
	Source      string         `json:"source"` // run, charge
	Amount      int64          `json:"amount"`
	Currency    money.Currency `json:"currency"`
	IssuedOn    civil.Date     `json:"issued_on"`
	DueOn       civil.Date     `json:"due_on"`
	Status      string         `json:"status"`
	RunID       *uuid.UUID     `json:"run_id"`
	CreatedAt   time.Time      `json:"created_at"`
}

// BillLine is one priced line of a bill (a fee.Line as billed).
type BillLine struct {
	TenantID  uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID  `gorm:"primaryKey" json:"id"`
	BillID    uuid.UUID  `json:"-"`
	Position  int        `json:"-"`
	ItemID    *uuid.UUID `json:"item_id"`
	ItemCode  string     `json:"item_code"`
	ItemName  string     `json:"item_name"`
	Kind      string     `json:"kind"`
	FromOn    civil.Date `json:"from"`
	ToOn      civil.Date `json:"to"`
	Quantity  string     `json:"quantity"`
	Unit      string     `json:"unit"`
	Rate      string     `json:"rate"`
	Amount    int64      `json:"amount"`
	Detail    string     `json:"detail"`
	DueDays   int        `json:"due_days"`
	LateGrace *int       `json:"late_grace_days"`
	LateRate  string     `json:"late_rate_per_day"`
	LateCap   string     `json:"late_cap_percent"`
}

// BillView is a bill with its lines and what is still owed on it.
type BillView struct {
	Bill
	Outstanding int64      `json:"outstanding"`
	Paid        int64      `json:"paid"`
	Lines       []BillLine `json:"lines"`
}

// Entry is one ledger entry. Amount > 0 adds to what the room owes (or, on
// the prepaid account, uses prepaid money); < 0 the reverse.
type Entry struct {
	TenantID  uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID      `gorm:"primaryKey" json:"id"`
	RoomID    uuid.UUID      `json:"room_id"`
	Account   string         `json:"account"`
	Kind      string         `json:"kind"`
	Amount    int64          `json:"amount"`
	Currency  money.Currency `json:"currency"`
	BillID    *uuid.UUID     `json:"bill_id"`
	PaymentID *uuid.UUID     `json:"payment_id"`
	RefundID  *uuid.UUID     `json:"refund_id"`
	BookedOn  civil.Date     `json:"booked_on"`
	EntryKey  string         `json:"-"`
	Actor     string         `json:"actor"`
	Reason    string         `json:"reason"`
	CreatedAt time.Time      `json:"created_at"`
}

func (Entry) TableName() string { return "ledger_entries" }

// Payment is money received for a room.
type Payment struct {
	TenantID      uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID      `gorm:"primaryKey" json:"id"`
	RoomID        uuid.UUID      `json:"room_id"`
	Channel       string         `json:"channel"`
	Amount        int64          `json:"amount"`
	Currency      money.Currency `json:"currency"`
	ReceivedOn    civil.Date     `json:"received_on"`
	ReceiptNo     string         `json:"receipt_no"`
	Payer         string         `json:"payer"`
	Note          string         `json:"note"`
	ProviderTxnID string         `json:"provider_txn_id"`
	CreatedBy     string         `json:"created_by"`
	CreatedAt     time.Time      `json:"created_at"`
}

// PaymentView is a payment with how it was allocated and what was refunded.
type PaymentView struct {
	Payment
	Allocations []Allocation `json:"allocations"`
	Prepaid     int64        `json:"prepaid"`  // the part kept as prepaid money
	Refunded    int64        `json:"refunded"` // approved refunds
}

// Allocation is the part of a payment applied to one bill.
type Allocation struct {
	BillID uuid.UUID `json:"bill_id"`
	Period string    `json:"period"`
	Amount int64     `json:"amount"`
}

// Refund statuses.
const (
	RefundRequested = "requested"
	RefundApproved  = "approved"
	RefundRejected  = "rejected"
)

// Refund gives back part of a payment once a second person approves it.
type Refund struct {
	TenantID    uuid.UUID      `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID      `gorm:"primaryKey" json:"id"`
	PaymentID   uuid.UUID      `json:"payment_id"`
	Amount      int64          `json:"amount"`
	Currency    money.Currency `json:"currency"`
	Reason      string         `json:"reason"`
	Status      string         `json:"status"`
	RequestedBy *uuid.UUID     `json:"requested_by"`
	DecidedBy   *uuid.UUID     `json:"decided_by"`
	ProviderRef string         `json:"provider_ref"`
	CreatedAt   time.Time      `json:"created_at"`
	DecidedAt   *time.Time     `json:"decided_at"`
}

// Run is one bill run of a community for a period.
type Run struct {
	TenantID    uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID          uuid.UUID  `gorm:"primaryKey" json:"id"`
	CommunityID uuid.UUID  `json:"community_id"`
	Period      string     `json:"period"`
	Status      string     `json:"status"` // queued, running, done, failed
	LastRoomID  *uuid.UUID `json:"last_room_id"`
	Rooms       int64      `json:"rooms"`
	Bills       int64      `json:"bills"`
	Amount      int64      `json:"amount"`
	Exceptions  int64      `json:"exceptions"`
	JobID       *uuid.UUID `json:"job_id"`
	StartedBy   string     `json:"started_by"`
	Message     string     `json:"message"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func (Run) TableName() string { return "bill_runs" }

// Setting is the tenant's (ID = tenant id) or a community's billing setting.
type Setting struct {
	TenantID       uuid.UUID `gorm:"primaryKey"`
	ID             uuid.UUID `gorm:"primaryKey"`
	AutoPayPrepaid bool
	AutoRun        bool
	UpdatedAt      time.Time
}

func (Setting) TableName() string { return "billing_settings" }

type receiptCounter struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       int       `gorm:"primaryKey"`
	Last     int64
}

func (receiptCounter) TableName() string { return "receipt_counters" }

// Errors of this package.
var (
	ErrPeriodNotOpen    = apperr.New(apperr.KindInvalid, "period_not_open", "This period is not open for billing yet: bill at most the next month.", "该账期尚未开放:最多只能出下个月的账单。")
	ErrBillAlreadyPaid  = apperr.New(apperr.KindConflict, "bill_already_paid", "The bill is already paid.", "该账单已缴清。")
	ErrBillCancelled    = apperr.New(apperr.KindConflict, "bill_cancelled", "The bill is cancelled.", "该账单已作废。")
	ErrBillHasPayments  = apperr.New(apperr.KindConflict, "bill_has_payments", "A bill with payments cannot be cancelled; refund first.", "已有缴款的账单不能作废,请先退款。")
	ErrAmount           = apperr.New(apperr.KindInvalid, "invalid_amount", "The amount must be a positive number of fen.", "金额必须为正数(单位:分)。")
	ErrAdjustAmount     = apperr.New(apperr.KindInvalid, "invalid_amount", "The amount must be a non-zero number of fen.", "金额必须为非零整数(单位:分)。")
	ErrChannel          = apperr.New(apperr.KindInvalid, "invalid_channel", "The channel must be cash, bank_transfer, pos or cheque.", "收款方式必须是现金、银行转账、POS 或支票。")
	ErrReason           = apperr.New(apperr.KindInvalid, "reason_required", "Give a reason.", "请填写原因。")
	ErrOverpaid         = apperr.New(apperr.KindInvalid, "amount_exceeds_outstanding", "The amount is more than the bills' outstanding amount.", "金额超过所选账单的欠款。")
	ErrNoBills          = apperr.New(apperr.KindInvalid, "no_bills", "Name at least one bill of one room.", "请至少选择同一房屋的一张账单。")
	ErrBillsMixed       = apperr.New(apperr.KindInvalid, "bills_of_several_rooms", "The bills belong to different rooms; pay one room at a time.", "所选账单属于不同房屋,请按房屋分别缴费。")
	ErrRefundExceeds    = apperr.New(apperr.KindInvalid, "refund_exceeds_payment", "The refund is more than the payment's unrefunded amount.", "退款金额超过该笔缴款的可退金额。")
	ErrRefundOnline     = apperr.New(apperr.KindConflict, "refund_online_payment", "This payment was made online; refund it from its online order (POST /api/v1/payments/orders/{id}/refunds) so the provider returns the money.", "该笔为线上支付,请在对应的线上订单中发起退款,由支付渠道原路退回。")
	ErrSameApprover     = apperr.New(apperr.KindForbidden, "refund_needs_second_person", "A refund must be approved by someone other than who requested it.", "退款须由申请人以外的财务人员审批。")
	ErrRefundDecided    = apperr.New(apperr.KindConflict, "refund_already_decided", "The refund was already approved or rejected.", "该退款已审批。")
	ErrCurrency         = apperr.New(apperr.KindInvalid, "currency_mismatch", "The amount's currency differs from the bills'.", "金额币种与账单不一致。")
	ErrItemCode         = apperr.New(apperr.KindInvalid, "invalid_item_code", "Give the fee item code of the charge.", "请填写收费项目编码。")
	ErrIdempotencyKey   = apperr.New(apperr.KindInvalid, "idempotency_key_required", "This call needs an idempotency key.", "此操作需要幂等键(Idempotency-Key)。")
	ErrProviderTxn      = apperr.New(apperr.KindInvalid, "provider_txn_required", "An online payment needs its channel and provider transaction id.", "线上缴款须提供渠道和交易号。")
	ErrCreditMismatch   = apperr.New(apperr.KindConflict, "provider_txn_reused", "This provider transaction was already credited with other details.", "该交易号已入账,且金额或账单不同。")
	ErrPrepaidShort     = apperr.New(apperr.KindConflict, "prepaid_insufficient", "The room's prepaid money is not enough.", "该房屋预存余额不足。")
	ErrAgingBucket      = apperr.New(apperr.KindInvalid, "invalid_bucket", "bucket must be not_due, d0_30, d31_90, d91_180 or over_180.", "账龄区间必须是 not_due、d0_30、d31_90、d91_180 或 over_180。")
	ErrGroupBy          = apperr.New(apperr.KindInvalid, "invalid_group_by", "group_by must be community, building, room or resident.", "group_by 必须是 community、building、room 或 resident。")
	ErrPeriodRange      = apperr.New(apperr.KindInvalid, "invalid_period_range", "from must not be after to, and the range at most 120 months.", "起始账期不能晚于结束账期,且跨度不超过 120 个月。")
	ErrWriteOffExceeds  = apperr.New(apperr.KindInvalid, "write_off_exceeds_outstanding", "The write-off is more than the bill's outstanding amount.", "核销金额超过账单欠款。")
	ErrDueDays          = apperr.New(apperr.KindInvalid, "invalid_due_days", "due_days must be from 0 to 366.", "到期天数必须在 0 到 366 之间。")
	ErrCommunityUnknown = apperr.New(apperr.KindInvalid, "unknown_community", "No such community.", "小区不存在。")
)

var ErrReceivedOn = apperr.New(apperr.KindInvalid, "received_in_future", "received_on cannot be in the future.", "收款日期不能晚于今天。")

var (
	ErrDate   = apperr.New(apperr.KindInvalid, "invalid_date", "Dates are written 2026-01-31.", "日期格式应为 2026-01-31。")
	ErrPeriod = apperr.New(apperr.KindInvalid, "invalid_period", "Months are written 2026-01.", "月份格式应为 2026-01。")
)
