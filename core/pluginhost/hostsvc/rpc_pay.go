package hostsvc

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// PaymentIn is an online payment a plugin opens: an amount that belongs
// to no room (a visitor's parking fee). Key is already namespaced by the
// plugin; Plugin and Reference come back with "payment.received".
type PaymentIn struct {
	Plugin, Reference, Key, Subject string
	AmountFen                       int64
	Currency, Channel, Provider     string
}

// Payments is core payments as plugins reach them (core/payment).
type Payments interface {
	// Create opens the payment, or answers the one the key opened before.
	Create(ctx context.Context, tenantID uuid.UUID, in PaymentIn) (*wuyepb.Payment, error)
	// Get answers a payment the plugin opened; any other is NotFound.
	Get(ctx context.Context, tenantID uuid.UUID, plugin string, id uuid.UUID) (*wuyepb.Payment, error)
}

// text checks a required short text field.
func text(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return "", invalid(field, "required", field+" is required (at most "+strconv.Itoa(max)+" bytes)", field+" 必填(最多 "+strconv.Itoa(max)+" 字节)")
	}
	return s, nil
}

// CreatePayment opens an online payment for the plugin; the same
// idempotency key answers the same payment. API 3.
func (h *host) CreatePayment(ctx context.Context, in *wuyepb.CreatePaymentRequest) (*wuyepb.Payment, error) {
	return run(h, ctx, "CreatePayment", func(ctx context.Context) (*wuyepb.Payment, error) {
		if h.d.Payments == nil {
			return nil, errUnavailable
		}
		key, err := h.key("idempotency_key", in.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
		if in.GetAmountFen() <= 0 {
			return nil, invalid("amount_fen", "out_of_range", "amount_fen must be positive", "金额须大于 0")
		}
		ref, err := text("reference", in.GetReference(), 100)
		if err != nil {
			return nil, err
		}
		subject, err := text("subject", in.GetSubject(), 100)
		if err != nil {
			return nil, err
		}
		return h.d.Payments.Create(ctx, h.spec.TenantID, PaymentIn{Plugin: h.spec.Name, Reference: ref, Key: key, Subject: subject,
			AmountFen: in.GetAmountFen(), Currency: in.GetCurrency(), Channel: in.GetChannel(), Provider: in.GetProvider()})
	})
}

// GetPayment reads a payment the plugin opened. API 3.
func (h *host) GetPayment(ctx context.Context, in *wuyepb.GetPaymentRequest) (*wuyepb.Payment, error) {
	return run(h, ctx, "GetPayment", func(ctx context.Context) (*wuyepb.Payment, error) {
		if h.d.Payments == nil {
			return nil, errUnavailable
		}
		id, err := parseID("id", in.GetId())
		if err != nil {
			return nil, err
		}
		return h.d.Payments.Get(ctx, h.spec.TenantID, h.spec.Name, id)
	})
}
