package billing

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// What the payment domain (online providers) calls.

// Due is what is owed on a set of bills, to charge online.
type Due struct {
	RoomID   uuid.UUID      `json:"room_id"`
	Amount   int64          `json:"amount"`
	Currency money.Currency `json:"currency"`
	Bills    []BillView     `json:"bills"`
}

// BillsDue returns the outstanding total of one room's bills, for the
// amount of an online order. It fails like a payment would: an unknown or
// other tenant's bill is apperr.NotFound, a cancelled one
// ErrBillCancelled, bills of several rooms ErrBillsMixed, and a bill with
// nothing left to pay ErrBillAlreadyPaid. It locks nothing: by the time the
// money arrives another payment may have come first, which CreditOnline
// reports.
func (s *Service) BillsDue(ctx context.Context, tenantID uuid.UUID, billIDs []uuid.UUID) (d Due, err error) {
	if len(billIDs) == 0 {
		return d, ErrNoBills
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var bills []Bill
		if err := ofTenant(tx, tenantID).Where("id IN ?", billIDs).Order("due_on, id").Find(&bills).Error; err != nil {
			return err
		}
		if len(bills) != len(uniq(billIDs)) {
			return apperr.NotFound
		}
		views, err := s.billViews(tx, tenantID, bills, true)
		if err != nil {
			return err
		}
		d = Due{RoomID: bills[0].RoomID, Currency: bills[0].Currency, Bills: views}
		for _, v := range views {
			switch {
			case v.Status == StatusCancelled:
				return ErrBillCancelled
			case v.RoomID != d.RoomID:
				return ErrBillsMixed
			case v.Outstanding <= 0:
				return ErrBillAlreadyPaid
			}
			d.Amount += v.Outstanding
		}
		return nil
	})
	return d, err
}

func uniq(ids []uuid.UUID) map[uuid.UUID]bool {
	m := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// OnlineCredit is a provider-confirmed online payment.
type OnlineCredit struct {
	BillIDs       []uuid.UUID
	Amount        int64
	Currency      money.Currency // CNY when empty
	Channel       string         // the provider's channel name: alipay, wechat, sandbox
	ProviderTxnID string         // the provider's transaction id, unique per channel
	PaidAt        time.Time      // when the provider says the money was paid
	Payer         string
}

// CreditOnline books a provider-confirmed payment against its bills, in one
// transaction with the caller's (pass store.Ctx(tx) to join it).
//
// It is idempotent on (Channel, ProviderTxnID): a second call with the same
// transaction returns the first payment and writes nothing (a second call
// with another amount is ErrCreditMismatch). The bills are locked, so a
// concurrent counter payment of the same bill waits for it or it for that.
//
// When a bill has nothing left to pay (paid meanwhile elsewhere), it returns
// an error for which errors.Is(err, ErrBillAlreadyPaid) holds and writes
// nothing: the caller refunds the money through the provider. An amount
// above what the bills still owe is kept as the room's prepaid money.
func (s *Service) CreditOnline(ctx context.Context, tenantID uuid.UUID, c OnlineCredit) (v PaymentView, err error) {
	c.Channel, c.ProviderTxnID = strings.TrimSpace(c.Channel), strings.TrimSpace(c.ProviderTxnID)
	if c.Channel == "" || c.ProviderTxnID == "" {
		return v, ErrProviderTxn
	}
	if len(c.BillIDs) == 0 {
		return v, ErrNoBills
	}
	on := s.today(ctx, tenantID)
	if !c.PaidAt.IsZero() && s.zone != nil {
		on = civil.On(c.PaidAt, s.zone(ctx, tenantID))
	}
	p := Payment{TenantID: tenantID, Channel: c.Channel, Amount: c.Amount, Currency: c.Currency, ReceivedOn: on,
		Payer: c.Payer, ProviderTxnID: c.ProviderTxnID}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		// Lock the bills first: a duplicate notification then waits here and
		// finds the first one's payment below.
		if _, err := s.lockPayable(tx, tenantID, &Payment{Currency: currencyOr(c.Currency)}, c.BillIDs, false); err != nil {
			return err
		}
		var prior Payment
		err := ofTenant(tx, tenantID).Where("channel = ? AND provider_txn_id = ?", c.Channel, c.ProviderTxnID).Take(&prior).Error
		if err == nil {
			if prior.Amount != c.Amount {
				return ErrCreditMismatch
			}
			v, err = paymentView(tx, tenantID, prior)
			return err
		}
		if !store.IsNotFound(err) {
			return err
		}
		v, err = s.pay(ctx, tx, tenantID, p, c.BillIDs, true, false)
		return err
	})
	return v, err
}

func currencyOr(c money.Currency) money.Currency {
	if c == "" {
		return money.CNY
	}
	return c
}

// OnlineRefund is a refund the provider carried out (the payment domain
// approved it by its own rules: a duplicate or late payment, or a refund a
// second finance user approved there).
type OnlineRefund struct {
	PaymentID        uuid.UUID
	Amount           int64
	ProviderRefundID string // unique per tenant; the same id books once
	Reason           string
}

// RefundOnline books a provider refund of an online payment as an approved
// refund: idempotent on ProviderRefundID (the second call returns the first
// refund). It fails with ErrRefundExceeds when more than the payment's
// unrefunded amount would go back.
func (s *Service) RefundOnline(ctx context.Context, tenantID uuid.UUID, r OnlineRefund) (out Refund, err error) {
	if strings.TrimSpace(r.ProviderRefundID) == "" {
		return out, ErrProviderTxn
	}
	if strings.TrimSpace(r.Reason) == "" {
		return out, ErrReason
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var prior Refund
		err := ofTenant(tx, tenantID).Where("provider_ref = ?", r.ProviderRefundID).Take(&prior).Error
		if err == nil {
			out = prior
			return nil
		}
		if !store.IsNotFound(err) {
			return err
		}
		out, err = s.requestRefund(ctx, tx, tenantID, r.PaymentID, RefundIn{Amount: r.Amount, Reason: r.Reason}, r.ProviderRefundID)
		if err != nil {
			return err
		}
		return s.approve(ctx, tx, tenantID, &out, uuid.Nil)
	})
	return out, err
}
