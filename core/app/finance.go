package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/finance"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/tenant"
)

// Finance's wiring: billing's ledger as finance reads it, its demo seeder
// and the hourly task that records (and, through notify, sends) each
// tenant's weekly overdue reminders and monthly bill notices.

const taskFinanceReminders = "finance.reminders"

func (a *App) newFinance() (*finance.Service, error) {
	return finance.New(a.DB, financeLedger{a.Billing, a.Fees}, a.Property, a.Tenants.Location)
}

func (a *App) connectFinance() {
	a.Tenants.RegisterSeeder("finance", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Finance.SeedDemo(ctx, tn.ID, d)
	})
}

// registerFinanceTasks: every hour, each active tenant whose reminder time
// has come records this week's reminders (once per room and week).
func (a *App) registerFinanceTasks() error {
	a.Queue.Handle(taskFinanceReminders, func(ctx context.Context, _ queue.Task) error {
		ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "collection schedule"})
		return a.eachActiveTenant(ctx, func(id uuid.UUID) error {
			if _, err := a.Finance.RemindOverdue(ctx, id, false); err != nil {
				return err
			}
			_, err := a.Finance.NoticeBills(ctx, id, false)
			return err
		})
	})
	return a.Queue.Schedule("finance-reminders", "@every 1h", queue.Task{Type: taskFinanceReminders, Queue: queue.Low})
}

// financeLedger answers finance.Ledger from billing, naming fee items from
// the fee domain. Billing's amounts are the tenant's billing currency, CNY.
type financeLedger struct {
	b *billing.Service
	f *fee.Service
}

func (l financeLedger) Income(ctx context.Context, tenantID uuid.UUID, from, to civil.Period) ([]finance.IncomeRow, error) {
	rows, err := l.b.Income(ctx, tenantID, from, to)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := make([]finance.IncomeRow, 0, len(rows))
	for _, r := range rows {
		p, err := civil.ParsePeriod(r.Period)
		if err != nil {
			return nil, err
		}
		row := finance.IncomeRow{Period: p, By: r.By, Key: r.Key, Amount: r.Amount, Currency: money.CNY}
		if r.By == finance.IncomeByItem && r.Key != "prepaid" {
			name, ok := names[r.Key]
			if !ok {
				if it, err := l.f.Item(ctx, tenantID, r.Key); err == nil {
					name = it.Name
				}
				names[r.Key] = name // an item since deleted keeps its code as name
			}
			row.Name = name
		}
		out = append(out, row)
	}
	return out, nil
}

func (l financeLedger) Collection(ctx context.Context, tenantID uuid.UUID, from, to civil.Period) ([]finance.CollectionRow, error) {
	rates, err := l.b.CollectionRate(ctx, tenantID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]finance.CollectionRow, 0, len(rates))
	for _, r := range rates {
		p, err := civil.ParsePeriod(r.Period)
		if err != nil {
			return nil, err
		}
		out = append(out, finance.CollectionRow{Period: p, Billed: r.Billed, Collected: r.Paid, Currency: money.CNY})
	}
	return out, nil
}

// PeriodDues pages through the month's bills, summing what each room still owes.
func (l financeLedger) PeriodDues(ctx context.Context, tenantID uuid.UUID, p civil.Period) ([]finance.PeriodDue, error) {
	by := map[uuid.UUID]*finance.PeriodDue{}
	var order []uuid.UUID
	for off := 0; ; off += 200 {
		bills, _, err := l.b.ListBills(ctx, tenantID, billing.BillFilter{Period: p.String(), Unpaid: true}, paging.Paging{Offset: off, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, b := range bills {
			d := by[b.RoomID]
			if d == nil {
				d = &finance.PeriodDue{RoomID: b.RoomID, Currency: money.CNY, DueOn: b.DueOn}
				by[b.RoomID] = d
				order = append(order, b.RoomID)
			}
			d.Amount += b.Outstanding
			if b.DueOn.Before(d.DueOn) {
				d.DueOn = b.DueOn
			}
		}
		if len(bills) < 200 {
			break
		}
	}
	out := make([]finance.PeriodDue, 0, len(order))
	for _, id := range order {
		if by[id].Amount > 0 {
			out = append(out, *by[id])
		}
	}
	return out, nil
}

func (l financeLedger) Arrears(ctx context.Context, tenantID uuid.UUID, asOf civil.Date) ([]finance.Arrear, error) {
	rows, err := l.b.Overdue(ctx, tenantID, asOf)
	out := make([]finance.Arrear, len(rows))
	for i, r := range rows {
		out[i] = finance.Arrear{RoomID: r.RoomID, Amount: r.Amount, Currency: money.CNY, OldestDue: r.OldestDue}
	}
	return out, err
}
