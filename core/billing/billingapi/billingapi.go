// Package billingapi is the HTTP face of billing: bills and bill runs, a
// room's ledger and balance, counter payments and receipts, refunds,
// one-off charges, adjustments and write-offs, settings, arrears reports
// and the resident's own bills.
package billingapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/httpapi"
)

// Permissions (core/rbac catalogue).
const (
	permRead    = "billing.read"
	permManage  = "billing.manage"
	permCollect = "payment.collect"
	permSelf    = "self.read"
)

// HTML is the Response marker of a printable page.
type HTML struct{}

func (HTML) ContentTypes() []string { return []string{"text/html"} }

type handlers struct{ svc *billing.Service }

// Routes are the billing domain's rows of the route table. Every POST that
// moves money requires an Idempotency-Key (same key, one effect).
func Routes(svc *billing.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "billing"
	r, m, c := permRead, permManage, permCollect
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/bills", Tag: tag, Summary: "List bills (room, building, community, fee item, period, status, unpaid)", Permission: r, Query: billing.BillFilter{}, Response: httpapi.Page[billing.BillView]{}, Handler: h.listBills},
		{Method: "GET", Path: "/api/v1/bills/:id", Tag: tag, Summary: "Get a bill with its lines and what is outstanding", Permission: r, Object: true, Response: billing.BillView{}, Handler: h.getBill},
		{Method: "POST", Path: "/api/v1/bills/:id/cancel", Tag: tag, Summary: "Cancel (作废) a bill nothing was paid on", Permission: m, Object: true, Request: billing.CancelIn{}, Response: billing.BillView{}, Handler: h.cancelBill},
		{Method: "POST", Path: "/api/v1/bills/:id/write-off", Tag: tag, Summary: "Write off (核销) a bill's outstanding amount, with a reason", Permission: m, Object: true, Idempotent: true, Request: billing.WriteOffIn{}, Response: billing.Entry{}, Status: 201, Handler: h.writeOff},

		{Method: "GET", Path: "/api/v1/bill-runs", Tag: tag, Summary: "List bill runs", Permission: r, Response: httpapi.Page[billing.Run]{}, Handler: h.listRuns},
		{Method: "POST", Path: "/api/v1/bill-runs", Tag: tag, Summary: "Start a bill run for a community and period, as a job (GET /jobs/:id for progress)", Permission: m, Request: billing.RunIn{}, Response: billing.Run{}, Status: 202, Handler: h.startRun},
		{Method: "POST", Path: "/api/v1/bill-runs/preview", Tag: tag, Summary: "Dry run: totals and exceptions of a bill run, nothing written", Permission: r, Request: billing.RunIn{}, Response: billing.Preview{}, Handler: h.previewRun},
		{Method: "GET", Path: "/api/v1/bill-runs/:id", Tag: tag, Summary: "Get a bill run", Permission: r, Object: true, Response: billing.Run{}, Handler: h.getRun},

		{Method: "GET", Path: "/api/v1/rooms/:id/balance", Tag: tag, Summary: "A room's outstanding amount and prepaid money", Permission: r, Object: true, Response: billing.Balance{}, Handler: h.balance},
		{Method: "GET", Path: "/api/v1/rooms/:id/ledger", Tag: tag, Summary: "A room's ledger entries", Permission: r, Object: true, Query: billing.EntryFilter{}, Response: httpapi.Page[billing.Entry]{}, Handler: h.ledger},
		{Method: "POST", Path: "/api/v1/rooms/:id/adjustments", Tag: tag, Summary: "Adjust what a room owes (+/−), with a reason", Permission: m, Object: true, Idempotent: true, Request: AdjustBody{}, Response: billing.Entry{}, Status: 201, Handler: h.adjust},
		{Method: "GET", Path: "/api/v1/rooms/:id/prepay-quote", Tag: tag, Summary: "Quote paying a room's next months ahead (预缴), with the fee items' prepayment discount", Permission: r, Object: true, Query: PrepayQuery{}, Response: billing.PrepayQuote{}, Handler: h.prepayQuote},
		{Method: "POST", Path: "/api/v1/rooms/:id/prepay", Tag: tag, Summary: "Prepay a room's next months at the counter: issues their bills with the discount and pays them, with a receipt; Idempotency-Key required", Permission: c, Object: true, Idempotent: true, Request: PrepayBody{}, Response: billing.Prepayment{}, Status: 201, Handler: h.prepay},
		{Method: "POST", Path: "/api/v1/charges", Tag: tag, Summary: "Post a one-off charge (deposit, renovation, paid repair, parking); Idempotency-Key required", Permission: m, Idempotent: true, Request: billing.ChargeIn{}, Response: billing.BillView{}, Status: 201, Handler: h.charge},

		{Method: "GET", Path: "/api/v1/payments", Tag: tag, Summary: "List payments", Permission: r, Query: billing.PaymentFilter{}, Response: httpapi.Page[billing.Payment]{}, Handler: h.listPayments},
		{Method: "POST", Path: "/api/v1/payments", Tag: tag, Summary: "Record a counter payment (cash, bank_transfer, pos, cheque) or prepaid money; Idempotency-Key required", Permission: c, Idempotent: true, Request: billing.PaymentIn{}, Response: billing.PaymentView{}, Status: 201, Handler: h.pay},
		{Method: "GET", Path: "/api/v1/payments/:id", Tag: tag, Summary: "Get a payment with its allocations", Permission: r, Object: true, Response: billing.PaymentView{}, Handler: h.getPayment},
		{Method: "GET", Path: "/api/v1/receipts/:id/print", Tag: tag, Summary: "A payment's receipt as HTML that prints on A5 (:id is the payment)", Permission: c, Object: true, Response: HTML{}, Handler: h.printReceipt},

		{Method: "POST", Path: "/api/v1/payments/:id/refunds", Tag: tag, Summary: "Request a refund of a payment (a second finance user approves it)", Permission: m, Object: true, Idempotent: true, Request: billing.RefundIn{}, Response: billing.Refund{}, Status: 201, Handler: h.requestRefund},
		{Method: "GET", Path: "/api/v1/refunds", Tag: tag, Summary: "List refunds", Permission: r, Query: billing.RefundFilter{}, Response: httpapi.Page[billing.Refund]{}, Handler: h.listRefunds},
		{Method: "GET", Path: "/api/v1/refunds/:id", Tag: tag, Summary: "Get a refund", Permission: r, Object: true, Response: billing.Refund{}, Handler: h.getRefund},
		{Method: "POST", Path: "/api/v1/refunds/:id/approve", Tag: tag, Summary: "Approve a refund (not by who requested it); moves the money", Permission: m, Object: true, Idempotent: true, Response: billing.Refund{}, Handler: h.approveRefund},
		{Method: "POST", Path: "/api/v1/refunds/:id/reject", Tag: tag, Summary: "Reject a refund", Permission: m, Object: true, Response: billing.Refund{}, Handler: h.rejectRefund},

		{Method: "GET", Path: "/api/v1/billing/settings", Tag: tag, Summary: "Billing settings (auto-pay from prepaid, monthly runs)", Permission: r, Response: billing.Settings{}, Handler: h.getSettings},
		{Method: "PUT", Path: "/api/v1/billing/settings", Tag: tag, Summary: "Change the billing settings", Permission: m, Request: billing.Settings{}, Response: billing.Settings{}, Handler: h.putSettings},
		{Method: "GET", Path: "/api/v1/billing/aging", Tag: tag, Summary: "Arrears by age (0–30, 31–90, 91–180, >180 days) per community, building, room or resident", Permission: r, Query: AgingQuery{}, Response: httpapi.List[billing.AgingRow]{}, Handler: h.aging},
		{Method: "GET", Path: "/api/v1/billing/collection-rate", Tag: tag, Summary: "Collection rate (收缴率) per month of bills", Permission: r, Query: RangeQuery{}, Response: httpapi.List[billing.MonthRate]{}, Handler: h.collectionRate},
		{Method: "GET", Path: "/api/v1/billing/income", Tag: tag, Summary: "Income per month by fee item and by channel", Permission: r, Query: RangeQuery{}, Response: httpapi.List[billing.IncomeRow]{}, Handler: h.income},

		{Method: "GET", Path: "/api/v1/me/bills", Tag: tag, Summary: "The signed-in resident's bills", Permission: permSelf, Response: httpapi.Page[billing.BillView]{}, Handler: h.myBills},
	}
}

// ok writes a 200 JSON answer.
func ok(c *gin.Context, v any) error {
	c.JSON(http.StatusOK, v)
	return nil
}

func created(c *gin.Context, v any) error {
	c.JSON(http.StatusCreated, v)
	return nil
}
