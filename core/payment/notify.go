package payment

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
)

// Audit actions of this package.
const (
	ActionNotifyRejected = "payment.notify.rejected" // a notification refused: bad signature, wrong amount, another merchant's
	ActionCredited       = "payment.credited"        // a confirmed payment credited to the ledger
	ActionAutoRefund     = "payment.auto_refund"     // a payment of bills paid meanwhile, refunded
	ActionRefund         = "payment.refund"          // a refund of a credited payment
	ActionClosed         = "payment.closed"          // an order expired unpaid and was closed
	ActionPluginPaid     = "payment.plugin_paid"     // a plugin's order confirmed paid (no bill credited)
)

// Inbound is a notification as it arrived.
type Inbound struct {
	Provider string // from the path
	Merchant string // the account's public id, from the path
	Header   http.Header
	Body     []byte
	IP       string
}

// Notify handles a provider's notification and returns the answer the
// provider expects. The tenant is the one of the merchant account whose
// keys verify the notification; nothing in the body chooses it. A
// notification delivered twice credits once.
func (s *Service) Notify(ctx context.Context, in Inbound) Answer {
	p, ok := s.providers[in.Provider]
	if !ok {
		return Answer{Status: http.StatusNotFound, ContentType: "text/plain; charset=utf-8", Body: []byte("unknown provider")}
	}
	m, err := s.merchantByPublicID(ctx, in.Merchant)
	if err != nil || m.Provider != in.Provider || !m.Enabled {
		if err != nil && !store.IsNotFound(err) {
			return p.Answer(false, "try again")
		}
		s.reject(ctx, uuid.Nil, in, Notification{}, errWrongMerchant)
		return p.Answer(false, "unknown merchant")
	}
	c, err := s.credentials(m)
	if err != nil {
		s.reject(ctx, m.TenantID, in, Notification{}, err)
		return p.Answer(false, "merchant account misconfigured")
	}
	n, err := p.VerifyNotification(c, in.Header, in.Body)
	if err == nil && n.Merchant != merchantIdentity(c) {
		err = errWrongMerchant
	}
	if err != nil {
		s.reject(ctx, m.TenantID, in, n, err)
		return p.Answer(false, code(err))
	}
	if !n.Paid {
		return p.Answer(true, "") // waiting, closed: nothing to record
	}
	refund, err := s.confirm(ctx, m, n, "notify")
	if err != nil {
		if isRejection(err) {
			s.reject(ctx, m.TenantID, in, n, err)
		} else {
			slog.Default().Error("payment: notification not recorded; the provider will deliver it again", "order_no", n.OrderNo, "err", err)
		}
		return p.Answer(false, code(err))
	}
	if refund != nil {
		s.sendRefund(ctx, m.TenantID, refund.ID) // a failure stays pending for the query job
	}
	return p.Answer(true, "")
}

// merchantIdentity is what a genuine notification names as its merchant.
func merchantIdentity(c *Credentials) string {
	switch c.Provider {
	case ProviderWeChat:
		return c.MchID
	case ProviderSandbox:
		return c.PublicID
	}
	return c.AppID
}

func isRejection(err error) bool {
	for _, e := range []error{errUnknownOrder, errWrongAmount, errWrongMerchant, errBadSignature, errStale} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return "internal_error"
}

// reject audits a refused notification: in the tenant's log when the
// account is known, as a platform event when it is not.
func (s *Service) reject(ctx context.Context, tenantID uuid.UUID, in Inbound, n Notification, why error) {
	e := audit.Entry{TenantID: tenantID, ActorKind: "provider", ActorName: in.Provider, Action: ActionNotifyRejected,
		Object: "payment_order/" + n.OrderNo, ObjectType: "payment_order", ObjectID: n.OrderNo, Result: audit.ResultDenied,
		Detail: code(why) + " (merchant " + in.Merchant + ")", Method: http.MethodPost, Route: "/api/v1/payments/notify/:provider/:merchant", IP: in.IP}
	var err error
	if tenantID == uuid.Nil {
		err = s.deps.Audit.RecordPlatform(ctx, e)
	} else {
		err = s.deps.Audit.Record(ctx, e)
	}
	if err != nil {
		slog.Default().Error("payment: audit a rejected notification", "err", err)
	}
}

// confirm credits a payment the provider confirmed (by notification or by
// the query job) to the order's bills, once. When the bills were paid
// meanwhile, the order is marked refunded and a pending refund returned for
// the caller to send once the transaction committed.
func (s *Service) confirm(ctx context.Context, m merchantRow, n Notification, source string) (refund *Refund, err error) {
	tenantID := m.TenantID
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		refund = nil
		var o Order
		q := tx.Where("tenant_id = ? AND order_no = ?", tenantID, n.OrderNo)
		if err := q.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&o).Error; err != nil {
			if store.IsNotFound(err) {
				return errUnknownOrder
			}
			return err
		}
		if o.MerchantID != m.ID {
			return errUnknownOrder
		}
		if n.Amount != o.Money() {
			return errWrongAmount
		}
		if o.Status == StatusPaid || o.Status == StatusRefunded {
			return nil // delivered again: credited (or refunded) the first time
		}
		if o.Plugin != "" {
			return s.confirmPlugin(tx, o, n, source)
		}
		paidAt := n.PaidAt
		if paidAt.IsZero() {
			paidAt = s.now()
		}
		credit := Credit{OrderID: o.ID, OrderNo: o.OrderNo, Provider: o.Provider, TxnID: n.TxnID, BillIDs: o.bills(), Amount: o.Money(), PaidAt: paidAt}
		ref, err := s.deps.Ledger.CreditOnline(store.Ctx(tx), tenantID, credit)
		switch {
		case errors.Is(err, ErrAlreadyPaid):
			r, err := s.autoRefund(tx, o, n, paidAt)
			refund = r
			return err
		case err != nil:
			return err
		}
		if err := tx.Model(&o).Updates(map[string]any{"status": StatusPaid, "provider_txn_id": n.TxnID, "ledger_ref": ref, "paid_at": paidAt.UTC(), "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return audit.RecordTx(tx, audit.Entry{TenantID: tenantID, ActorKind: "system", ActorName: source, Action: ActionCredited,
			Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK,
			Detail: o.OrderNo + " " + o.Money().String() + " txn " + n.TxnID})
	})
	return refund, err
}
