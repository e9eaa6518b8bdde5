// Package feeapi is the HTTP face of fee rules: fee items and their rule
// versions, previews, meters, readings and the readings spreadsheet.
package feeapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/sheet"
)

const (
	permRead   = "billing.read"
	permManage = "billing.manage"
)

type handlers struct{ svc *fee.Service }

// PreviewQuery picks the room and period of a preview.
type PreviewQuery struct {
	RoomID string `form:"room_id" json:"room_id"`
	Period string `form:"period" json:"period"` // YYYY-MM; this month when empty
}

// Routes are the fee domain's rows of the route table.
func Routes(svc *fee.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "fee"
	r, m := permRead, permManage
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/fee-items", Tag: tag, Summary: "List fee items with their rule versions", Permission: r, Query: fee.ItemFilter{}, Response: httpapi.Page[fee.ItemView]{}, Handler: h.listItems},
		{Method: "POST", Path: "/api/v1/fee-items", Tag: tag, Summary: "Create a fee item (add rule versions next)", Permission: m, Idempotent: true, Request: fee.ItemInput{}, Response: fee.ItemView{}, Status: 201, Handler: h.createItem},
		{Method: "GET", Path: "/api/v1/fee-items/preview", Tag: tag, Summary: "Price a room for a period with active and draft versions", Permission: r, Query: PreviewQuery{}, Response: fee.RoomQuote{}, Handler: h.preview},
		{Method: "POST", Path: "/api/v1/fee-items/preview", Tag: tag, Summary: "Price a room for a period with an unsaved item and rules", Permission: r, Request: fee.DraftPreview{}, Response: fee.RoomQuote{}, Handler: h.previewDraft},
		{Method: "GET", Path: "/api/v1/fee-items/:id", Tag: tag, Summary: "Get a fee item with its versions", Permission: r, Object: true, Response: fee.ItemView{}, Handler: h.getItem},
		{Method: "PUT", Path: "/api/v1/fee-items/:id", Tag: tag, Summary: "Change a fee item's settings", Permission: m, Object: true, Request: fee.ItemInput{}, Response: fee.ItemView{}, Handler: h.updateItem},
		{Method: "DELETE", Path: "/api/v1/fee-items/:id", Tag: tag, Summary: "Delete a fee item without active versions", Permission: m, Object: true, Status: 204, Handler: h.deleteItem},
		{Method: "POST", Path: "/api/v1/fee-items/:id/versions", Tag: tag, Summary: "Add a draft rule version (dates must not overlap another live version)", Permission: m, Object: true, Request: fee.RuleInput{}, Response: fee.RuleView{}, Status: 201, Handler: h.addRule},

		{Method: "PUT", Path: "/api/v1/fee-rules/:id", Tag: tag, Summary: "Change a draft rule version", Permission: m, Object: true, Request: fee.RuleInput{}, Response: fee.RuleView{}, Handler: h.updateRule},
		{Method: "DELETE", Path: "/api/v1/fee-rules/:id", Tag: tag, Summary: "Delete a draft rule version", Permission: m, Object: true, Status: 204, Handler: h.deleteRule},
		{Method: "POST", Path: "/api/v1/fee-rules/:id/activate", Tag: tag, Summary: "Switch a draft version on", Permission: m, Object: true, Response: fee.RuleView{}, Handler: h.ruleAction(svcActivate)},
		{Method: "POST", Path: "/api/v1/fee-rules/:id/retire", Tag: tag, Summary: "Take an active version out of pricing", Permission: m, Object: true, Response: fee.RuleView{}, Handler: h.ruleAction(svcRetire)},
		{Method: "POST", Path: "/api/v1/fee-rules/:id/end", Tag: tag, Summary: "End an active version on a day (before adding its successor)", Permission: m, Object: true, Request: fee.EndInput{}, Response: fee.RuleView{}, Handler: h.endRule},

		{Method: "GET", Path: "/api/v1/meters", Tag: tag, Summary: "List meters", Permission: r, Query: fee.MeterFilter{}, Response: httpapi.Page[fee.MeterView]{}, Handler: h.listMeters},
		{Method: "POST", Path: "/api/v1/meters", Tag: tag, Summary: "Register a room's meter or a common meter", Permission: m, Idempotent: true, Request: fee.MeterInput{}, Response: fee.MeterView{}, Status: 201, Handler: h.createMeter},
		{Method: "GET", Path: "/api/v1/meters/:id", Tag: tag, Summary: "Get a meter", Permission: r, Object: true, Response: fee.MeterView{}, Handler: h.getMeter},
		{Method: "PUT", Path: "/api/v1/meters/:id", Tag: tag, Summary: "Correct a meter's serial number or digits", Permission: m, Object: true, Request: fee.MeterPatch{}, Response: fee.MeterView{}, Handler: h.updateMeter},
		{Method: "DELETE", Path: "/api/v1/meters/:id", Tag: tag, Summary: "Delete a meter without readings", Permission: m, Object: true, Status: 204, Handler: h.deleteMeter},
		{Method: "POST", Path: "/api/v1/meters/:id/replace", Tag: tag, Summary: "Replace a meter: the old one's final reading and the new one's start", Permission: m, Object: true, Request: fee.ReplaceInput{}, Response: fee.MeterView{}, Status: 201, Handler: h.replaceMeter},
		{Method: "POST", Path: "/api/v1/meters/:id/readings", Tag: tag, Summary: "Enter a meter's reading for a period", Permission: m, Object: true, Idempotent: true, Request: fee.ReadingInput{}, Response: fee.ReadingView{}, Status: 201, Handler: h.enterReading},
		{Method: "GET", Path: "/api/v1/meter-readings", Tag: tag, Summary: "List meter readings, newest period first", Permission: r, Query: fee.ReadingFilter{}, Response: httpapi.Page[fee.ReadingView]{}, Handler: h.listReadings},

		{Method: "GET", Path: "/api/v1/imports/meter-readings/template", Tag: "import", Summary: "Download the meter readings template (?format=xlsx|csv)", Permission: r, Template: &fee.ReadingSpec},
		{Method: "POST", Path: "/api/v1/imports/meter-readings", Tag: "import", Summary: "Import meter readings from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: m, Import: func() sheet.Importer { return svc.NewReadingImporter() }},
	}
}

func (h handlers) listItems(c *gin.Context) error {
	var f fee.ItemFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "code", "name", "kind", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListItems(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

// reply writes out with status, or returns err.
func reply[T any](c *gin.Context, status int, out T, err error) error {
	if err != nil {
		return err
	}
	c.JSON(status, out)
	return nil
}

func (h handlers) createItem(c *gin.Context) error {
	var in fee.ItemInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateItem(c.Request.Context(), httpapi.Tenant(c), in)
	return reply(c, http.StatusCreated, out, err)
}

func (h handlers) getItem(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetItem(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) updateItem(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in fee.ItemInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateItem(c.Request.Context(), httpapi.Tenant(c), id, in)
	return reply(c, http.StatusOK, out, err)
}

// deleteBy answers 204 after del removes the path's object.
func deleteBy(c *gin.Context, del func(ctx context.Context, tenantID, id uuid.UUID) error) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := del(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) deleteItem(c *gin.Context) error  { return deleteBy(c, h.svc.DeleteItem) }
func (h handlers) deleteRule(c *gin.Context) error  { return deleteBy(c, h.svc.DeleteRule) }
func (h handlers) deleteMeter(c *gin.Context) error { return deleteBy(c, h.svc.DeleteMeter) }

// withBody binds the JSON body and calls fn with the path's id.
func withBody[In, Out any](c *gin.Context, status int, fn func(ctx context.Context, tenantID, id uuid.UUID, in In) (Out, error)) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in In
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := fn(c.Request.Context(), httpapi.Tenant(c), id, in)
	return reply(c, status, out, err)
}

func (h handlers) addRule(c *gin.Context) error {
	return withBody(c, http.StatusCreated, h.svc.AddRule)
}
func (h handlers) updateRule(c *gin.Context) error {
	return withBody(c, http.StatusOK, h.svc.UpdateRule)
}
func (h handlers) endRule(c *gin.Context) error { return withBody(c, http.StatusOK, h.svc.EndRule) }
func (h handlers) updateMeter(c *gin.Context) error {
	return withBody(c, http.StatusOK, h.svc.UpdateMeter)
}
func (h handlers) replaceMeter(c *gin.Context) error {
	return withBody(c, http.StatusCreated, h.svc.ReplaceMeter)
}
func (h handlers) enterReading(c *gin.Context) error {
	return withBody(c, http.StatusCreated, h.svc.EnterReading)
}

type ruleFunc func(s *fee.Service, ctx context.Context, tenantID, id uuid.UUID) (fee.RuleView, error)

var (
	svcActivate ruleFunc = (*fee.Service).ActivateRule
	svcRetire   ruleFunc = (*fee.Service).RetireRule
)

func (h handlers) ruleAction(fn ruleFunc) httpapi.HandlerFunc {
	return func(c *gin.Context) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		out, err := fn(h.svc, c.Request.Context(), httpapi.Tenant(c), id)
		return reply(c, http.StatusOK, out, err)
	}
}

// preview answers 404 for a missing or unknown room (the room is the
// object previewed); the period defaults to the current month.
func (h handlers) preview(c *gin.Context) error {
	var q PreviewQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	p := civil.PeriodOf(civil.Today(time.UTC))
	if q.Period != "" {
		var err error
		if p, err = civil.ParsePeriod(q.Period); err != nil {
			return err
		}
	}
	room, err := uuid.Parse(q.RoomID)
	if err != nil {
		return fee.ErrRoomNotFound
	}
	out, err := h.svc.Preview(c.Request.Context(), httpapi.Tenant(c), room, p)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) previewDraft(c *gin.Context) error {
	var in fee.DraftPreview
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.PreviewDraft(c.Request.Context(), httpapi.Tenant(c), in)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) listMeters(c *gin.Context) error {
	var f fee.MeterFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "serial", "kind", "installed_on", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListMeters(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createMeter(c *gin.Context) error {
	var in fee.MeterInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateMeter(c.Request.Context(), httpapi.Tenant(c), in)
	return reply(c, http.StatusCreated, out, err)
}

func (h handlers) getMeter(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetMeter(c.Request.Context(), httpapi.Tenant(c), id)
	return reply(c, http.StatusOK, out, err)
}

func (h handlers) listReadings(c *gin.Context) error {
	var f fee.ReadingFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "period", "read_on", "created_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListReadings(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}
