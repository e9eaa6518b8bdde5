package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/payment"
)

// errNoLedger answers online payments while no ledger is connected: orders
// are refused before any money moves, and a provider's notification is
// answered "try again" (its retries, then the query job, credit it once a
// ledger is there).
var errNoLedger = apperr.New(apperr.KindUnavailable, "online_payment_unavailable",
	"Online payment is not available: billing is not connected on this server.",
	"在线支付暂不可用:本服务器尚未接入账务模块。")

// paymentLedger is the ledger online payments credit. Billing's adapter
// (payment_billing.go) replaces this one when core/billing is part of the
// build.
func (a *App) paymentLedger() payment.Ledger { return noLedger{} }

type noLedger struct{}

func (noLedger) Due(context.Context, uuid.UUID, payment.DueQuery) (money.Money, error) {
	return money.Money{}, errNoLedger
}

func (noLedger) CreditOnline(context.Context, uuid.UUID, payment.Credit) (string, error) {
	return "", errNoLedger
}

func (noLedger) RefundOnline(context.Context, uuid.UUID, payment.RefundRecord) error {
	return errNoLedger
}
