package payment

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// Errors of plugin orders.
var (
	ErrBadPluginOrder = apperr.New(apperr.KindInvalid, "invalid_payment_request",
		"A payment needs a reference, a subject and an idempotency key (each at most 100 characters).", "支付须填写业务编号、商品说明与幂等键(各不超过 100 字)。")
	ErrKeyReused = apperr.New(apperr.KindConflict, "idempotency_key_reused",
		"This idempotency key opened a payment of another amount or reference.", "该幂等键已用于金额或业务编号不同的支付。")
)

// PluginOrderInput asks for an online payment of an amount that belongs to
// no room (a visitor's parking fee), on behalf of a plugin.
type PluginOrderInput struct {
	Plugin    string // the plugin's name
	Reference string // the plugin's own id, handed back when paid
	Key       string // the plugin's idempotency key: the same key, the same order
	Subject   string // shown to the payer
	Amount    money.Money
	Provider  string // empty: the tenant's newest enabled account
	Channel   string // qr (default) or h5
}

func (in *PluginOrderInput) check() error {
	if in.Amount.Amount <= 0 {
		return ErrBadAmount
	}
	if in.Amount.Currency == "" {
		in.Amount.Currency = money.CNY
	}
	if !in.Amount.Currency.Valid() {
		return ErrBadAmount
	}
	for _, s := range []string{in.Plugin, in.Reference, in.Key, in.Subject} {
		if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 100 || !utf8.ValidString(s) {
			return ErrBadPluginOrder
		}
	}
	if in.Channel == "" {
		in.Channel = ChannelQR
	}
	if in.Channel != ChannelQR && in.Channel != ChannelH5 {
		return ErrBadChannel
	}
	if in.Provider != "" && !knownProviders[in.Provider] {
		return ErrUnknownProvider
	}
	return nil
}

// PluginPaidHook hears of a plugin's order confirmed paid, inside the
// transaction that records it (core/app: the "payment.received" event).
type PluginPaidHook func(ctx context.Context, tenantID uuid.UUID, o Order) error

// SetPluginPaidHook connects the hook; call it before serving.
func (s *Service) SetPluginPaidHook(h PluginPaidHook) { s.pluginPaid = h }

// CreatePluginOrder opens an online payment for a plugin and returns it
// with the URL to pay; replayed reports an order the same key opened
// before (the same order, whatever its status). A key used for another
// amount or reference is a conflict.
func (s *Service) CreatePluginOrder(ctx context.Context, tenantID uuid.UUID, in PluginOrderInput) (out Order, replayed bool, err error) {
	if err := in.check(); err != nil {
		return Order{}, false, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		out, replayed, err = s.createPluginOrder(ctx, tenantID, in)
		if !store.IsUniqueViolation(err) {
			return out, replayed, err
		}
		// A concurrent call with the same key won: answer its order.
	}
	return out, replayed, err
}

func (s *Service) createPluginOrder(ctx context.Context, tenantID uuid.UUID, in PluginOrderInput) (out Order, replayed bool, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var prev Order
		err := tx.Where("tenant_id = ? AND plugin = ? AND idem_key = ?", tenantID, in.Plugin, in.Key).Take(&prev).Error
		switch {
		case err == nil:
			if prev.Money() != in.Amount || prev.Reference != in.Reference {
				return ErrKeyReused
			}
			prev.fill()
			out, replayed = prev, true
			return nil
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		m, err := s.merchantFor(tx, tenantID, in.Provider)
		if err != nil {
			return err
		}
		c, err := s.credentials(m)
		if err != nil {
			return err
		}
		o := Order{TenantID: tenantID, ID: store.NewID(), OrderNo: s.newOrderNo(), MerchantID: m.ID, Provider: m.Provider,
			Channel: in.Channel, BillIDsJSON: "[]", Amount: in.Amount.Amount, Currency: string(in.Amount.Currency),
			Status: StatusCreated, CreatedBy: "plugin:" + in.Plugin, ExpiresAt: s.expiry(),
			Plugin: in.Plugin, Reference: in.Reference, IdemKey: in.Key}
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		o.PayURL, err = s.providers[m.Provider].CreateOrder(ctx, c, OrderRequest{OrderNo: o.OrderNo, Amount: in.Amount,
			Subject: in.Subject, Channel: in.Channel, ExpiresAt: o.ExpiresAt})
		if err != nil {
			return err
		}
		if err := tx.Model(&o).Update("pay_url", o.PayURL).Error; err != nil {
			return err
		}
		o.fill()
		out = o
		return nil
	})
	return out, replayed, err
}

// GetPluginOrder returns an order the plugin opened; any other order is
// not found.
func (s *Service) GetPluginOrder(ctx context.Context, tenantID uuid.UUID, plugin string, id uuid.UUID) (Order, error) {
	o, err := s.GetOrder(ctx, tenantID, id)
	if err != nil {
		return Order{}, err
	}
	if o.Plugin == "" || o.Plugin != plugin {
		return Order{}, apperr.NotFound
	}
	return o, nil
}

// confirmPlugin records a plugin's order paid: no bill to credit; the
// plugin hears of it through the hook, in the same transaction.
func (s *Service) confirmPlugin(tx *gorm.DB, o Order, n Notification, source string) error {
	paidAt := n.PaidAt
	if paidAt.IsZero() {
		paidAt = s.now()
	}
	if err := tx.Model(&o).Updates(map[string]any{"status": StatusPaid, "provider_txn_id": n.TxnID, "paid_at": paidAt.UTC(), "updated_at": s.now()}).Error; err != nil {
		return err
	}
	o.Status, o.ProviderTxnID, o.PaidAt = StatusPaid, n.TxnID, &paidAt
	if s.pluginPaid != nil {
		if err := s.pluginPaid(store.Ctx(tx), o.TenantID, o); err != nil {
			return err
		}
	}
	return audit.RecordTx(tx, audit.Entry{TenantID: o.TenantID, ActorKind: "system", ActorName: source, Action: ActionPluginPaid,
		Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK,
		Detail: o.OrderNo + " " + o.Money().String() + " txn " + n.TxnID + " for " + o.Plugin + " " + o.Reference})
}
