package billing

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/store"
)

// batchWriter writes a run's batches; run keeps the counters across them.
type batchWriter struct {
	s        *Service
	tenantID uuid.UUID
	period   civil.Period
	today    civil.Date
	autoPay  bool
	run      *Run
}

// insertBatch is how many rows one multi-row INSERT carries (bill lines
// have 19 columns: about 19,000 parameters, far below Postgres's 65,535).
const insertBatch = 1000

// write bills one batch of quotes in tx: bills (rooms billed for the period
// already are left out), their lines and charge entries, auto-payment from
// prepaid money, and the run's position, so a batch is all there or not at all.
func (w *batchWriter) write(ctx context.Context, tx *gorm.DB, qs []fee.RoomQuote) error {
	key := "p:" + w.period.String()
	var (
		bills   []Bill
		lines   = map[uuid.UUID][]BillLine{}
		skipped int64
	)
	runID := w.run.ID
	actor := "system:bill_run " + runID.String()
	prepaid, err := prepaidItems(tx, w.tenantID, w.period, qs)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if blocked(q) || !oneCurrency(q.Lines) {
			skipped++
			continue
		}
		if done := prepaid[q.RoomID]; done != nil {
			q.Lines = slices.DeleteFunc(slices.Clone(q.Lines), func(l fee.Line) bool { return done[l.Code] })
		}
		total := quoteAmount(q)
		if total <= 0 {
			continue
		}
		b := Bill{TenantID: w.tenantID, ID: store.NewID(), RoomID: q.RoomID, CommunityID: q.CommunityID, BuildingID: q.BuildingID,
			Period: w.period.String(), BillKey: key, Source: "run", Amount: total, Currency: q.Lines[0].Currency,
			IssuedOn: w.today, DueOn: w.period.Start().AddDays(minDueDays(q.Lines)), Status: StatusIssued, RunID: &runID}
		bills = append(bills, b)
		for i, l := range q.Lines {
			lines[b.ID] = append(lines[b.ID], lineOf(w.tenantID, b.ID, i, l))
		}
	}
	bills, err = w.s.insertBills(tx, w.tenantID, key, bills)
	if err != nil {
		return err
	}
	var (
		ls      []BillLine
		entries []Entry
		amount  int64
	)
	for _, b := range bills {
		ls = append(ls, lines[b.ID]...)
		bid := b.ID
		entries = append(entries, Entry{TenantID: w.tenantID, ID: store.NewID(), RoomID: b.RoomID, Account: AccountReceivable, Kind: KindCharge,
			Amount: b.Amount, Currency: b.Currency, BillID: &bid, BookedOn: w.today, Actor: actor, Reason: "bill " + b.Period})
		amount += b.Amount
	}
	if len(bills) > 0 {
		if w.autoPay {
			pays, err := w.prepaidPayments(tx, bills, actor)
			if err != nil {
				return err
			}
			entries = append(entries, pays...)
		}
		if err := w.s.insertLinesAndEntries(tx, w.tenantID, ls, entries); err != nil {
			return err
		}
	}
	last := qs[len(qs)-1].RoomID
	w.run.Rooms += int64(len(qs))
	w.run.Bills += int64(len(bills))
	w.run.Amount += amount
	w.run.Exceptions += skipped
	w.run.LastRoomID = &last
	return w.s.setRun(tx, w.tenantID, w.run.ID, map[string]any{"rooms": w.run.Rooms, "bills": w.run.Bills, "amount": w.run.Amount,
		"exceptions": w.run.Exceptions, "last_room_id": last})
}

// prepaidItems is, per quoted room, the item codes its prepayment bill of
// the period (not cancelled) holds: the run bills the rest.
func prepaidItems(tx *gorm.DB, tenantID uuid.UUID, p civil.Period, qs []fee.RoomQuote) (map[uuid.UUID]map[string]bool, error) {
	ids := make([]uuid.UUID, len(qs))
	for i, q := range qs {
		ids[i] = q.RoomID
	}
	var rows []struct {
		RoomID   uuid.UUID
		ItemCode string
	}
	err := tx.Raw(`SELECT b.room_id, l.item_code FROM bills b JOIN bill_lines l ON l.tenant_id = b.tenant_id AND l.bill_id = b.id
		WHERE b.tenant_id = ? AND b.bill_key = ? AND b.status = ? AND b.room_id IN ?`, tenantID, prepayKey(p), StatusIssued, ids).Scan(&rows).Error
	out := map[uuid.UUID]map[string]bool{}
	for _, r := range rows {
		if out[r.RoomID] == nil {
			out[r.RoomID] = map[string]bool{}
		}
		out[r.RoomID][r.ItemCode] = true
	}
	return out, err
}

// prepaidPayments pays new bills from their rooms' prepaid money, as far as
// it goes: a payment entry on the bill and its draw on the prepaid account.
func (w *batchWriter) prepaidPayments(tx *gorm.DB, bills []Bill, actor string) ([]Entry, error) {
	rooms := make([]uuid.UUID, len(bills))
	for i, b := range bills {
		rooms[i] = b.RoomID
	}
	var rows []struct {
		RoomID uuid.UUID
		Total  int64
	}
	if err := tx.Raw(`SELECT room_id, SUM(amount) AS total FROM ledger_entries WHERE tenant_id = ? AND account = 'prepaid' AND room_id IN ?
		GROUP BY room_id HAVING SUM(amount) < 0`, w.tenantID, rooms).Scan(&rows).Error; err != nil {
		return nil, err
	}
	credit := make(map[uuid.UUID]int64, len(rows))
	for _, r := range rows {
		credit[r.RoomID] = -r.Total
	}
	var out []Entry
	for _, b := range bills {
		a := min(credit[b.RoomID], b.Amount)
		if a <= 0 {
			continue
		}
		credit[b.RoomID] -= a
		bid := b.ID
		e := Entry{TenantID: w.tenantID, RoomID: b.RoomID, Kind: KindPayment, Currency: b.Currency, BillID: &bid,
			BookedOn: w.today, Actor: actor, Reason: "paid from prepaid money"}
		pay, draw := e, e
		pay.ID, pay.Account, pay.Amount = store.NewID(), AccountReceivable, -a
		draw.ID, draw.Account, draw.Amount = store.NewID(), AccountPrepaid, a
		out = append(out, pay, draw)
	}
	return out, nil
}

func oneCurrency(ls []fee.Line) bool {
	for _, l := range ls {
		if l.Currency != ls[0].Currency || !l.Currency.Valid() {
			return false
		}
	}
	return len(ls) > 0
}

func minDueDays(ls []fee.Line) int {
	d := ls[0].DueDays
	for _, l := range ls {
		d = min(d, l.DueDays)
	}
	return max(d, 0)
}

func lineOf(tenantID, billID uuid.UUID, pos int, l fee.Line) BillLine {
	bl := BillLine{TenantID: tenantID, ID: store.NewID(), BillID: billID, Position: pos, ItemCode: l.Code, ItemName: l.Name, Kind: l.Kind,
		FromOn: l.From, ToOn: l.To, Quantity: l.Quantity, Unit: l.Unit, Rate: l.Rate, Amount: l.Amount, Detail: l.Detail, DueDays: l.DueDays}
	if l.ItemID != uuid.Nil {
		id := l.ItemID
		bl.ItemID = &id
	}
	if l.Late != nil {
		g := l.Late.GraceDays
		bl.LateGrace, bl.LateRate, bl.LateCap = &g, l.Late.RatePerDay, l.Late.CapPercent
	}
	return bl
}
