package billing

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Balance is a room's position: what it owes and the prepaid money it has.
type Balance struct {
	RoomID      uuid.UUID      `json:"room_id"`
	Outstanding int64          `json:"outstanding"` // sum of the receivable account
	Prepaid     int64          `json:"prepaid"`     // prepaid money left (预存余额)
	Currency    money.Currency `json:"currency"`
}

// RoomBalance sums a room's ledger: one index-only range read per account.
func (s *Service) RoomBalance(ctx context.Context, tenantID, roomID uuid.UUID) (b Balance, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		b, err = roomBalance(tx, tenantID, roomID)
		return err
	})
	return b, err
}

func roomBalance(tx *gorm.DB, tenantID, roomID uuid.UUID) (Balance, error) {
	var rows []struct {
		Account string
		Total   int64
	}
	err := tx.Raw(`SELECT account, COALESCE(SUM(amount), 0) AS total FROM ledger_entries
		WHERE tenant_id = ? AND room_id = ? GROUP BY account`, tenantID, roomID).Scan(&rows).Error
	b := Balance{RoomID: roomID, Currency: money.CNY}
	for _, r := range rows {
		if r.Account == AccountPrepaid {
			b.Prepaid = -r.Total
		} else {
			b.Outstanding = r.Total
		}
	}
	return b, err
}

// EntryFilter narrows a room's ledger.
type EntryFilter struct {
	Kind    string `form:"kind" json:"kind"`
	Account string `form:"account" json:"account"`
}

// Entries lists a room's ledger entries, oldest first unless sorted.
func (s *Service) Entries(ctx context.Context, tenantID, roomID uuid.UUID, f EntryFilter, p paging.Paging) (out []Entry, total int64, err error) {
	if p.Order == "" {
		p.Order = "created_at, id"
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := s.rooms.RoomPlace(store.Ctx(tx), tenantID, roomID); err != nil {
			return err
		}
		q := ofTenant(tx.Model(&Entry{}), tenantID).Where("room_id = ?", roomID)
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if f.Account != "" {
			q = q.Where("account = ?", f.Account)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return p.Apply(q).Find(&out).Error
	})
	return out, total, err
}

// entry is a ledger entry to append; post fills what every entry carries.
func (s *Service) post(ctx context.Context, tx *gorm.DB, es []Entry) error {
	if len(es) == 0 {
		return nil
	}
	actor := who(ctx)
	for i := range es {
		es[i].ID = store.NewID()
		if es[i].Actor == "" {
			es[i].Actor = actor
		}
	}
	return tx.CreateInBatches(es, 500).Error
}

// billOutstanding returns what is owed on each bill (its receivable sum).
func billOutstanding(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int64, error) {
	out := make(map[uuid.UUID]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		BillID uuid.UUID
		Total  int64
	}
	err := tx.Raw(`SELECT bill_id, COALESCE(SUM(amount), 0) AS total FROM ledger_entries
		WHERE tenant_id = ? AND account = 'receivable' AND bill_id IN ? GROUP BY bill_id`, tenantID, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.BillID] = r.Total
	}
	return out, err
}

// AdjustIn is a correction of what a room owes, with its reason: positive
// adds, negative takes off. With a bill, it applies to that bill.
type AdjustIn struct {
	RoomID uuid.UUID  `json:"room_id"`
	BillID *uuid.UUID `json:"bill_id"`
	Amount int64      `json:"amount"`
	Reason string     `json:"reason"`
}

// Adjust appends an adjustment entry (billing.manage). It edits nothing: the
// entry names who made it and why.
func (s *Service) Adjust(ctx context.Context, tenantID uuid.UUID, in AdjustIn) (e Entry, err error) {
	if in.Amount == 0 {
		return e, ErrAdjustAmount
	}
	if strings.TrimSpace(in.Reason) == "" {
		return e, ErrReason
	}
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := s.rooms.RoomPlace(store.Ctx(tx), tenantID, in.RoomID); err != nil {
			return err
		}
		cur := money.CNY
		if in.BillID != nil {
			b, err := s.lockBill(tx, tenantID, *in.BillID)
			if err != nil {
				return err
			}
			if b.RoomID != in.RoomID {
				return apperr.NotFound
			}
			out, err := billOutstanding(tx, tenantID, []uuid.UUID{b.ID})
			if err != nil {
				return err
			}
			if out[b.ID]+in.Amount < 0 {
				return ErrWriteOffExceeds
			}
			cur = b.Currency
		}
		e = Entry{TenantID: tenantID, RoomID: in.RoomID, Account: AccountReceivable, Kind: KindAdjustment, Amount: in.Amount,
			Currency: cur, BillID: in.BillID, BookedOn: today, Reason: strings.TrimSpace(in.Reason)}
		es := []Entry{e}
		if err := s.post(ctx, tx, es); err != nil {
			return err
		}
		e = es[0]
		return nil
	})
	return e, err
}

// WriteOffIn writes off (核销) a bill's outstanding amount, or part of it.
type WriteOffIn struct {
	Amount int64  `json:"amount"` // 0: all that is outstanding
	Reason string `json:"reason"`
}

// WriteOff appends a write_off entry on the bill.
func (s *Service) WriteOff(ctx context.Context, tenantID, billID uuid.UUID, in WriteOffIn) (e Entry, err error) {
	if in.Amount < 0 {
		return e, ErrAmount
	}
	if strings.TrimSpace(in.Reason) == "" {
		return e, ErrReason
	}
	today := s.today(ctx, tenantID)
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		b, err := s.lockBill(tx, tenantID, billID)
		if err != nil {
			return err
		}
		out, err := billOutstanding(tx, tenantID, []uuid.UUID{b.ID})
		if err != nil {
			return err
		}
		amt := in.Amount
		if amt == 0 {
			amt = out[b.ID]
		}
		if out[b.ID] <= 0 {
			return ErrBillAlreadyPaid
		}
		if amt > out[b.ID] {
			return ErrWriteOffExceeds
		}
		id := b.ID
		es := []Entry{{TenantID: tenantID, RoomID: b.RoomID, Account: AccountReceivable, Kind: KindWriteOff, Amount: -amt,
			Currency: b.Currency, BillID: &id, BookedOn: today, Reason: strings.TrimSpace(in.Reason)}}
		if err := s.post(ctx, tx, es); err != nil {
			return err
		}
		e = es[0]
		return nil
	})
	return e, err
}

// ChargeIn is a one-off charge posted by a feature or plugin (deposit,
// renovation, paid repair, parking).
type ChargeIn struct {
	RoomID         uuid.UUID      `json:"room_id"`
	ItemCode       string         `json:"item_code"`
	ItemName       string         `json:"item_name"`
	Amount         int64          `json:"amount"`
	Currency       money.Currency `json:"currency"` // CNY when empty
	Reason         string         `json:"reason"`
	DueDays        int            `json:"due_days"`
	IdempotencyKey string         `json:"-"`
	Source         string         `json:"source"` // who posts it: "workorder", "plugin:parking" …
}

// PostCharge bills a one-off charge to a room: a bill of one line and its
// charge entry. The same IdempotencyKey for the same room returns the first
// call's bill and writes nothing.
func (s *Service) PostCharge(ctx context.Context, tenantID uuid.UUID, in ChargeIn) (v BillView, err error) {
	in.ItemCode, in.Reason = strings.TrimSpace(in.ItemCode), strings.TrimSpace(in.Reason)
	switch {
	case in.IdempotencyKey == "":
		return v, ErrIdempotencyKey
	case in.Amount <= 0:
		return v, ErrAmount
	case in.ItemCode == "":
		return v, ErrItemCode
	case in.DueDays < 0 || in.DueDays > 366:
		return v, ErrDueDays
	}
	if in.Currency == "" {
		in.Currency = money.CNY
	}
	if !in.Currency.Valid() {
		return v, ErrCurrency
	}
	if in.ItemName == "" {
		in.ItemName = in.ItemCode
	}
	today := s.today(ctx, tenantID)
	key := "c:" + in.IdempotencyKey
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var prior Bill
		// (tenant, room, bill_key) is the bills' unique index: the lookup is one probe.
		err := ofTenant(tx, tenantID).Where("room_id = ? AND bill_key = ?", in.RoomID, key).Take(&prior).Error
		if err == nil {
			v, err = s.billView(tx, tenantID, prior)
			return err
		}
		if !store.IsNotFound(err) {
			return err
		}
		place, err := s.rooms.RoomPlace(store.Ctx(tx), tenantID, in.RoomID)
		if err != nil {
			return err
		}
		b := Bill{TenantID: tenantID, ID: store.NewID(), RoomID: in.RoomID, CommunityID: place.CommunityID, BuildingID: place.BuildingID,
			Period: civil.PeriodOf(today).String(), BillKey: key, Source: sourceOf(in.Source), Amount: in.Amount, Currency: in.Currency,
			IssuedOn: today, DueOn: today.AddDays(in.DueDays), Status: StatusIssued}
		line := BillLine{TenantID: tenantID, ID: store.NewID(), BillID: b.ID, ItemCode: in.ItemCode, ItemName: in.ItemName, Kind: "one_off",
			FromOn: today, ToOn: today, Quantity: "1", Rate: money.New(in.Amount, in.Currency).Decimal(), Amount: in.Amount, Detail: in.Reason, DueDays: in.DueDays}
		if err := tx.Create(&b).Error; err != nil {
			return err
		}
		if err := tx.Create(&line).Error; err != nil {
			return err
		}
		id := b.ID
		if err := s.post(ctx, tx, []Entry{{TenantID: tenantID, RoomID: b.RoomID, Account: AccountReceivable, Kind: KindCharge,
			Amount: b.Amount, Currency: b.Currency, BillID: &id, BookedOn: today, Reason: in.Reason}}); err != nil {
			return err
		}
		v, err = s.billView(tx, tenantID, b)
		return err
	})
	return v, err
}

func sourceOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "charge"
	}
	return s
}

// RoomBalanceChecked is RoomBalance for a room that must exist (an API
// answer: another tenant's room is not found).
func (s *Service) RoomBalanceChecked(ctx context.Context, tenantID, roomID uuid.UUID) (b Balance, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if _, err := s.rooms.RoomPlace(store.Ctx(tx), tenantID, roomID); err != nil {
			return err
		}
		b, err = roomBalance(tx, tenantID, roomID)
		return err
	})
	return b, err
}

// RoomSection is the room file's "balance" section: what the room owes, its
// prepaid money and its last five payments. ctx carries the file's
// transaction, which this joins.
func (s *Service) RoomSection(ctx context.Context, tenantID, roomID uuid.UUID) (any, error) {
	type section struct {
		Balance
		LastPayments []Payment `json:"last_payments"`
	}
	var out section
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var err error
		if out.Balance, err = roomBalance(tx, tenantID, roomID); err != nil {
			return err
		}
		return ofTenant(tx, tenantID).Where("room_id = ?", roomID).Order("received_on DESC, id DESC").Limit(5).Find(&out.LastPayments).Error
	})
	if out.LastPayments == nil {
		out.LastPayments = []Payment{}
	}
	return out, err
}
