package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Plugins' online payments (Host.CreatePayment/GetPayment): core payments
// open an order of an amount that belongs to no room; its confirmation
// publishes "payment.received" with the plugin and its reference, in the
// transaction that records it.

type hostPayments struct{ p *payment.Service }

func (h hostPayments) Create(ctx context.Context, tenantID uuid.UUID, in hostsvc.PaymentIn) (*wuyepb.Payment, error) {
	cur := money.CNY
	if in.Currency != "" {
		var err error
		if cur, err = money.ParseCurrency("currency", in.Currency); err != nil {
			return nil, err
		}
	}
	o, _, err := h.p.CreatePluginOrder(ctx, tenantID, payment.PluginOrderInput{Plugin: in.Plugin, Reference: in.Reference, Key: in.Key,
		Subject: in.Subject, Amount: money.New(in.AmountFen, cur), Provider: in.Provider, Channel: in.Channel})
	if err != nil {
		return nil, err
	}
	return paymentPB(o), nil
}

func (h hostPayments) Get(ctx context.Context, tenantID uuid.UUID, plugin string, id uuid.UUID) (*wuyepb.Payment, error) {
	o, err := h.p.GetPluginOrder(ctx, tenantID, plugin, id)
	if err != nil {
		return nil, err
	}
	return paymentPB(o), nil
}

func paymentPB(o payment.Order) *wuyepb.Payment {
	p := &wuyepb.Payment{Id: o.ID.String(), OrderNo: o.OrderNo, AmountFen: o.Amount, Currency: o.Currency, Status: o.Status,
		PayUrl: o.PayURL, Reference: o.Reference, ExpiresAtUnixMs: o.ExpiresAt.UnixMilli()}
	if o.PaidAt != nil {
		p.PaidAtUnixMs = o.PaidAt.UnixMilli()
	}
	return p
}

// emitPluginPayment tells plugins a plugin's order was paid.
func (a *App) emitPluginPayment(ctx context.Context, tenantID uuid.UUID, o payment.Order) error {
	return a.emit(ctx, tenantID, uuid.Nil, EventPaymentReceived, map[string]any{
		"plugin": o.Plugin, "reference": o.Reference, "payment_id": o.ID, "amount_fen": o.Amount, "currency": o.Currency,
		"order_no": o.OrderNo,
	})
}
