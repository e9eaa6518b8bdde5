package billing

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// RefundIn asks for part of a payment back.
type RefundIn struct {
	Amount int64  `json:"amount"`
	Reason string `json:"reason"`
}

// RequestRefund records a refund request on a payment (billing.manage); it
// moves no money until a different finance user approves it.
func (s *Service) RequestRefund(ctx context.Context, tenantID, paymentID uuid.UUID, in RefundIn) (r Refund, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		r, err = s.requestRefund(ctx, tx, tenantID, paymentID, in, "")
		return err
	})
	return r, err
}

func (s *Service) requestRefund(ctx context.Context, tx *gorm.DB, tenantID, paymentID uuid.UUID, in RefundIn, providerRef string) (Refund, error) {
	if in.Amount <= 0 {
		return Refund{}, ErrAmount
	}
	if strings.TrimSpace(in.Reason) == "" {
		return Refund{}, ErrReason
	}
	var p Payment
	if err := store.NotFound(s.forUpdate(ofTenant(tx, tenantID)).Take(&p, "id = ?", paymentID).Error); err != nil {
		return Refund{}, err
	}
	if providerRef == "" && !slices.Contains(OfflineChannels, p.Channel) {
		// Money paid online goes back through its provider (the payment
		// domain's refund), not by a ledger entry alone.
		return Refund{}, ErrRefundOnline
	}
	if err := checkRefundable(tx, tenantID, p, in.Amount); err != nil {
		return Refund{}, err
	}
	var by *uuid.UUID
	if id := actorID(ctx); id != uuid.Nil {
		by = &id
	}
	r := Refund{TenantID: tenantID, ID: store.NewID(), PaymentID: p.ID, Amount: in.Amount, Currency: p.Currency,
		Reason: strings.TrimSpace(in.Reason), Status: RefundRequested, RequestedBy: by, ProviderRef: providerRef, CreatedAt: time.Now().UTC()}
	return r, tx.Create(&r).Error
}

// checkRefundable refuses a refund above what is left of the payment once
// approved refunds are taken off.
func checkRefundable(tx *gorm.DB, tenantID uuid.UUID, p Payment, amount int64) error {
	var refunded int64
	if err := tx.Raw(`SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE tenant_id = ? AND payment_id = ? AND status = 'approved'`,
		tenantID, p.ID).Scan(&refunded).Error; err != nil {
		return err
	}
	if amount > p.Amount-refunded {
		return ErrRefundExceeds
	}
	return nil
}

// ApproveRefund approves a requested refund. The approver must be another
// user than the requester (the route requires billing.manage, the finance
// role's permission). The money comes back first from what the payment left
// as prepaid money, then from its bills, latest first, which owe it again.
func (s *Service) ApproveRefund(ctx context.Context, tenantID, id uuid.UUID) (r Refund, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(s.forUpdate(ofTenant(tx, tenantID)).Take(&r, "id = ?", id).Error); err != nil {
			return err
		}
		approver := actorID(ctx)
		if approver == uuid.Nil { // uuid.Nil is the system's approval, never a person's
			return ErrSameApprover
		}
		return s.approve(ctx, tx, tenantID, &r, approver)
	})
	return r, err
}

// RejectRefund closes a requested refund without moving money.
func (s *Service) RejectRefund(ctx context.Context, tenantID, id uuid.UUID) (r Refund, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := store.NotFound(s.forUpdate(ofTenant(tx, tenantID)).Take(&r, "id = ?", id).Error); err != nil {
			return err
		}
		if r.Status != RefundRequested {
			return ErrRefundDecided
		}
		return s.decide(ctx, tx, tenantID, &r, RefundRejected)
	})
	return r, err
}

func (s *Service) decide(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, r *Refund, status string) error {
	now := time.Now().UTC()
	r.Status, r.DecidedAt = status, &now
	if id := actorID(ctx); id != uuid.Nil {
		r.DecidedBy = &id
	}
	return ofTenant(tx.Model(&Refund{}), tenantID).Where("id = ?", r.ID).
		Updates(map[string]any{"status": r.Status, "decided_at": now, "decided_by": r.DecidedBy}).Error
}

// approve books an approved refund; approver uuid.Nil is the system (a
// provider refund the payment domain already approved).
func (s *Service) approve(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, r *Refund, approver uuid.UUID) error {
	if r.Status != RefundRequested {
		return ErrRefundDecided
	}
	if approver != uuid.Nil && (r.RequestedBy == nil || *r.RequestedBy == approver) {
		return ErrSameApprover
	}
	var p Payment
	if err := s.forUpdate(ofTenant(tx, tenantID)).Take(&p, "id = ?", r.PaymentID).Error; err != nil {
		return err
	}
	if err := checkRefundable(tx, tenantID, p, r.Amount); err != nil {
		return err
	}
	es, err := refundEntries(tx, tenantID, p, r, s.today(ctx, tenantID))
	if err != nil {
		return err
	}
	if err := s.post(ctx, tx, es); err != nil {
		return err
	}
	return s.decide(ctx, tx, tenantID, r, RefundApproved)
}

// refundEntries undoes r.Amount of payment p: its prepaid part first (as
// far as the room still has prepaid money), then its bill allocations,
// latest bill first.
func refundEntries(tx *gorm.DB, tenantID uuid.UUID, p Payment, r *Refund, today civil.Date) ([]Entry, error) {
	v, err := paymentView(tx, tenantID, p)
	if err != nil {
		return nil, err
	}
	bal, err := roomBalance(tx, tenantID, p.RoomID)
	if err != nil {
		return nil, err
	}
	net, err := netAllocations(tx, tenantID, p.ID)
	if err != nil {
		return nil, err
	}
	left := r.Amount
	pid, rid := p.ID, r.ID
	var es []Entry
	base := Entry{TenantID: tenantID, RoomID: p.RoomID, Kind: KindRefund, Currency: p.Currency, PaymentID: &pid, RefundID: &rid,
		BookedOn: today, Reason: r.Reason}
	if pre := min(left, net.prepaid, bal.Prepaid); pre > 0 {
		e := base
		e.Account, e.Amount = AccountPrepaid, pre
		es = append(es, e)
		left -= pre
	}
	allocs := slices.Clone(v.Allocations)
	slices.Reverse(allocs)
	for _, a := range allocs {
		n := min(left, net.bills[a.BillID])
		if n <= 0 {
			continue
		}
		bid := a.BillID
		e := base
		e.Account, e.Amount, e.BillID = AccountReceivable, n, &bid
		es = append(es, e)
		left -= n
	}
	if left > 0 {
		return nil, ErrRefundExceeds
	}
	return es, nil
}

type allocations struct {
	prepaid int64
	bills   map[uuid.UUID]int64
}

// netAllocations is what a payment still holds per bill and as prepaid
// money, after the refunds already booked against it.
func netAllocations(tx *gorm.DB, tenantID, paymentID uuid.UUID) (allocations, error) {
	out := allocations{bills: map[uuid.UUID]int64{}}
	var rows []struct {
		Account string
		BillID  *uuid.UUID
		Total   int64
	}
	err := tx.Raw(`SELECT account, bill_id, SUM(amount) AS total FROM ledger_entries WHERE tenant_id = ? AND payment_id = ?
		GROUP BY account, bill_id`, tenantID, paymentID).Scan(&rows).Error
	for _, r := range rows {
		if r.BillID == nil {
			out.prepaid -= r.Total
		} else {
			out.bills[*r.BillID] -= r.Total
		}
	}
	return out, err
}

// RefundFilter narrows the refund list.
type RefundFilter struct {
	Status    string     `form:"status" json:"status"`
	PaymentID *uuid.UUID `form:"payment_id" json:"payment_id"`
}

// ListRefunds lists refunds, newest first unless sorted.
func (s *Service) ListRefunds(ctx context.Context, tenantID uuid.UUID, f RefundFilter, p paging.Paging) (out []Refund, total int64, err error) {
	if p.Order == "" {
		p.Order = "created_at DESC, id DESC"
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := ofTenant(tx.Model(&Refund{}), tenantID)
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if f.PaymentID != nil {
			q = q.Where("payment_id = ?", *f.PaymentID)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// GetRefund returns one refund.
func (s *Service) GetRefund(ctx context.Context, tenantID, id uuid.UUID) (r Refund, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return store.NotFound(ofTenant(tx, tenantID).Take(&r, "id = ?", id).Error)
	})
	return r, err
}
