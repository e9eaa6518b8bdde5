package payment

import (
	"context"
	"log/slog"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/audit"
)

// repairBatch bounds the orders and refunds one run looks at.
const repairBatch = 500

// RepairReport counts what a run of the query job did.
type RepairReport struct {
	Checked  int `json:"checked"`
	Credited int `json:"credited"` // paid at the provider, credited now (a lost notification, a crash)
	Refunded int `json:"refunded"` // paid, but the bills were paid meanwhile
	Closed   int `json:"closed"`   // expired unpaid
	Refunds  int `json:"refunds"`  // pending refunds sent again
	Failed   int `json:"failed"`
}

// Repair is the query job. For every order still waiting QueryAfter after
// it was made it asks the provider: paid → credited now (this repairs a
// crash between the provider's confirmation and the ledger write, or a lost
// notification); expired unpaid → closed at the provider and here. It also
// sends pending refunds again. It runs across tenants (platform pool for the
// search, each order in its own tenant's transaction) and is safe to run on
// several nodes at once: crediting is idempotent and closing is conditional.
func (s *Service) Repair(ctx context.Context) (RepairReport, error) {
	var rep RepairReport
	var orders []Order
	var refunds []Refund
	cutoff := s.now().Add(-s.opt.QueryAfter)
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("status = ? AND created_at < ?", StatusCreated, cutoff).Order("created_at").Limit(repairBatch).Find(&orders).Error; err != nil {
			return err
		}
		return tx.Where("status = ?", RefundPending).Order("created_at").Limit(repairBatch).Find(&refunds).Error
	})
	if err != nil {
		return rep, err
	}
	for _, o := range orders {
		rep.Checked++
		if err := s.repairOrder(ctx, o, &rep); err != nil {
			rep.Failed++
			slog.Default().Warn("payment: query job", "order_no", o.OrderNo, "err", err)
		}
	}
	for _, r := range refunds {
		s.sendRefund(ctx, r.TenantID, r.ID)
		rep.Refunds++
	}
	return rep, nil
}

func (s *Service) repairOrder(ctx context.Context, o Order, rep *RepairReport) error {
	var m merchantRow
	err := s.in(ctx, o.TenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND id = ?", o.TenantID, o.MerchantID).Take(&m).Error
	})
	if err != nil {
		return err
	}
	c, err := s.credentials(m)
	if err != nil {
		return err
	}
	p := s.providers[o.Provider]
	t, err := p.Query(ctx, c, o.OrderNo)
	if err != nil {
		return err
	}
	switch {
	case t.State == StatePaid:
		refund, err := s.confirm(ctx, m, Notification{OrderNo: o.OrderNo, TxnID: t.TxnID, Amount: t.Amount, Paid: true, PaidAt: t.PaidAt}, "query")
		if err != nil {
			if isRejection(err) {
				s.reject(ctx, o.TenantID, Inbound{Provider: o.Provider, Merchant: m.PublicID}, Notification{OrderNo: o.OrderNo}, err)
			}
			return err
		}
		if refund != nil {
			rep.Refunded++
			s.sendRefund(ctx, o.TenantID, refund.ID)
		} else {
			rep.Credited++
		}
	case s.now().After(o.ExpiresAt):
		// An order the provider never heard of (never scanned) has nothing to close there.
		if t.State != StateUnknown {
			if err := p.Close(ctx, c, o.OrderNo); err != nil {
				return err
			}
		}
		if err := s.close(ctx, o); err != nil {
			return err
		}
		rep.Closed++
	}
	return nil
}

// close marks an order closed unless a confirmation got there first.
func (s *Service) close(ctx context.Context, o Order) error {
	return s.in(ctx, o.TenantID, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&Order{}).Where("tenant_id = ? AND id = ? AND status = ?", o.TenantID, o.ID, StatusCreated).
			Updates(map[string]any{"status": StatusClosed, "closed_at": now, "updated_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return audit.RecordTx(tx, audit.Entry{TenantID: o.TenantID, ActorKind: "system", ActorName: "query job", Action: ActionClosed,
			Object: "payment_order/" + o.ID.String(), ObjectType: "payment_order", ObjectID: o.ID.String(), Result: audit.ResultOK, Detail: o.OrderNo})
	})
}
