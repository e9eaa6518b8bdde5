package app

import (
	"context"

	"github.com/wuye-project/wuye/core/payment"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/tenant"
)

// Online payments: the service, its demo seeder, and the query job that
// repairs what a lost notification or a crash left half done.

// paymentQuerySpec is how often the query job looks at orders still waiting.
const paymentQuerySpec = "@every 1m"

// newPayments builds the payment service. Merchant secrets are sealed with
// the personal-data keyring, so they rotate with it.
func (a *App) newPayments() error {
	var err error
	a.Payments, err = payment.New(a.DB, payment.Deps{Ledger: a.paymentLedger(), Audit: a.Audit, Keys: a.Residents.Keyring()},
		payment.Options{PublicURL: a.Config.PublicURL, Sandbox: a.Config.SandboxAllowed(), Zone: a.Tenants.Location})
	if err != nil {
		return err
	}
	a.Tenants.RegisterSeeder("payments", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Payments.SeedDemo(ctx, tn.ID, d)
	})
	return nil
}

// registerPaymentTasks installs the query job, platform-wide: one run looks
// at every tenant's waiting orders.
func (a *App) registerPaymentTasks() error {
	a.Queue.Handle(payment.TaskRepair, func(ctx context.Context, _ queue.Task) error {
		rep, err := a.Payments.Repair(ctx)
		if rep.Credited+rep.Refunded+rep.Closed+rep.Failed > 0 {
			a.Log.Info("payment query job", "checked", rep.Checked, "credited", rep.Credited, "refunded", rep.Refunded,
				"closed", rep.Closed, "refunds_sent", rep.Refunds, "failed", rep.Failed)
		}
		return err
	})
	return a.Queue.Schedule("payment-query", paymentQuerySpec, queue.Task{Type: payment.TaskRepair, Queue: queue.Default})
}
