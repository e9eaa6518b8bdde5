package billing

import (
	"context"
	"math/big"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/decimal"
	"github.com/wuye-project/wuye/core/store"
)

// TaskLateFees accrues a tenant's late fees for its today (daily schedule).
const TaskLateFees = "billing.late_fees"

// rateScale is the scale late-fee rates and caps are read at.
const rateScale = 8

// AccrueLateFees posts one late_fee entry per overdue bill for day (滞纳金):
// for each line with a late policy whose grace has passed, the line's share
// of what is still owed on the bill × its daily rate, summed and rounded
// half-up to the fen, up to the lines' cap. Idempotent per (bill, day): the
// entry key is "late:<bill>:<day>", so a re-run of the day adds nothing.
// Days the job missed are not back-filled.
func (s *Service) AccrueLateFees(ctx context.Context, tenantID uuid.UUID, day civil.Date) (posted int, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var bills []Bill
		err := ofTenant(tx, tenantID).Where("status = ? AND due_on < ? AND id IN (SELECT bill_id FROM ledger_entries WHERE tenant_id = ? AND account = 'receivable' AND bill_id IS NOT NULL GROUP BY bill_id HAVING SUM(amount) > 0)",
			StatusIssued, day, tenantID).Order("id").Find(&bills).Error
		if err != nil || len(bills) == 0 {
			return err
		}
		views, err := s.billViews(tx, tenantID, bills, true)
		if err != nil {
			return err
		}
		late, err := lateSoFar(tx, tenantID, bills)
		if err != nil {
			return err
		}
		var es []Entry
		for _, v := range views {
			amt, err := lateFee(v, late[v.ID], day)
			if err != nil {
				return err
			}
			if amt <= 0 {
				continue
			}
			id := v.ID
			es = append(es, Entry{TenantID: tenantID, ID: store.NewID(), RoomID: v.RoomID, Account: AccountReceivable, Kind: KindLateFee,
				Amount: amt, Currency: v.Currency, BillID: &id, BookedOn: day, EntryKey: "late:" + id.String() + ":" + day.String(),
				Actor: "system:late_fees", Reason: "late fee " + day.String()})
		}
		if len(es) == 0 {
			return nil
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(es, insertBatch)
		posted = int(res.RowsAffected)
		return res.Error
	})
	return posted, err
}

func lateSoFar(tx *gorm.DB, tenantID uuid.UUID, bills []Bill) (map[uuid.UUID]int64, error) {
	ids := make([]uuid.UUID, len(bills))
	for i, b := range bills {
		ids[i] = b.ID
	}
	var rows []struct {
		BillID uuid.UUID
		Total  int64
	}
	err := tx.Raw(`SELECT bill_id, SUM(amount) AS total FROM ledger_entries WHERE tenant_id = ? AND kind = 'late_fee' AND bill_id IN ? GROUP BY bill_id`,
		tenantID, ids).Scan(&rows).Error
	out := make(map[uuid.UUID]int64, len(rows))
	for _, r := range rows {
		out[r.BillID] = r.Total
	}
	return out, err
}

// lateFee is one day's late fee of a bill. The principal still owed is the
// outstanding amount less the late fees already charged; each line's share
// of it is line amount × principal / bill amount (exact, as a fraction).
func lateFee(v BillView, lateSoFar int64, day civil.Date) (int64, error) {
	principal := min(v.Outstanding-lateSoFar, v.Amount)
	if principal <= 0 || v.Amount <= 0 {
		return 0, nil
	}
	sum, capTotal, capped := new(big.Rat), new(big.Rat), true
	for _, l := range v.Lines {
		if l.LateGrace == nil || l.LateRate == "" || !day.After(v.DueOn.AddDays(*l.LateGrace)) {
			continue
		}
		rate, err := decimal.Parse(l.LateRate, rateScale)
		if err != nil {
			return 0, err
		}
		owed := new(big.Int).Mul(big.NewInt(l.Amount), big.NewInt(principal))
		share := new(big.Rat).SetFrac(owed, big.NewInt(v.Amount))
		sum.Add(sum, share.Mul(share, big.NewRat(rate, 1e8)))
		if l.LateCap != "" {
			c, err := decimal.Parse(l.LateCap, rateScale)
			if err != nil {
				return 0, err
			}
			capTotal.Add(capTotal, new(big.Rat).Mul(big.NewRat(l.Amount, 1), big.NewRat(c, 100*1e8)))
		} else {
			capped = false
		}
	}
	fee := halfUp(sum)
	if capped {
		fee = min(fee, max(halfUp(capTotal)-lateSoFar, 0))
	}
	return fee, nil
}

// halfUp rounds a non-negative fraction of fen half-up to a whole fen.
func halfUp(r *big.Rat) int64 {
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	n.Quo(n, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	return n.Int64()
}
