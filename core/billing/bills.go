package billing

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// lockBill reads a bill and locks its row for the rest of the transaction,
// so two payments of one bill take turns. Another tenant's bill is not found.
func (s *Service) lockBill(tx *gorm.DB, tenantID, id uuid.UUID) (b Bill, err error) {
	err = store.NotFound(s.forUpdate(ofTenant(tx, tenantID)).Take(&b, "id = ?", id).Error)
	if err == nil && b.Status == StatusCancelled {
		err = ErrBillCancelled
	}
	return b, err
}

func (s *Service) billView(tx *gorm.DB, tenantID uuid.UUID, b Bill) (BillView, error) {
	vs, err := s.billViews(tx, tenantID, []Bill{b}, true)
	if err != nil {
		return BillView{}, err
	}
	return vs[0], nil
}

// billViews adds what is outstanding and paid on each bill, and its lines.
func (s *Service) billViews(tx *gorm.DB, tenantID uuid.UUID, bills []Bill, lines bool) ([]BillView, error) {
	ids := make([]uuid.UUID, len(bills))
	for i, b := range bills {
		ids[i] = b.ID
	}
	out, err := billOutstanding(tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	paid, err := billPaid(tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	byBill := map[uuid.UUID][]BillLine{}
	if lines && len(ids) > 0 {
		var ls []BillLine
		if err := ofTenant(tx, tenantID).Where("bill_id IN ?", ids).Order("bill_id, position").Find(&ls).Error; err != nil {
			return nil, err
		}
		for _, l := range ls {
			byBill[l.BillID] = append(byBill[l.BillID], l)
		}
	}
	vs := make([]BillView, len(bills))
	for i, b := range bills {
		vs[i] = BillView{Bill: b, Outstanding: out[b.ID], Paid: paid[b.ID], Lines: byBill[b.ID]}
		if vs[i].Lines == nil {
			vs[i].Lines = []BillLine{}
		}
	}
	return vs, nil
}

// billPaid is what payments (net of refunds) put against each bill.
func billPaid(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	out := make(map[uuid.UUID]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		BillID uuid.UUID
		Total  int64
	}
	err := tx.Raw(`SELECT bill_id, COALESCE(SUM(amount), 0) AS total FROM ledger_entries
		WHERE tenant_id = ? AND account = 'receivable' AND kind IN ('payment', 'refund') AND bill_id IN ? GROUP BY bill_id`, tenantID, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.BillID] = -r.Total
	}
	return out, err
}

// GetBill returns a bill with its lines and what is outstanding.
func (s *Service) GetBill(ctx context.Context, tenantID, id uuid.UUID) (v BillView, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var b Bill
		if err := store.NotFound(ofTenant(tx, tenantID).Take(&b, "id = ?", id).Error); err != nil {
			return err
		}
		v, err = s.billView(tx, tenantID, b)
		return err
	})
	return v, err
}

// BillFilter narrows the bill list.
type BillFilter struct {
	RoomID      *uuid.UUID `form:"room_id" json:"room_id"`
	CommunityID *uuid.UUID `form:"community_id" json:"community_id"`
	BuildingID  *uuid.UUID `form:"building_id" json:"building_id"`
	// ItemID keeps bills with a line of that fee item.
	ItemID *uuid.UUID `form:"item_id" json:"item_id"`
	Period string     `form:"period" json:"period"`
	Status string     `form:"status" json:"status"`
	// Unpaid keeps bills with something outstanding.
	Unpaid bool `form:"unpaid" json:"unpaid"`
}

func (f BillFilter) apply(q *gorm.DB, tenantID uuid.UUID) *gorm.DB {
	if f.RoomID != nil {
		q = q.Where("room_id = ?", *f.RoomID)
	}
	if f.CommunityID != nil {
		q = q.Where("community_id = ?", *f.CommunityID)
	}
	if f.BuildingID != nil {
		q = q.Where("building_id = ?", *f.BuildingID)
	}
	if f.ItemID != nil {
		q = q.Where("id IN (SELECT bill_id FROM bill_lines WHERE tenant_id = ? AND item_id = ?)", tenantID, *f.ItemID)
	}
	if f.Period != "" {
		q = q.Where("period = ?", f.Period)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Unpaid {
		q = q.Where("status = 'issued' AND id IN (SELECT bill_id FROM ledger_entries WHERE tenant_id = ? AND account = 'receivable' AND bill_id IS NOT NULL GROUP BY bill_id HAVING SUM(amount) > 0)", tenantID)
	}
	return q
}

// ListBills lists bills (without lines), newest period first unless sorted.
func (s *Service) ListBills(ctx context.Context, tenantID uuid.UUID, f BillFilter, p paging.Paging) (out []BillView, total int64, err error) {
	if p.Order == "" {
		p.Order = "period DESC, id"
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := f.apply(ofTenant(tx.Model(&Bill{}), tenantID), tenantID)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var bills []Bill
		if err := p.Apply(q).Find(&bills).Error; err != nil {
			return err
		}
		out, err = s.billViews(tx, tenantID, bills, false)
		return err
	})
	return out, total, err
}

// CancelIn says why a bill is cancelled.
type CancelIn struct {
	Reason string `json:"reason"`
}

// CancelBill cancels (作废) a bill nothing was paid on: the bill is marked
// cancelled and an adjustment entry takes its outstanding amount off.
func (s *Service) CancelBill(ctx context.Context, tenantID, id uuid.UUID, in CancelIn) (v BillView, err error) {
	if strings.TrimSpace(in.Reason) == "" {
		return v, ErrReason
	}
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		b, err := s.lockBill(tx, tenantID, id)
		if err != nil {
			return err
		}
		paid, err := billPaid(tx, tenantID, []uuid.UUID{id})
		if err != nil {
			return err
		}
		if paid[id] != 0 {
			return ErrBillHasPayments
		}
		out, err := billOutstanding(tx, tenantID, []uuid.UUID{id})
		if err != nil {
			return err
		}
		if out[id] != 0 {
			if err := s.post(ctx, tx, []Entry{{TenantID: tenantID, RoomID: b.RoomID, Account: AccountReceivable, Kind: KindAdjustment,
				Amount: -out[id], Currency: b.Currency, BillID: &b.ID, BookedOn: today, Reason: "cancelled: " + strings.TrimSpace(in.Reason)}}); err != nil {
				return err
			}
		}
		if err := ofTenant(tx.Model(&Bill{}), tenantID).Where("id = ?", id).Update("status", StatusCancelled).Error; err != nil {
			return err
		}
		b.Status = StatusCancelled
		v, err = s.billView(tx, tenantID, b)
		return err
	})
	return v, err
}

// MyBills lists the bills of the rooms the signed-in resident lives in.
func (s *Service) MyBills(ctx context.Context, tenantID, userID uuid.UUID, p paging.Paging) (out []BillView, total int64, err error) {
	rooms, err := s.residents.MyRoomIDs(ctx, tenantID, userID)
	if err != nil {
		return nil, 0, err
	}
	if len(rooms) == 0 {
		return []BillView{}, 0, nil
	}
	if p.Order == "" {
		p.Order = "period DESC, id"
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := ofTenant(tx.Model(&Bill{}), tenantID).Where("room_id IN ? AND status = ?", rooms, StatusIssued)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var bills []Bill
		if err := p.Apply(q).Find(&bills).Error; err != nil {
			return err
		}
		out, err = s.billViews(tx, tenantID, bills, true)
		return err
	})
	return out, total, err
}
