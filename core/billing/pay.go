package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// PaymentIn is money collected at the counter (payment.collect). Name the
// bills (paid in the order given), or only the room (its open bills are paid
// in due-date order). With no bills and Prepay, the money is kept as the
// room's prepaid money (预存).
type PaymentIn struct {
	RoomID     uuid.UUID      `json:"room_id"`
	BillIDs    []uuid.UUID    `json:"bill_ids"`
	Amount     int64          `json:"amount"`
	Currency   money.Currency `json:"currency"` // CNY when empty
	Channel    string         `json:"channel"`  // cash, bank_transfer, pos, cheque
	ReceivedOn *civil.Date    `json:"received_on"`
	Payer      string         `json:"payer"`
	Note       string         `json:"note"`
	// Prepay keeps what is left after the bills (or all of it, with no
	// bills) as prepaid money; without it an amount above what is owed is refused.
	Prepay bool `json:"prepay"`
}

// RecordPayment records a counter payment with the next receipt number.
func (s *Service) RecordPayment(ctx context.Context, tenantID uuid.UUID, in PaymentIn) (v PaymentView, err error) {
	if !slices.Contains(OfflineChannels, in.Channel) {
		return v, ErrChannel
	}
	today := s.today(ctx, tenantID)
	on := today
	if in.ReceivedOn != nil {
		if in.ReceivedOn.After(today) {
			return v, ErrReceivedOn
		}
		on = *in.ReceivedOn
	}
	p := Payment{TenantID: tenantID, RoomID: in.RoomID, Channel: in.Channel, Amount: in.Amount, Currency: in.Currency,
		ReceivedOn: on, Payer: strings.TrimSpace(in.Payer), Note: strings.TrimSpace(in.Note)}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		v, err = s.pay(ctx, tx, tenantID, p, in.BillIDs, in.Prepay, in.BillIDs == nil && !in.Prepay)
		return err
	})
	return v, err
}

// pay allocates p to bills (or to the room's open bills when openBills) and
// writes the payment, its receipt number and its entries in tx.
func (s *Service) pay(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, p Payment, billIDs []uuid.UUID, prepay, openBills bool) (PaymentView, error) {
	if p.Amount <= 0 {
		return PaymentView{}, ErrAmount
	}
	if p.Currency == "" {
		p.Currency = money.CNY
	}
	bills, err := s.lockPayable(tx, tenantID, &p, billIDs, openBills)
	if err != nil {
		return PaymentView{}, err
	}
	if len(bills) == 0 && !prepay {
		return PaymentView{}, ErrNoBills
	}
	if len(bills) == 0 { // the bills found prove the room; prepaid money names it alone
		if _, err := s.rooms.RoomPlace(store.Ctx(tx), tenantID, p.RoomID); err != nil {
			return PaymentView{}, err
		}
	}
	ids := make([]uuid.UUID, len(bills))
	for i, b := range bills {
		ids[i] = b.ID
	}
	owed, err := billOutstanding(tx, tenantID, ids)
	if err != nil {
		return PaymentView{}, err
	}
	p.ID = store.NewID()
	var es []Entry
	left := p.Amount
	for _, b := range bills {
		if owed[b.ID] <= 0 {
			return PaymentView{}, ErrBillAlreadyPaid
		}
		a := min(left, owed[b.ID])
		if a == 0 {
			continue
		}
		left -= a
		bid, pid := b.ID, p.ID
		es = append(es, Entry{TenantID: tenantID, RoomID: p.RoomID, Account: AccountReceivable, Kind: KindPayment, Amount: -a,
			Currency: p.Currency, BillID: &bid, PaymentID: &pid, BookedOn: p.ReceivedOn})
	}
	if left > 0 {
		if !prepay {
			return PaymentView{}, ErrOverpaid
		}
		pid := p.ID
		es = append(es, Entry{TenantID: tenantID, RoomID: p.RoomID, Account: AccountPrepaid, Kind: KindPrepayment, Amount: -left,
			Currency: p.Currency, PaymentID: &pid, BookedOn: p.ReceivedOn})
	}
	if p.ReceiptNo, err = nextReceipt(tx, tenantID, p.ReceivedOn.Year); err != nil {
		return PaymentView{}, err
	}
	p.CreatedBy = who(ctx)
	p.CreatedAt = time.Now().UTC()
	if err := tx.Create(&p).Error; err != nil {
		return PaymentView{}, err
	}
	if err := s.post(ctx, tx, es); err != nil {
		return PaymentView{}, err
	}
	v, err := paymentView(tx, tenantID, p)
	if err == nil && s.paid != nil {
		err = s.paid(store.Ctx(tx), tenantID, v)
	}
	return v, err
}

// lockPayable locks the bills a payment names (in id order, so two payments
// never wait on each other crosswise), checks they are one room's and in the
// payment's currency, and returns them in the order they are to be paid.
func (s *Service) lockPayable(tx *gorm.DB, tenantID uuid.UUID, p *Payment, ids []uuid.UUID, open bool) ([]Bill, error) {
	var bills []Bill
	q := s.forUpdate(ofTenant(tx, tenantID))
	switch {
	case open:
		if p.RoomID == uuid.Nil {
			return nil, ErrNoBills
		}
		err := q.Where("room_id = ? AND status = ? AND id IN (SELECT bill_id FROM ledger_entries WHERE tenant_id = ? AND room_id = ? AND account = 'receivable' AND bill_id IS NOT NULL GROUP BY bill_id HAVING SUM(amount) > 0)",
			p.RoomID, StatusIssued, tenantID, p.RoomID).Order("id").Find(&bills).Error
		if err != nil {
			return nil, err
		}
		slices.SortStableFunc(bills, func(a, b Bill) int { return a.DueOn.Compare(b.DueOn) })
		return bills, nil
	case len(ids) == 0:
		return nil, nil
	}
	ids = slices.Compact(slices.Clone(ids))
	if err := q.Where("id IN ?", ids).Order("id").Find(&bills).Error; err != nil {
		return nil, err
	}
	if len(bills) != len(ids) {
		return nil, apperr.NotFound
	}
	byID := map[uuid.UUID]Bill{}
	for _, b := range bills {
		switch {
		case b.Status == StatusCancelled:
			return nil, ErrBillCancelled
		case p.RoomID == uuid.Nil:
			p.RoomID = b.RoomID
		case b.RoomID != p.RoomID:
			return nil, ErrBillsMixed
		}
		if b.Currency != p.Currency {
			return nil, ErrCurrency
		}
		byID[b.ID] = b
	}
	for i, id := range ids {
		bills[i] = byID[id]
	}
	return bills, nil
}

// nextReceipt takes the next receipt number of the year. The counter row's
// UPDATE locks it until the transaction ends, so numbers are given in commit
// order, and a rolled-back payment gives its number back: no gaps.
func nextReceipt(tx *gorm.DB, tenantID uuid.UUID, year int) (string, error) {
	if err := tx.Exec(`INSERT INTO receipt_counters (tenant_id, id, last) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`, tenantID, year).Error; err != nil {
		return "", err
	}
	var last int64
	err := tx.Raw(`UPDATE receipt_counters SET last = last + 1 WHERE tenant_id = ? AND id = ? RETURNING last`, tenantID, year).Scan(&last).Error
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d%06d", year, last), nil
}

// paymentView reads a payment's allocations and refunds.
func paymentView(tx *gorm.DB, tenantID uuid.UUID, p Payment) (PaymentView, error) {
	v := PaymentView{Payment: p, Allocations: []Allocation{}}
	var rows []struct {
		Account string
		BillID  *uuid.UUID
		Period  *string
		Total   int64
	}
	err := tx.Raw(`SELECT e.account, e.bill_id, b.period, SUM(e.amount) AS total FROM ledger_entries e
		LEFT JOIN bills b ON b.tenant_id = e.tenant_id AND b.id = e.bill_id
		WHERE e.tenant_id = ? AND e.payment_id = ? AND e.kind IN ('payment', 'prepayment')
		GROUP BY e.account, e.bill_id, b.period ORDER BY b.period, e.bill_id`, tenantID, p.ID).Scan(&rows).Error
	if err != nil {
		return v, err
	}
	for _, r := range rows {
		if r.BillID == nil {
			v.Prepaid -= r.Total
			continue
		}
		v.Allocations = append(v.Allocations, Allocation{BillID: *r.BillID, Period: deref(r.Period), Amount: -r.Total})
	}
	err = tx.Raw(`SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE tenant_id = ? AND payment_id = ? AND status = 'approved'`, tenantID, p.ID).Scan(&v.Refunded).Error
	return v, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// GetPayment returns a payment with its allocations.
func (s *Service) GetPayment(ctx context.Context, tenantID, id uuid.UUID) (v PaymentView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var p Payment
		if err := store.NotFound(ofTenant(tx, tenantID).Take(&p, "id = ?", id).Error); err != nil {
			return err
		}
		v, err = paymentView(tx, tenantID, p)
		return err
	})
	return v, err
}

// PaymentFilter narrows the payment list.
type PaymentFilter struct {
	RoomID  *uuid.UUID `form:"room_id" json:"room_id"`
	Channel string     `form:"channel" json:"channel"`
	From    string     `form:"from" json:"from"` // received on or after, 2026-01-31
	To      string     `form:"to" json:"to"`     // received on or before
}

// ListPayments lists payments, newest first unless sorted.
func (s *Service) ListPayments(ctx context.Context, tenantID uuid.UUID, f PaymentFilter, p paging.Paging) (out []Payment, total int64, err error) {
	if p.Order == "" {
		p.Order = "received_on DESC, id DESC"
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := ofTenant(tx.Model(&Payment{}), tenantID)
		if f.RoomID != nil {
			q = q.Where("room_id = ?", *f.RoomID)
		}
		if f.Channel != "" {
			q = q.Where("channel = ?", f.Channel)
		}
		for _, b := range []struct{ v, op string }{{f.From, ">="}, {f.To, "<="}} {
			if b.v == "" {
				continue
			}
			d, err := civil.Parse(b.v)
			if err != nil {
				return ErrDate
			}
			q = q.Where("received_on "+b.op+" ?", d)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}
