package billing

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/store"
)

// batchWriter writes a run's batches, on PostgreSQL two at a time (see
// ExecuteRun); pos keeps the run's counters and resume position.
type batchWriter struct {
	s        *Service
	tenantID uuid.UUID
	period   civil.Period
	today    civil.Date
	autoPay  bool
	runID    uuid.UUID
	pos      *position
}

// position tracks batches written concurrently. Batches are numbered in
// room order. The resume position saved with batch k is its own last room
// when every earlier batch has committed (it commits with k), else the end
// of the batches from the start that have: a run killed while a later batch
// committed before an earlier one resumes early, never late — it prices a
// few rooms again and their bills are left out as billed already
// (bills_key), never skipped.
type position struct {
	mu        sync.Mutex
	run       *Run
	last      []uuid.UUID // last room of each batch
	committed []bool
	through   int // batches 0..through-1 have committed
}

// add records batch seq (numbered by the producer, in room order) and its
// last room; writers call it in any order.
func (p *position) add(seq int, last uuid.UUID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.last) <= seq {
		p.last, p.committed = append(p.last, uuid.Nil), append(p.committed, false)
	}
	p.last[seq] = last
}

// safe is the resume position batch seq may save.
func (p *position) safe(seq int) *uuid.UUID {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.through >= seq:
		last := p.last[seq]
		return &last
	case p.through == 0:
		return p.run.LastRoomID
	}
	last := p.last[p.through-1]
	return &last
}

// done records a committed batch and its counts.
func (p *position) done(seq int, c batchCounts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.committed[seq] = true
	for p.through < len(p.committed) && p.committed[p.through] {
		p.through++
	}
	p.run.Rooms += c.rooms
	p.run.Bills += c.bills
	p.run.Amount += c.amount
	p.run.Exceptions += c.skipped
	if p.through > 0 {
		last := p.last[p.through-1]
		p.run.LastRoomID = &last
	}
}

type batchCounts struct{ rooms, bills, amount, skipped int64 }

// insertBatch is how many rows one multi-row INSERT carries (bill lines
// have 19 columns: about 19,000 parameters, far below Postgres's 65,535).
const insertBatch = 1000

// write bills one batch of quotes in tx: bills (rooms billed for the period
// already are left out), their lines and charge entries, auto-payment from
// prepaid money, and the run's position, so a batch is all there or not at all.
func (w *batchWriter) write(ctx context.Context, tx *gorm.DB, seq int, qs []fee.RoomQuote) (batchCounts, error) {
	key := "p:" + w.period.String()
	var (
		bills   []Bill
		lines   = map[uuid.UUID][]BillLine{}
		skipped int64
	)
	runID := w.runID
	actor := "system:bill_run " + runID.String()
	prepaid, err := prepaidItems(tx, w.tenantID, w.period, qs)
	if err != nil {
		return batchCounts{}, err
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
		return batchCounts{}, err
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
				return batchCounts{}, err
			}
			entries = append(entries, pays...)
		}
		if err := w.s.insertLinesAndEntries(tx, w.tenantID, ls, entries); err != nil {
			return batchCounts{}, err
		}
	}
	// Counters add up in the database (batches commit in any order); the
	// position is the safe one (see position).
	c := batchCounts{rooms: int64(len(qs)), bills: int64(len(bills)), amount: amount, skipped: skipped}
	return c, w.s.setRun(tx, w.tenantID, w.runID, map[string]any{"rooms": gorm.Expr("rooms + ?", c.rooms), "bills": gorm.Expr("bills + ?", c.bills),
		"amount": gorm.Expr("amount + ?", c.amount), "exceptions": gorm.Expr("exceptions + ?", c.skipped), "last_room_id": w.pos.safe(seq)})
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
