// This file connects online payments to billing's ledger.

package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/resident"
)

// billingLedger answers payment.Ledger from billing's online methods; a
// resident's own bills are those of a room the resident lives in now.
type billingLedger struct {
	billing   *billing.Service
	residents residentRooms
}

// residentRooms is the rooms a signed-in resident lives in (*resident.Service).
type residentRooms interface {
	MyRooms(ctx context.Context, tenantID, userID uuid.UUID) ([]resident.MyRoom, error)
}

func (l billingLedger) Due(ctx context.Context, tenantID uuid.UUID, q payment.DueQuery) (money.Money, error) {
	d, err := l.billing.BillsDue(ctx, tenantID, q.BillIDs)
	if err != nil {
		return money.Money{}, err
	}
	if q.ResidentUser != uuid.Nil {
		rooms, err := l.residents.MyRooms(ctx, tenantID, q.ResidentUser)
		if err != nil {
			return money.Money{}, err
		}
		mine := false
		for _, r := range rooms {
			mine = mine || r.RoomID == d.RoomID
		}
		if !mine {
			return money.Money{}, apperr.NotFound // another household's bill is none of theirs
		}
	}
	return money.New(d.Amount, d.Currency), nil
}

func (l billingLedger) CreditOnline(ctx context.Context, tenantID uuid.UUID, c payment.Credit) (string, error) {
	v, err := l.billing.CreditOnline(ctx, tenantID, billing.OnlineCredit{BillIDs: c.BillIDs, Amount: c.Amount.Amount,
		Currency: c.Amount.Currency, Channel: c.Provider, ProviderTxnID: c.TxnID, PaidAt: c.PaidAt, Payer: c.OrderNo})
	// Paid meanwhile, or cancelled since the order: the money goes back.
	if errors.Is(err, billing.ErrBillAlreadyPaid) || errors.Is(err, billing.ErrBillCancelled) {
		return "", payment.ErrAlreadyPaid.Wrap(err)
	}
	if err != nil {
		return "", err
	}
	return v.ID.String(), nil
}

func (l billingLedger) RefundOnline(ctx context.Context, tenantID uuid.UUID, r payment.RefundRecord) error {
	pid, err := uuid.Parse(r.LedgerRef)
	if err != nil {
		return err
	}
	_, err = l.billing.RefundOnline(ctx, tenantID, billing.OnlineRefund{PaymentID: pid, Amount: r.Amount.Amount,
		ProviderRefundID: r.RefundNo, Reason: r.Reason})
	return err
}

// paymentLedger is the ledger online payments credit: billing's.
func (a *App) paymentLedger() payment.Ledger { return billingLedger{a.Billing, a.Residents} }
