package billing

import (
	"database/sql/driver"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// pgArray is a Postgres array literal ("{"a","b",NULL}") passed as one text
// parameter: a bill run sends each column of a batch as one array and
// unnests them, one statement per table instead of thousands of
// placeholders, and gorm leaves a Valuer alone (it would spread a slice).
type pgArray []*string

func (a pgArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		if s == nil {
			b.WriteString("NULL")
			continue
		}
		b.WriteByte('"')
		for _, r := range *s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// columns gathers a batch's values column by column.
type columns []pgArray

func newColumns(n, rows int) columns {
	c := make(columns, n)
	for i := range c {
		c[i] = make(pgArray, 0, rows)
	}
	return c
}

func (c columns) add(vals ...*string) {
	for i, v := range vals {
		c[i] = append(c[i], v)
	}
}

func str(s string) *string { return &s }

func id(u uuid.UUID) *string { return str(u.String()) }

func optID(u *uuid.UUID) *string {
	if u == nil {
		return nil
	}
	return id(*u)
}

func num(n int64) *string { return str(strconv.FormatInt(n, 10)) }

func optNum(n *int) *string {
	if n == nil {
		return nil
	}
	return num(int64(*n))
}

// args is the tenant followed by the columns, for the statements below.
func (c columns) args(tenantID uuid.UUID) []any {
	out := []any{tenantID}
	for _, a := range c {
		out = append(out, a)
	}
	return out
}

// insertBills writes a batch's bills and returns those written: a room
// billed for the period already keeps its bill. On Postgres one unnest
// INSERT … ON CONFLICT DO NOTHING RETURNING does both (no lookup whose plan
// depends on the table's statistics); on SQLite the batch's rooms are looked
// up first (one writer: nothing comes in between).
func (s *Service) insertBills(tx *gorm.DB, tenantID uuid.UUID, key string, bills []Bill) ([]Bill, error) {
	if len(bills) == 0 {
		return nil, nil
	}
	if s.db.Dialect() != store.Postgres {
		billed, err := billedRooms(tx, tenantID, key, bills)
		if err != nil {
			return nil, err
		}
		bills = slices.DeleteFunc(bills, func(b Bill) bool { return billed[b.RoomID] })
		if len(bills) == 0 {
			return nil, nil
		}
		return bills, tx.CreateInBatches(bills, insertBatch).Error
	}
	bc := newColumns(13, len(bills))
	for _, b := range bills {
		bc.add(id(b.ID), id(b.RoomID), id(b.CommunityID), id(b.BuildingID), str(b.Period), str(b.BillKey), str(b.Source),
			num(b.Amount), str(string(b.Currency)), str(b.IssuedOn.String()), str(b.DueOn.String()), str(b.Status), optID(b.RunID))
	}
	var ids []uuid.UUID
	err := tx.Raw(`INSERT INTO bills (tenant_id, id, room_id, community_id, building_id, period, bill_key, source, amount, currency, issued_on, due_on, status, run_id)
		SELECT ?, * FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::date[], ?::date[], ?::text[], ?::uuid[])
		ON CONFLICT (tenant_id, room_id, bill_key) DO NOTHING RETURNING id`, bc.args(tenantID)...).Scan(&ids).Error
	if err != nil {
		return nil, err
	}
	written := make(map[uuid.UUID]bool, len(ids))
	for _, i := range ids {
		written[i] = true
	}
	return slices.DeleteFunc(bills, func(b Bill) bool { return !written[b.ID] }), nil
}

func billedRooms(tx *gorm.DB, tenantID uuid.UUID, key string, bills []Bill) (map[uuid.UUID]bool, error) {
	ids := make([]uuid.UUID, len(bills))
	for i, b := range bills {
		ids[i] = b.RoomID
	}
	var rows []uuid.UUID
	err := tx.Raw(`SELECT room_id FROM bills WHERE tenant_id = ? AND bill_key = ? AND room_id IN ?`, tenantID, key, ids).Scan(&rows).Error
	out := make(map[uuid.UUID]bool, len(rows))
	for _, r := range rows {
		out[r] = true
	}
	return out, err
}

// insertLinesAndEntries writes the lines and entries of a batch's new bills:
// one unnest INSERT per table on Postgres, multi-row INSERTs on SQLite.
func (s *Service) insertLinesAndEntries(tx *gorm.DB, tenantID uuid.UUID, lines []BillLine, entries []Entry) error {
	if s.db.Dialect() != store.Postgres {
		if err := tx.CreateInBatches(lines, insertBatch).Error; err != nil {
			return err
		}
		return tx.CreateInBatches(entries, insertBatch).Error
	}
	lc := newColumns(18, len(lines))
	for _, l := range lines {
		lc.add(id(l.ID), id(l.BillID), num(int64(l.Position)), optID(l.ItemID), str(l.ItemCode), str(l.ItemName), str(l.Kind),
			str(l.FromOn.String()), str(l.ToOn.String()), str(l.Quantity), str(l.Unit), str(l.Rate), num(l.Amount), str(l.Detail),
			num(int64(l.DueDays)), optNum(l.LateGrace), str(l.LateRate), str(l.LateCap))
	}
	err := tx.Exec(`INSERT INTO bill_lines (tenant_id, id, bill_id, position, item_id, item_code, item_name, kind, from_on, to_on, quantity, unit, rate, amount, detail, due_days, late_grace, late_rate, late_cap)
		SELECT ?, * FROM unnest(?::uuid[], ?::uuid[], ?::integer[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::date[], ?::date[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::integer[], ?::integer[], ?::text[], ?::text[])`,
		lc.args(tenantID)...).Error
	if err != nil {
		return err
	}
	ec := newColumns(12, len(entries))
	for _, e := range entries {
		ec.add(id(e.ID), id(e.RoomID), str(e.Account), str(e.Kind), num(e.Amount), str(string(e.Currency)), optID(e.BillID),
			optID(e.PaymentID), str(e.BookedOn.String()), str(e.EntryKey), str(e.Actor), str(e.Reason))
	}
	return tx.Exec(`INSERT INTO ledger_entries (tenant_id, id, room_id, account, kind, amount, currency, bill_id, payment_id, booked_on, entry_key, actor, reason)
		SELECT ?, * FROM unnest(?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::uuid[], ?::uuid[], ?::date[], ?::text[], ?::text[], ?::text[])`,
		ec.args(tenantID)...).Error
}
