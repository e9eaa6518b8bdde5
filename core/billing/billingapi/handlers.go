package billingapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/billing"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/httpapi"
)

// AdjustBody is an adjustment of the room named in the path.
type AdjustBody struct {
	BillID *uuid.UUID `json:"bill_id"`
	Amount int64      `json:"amount"`
	Reason string     `json:"reason"`
}

// AgingQuery asks for arrears on a day, grouped.
type AgingQuery struct {
	AsOf    string `form:"as_of" json:"as_of"`       // 2026-01-31; today when empty
	GroupBy string `form:"group_by" json:"group_by"` // community (default), building, room, resident
	// Optional: only bills of this community or building, and only rows
	// owing something in this bucket (not_due, d0_30, d31_90, d91_180, over_180).
	CommunityID *uuid.UUID `form:"community_id" json:"community_id"`
	BuildingID  *uuid.UUID `form:"building_id" json:"building_id"`
	Bucket      string     `form:"bucket" json:"bucket"`
}

// RangeQuery is a range of months, e.g. from=2026-01&to=2026-12.
type RangeQuery struct {
	From string `form:"from" json:"from"` // 2026-01; eleven months before to when empty
	To   string `form:"to" json:"to"`     // this month when empty
}

// requireKeyFor refuses a money-moving request on an object without an
// Idempotency-Key, once the object is known to exist (another tenant's
// object answers 404 whatever the headers).
func requireKeyFor(c *gin.Context, exists func() error) error {
	if err := exists(); err != nil {
		return err
	}
	_, err := requireKey(c)
	return err
}

// requireKey refuses a money-moving request without an Idempotency-Key.
func requireKey(c *gin.Context) (string, error) {
	k := c.GetHeader("Idempotency-Key")
	if k == "" {
		return "", billing.ErrIdempotencyKey
	}
	return k, nil
}

func (h handlers) listBills(c *gin.Context) error {
	var f billing.BillFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "period", "due_on", "amount", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListBills(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) getBill(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.GetBill(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) cancelBill(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in billing.CancelIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	v, err := h.svc.CancelBill(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) writeOff(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in billing.WriteOffIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireKeyFor(c, func() error { _, err := h.svc.GetBill(c.Request.Context(), httpapi.Tenant(c), id); return err }); err != nil {
		return err
	}
	e, err := h.svc.WriteOff(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	return created(c, e)
}

func (h handlers) listRuns(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "created_at", "period")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListRuns(c.Request.Context(), httpapi.Tenant(c), p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) startRun(c *gin.Context) error {
	var in billing.RunIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	r, err := h.svc.StartRun(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, r)
	return nil
}

func (h handlers) previewRun(c *gin.Context) error {
	var in billing.RunIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	v, err := h.svc.PreviewRun(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) getRun(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.GetRun(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) balance(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.RoomBalanceChecked(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) ledger(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var f billing.EntryFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "booked_on")
	if err != nil {
		return err
	}
	items, total, err := h.svc.Entries(c.Request.Context(), httpapi.Tenant(c), id, f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) adjust(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in AdjustBody
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireKeyFor(c, func() error {
		_, err := h.svc.RoomBalanceChecked(c.Request.Context(), httpapi.Tenant(c), id)
		return err
	}); err != nil {
		return err
	}
	e, err := h.svc.Adjust(c.Request.Context(), httpapi.Tenant(c), billing.AdjustIn{RoomID: id, BillID: in.BillID, Amount: in.Amount, Reason: in.Reason})
	if err != nil {
		return err
	}
	return created(c, e)
}

func (h handlers) charge(c *gin.Context) error {
	var in billing.ChargeIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	key, err := requireKey(c)
	if err != nil {
		return err
	}
	in.IdempotencyKey = "api:" + key
	v, err := h.svc.PostCharge(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	return created(c, v)
}

func (h handlers) listPayments(c *gin.Context) error {
	var f billing.PaymentFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "received_on", "amount", "created_at", "receipt_no")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListPayments(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) pay(c *gin.Context) error {
	var in billing.PaymentIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if _, err := requireKey(c); err != nil {
		return err
	}
	v, err := h.svc.RecordPayment(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	return created(c, v)
}

func (h handlers) getPayment(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.GetPayment(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) printReceipt(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	page, err := h.svc.ReceiptHTML(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	return nil
}

func (h handlers) requestRefund(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in billing.RefundIn
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireKeyFor(c, func() error { _, err := h.svc.GetPayment(c.Request.Context(), httpapi.Tenant(c), id); return err }); err != nil {
		return err
	}
	r, err := h.svc.RequestRefund(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	return created(c, r)
}

func (h handlers) listRefunds(c *gin.Context) error {
	var f billing.RefundFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "amount")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListRefunds(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) getRefund(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.GetRefund(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) approveRefund(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := requireKeyFor(c, func() error { _, err := h.svc.GetRefund(c.Request.Context(), httpapi.Tenant(c), id); return err }); err != nil {
		return err
	}
	v, err := h.svc.ApproveRefund(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) rejectRefund(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.RejectRefund(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) getSettings(c *gin.Context) error {
	v, err := h.svc.GetSettings(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) putSettings(c *gin.Context) error {
	var in billing.Settings
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	v, err := h.svc.PutSettings(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (h handlers) aging(c *gin.Context) error {
	var q AgingQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	if q.GroupBy == "" {
		q.GroupBy = "community"
	}
	ctx, tenant := c.Request.Context(), httpapi.Tenant(c)
	asOf, err := h.svc.Today(ctx, tenant), error(nil)
	if q.AsOf != "" {
		if asOf, err = civil.Parse(q.AsOf); err != nil {
			return billing.ErrDate
		}
	}
	f := billing.AgingFilter{GroupBy: q.GroupBy, Bucket: q.Bucket}
	if q.CommunityID != nil {
		f.CommunityID = *q.CommunityID
	}
	if q.BuildingID != nil {
		f.BuildingID = *q.BuildingID
	}
	rows, err := h.svc.AgingOf(ctx, tenant, asOf, f)
	if err != nil {
		return err
	}
	httpapi.WriteList(c, rows)
	return nil
}

// monthRange reads from/to, defaulting to the twelve months up to this one.
func (h handlers) monthRange(c *gin.Context) (from, to civil.Period, err error) {
	var q RangeQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return from, to, err
	}
	to = civil.PeriodOf(h.svc.Today(c.Request.Context(), httpapi.Tenant(c)))
	if q.To != "" {
		if to, err = civil.ParsePeriod(q.To); err != nil {
			return from, to, billing.ErrPeriod
		}
	}
	from = to.Add(-11)
	if q.From != "" {
		if from, err = civil.ParsePeriod(q.From); err != nil {
			return from, to, billing.ErrPeriod
		}
	}
	return from, to, nil
}

func (h handlers) collectionRate(c *gin.Context) error {
	from, to, err := h.monthRange(c)
	if err != nil {
		return err
	}
	rows, err := h.svc.CollectionRate(c.Request.Context(), httpapi.Tenant(c), from, to)
	if err != nil {
		return err
	}
	httpapi.WriteList(c, rows)
	return nil
}

func (h handlers) income(c *gin.Context) error {
	from, to, err := h.monthRange(c)
	if err != nil {
		return err
	}
	rows, err := h.svc.Income(c.Request.Context(), httpapi.Tenant(c), from, to)
	if err != nil {
		return err
	}
	httpapi.WriteList(c, rows)
	return nil
}

func (h handlers) myBills(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "period", "due_on")
	if err != nil {
		return err
	}
	items, total, err := h.svc.MyBills(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}
