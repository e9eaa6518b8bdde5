package payment

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// maxRefundAttempts is how often a refund is sent before it is left failed
// for finance to look at.
const maxRefundAttempts = 10

// RefundInput refunds part or all of a paid order. Billing's refund flow
// calls Refund once a second finance user approved the refund: approval
// lives with the ledger, this package only moves the money back.
type RefundInput struct {
	OrderID uuid.UUID
	Amount  money.Money
	Reason  string
	By      string // who approved it, for the record
}

func (s *Service) newRefundNo() string {
	return "RF" + s.now().In(chinaTime).Format("20060102150405") + strings.ToUpper(randomHex(6))
}

// autoRefund records that a payment goes back: its bills were paid by
// another payment meanwhile (two payers at once). Nothing is credited.
func (s *Service) autoRefund(tx *gorm.DB, o Order, n Notification, paidAt time.Time) (*Refund, error) {
	now := s.now()
	if err := tx.Model(&o).Updates(map[string]any{"status": StatusRefunded, "provider_txn_id": n.TxnID, "paid_at": paidAt.UTC(), "updated_at": now}).Error; err != nil {
		return nil, err
	}
	r := Refund{TenantID: o.TenantID, ID: store.NewID(), OrderID: o.ID, RefundNo: s.newRefundNo(), Amount: o.Amount, Currency: o.Currency,
		Reason: "账单已由另一笔支付缴清,自动退款 (bills already paid by another payment)", Automatic: true, Status: RefundPending, CreatedBy: "system"}
	if err := tx.Create(&r).Error; err != nil {
		return nil, err
	}
	return &r, s.deps.Audit.Record(store.Ctx(tx), audit.Entry{TenantID: o.TenantID, ActorKind: "system", ActorName: "payment", Action: ActionAutoRefund,
		Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK,
		Detail: o.OrderNo + " " + o.Money().String() + " txn " + n.TxnID + " refund " + r.RefundNo})
}

// Refund sends a refund of a paid order to the provider and, once the
// provider accepted it, records it in the ledger (Ledger.RefundOnline). A
// refund the provider could not take yet stays pending and the query job
// sends it again.
func (s *Service) Refund(ctx context.Context, tenantID uuid.UUID, in RefundInput) (out Refund, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var o Order
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND id = ?", tenantID, in.OrderID).Take(&o).Error
		if err != nil {
			return store.NotFound(err)
		}
		if o.Status != StatusPaid {
			return ErrOrderNotPaid
		}
		if in.Amount.Amount <= 0 || string(in.Amount.Currency) != o.Currency {
			return ErrBadAmount
		}
		var done int64
		if err := tx.Model(&Refund{}).Where("tenant_id = ? AND order_id = ? AND status <> ?", tenantID, o.ID, RefundFailed).
			Select("COALESCE(SUM(amount), 0)").Scan(&done).Error; err != nil {
			return err
		}
		if done+in.Amount.Amount > o.Amount {
			return ErrRefundTooLarge
		}
		out = Refund{TenantID: tenantID, ID: store.NewID(), OrderID: o.ID, RefundNo: s.newRefundNo(), Amount: in.Amount.Amount,
			Currency: o.Currency, Reason: in.Reason, Status: RefundPending, CreatedBy: in.By}
		return tx.Create(&out).Error
	})
	if err != nil {
		return Refund{}, err
	}
	s.sendRefund(ctx, tenantID, out.ID)
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND id = ?", tenantID, out.ID).Take(&out).Error
	})
	return out, err
}

// sendRefund asks the provider to refund a pending refund and records the
// outcome. The provider deduplicates on the refund number, so sending again
// after a lost answer refunds once.
func (s *Service) sendRefund(ctx context.Context, tenantID, refundID uuid.UUID) {
	var (
		r Refund
		o Order
		m merchantRow
	)
	err := s.in(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, refundID).Take(&r).Error; err != nil {
			return err
		}
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, r.OrderID).Take(&o).Error; err != nil {
			return err
		}
		return tx.Where("tenant_id = ? AND id = ?", tenantID, o.MerchantID).Take(&m).Error
	})
	if err != nil || r.Status != RefundPending {
		return
	}
	c, err := s.credentials(m)
	var providerID string
	if err == nil {
		providerID, err = s.providers[o.Provider].Refund(ctx, c, RefundRequest{OrderNo: o.OrderNo, TxnID: o.ProviderTxnID,
			RefundNo: r.RefundNo, Amount: money.New(r.Amount, money.Currency(r.Currency)), Total: o.Money(), Reason: r.Reason})
	}
	if err := s.recordRefund(ctx, r, o, providerID, err); err != nil {
		slog.Default().Error("payment: record a refund's outcome", "refund", r.RefundNo, "err", err)
	}
}

// recordRefund writes what the provider answered to a refund.
func (s *Service) recordRefund(ctx context.Context, r Refund, o Order, providerID string, sent error) error {
	return s.in(ctx, r.TenantID, func(tx *gorm.DB) error {
		now := s.now()
		if sent != nil {
			status := RefundPending
			if r.Attempts+1 >= maxRefundAttempts {
				status = RefundFailed
			}
			return tx.Model(&r).Updates(map[string]any{"attempts": r.Attempts + 1, "error": sent.Error(), "status": status, "updated_at": now}).Error
		}
		if err := tx.Model(&r).Updates(map[string]any{"attempts": r.Attempts + 1, "error": "", "status": RefundSucceeded,
			"provider_refund_id": providerID, "updated_at": now}).Error; err != nil {
			return err
		}
		if r.Automatic {
			return nil // nothing was credited, so the ledger has nothing to reverse
		}
		var refunded int64
		if err := tx.Model(&Refund{}).Where("tenant_id = ? AND order_id = ? AND status = ?", r.TenantID, o.ID, RefundSucceeded).
			Select("COALESCE(SUM(amount), 0)").Scan(&refunded).Error; err != nil {
			return err
		}
		if refunded >= o.Amount {
			if err := tx.Model(&o).Updates(map[string]any{"status": StatusRefunded, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		amount := money.New(r.Amount, money.Currency(r.Currency))
		if err := s.deps.Ledger.RefundOnline(store.Ctx(tx), r.TenantID, RefundRecord{OrderID: o.ID, RefundID: r.ID, RefundNo: r.RefundNo,
			Provider: o.Provider, TxnID: o.ProviderTxnID, BillIDs: o.bills(), Amount: amount, Reason: r.Reason, By: r.CreatedBy, At: now}); err != nil {
			return err
		}
		return s.deps.Audit.Record(store.Ctx(tx), audit.Entry{TenantID: r.TenantID, ActorKind: "system", ActorName: r.CreatedBy, Action: ActionRefund,
			Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK,
			Detail: o.OrderNo + " refund " + r.RefundNo + " " + amount.String()})
	})
}
