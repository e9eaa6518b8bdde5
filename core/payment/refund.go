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

// RefundInput asks for a refund of part or all of a paid order.
type RefundInput struct {
	Amount money.Money `json:"amount"`
	Reason string      `json:"reason"`
}

// Approver is the finance user who asks for or decides a refund.
type Approver struct {
	ID   uuid.UUID
	Name string
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
	return &r, audit.RecordTx(tx, audit.Entry{TenantID: o.TenantID, ActorKind: "system", ActorName: "payment", Action: ActionAutoRefund,
		Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK,
		Detail: o.OrderNo + " " + o.Money().String() + " txn " + n.TxnID + " refund " + r.RefundNo})
}

// RequestRefund asks for a refund of a paid order. Nothing moves until a
// different finance user approves it (ApproveRefund).
func (s *Service) RequestRefund(ctx context.Context, tenantID, orderID uuid.UUID, in RefundInput, by Approver) (out Refund, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var o Order
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND id = ?", tenantID, orderID).Take(&o).Error
		if err != nil {
			return store.NotFound(err)
		}
		if strings.TrimSpace(in.Reason) == "" {
			return ErrNoReason
		}
		if err := refundable(tx, o, in.Amount.Amount, in.Amount.Currency); err != nil {
			return err
		}
		out = Refund{TenantID: tenantID, ID: store.NewID(), OrderID: o.ID, RefundNo: s.newRefundNo(), Amount: in.Amount.Amount,
			Currency: o.Currency, Reason: strings.TrimSpace(in.Reason), Status: RefundRequested, CreatedBy: by.Name, RequestedByID: &by.ID}
		return tx.Create(&out).Error
	})
	return out, err
}

// refundable checks that amount can still go back from a paid order: what
// was asked for before (unless rejected or failed) counts against it.
func refundable(tx *gorm.DB, o Order, amount int64, cur money.Currency) error {
	if o.Status != StatusPaid {
		return ErrOrderNotPaid
	}
	if amount <= 0 || string(cur) != o.Currency {
		return ErrBadAmount
	}
	var asked int64
	if err := tx.Model(&Refund{}).Where("tenant_id = ? AND order_id = ? AND status NOT IN ?", o.TenantID, o.ID, []string{RefundRejected, RefundFailed}).
		Select("COALESCE(SUM(amount), 0)").Scan(&asked).Error; err != nil {
		return err
	}
	if asked+amount > o.Amount {
		return ErrRefundTooLarge
	}
	return nil
}

// ApproveRefund approves a requested refund, as a finance user other than
// the one who asked, and sends it to the provider. The ledger records it
// once the provider accepted (Ledger.RefundOnline); a refund the provider
// could not take yet stays pending and the query job sends it again.
func (s *Service) ApproveRefund(ctx context.Context, tenantID, id uuid.UUID, by Approver) (out Refund, err error) {
	err = s.decideRefund(ctx, tenantID, id, by, RefundPending)
	if err != nil {
		return Refund{}, err
	}
	s.sendRefund(ctx, tenantID, id)
	return s.getRefund(ctx, tenantID, id)
}

// RejectRefund turns a requested refund down.
func (s *Service) RejectRefund(ctx context.Context, tenantID, id uuid.UUID, by Approver) (Refund, error) {
	if err := s.decideRefund(ctx, tenantID, id, by, RefundRejected); err != nil {
		return Refund{}, err
	}
	return s.getRefund(ctx, tenantID, id)
}

func (s *Service) decideRefund(ctx context.Context, tenantID, id uuid.UUID, by Approver, status string) error {
	return s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var r Refund
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND id = ?", tenantID, id).Take(&r).Error; err != nil {
			return store.NotFound(err)
		}
		if r.Status != RefundRequested {
			return ErrRefundDecided
		}
		if r.RequestedByID == nil || *r.RequestedByID == by.ID {
			return ErrSameApprover
		}
		return tx.Model(&r).Updates(map[string]any{"status": status, "approved_by_id": by.ID, "approved_by": by.Name, "updated_at": s.now()}).Error
	})
}

func (s *Service) getRefund(ctx context.Context, tenantID, id uuid.UUID) (out Refund, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return store.NotFound(tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&out).Error)
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
			return tx.Model(&Refund{}).Where("tenant_id = ? AND id = ? AND status = ?", r.TenantID, r.ID, RefundPending).
				Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "error": sent.Error(), "status": status, "updated_at": now}).Error
		}
		// Another node may have recorded this refund meanwhile: record it once.
		res := tx.Model(&Refund{}).Where("tenant_id = ? AND id = ? AND status = ?", r.TenantID, r.ID, RefundPending).
			Updates(map[string]any{"attempts": r.Attempts + 1, "error": "", "status": RefundSucceeded, "provider_refund_id": providerID, "updated_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
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
		// A plugin's order credited no bill: the ledger has nothing to reverse.
		if o.Plugin == "" {
			if err := s.deps.Ledger.RefundOnline(store.Ctx(tx), r.TenantID, RefundRecord{LedgerRef: o.LedgerRef, OrderID: o.ID, RefundID: r.ID, RefundNo: r.RefundNo,
				Provider: o.Provider, TxnID: o.ProviderTxnID, BillIDs: o.bills(), Amount: amount, Reason: r.Reason, By: r.ApprovedBy, At: now}); err != nil {
				return err
			}
		}
		return audit.RecordTx(tx, audit.Entry{TenantID: r.TenantID, ActorKind: "system", ActorName: r.CreatedBy, Action: ActionRefund,
			Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK,
			Detail: o.OrderNo + " refund " + r.RefundNo + " " + amount.String()})
	})
}
