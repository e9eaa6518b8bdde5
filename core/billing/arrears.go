package billing

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/civil"
)

// Aging groupings.
var AgingGroups = []string{"community", "building", "room", "resident"}

// AgingRow is what one community, building, room or resident owes, by how
// many days past the due date (欠费账龄). NotDue is owed but not yet due.
type AgingRow struct {
	Key     uuid.UUID `json:"key"`
	Name    string    `json:"name,omitempty"` // the resident's name, or the room's, when grouped by either
	NotDue  int64     `json:"not_due"`
	D0To30  int64     `json:"d0_30"`
	D31To90 int64     `json:"d31_90"`
	D91To80 int64     `json:"d91_180"`
	Over180 int64     `json:"over_180"`
	Total   int64     `json:"total"`
	Bills   int64     `json:"bills"`
}

// bucket is what the row owes in one of AgingBuckets.
func (r *AgingRow) bucket(name string) int64 {
	switch name {
	case "not_due":
		return r.NotDue
	case "d0_30":
		return r.D0To30
	case "d31_90":
		return r.D31To90
	case "d91_180":
		return r.D91To80
	}
	return r.Over180
}

// billOwed is one bill's amount owed on a day.
type billOwed struct {
	ID, RoomID, BuildingID, CommunityID uuid.UUID
	DueOn                               civil.Date
	Owed                                int64
}

// AgingBuckets are the age buckets an aging can be narrowed to.
var AgingBuckets = []string{"not_due", "d0_30", "d31_90", "d91_180", "over_180"}

// AgingFilter narrows an aging: bills of one community or building (zero:
// all), and rows owing something in one age bucket (empty: all).
type AgingFilter struct {
	GroupBy     string
	CommunityID uuid.UUID
	BuildingID  uuid.UUID
	Bucket      string
}

// Aging buckets what is owed on asOf (entries booked by then) by days past
// due: 0–30, 31–90, 91–180, over 180, grouped as asked; largest total first.
func (s *Service) Aging(ctx context.Context, tenantID uuid.UUID, asOf civil.Date, groupBy string) ([]AgingRow, error) {
	return s.AgingOf(ctx, tenantID, asOf, AgingFilter{GroupBy: groupBy})
}

// AgingOf is Aging narrowed by f. Rows grouped by room carry the room's
// name ("community building unit number"), as the property domain says.
func (s *Service) AgingOf(ctx context.Context, tenantID uuid.UUID, asOf civil.Date, f AgingFilter) ([]AgingRow, error) {
	groupBy := f.GroupBy
	if !slices.Contains(AgingGroups, groupBy) {
		return nil, ErrGroupBy
	}
	if f.Bucket != "" && !slices.Contains(AgingBuckets, f.Bucket) {
		return nil, ErrAgingBucket
	}
	owed, err := s.owedBills(ctx, tenantID, asOf)
	if err != nil {
		return nil, err
	}
	rows := map[uuid.UUID]*AgingRow{}
	names := map[uuid.UUID]string{}
	holders := map[uuid.UUID]uuid.UUID{}
	for _, b := range owed {
		if (f.CommunityID != uuid.Nil && b.CommunityID != f.CommunityID) || (f.BuildingID != uuid.Nil && b.BuildingID != f.BuildingID) {
			continue
		}
		key, err := s.agingKey(ctx, tenantID, groupBy, b, holders, names)
		if err != nil {
			return nil, err
		}
		r := rows[key]
		if r == nil {
			r = &AgingRow{Key: key, Name: names[key]}
			rows[key] = r
		}
		switch days := b.DueOn.DaysUntil(asOf); {
		case days < 0:
			r.NotDue += b.Owed
		case days <= 30:
			r.D0To30 += b.Owed
		case days <= 90:
			r.D31To90 += b.Owed
		case days <= 180:
			r.D91To80 += b.Owed
		default:
			r.Over180 += b.Owed
		}
		r.Total += b.Owed
		r.Bills++
	}
	out := make([]AgingRow, 0, len(rows))
	for _, r := range rows {
		if f.Bucket != "" && r.bucket(f.Bucket) <= 0 {
			continue
		}
		if groupBy == "room" {
			place, err := s.rooms.RoomPlace(ctx, tenantID, r.Key)
			if err != nil {
				return nil, err
			}
			r.Name = place.Name
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b AgingRow) int {
		if a.Total != b.Total {
			return int(b.Total - a.Total)
		}
		return slices.Compare(a.Key[:], b.Key[:])
	})
	return out, nil
}

// owedBills lists the issued bills with something owed on asOf.
func (s *Service) owedBills(ctx context.Context, tenantID uuid.UUID, asOf civil.Date) (owed []billOwed, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT b.id, b.room_id, b.building_id, b.community_id, b.due_on, SUM(e.amount) AS owed
			FROM bills b JOIN ledger_entries e ON e.tenant_id = b.tenant_id AND e.bill_id = b.id AND e.account = 'receivable'
			WHERE b.tenant_id = ? AND b.status = 'issued' AND e.booked_on <= ?
			GROUP BY b.id, b.room_id, b.building_id, b.community_id, b.due_on HAVING SUM(e.amount) > 0`, tenantID, asOf).Scan(&owed).Error
	})
	return owed, err
}

// RoomOverdue is what one room owes past due, and since when.
type RoomOverdue struct {
	RoomID    uuid.UUID
	Amount    int64
	OldestDue civil.Date
}

// Overdue lists the rooms owing money past its due date on asOf (bills due
// before asOf), the longest overdue first: whom to remind.
func (s *Service) Overdue(ctx context.Context, tenantID uuid.UUID, asOf civil.Date) ([]RoomOverdue, error) {
	owed, err := s.owedBills(ctx, tenantID, asOf)
	if err != nil {
		return nil, err
	}
	rooms := map[uuid.UUID]*RoomOverdue{}
	for _, b := range owed {
		if !b.DueOn.Before(asOf) {
			continue
		}
		r := rooms[b.RoomID]
		if r == nil {
			r = &RoomOverdue{RoomID: b.RoomID, OldestDue: b.DueOn}
			rooms[b.RoomID] = r
		}
		r.Amount += b.Owed
		if b.DueOn.Before(r.OldestDue) {
			r.OldestDue = b.DueOn
		}
	}
	out := make([]RoomOverdue, 0, len(rooms))
	for _, r := range rooms {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b RoomOverdue) int {
		if c := a.OldestDue.Compare(b.OldestDue); c != 0 {
			return c
		}
		return slices.Compare(a.RoomID[:], b.RoomID[:])
	})
	return out, nil
}

func (s *Service) agingKey(ctx context.Context, tenantID uuid.UUID, groupBy string, b billOwed, holders map[uuid.UUID]uuid.UUID, names map[uuid.UUID]string) (uuid.UUID, error) {
	switch groupBy {
	case "community":
		return b.CommunityID, nil
	case "building":
		return b.BuildingID, nil
	case "room":
		return b.RoomID, nil
	}
	if p, ok := holders[b.RoomID]; ok {
		return p, nil
	}
	p, name, ok, err := s.residents.RoomHolder(ctx, tenantID, b.RoomID)
	if err != nil {
		return uuid.Nil, err
	}
	if !ok {
		p, name = uuid.Nil, "(无住户)"
	}
	holders[b.RoomID], names[p] = p, name
	return p, nil
}

// MonthRate is one month's collection rate (收缴率): of what the month's
// bills charged, how much is paid (as of now), in basis points (1/100 %).
type MonthRate struct {
	Period    string `json:"period"`
	Billed    int64  `json:"billed"`
	Paid      int64  `json:"paid"`
	RateBP    int64  `json:"rate_bp"` // paid × 10000 / billed, rounded half-up
	Bills     int64  `json:"bills"`
	BillsPaid int64  `json:"bills_paid"`
}

func checkRange(from, to civil.Period) error {
	if to.Start().Before(from.Start()) || from.Start().AddMonths(120).Before(to.Start()) {
		return ErrPeriodRange
	}
	return nil
}

// CollectionRate answers, per month of bills from..to, billed and paid.
func (s *Service) CollectionRate(ctx context.Context, tenantID uuid.UUID, from, to civil.Period) ([]MonthRate, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	var rows []struct {
		ID      uuid.UUID
		Period  string
		Charged int64
		Paid    int64
		Owed    int64
	}
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT b.id, b.period,
			SUM(CASE WHEN e.kind IN ('charge', 'late_fee', 'adjustment') THEN e.amount ELSE 0 END) AS charged,
			-SUM(CASE WHEN e.kind IN ('payment', 'refund') THEN e.amount ELSE 0 END) AS paid,
			SUM(e.amount) AS owed
			FROM bills b JOIN ledger_entries e ON e.tenant_id = b.tenant_id AND e.bill_id = b.id AND e.account = 'receivable'
			WHERE b.tenant_id = ? AND b.status = 'issued' AND b.period >= ? AND b.period <= ?
			GROUP BY b.id, b.period`, tenantID, from.String(), to.String()).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	byMonth := map[string]*MonthRate{}
	var out []MonthRate
	for p := from; !to.Start().Before(p.Start()); p = p.Add(1) {
		out = append(out, MonthRate{Period: p.String()})
	}
	for i := range out {
		byMonth[out[i].Period] = &out[i]
	}
	for _, r := range rows {
		m := byMonth[r.Period]
		if m == nil {
			continue
		}
		m.Billed += r.Charged
		m.Paid += r.Paid
		m.Bills++
		if r.Owed <= 0 {
			m.BillsPaid++
		}
	}
	for i := range out {
		if out[i].Billed > 0 {
			out[i].RateBP = (out[i].Paid*20000/out[i].Billed + 1) / 2
		}
	}
	return out, nil
}

// IncomeRow is money received in a month, by fee item or by channel.
type IncomeRow struct {
	Period string `json:"period"`
	By     string `json:"by"`  // item, channel
	Key    string `json:"key"` // the item code or the channel
	Amount int64  `json:"amount"`
}

// Income sums payments received in from..to per month: by channel (net of
// refunds, by booking day), and by fee item (what payments put on bills,
// each bill's share split over its lines in proportion, remainders to the
// last line; prepaid money counts as the item "prepaid").
func (s *Service) Income(ctx context.Context, tenantID uuid.UUID, from, to civil.Period) (out []IncomeRow, err error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var ch []IncomeRow
		err := tx.Raw(`SELECT substr(CAST(e.booked_on AS TEXT), 1, 7) AS period, 'channel' AS "by", COALESCE(p.channel, 'prepaid') AS key, -SUM(e.amount) AS amount
			FROM ledger_entries e LEFT JOIN payments p ON p.tenant_id = e.tenant_id AND p.id = e.payment_id
			WHERE e.tenant_id = ? AND e.kind IN ('payment', 'prepayment', 'refund') AND e.payment_id IS NOT NULL AND e.booked_on >= ? AND e.booked_on <= ?
			GROUP BY 1, 3 ORDER BY 1, 3`, tenantID, from.Start(), to.End()).Scan(&ch).Error
		if err != nil {
			return err
		}
		items, err := incomeByItem(tx, tenantID, from, to)
		out = append(items, ch...)
		return err
	})
	if out == nil {
		out = []IncomeRow{}
	}
	return out, err
}

func incomeByItem(tx *gorm.DB, tenantID uuid.UUID, from, to civil.Period) ([]IncomeRow, error) {
	var rows []struct {
		Period string
		BillID *uuid.UUID
		Amount int64
	}
	err := tx.Raw(`SELECT substr(CAST(booked_on AS TEXT), 1, 7) AS period, bill_id, -SUM(amount) AS amount FROM ledger_entries
		WHERE tenant_id = ? AND kind IN ('payment', 'prepayment', 'refund') AND payment_id IS NOT NULL AND booked_on >= ? AND booked_on <= ?
		GROUP BY 1, 2`, tenantID, from.Start(), to.End()).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for _, r := range rows {
		if r.BillID != nil {
			ids = append(ids, *r.BillID)
		}
	}
	lines := map[uuid.UUID][]BillLine{}
	for c := range slices.Chunk(ids, 500) {
		var ls []BillLine
		if err := ofTenant(tx, tenantID).Select("bill_id, position, item_code, amount").Where("bill_id IN ?", c).Order("bill_id, position").Find(&ls).Error; err != nil {
			return nil, err
		}
		for _, l := range ls {
			lines[l.BillID] = append(lines[l.BillID], l)
		}
	}
	sums := map[[2]string]int64{}
	for _, r := range rows {
		if r.BillID == nil {
			sums[[2]string{r.Period, "prepaid"}] += r.Amount
			continue
		}
		splitOverLines(lines[*r.BillID], r.Amount, func(code string, amt int64) { sums[[2]string{r.Period, code}] += amt })
	}
	out := make([]IncomeRow, 0, len(sums))
	for k, v := range sums {
		out = append(out, IncomeRow{Period: k[0], By: "item", Key: k[1], Amount: v})
	}
	slices.SortFunc(out, func(a, b IncomeRow) int {
		if a.Period != b.Period {
			return compareStr(a.Period, b.Period)
		}
		return compareStr(a.Key, b.Key)
	})
	return out, nil
}

// splitOverLines shares amount over a bill's lines by their amounts.
func splitOverLines(ls []BillLine, amount int64, add func(string, int64)) {
	var total int64
	for _, l := range ls {
		total += l.Amount
	}
	if total == 0 {
		add("other", amount)
		return
	}
	left := amount
	for i, l := range ls {
		part := amount * l.Amount / total
		if i == len(ls)-1 {
			part = left
		}
		left -= part
		add(l.ItemCode, part)
	}
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
