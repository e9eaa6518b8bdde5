package finance_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/finance"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// ledger is billing's side as this package sees it: fixed income,
// collection and arrears rows, as billing would answer for a tenant.
type ledger struct {
	income  []finance.IncomeRow
	coll    []finance.CollectionRow
	arrears []finance.Arrear
	dues    []finance.PeriodDue
}

func (l *ledger) PeriodDues(context.Context, uuid.UUID, civil.Period) ([]finance.PeriodDue, error) {
	return l.dues, nil
}

// told records what finance asked notifications to send; with fail set it
// refuses, as a broken notification write would.
type told struct {
	notices []finance.Notice
	rooms   []uuid.UUID
	fail    bool
}

func (t *told) NotifyRoom(_ context.Context, _ uuid.UUID, room uuid.UUID, n finance.Notice) error {
	if t.fail {
		return errors.New("notifications are down")
	}
	t.notices, t.rooms = append(t.notices, n), append(t.rooms, room)
	return nil
}

func (l *ledger) Income(context.Context, uuid.UUID, civil.Period, civil.Period) ([]finance.IncomeRow, error) {
	return l.income, nil
}
func (l *ledger) Collection(context.Context, uuid.UUID, civil.Period, civil.Period) ([]finance.CollectionRow, error) {
	return l.coll, nil
}
func (l *ledger) Arrears(context.Context, uuid.UUID, civil.Date) ([]finance.Arrear, error) {
	return l.arrears, nil
}

type rooms map[uuid.UUID]bool

func (r rooms) RoomExists(_ context.Context, _ uuid.UUID, id uuid.UUID) (bool, error) {
	return r[id], nil
}

func shanghai(context.Context, uuid.UUID) *time.Location {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return loc
}

func p(y int, m time.Month) civil.Period { return civil.Period{Year: y, Month: m} }

type row struct {
	period              civil.Period
	item, name, channel string
	amount              int64
}

// income is billing's answer for payments: each one summed by item and by channel.
func income(rows ...row) (out []finance.IncomeRow) {
	for _, r := range rows {
		out = append(out,
			finance.IncomeRow{Period: r.period, By: finance.IncomeByItem, Key: r.item, Name: r.name, Amount: r.amount, Currency: money.CNY},
			finance.IncomeRow{Period: r.period, By: finance.IncomeByChannel, Key: r.channel, Amount: r.amount, Currency: money.CNY})
	}
	return out
}

func newService(t *testing.T, db *store.DB, l *ledger, r rooms) *finance.Service {
	t.Helper()
	s, err := finance.New(db, l, r, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	if e, ok := apperr.As(err); ok {
		fe, _ := e.Details.([]apperr.FieldError)
		for _, f := range fe {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestExpensesAndReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid, other := store.NewID(), store.NewID()
		l := &ledger{
			income: income(
				row{p(2025, 3), "property_fee", "物业费", "wechat", 100000},
				row{p(2026, 3), "property_fee", "物业费", "wechat", 90000},
				row{p(2026, 3), "water", "水费", "cash", 30000},
				row{p(2026, 4), "parking", "停车费", "alipay", 20000},
			),
			coll: []finance.CollectionRow{
				{Period: p(2026, 3), Billed: 300000, Collected: 200000, Currency: money.CNY},
				{Period: p(2026, 4), Billed: 300000, Collected: 299999, Currency: money.CNY},
			},
		}
		// Another currency is left out of a CNY report.
		l.income = append(l.income, finance.IncomeRow{Period: p(2026, 4), By: finance.IncomeByChannel, Key: "alipay", Amount: 999, Currency: "USD"})
		s := newService(t, db, l, rooms{})

		// Every field problem is reported at once, nothing written.
		_, err := s.CreateExpense(ctx, tid, "fin", finance.ExpenseInput{Category: "bonus", Amount: "12.345", SpentOn: civil.Date{}})
		if got := fieldCodes(err); got["category"] != "unknown_category" || got["amount"] != "too_many_decimals" || got["spent_on"] != "required" {
			t.Fatalf("bad expense: %v %v", err, got)
		}
		if _, err := s.CreateExpense(ctx, tid, "fin", finance.ExpenseInput{Category: "repairs", Amount: "99999999999999999999", SpentOn: civil.New(2026, 3, 1)}); fieldCodes(err)["amount"] != "amount_out_of_range" {
			t.Fatalf("huge expense: %v", err)
		}
		if _, err := s.CreateExpense(ctx, tid, "fin", finance.ExpenseInput{Category: "repairs", Amount: "-5", SpentOn: civil.New(2026, 3, 1)}); fieldCodes(err)["amount"] != "amount_not_positive" {
			t.Fatalf("negative expense: %v", err)
		}
		// Chinese category labels are accepted and stored as codes.
		e, err := s.CreateExpense(ctx, tid, "fin", finance.ExpenseInput{Category: "维修", Amount: "500.50", SpentOn: civil.New(2026, 3, 10), Payee: "电梯公司"})
		if err != nil || e.Category != "repairs" || e.AmountMinor != 50050 {
			t.Fatalf("expense: %+v %v", e, err)
		}
		if _, err := s.CreateExpense(ctx, tid, "fin", finance.ExpenseInput{Category: "salaries", Amount: "1000", SpentOn: civil.New(2025, 3, 5)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetExpense(ctx, other, e.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant's expense: %v", err)
		}
		if err := s.DeleteExpense(ctx, other, e.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("another tenant deletes: %v", err)
		}
		items, total, err := s.ListExpenses(ctx, tid, finance.ExpenseFilter{Category: "维修", From: "2026-03-01", To: "2026-03-31"}, paging.Paging{Limit: 10})
		if err != nil || total != 1 || items[0].ID != e.ID {
			t.Fatalf("list: %v %d %v", items, total, err)
		}
		if _, _, err := s.ListExpenses(ctx, tid, finance.ExpenseFilter{From: "2026-04-01", To: "2026-03-01"}, paging.Paging{}); fieldCodes(err)["to"] != "range_reversed" {
			t.Fatalf("reversed range: %v", err)
		}

		r, err := s.YearReport(ctx, tid, 2026, money.CNY)
		if err != nil {
			t.Fatal(err)
		}
		mar, apr := r.Months[2], r.Months[3]
		if mar.Income != 120000 || mar.Expenses != 50050 || mar.Profit != 69950 || mar.CollectionRate != "66.67" {
			t.Fatalf("march: %+v", mar)
		}
		if apr.Income != 20000 || apr.CollectionRate != "100.00" { // 99.9997 % rounds half-up to 100.00
			t.Fatalf("april: %+v", apr)
		}
		if r.Months[0].CollectionRate != "" {
			t.Fatalf("nothing billed in January shows a rate: %+v", r.Months[0])
		}
		if r.Total.Income != 140000 || r.PreviousYear.Income != 100000 || r.Change.Income != "40.00" {
			t.Fatalf("totals: %+v prev %+v change %+v", r.Total, r.PreviousYear, r.Change)
		}
		// Expenses 500.50 against 1000.00: −49.95 %.
		if r.Total.Expenses != 50050 || r.PreviousYear.Expenses != 100000 || r.Change.Expenses != "-49.95" {
			t.Fatalf("expenses: %+v %+v %s", r.Total, r.PreviousYear, r.Change.Expenses)
		}
		if len(r.IncomeByItem) != 3 || r.IncomeByItem[0].Key != "property_fee" || r.IncomeByItem[0].Change != "-10.00" || r.IncomeByItem[0].PreviousYear != 100000 {
			t.Fatalf("by item: %+v", r.IncomeByItem)
		}
		if len(r.IncomeByChannel) != 3 || r.IncomeByChannel[0].Key != "wechat" || r.IncomeByChannel[0].Name != "微信支付" {
			t.Fatalf("by channel: %+v", r.IncomeByChannel)
		}
		if _, err := s.YearReport(ctx, tid, 1999, money.CNY); !errors.Is(err, finance.ErrYear) {
			t.Fatalf("year 1999: %v", err)
		}
	})
}

func TestCollection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := store.NewID()
		room, late, fresh := store.NewID(), store.NewID(), store.NewID()
		today := civil.On(time.Now(), shanghai(ctx, tid))
		l := &ledger{arrears: []finance.Arrear{
			{RoomID: late, Amount: 125000, Currency: money.CNY, OldestDue: today.AddDays(-40)},
			{RoomID: fresh, Amount: 3000, Currency: money.CNY, OldestDue: today.AddDays(-2)},
		}}
		s := newService(t, db, l, rooms{room: true, late: true, fresh: true})

		_, err := s.RecordAction(ctx, tid, "前台", finance.ActionInput{RoomID: late, Kind: "电话", Outcome: "承诺缴费"})
		if fieldCodes(err)["promised_on"] != "required" {
			t.Fatalf("promise without a day: %v", err)
		}
		promised := today.AddDays(7)
		a, err := s.RecordAction(ctx, tid, "前台", finance.ActionInput{RoomID: late, Kind: "电话", Outcome: "承诺缴费", PromisedOn: &promised, Note: "业主出差,下周缴"})
		if err != nil || a.Kind != "call" || a.Outcome != "promised" || a.DueMinor != 125000 {
			t.Fatalf("action: %+v %v", a, err)
		}
		if _, err := s.RecordAction(ctx, tid, "前台", finance.ActionInput{RoomID: store.NewID(), Kind: "visit", Outcome: "other"}); !errors.Is(err, finance.ErrUnknownRoom) {
			t.Fatalf("unknown room: %v", err)
		}
		// Staff do not record automatic reminders by hand.
		if _, err := s.RecordAction(ctx, tid, "前台", finance.ActionInput{RoomID: room, Kind: "reminder", Outcome: "sent"}); fieldCodes(err)["kind"] != "unknown_kind" {
			t.Fatalf("manual reminder: %v", err)
		}

		if _, err := s.PutSettings(ctx, tid, finance.Settings{NoticeDay: 31, ReminderWeekday: 7, ReminderHour: 10}); len(fieldCodes(err)) != 2 {
			t.Fatalf("bad settings: %v", err)
		}
		if _, err := s.PutSettings(ctx, tid, finance.Settings{NoticesEnabled: true, NoticeDay: 5, RemindersEnabled: true, ReminderWeekday: 1, ReminderHour: 9, MinOverdueDays: 15}); err != nil {
			t.Fatal(err)
		}
		// Forced twice in one week: one reminder, for the room 40 days late
		// only (the other is under the tenant's 15 days).
		for i, want := range []int{1, 0} {
			n, err := s.RemindOverdue(ctx, tid, true)
			if err != nil || n != want {
				t.Fatalf("remind %d: %d %v", i, n, err)
			}
		}
		log, total, err := s.ListActions(ctx, tid, finance.ActionFilter{RoomID: late.String()}, paging.Paging{Limit: 10})
		if err != nil || total != 2 || log[0].Kind != "reminder" || log[1].Kind != "call" {
			t.Fatalf("log: %+v %d %v", log, total, err)
		}
		if _, n, _ := s.ListActions(ctx, store.NewID(), finance.ActionFilter{}, paging.Paging{}); n != 0 {
			t.Fatalf("another tenant sees %d actions", n)
		}
	})
}

func TestRemindersAndNoticesGoOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tid := store.NewID()
		late, billed := store.NewID(), store.NewID()
		today := civil.On(time.Now(), shanghai(ctx, tid))
		l := &ledger{
			arrears: []finance.Arrear{{RoomID: late, Amount: 125000, Currency: money.CNY, OldestDue: today.AddDays(-40)}},
			dues:    []finance.PeriodDue{{RoomID: billed, Amount: 25640, Currency: money.CNY, DueOn: today.AddDays(10)}},
		}
		s := newService(t, db, l, rooms{late: true, billed: true})
		var got told
		s.SetNotifier(&got)
		// The reminder row and its message commit together: a failed send
		// leaves no row, and the next run records and sends it.
		got.fail = true
		if _, err := s.RemindOverdue(ctx, tid, true); err == nil {
			t.Fatal("a failed notification fails the reminder run")
		}
		if _, n, _ := s.ListActions(ctx, tid, finance.ActionFilter{}, paging.Paging{Limit: 10}); n != 0 {
			t.Fatalf("%d rows recorded without their message", n)
		}
		got.fail = false
		for range 2 {
			if _, err := s.RemindOverdue(ctx, tid, true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.NoticeBills(ctx, tid, true); err != nil {
				t.Fatal(err)
			}
		}
		if len(got.notices) != 2 {
			t.Fatalf("one reminder and one notice: %+v", got.notices)
		}
		y, w := time.Now().In(shanghai(ctx, tid)).ISOWeek()
		rem, notice := got.notices[0], got.notices[1]
		if got.rooms[0] != late || rem.Template != "bill.overdue" || rem.Vars["amount"] != "¥1250.00" || rem.Vars["since"] != today.AddDays(-40).String() ||
			rem.Event != fmt.Sprintf("reminder:%s:%d-W%02d", late, y, w) {
			t.Fatalf("reminder: %+v", rem)
		}
		period := civil.Period{Year: today.Year, Month: today.Month}
		if got.rooms[1] != billed || notice.Template != "bill.issued" || notice.Vars["amount"] != "¥256.40" || notice.Vars["period"] != period.String() ||
			notice.Vars["due_date"] != today.AddDays(10).String() || notice.Event != "notice:"+billed.String()+":"+period.String() {
			t.Fatalf("notice: %+v", notice)
		}
		log, _, _ := s.ListActions(ctx, tid, finance.ActionFilter{Kind: "notice"}, paging.Paging{Limit: 10})
		if len(log) != 1 || log[0].RoomID != billed || log[0].DueMinor != 25640 {
			t.Fatalf("the notice is recorded: %+v", log)
		}
		// Before the notice day, or with notices off, the hourly run sends nothing.
		if _, err := s.PutSettings(ctx, tid, finance.Settings{NoticesEnabled: false, NoticeDay: 1, RemindersEnabled: true, ReminderWeekday: 1, ReminderHour: 9}); err != nil {
			t.Fatal(err)
		}
		l.dues = []finance.PeriodDue{{RoomID: late, Amount: 100, Currency: money.CNY, DueOn: today}}
		if n, err := s.NoticeBills(ctx, tid, false); err != nil || n != 0 {
			t.Fatalf("notices off: %d %v", n, err)
		}
		if _, err := s.RecordAction(ctx, tid, "前台", finance.ActionInput{RoomID: late, Kind: "notice", Outcome: "sent"}); fieldCodes(err)["kind"] != "unknown_kind" {
			t.Fatalf("manual notice: %v", err)
		}
	})
}
