package payment

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Kinds of difference between a statement and our records.
const (
	DiffMissing       = "missing"        // in the statement, not recorded here
	DiffExtra         = "extra"          // recorded here, not in the statement
	DiffAmountDiffers = "amount_differs" // in both, with different amounts
)

// Difference is one line that does not match.
type Difference struct {
	Kind            string       `json:"kind"`
	Type            string       `json:"type"` // payment or refund
	OrderNo         string       `json:"order_no"`
	TxnID           string       `json:"txn_id"`
	RefundNo        string       `json:"refund_no,omitempty"`
	StatementAmount *money.Money `json:"statement_amount"`
	RecordedAmount  *money.Money `json:"recorded_amount"`
}

// Reconciliation is a stored comparison of one statement with our records.
type Reconciliation struct {
	TenantID      uuid.UUID    `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID    `gorm:"primaryKey" json:"id"`
	MerchantID    uuid.UUID    `json:"merchant_id"`
	StatementDate civil.Date   `json:"statement_date"`
	Format        string       `json:"format"`
	RowCount      int          `json:"rows"`
	Matched       int          `json:"matched"`
	DiffCount     int          `gorm:"column:differences" json:"difference_count"`
	DiffsJSON     string       `gorm:"column:items" json:"-"`
	Diffs         []Difference `gorm:"-" json:"differences"`
	CreatedBy     string       `json:"created_by"`
	CreatedAt     time.Time    `json:"created_at"`
}

func (Reconciliation) TableName() string { return "payment_reconciliations" }

func (r *Reconciliation) fill() {
	r.Diffs = []Difference{}
	_ = json.Unmarshal([]byte(r.DiffsJSON), &r.Diffs)
}

// ReconcileInput is a statement to compare.
type ReconcileInput struct {
	MerchantID uuid.UUID
	Date       civil.Date // the statement's day, in the tenant's zone
	Format     string     // alipay, wechat or sandbox; the account's provider when empty
	File       []byte
	By         string
}

// Reconcile compares a provider's daily statement with the orders and
// refunds recorded for the merchant account and stores every difference:
// a statement line we did not record (missing), a payment or refund we
// recorded on that day that the statement lacks (extra), and lines in both
// with different amounts. A statement line is matched by order number
// (refunds by refund number) whatever day we recorded it, so a payment near
// midnight is not reported twice.
func (s *Service) Reconcile(ctx context.Context, tenantID uuid.UUID, in ReconcileInput) (out Reconciliation, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var m merchantRow
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, in.MerchantID).Take(&m).Error; err != nil {
			return store.NotFound(err)
		}
		if in.Format == "" {
			in.Format = m.Provider
		}
		lines, err := ParseStatement(in.Format, in.File)
		if err != nil {
			return err
		}
		start := in.Date.In(s.opt.Zone(ctx, tenantID))
		diffs, matched, err := compare(tx, tenantID, m.ID, lines, start.UTC(), start.AddDate(0, 0, 1).UTC())
		if err != nil {
			return err
		}
		items, _ := json.Marshal(diffs)
		out = Reconciliation{TenantID: tenantID, ID: store.NewID(), MerchantID: m.ID, StatementDate: in.Date, Format: in.Format,
			RowCount: len(lines), Matched: matched, DiffCount: len(diffs), DiffsJSON: string(items), CreatedBy: in.By}
		if err := tx.Create(&out).Error; err != nil {
			return err
		}
		out.Diffs = diffs
		return nil
	})
	return out, err
}

// compare matches statement lines with the account's orders and refunds.
func compare(tx *gorm.DB, tenantID, merchantID uuid.UUID, lines []StatementLine, from, to time.Time) ([]Difference, int, error) {
	var orderNos, refundNos []string
	for _, l := range lines {
		if l.Type == LinePayment {
			orderNos = append(orderNos, l.OrderNo)
		} else {
			refundNos = append(refundNos, l.RefundNo)
		}
	}
	var orders []Order // paid that day, or named by the statement
	var rs []Refund    // succeeded that day, or named by the statement
	qo := func(q *gorm.DB) *gorm.DB {
		return q.Where("tenant_id = ? AND merchant_id = ? AND status IN ?", tenantID, merchantID, []string{StatusPaid, StatusRefunded})
	}
	qr := func(q *gorm.DB) *gorm.DB {
		return q.Joins("JOIN payment_orders o ON o.tenant_id = payment_refunds.tenant_id AND o.id = payment_refunds.order_id").
			Where("payment_refunds.tenant_id = ? AND o.merchant_id = ? AND payment_refunds.status = ?", tenantID, merchantID, RefundSucceeded)
	}
	if err := qo(tx).Where("paid_at >= ? AND paid_at < ?", from, to).Find(&orders).Error; err != nil {
		return nil, 0, err
	}
	if err := qr(tx).Where("payment_refunds.updated_at >= ? AND payment_refunds.updated_at < ?", from, to).Find(&rs).Error; err != nil {
		return nil, 0, err
	}
	for part := range slices.Chunk(orderNos, 1000) {
		var more []Order
		if err := qo(tx).Where("order_no IN ?", part).Find(&more).Error; err != nil {
			return nil, 0, err
		}
		orders = append(orders, more...)
	}
	for part := range slices.Chunk(refundNos, 1000) {
		var more []Refund
		if err := qr(tx).Where("payment_refunds.refund_no IN ?", part).Find(&more).Error; err != nil {
			return nil, 0, err
		}
		rs = append(rs, more...)
	}
	paid := map[string]Order{}
	for _, o := range orders {
		paid[o.OrderNo] = o
	}
	refunds := map[string]Refund{}
	for _, r := range rs {
		refunds[r.RefundNo] = r
	}
	diffs, matched := differences(lines, paid, refunds, from, to)
	return diffs, matched, nil
}

// differences lists what does not match between the statement's lines and
// what was recorded (paid: by order number; refunds: by refund number).
func differences(lines []StatementLine, paid map[string]Order, refunds map[string]Refund, from, to time.Time) ([]Difference, int) {
	diffs := []Difference{}
	matched := 0
	seenOrders, seenRefunds := map[string]bool{}, map[string]bool{}
	for _, l := range lines {
		st := l.Amount
		d := Difference{Type: l.Type, OrderNo: l.OrderNo, TxnID: l.TxnID, RefundNo: l.RefundNo, StatementAmount: &st}
		var rec *money.Money
		if l.Type == LinePayment {
			if o, ok := paid[l.OrderNo]; ok {
				m := o.Money()
				rec = &m
				seenOrders[l.OrderNo] = true
			}
		} else if r, ok := refunds[l.RefundNo]; ok {
			m := money.New(r.Amount, money.Currency(r.Currency))
			rec = &m
			seenRefunds[l.RefundNo] = true
		}
		switch {
		case rec == nil:
			d.Kind = DiffMissing
		case *rec != st:
			d.Kind, d.RecordedAmount = DiffAmountDiffers, rec
		default:
			matched++
			continue
		}
		diffs = append(diffs, d)
	}
	for _, o := range paid {
		if !seenOrders[o.OrderNo] && o.PaidAt != nil && !o.PaidAt.Before(from) && o.PaidAt.Before(to) {
			m := o.Money()
			diffs = append(diffs, Difference{Kind: DiffExtra, Type: LinePayment, OrderNo: o.OrderNo, TxnID: o.ProviderTxnID, RecordedAmount: &m})
		}
	}
	for _, r := range refunds {
		if !seenRefunds[r.RefundNo] && !r.UpdatedAt.Before(from) && r.UpdatedAt.Before(to) {
			m := money.New(r.Amount, money.Currency(r.Currency))
			diffs = append(diffs, Difference{Kind: DiffExtra, Type: LineRefund, RefundNo: r.RefundNo, RecordedAmount: &m})
		}
	}
	slices.SortFunc(diffs, func(a, b Difference) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Type, b.Type), cmp.Compare(a.OrderNo, b.OrderNo), cmp.Compare(a.RefundNo, b.RefundNo))
	})
	return diffs, matched
}

// GetReconciliation returns one stored reconciliation.
func (s *Service) GetReconciliation(ctx context.Context, tenantID, id uuid.UUID) (out Reconciliation, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&out).Error; err != nil {
			return store.NotFound(err)
		}
		out.fill()
		return nil
	})
	return out, err
}

// ListReconciliations lists stored reconciliations, newest statement first.
func (s *Service) ListReconciliations(ctx context.Context, tenantID uuid.UUID, p paging.Paging) (out []Reconciliation, total int64, err error) {
	out = []Reconciliation{}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&Reconciliation{}).Where("tenant_id = ?", tenantID)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "statement_date DESC"
		}
		if err := p.Apply(q).Find(&out).Error; err != nil {
			return err
		}
		for i := range out {
			out[i].fill()
		}
		return nil
	})
	return out, total, err
}
