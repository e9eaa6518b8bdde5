// Package workorderapi is the HTTP face of work orders: the staff desk
// (orders, actions, dispatch, technicians, rules, SLA, settings,
// statistics), the technicians' open pool, and residents' own orders under
// /api/v1/me/work-orders.
package workorderapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/attachment"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/workorder"
)

// Permissions: reading, working on orders, dispatching and configuring,
// and a resident's own orders.
const (
	permRead   = "workorder.read"
	permManage = "workorder.manage"
	permAssign = "workorder.assign"
	permSelf   = "self.workorder"
)

// maxUploadBytes caps an upload request: one file of attachment.MaxSize plus
// the multipart envelope; anything bigger is refused before it is read.
const maxUploadBytes = attachment.MaxSize + 64<<10

// StoredFile is the Response marker of a download: the file's own media type.
type StoredFile struct{}

func (StoredFile) ContentTypes() []string { return attachment.ContentTypes() }

// SLATable is the body of the SLA routes.
type SLATable struct {
	Items []workorder.SLA `json:"items"`
}

// LinesInput is the body of the lines route.
type LinesInput struct {
	Items []workorder.LineInput `json:"items"`
}

// Created answers whether an alarm made a new order.
type Raised struct {
	Order   workorder.Order `json:"order"`
	Created bool            `json:"created"`
}

type handlers struct{ svc *workorder.Service }

// Routes are the work-order rows of the route table.
func Routes(svc *workorder.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "workorder"
	rs := []httpapi.Route{
		{Method: "GET", Path: "/api/v1/work-orders", Tag: tag, Summary: "List work orders (filters: status, type, category, priority, community, assignee (or \"me\"), room, sla_breached, from/to day)", Permission: permRead, Query: workorder.Filter{}, Response: httpapi.Page[workorder.Order]{}, Handler: h.list},
		{Method: "POST", Path: "/api/v1/work-orders", Tag: tag, Summary: "Record a work order taken by phone, at the desk or by staff", Permission: permManage, Idempotent: true, Request: workorder.Input{}, Response: workorder.Order{}, Status: http.StatusCreated, Handler: h.create},
		{Method: "GET", Path: "/api/v1/work-orders/:id", Tag: tag, Summary: "A work order with its timeline, paid-repair lines and files", Permission: permRead, Object: true, Response: workorder.View{}, Handler: h.get},
		{Method: "POST", Path: "/api/v1/work-orders/:id/assign", Tag: tag, Summary: "Assign (or reassign) a work order to a technician", Permission: permAssign, Object: true, Request: workorder.AssignInput{}, Response: workorder.Order{}, Handler: h.assign},
		{Method: "POST", Path: "/api/v1/work-orders/:id/grab", Tag: tag, Summary: "Take an order from the open pool (抢单); 409 already_taken when another technician was first", Permission: permManage, Object: true, Response: workorder.Order{}, Handler: h.grab},
		{Method: "POST", Path: "/api/v1/work-orders/:id/follow-up", Tag: tag, Summary: "Record the follow-up visit or call (回访)", Permission: permManage, Object: true, Request: workorder.FollowUpInput{}, Response: workorder.Order{}, Handler: h.followUp},
		{Method: "PUT", Path: "/api/v1/work-orders/:id/lines", Tag: tag, Summary: "Set the labour and materials of a paid repair (unit_price as decimal text)", Permission: permManage, Object: true, Request: LinesInput{}, Response: workorder.View{}, Handler: h.lines},
		{Method: "POST", Path: "/api/v1/work-orders/:id/charge", Tag: tag, Summary: "Post the paid repair's total to the room as a charge now (once per order)", Permission: permManage, Object: true, Response: workorder.Order{}, Handler: h.charge},
		{Method: "POST", Path: "/api/v1/work-orders/:id/files", Tag: tag, Summary: "Attach a photo or file (multipart field \"file\"; JPEG, PNG, WebP, PDF, Office, text; at most 20 MiB)", Permission: permManage, Object: true, Response: attachment.Attachment{}, Status: http.StatusCreated, MaxBody: maxUploadBytes, Handler: h.upload(false)},
		{Method: "GET", Path: "/api/v1/work-orders/:id/files/:doc", Tag: tag, Summary: "Download a file of a work order", Permission: permRead, Object: true, Response: StoredFile{}, Handler: h.download(false)},
		{Method: "DELETE", Path: "/api/v1/work-orders/:id/files/:doc", Tag: tag, Summary: "Delete a file of a work order", Permission: permManage, Object: true, Status: http.StatusNoContent, Handler: h.deleteFile},

		{Method: "GET", Path: "/api/v1/work-order-pool", Tag: tag, Summary: "The open pool: submitted orders the signed-in technician may grab, oldest first", Permission: permManage, Response: httpapi.Page[workorder.Order]{}, Handler: h.pool},
		{Method: "GET", Path: "/api/v1/work-order-stats", Tag: tag, Summary: "Statistics: volume by type, category, community; response and resolution p50/p90; SLA breach rate; satisfaction; repeat repairs", Permission: permRead, Query: workorder.StatsFilter{}, Response: workorder.Stats{}, Handler: h.stats},
		{Method: "GET", Path: "/api/v1/work-order-transitions", Tag: tag, Summary: "The life-cycle table: each action, the statuses it leaves and the one it reaches", Permission: permRead, Response: []workorder.Transition{}, Handler: h.transitions},

		{Method: "GET", Path: "/api/v1/technicians", Tag: tag, Summary: "Technicians with skills, shifts, current load and whether on shift now", Permission: permRead, Response: httpapi.Page[workorder.Technician]{}, Handler: h.technicians},
		{Method: "GET", Path: "/api/v1/technicians/:id", Tag: tag, Summary: "A technician (id is the user's id)", Permission: permRead, Object: true, Response: workorder.Technician{}, Handler: h.technician},
		{Method: "PUT", Path: "/api/v1/technicians/:id", Tag: tag, Summary: "Register a staff user with the technician role as a technician: skills, communities, weekly shifts (tenant's time zone)", Permission: permAssign, Object: true, Request: workorder.TechnicianInput{}, Response: workorder.Technician{}, Handler: h.putTechnician},
		{Method: "DELETE", Path: "/api/v1/technicians/:id", Tag: tag, Summary: "Remove a technician's profile", Permission: permAssign, Object: true, Status: http.StatusNoContent, Handler: h.deleteTechnician},
		{Method: "GET", Path: "/api/v1/dispatch-rules", Tag: tag, Summary: "Dispatch rules in the order they are tried", Permission: permRead, Response: httpapi.Page[workorder.Rule]{}, Handler: h.rules},
		{Method: "POST", Path: "/api/v1/dispatch-rules", Tag: tag, Summary: "Add a dispatch rule: category, community, building → skill, auto or pool", Permission: permAssign, Request: workorder.RuleInput{}, Response: workorder.Rule{}, Status: http.StatusCreated, Handler: h.createRule},
		{Method: "DELETE", Path: "/api/v1/dispatch-rules/:id", Tag: tag, Summary: "Delete a dispatch rule", Permission: permAssign, Object: true, Status: http.StatusNoContent, Handler: h.deleteRule},
		{Method: "GET", Path: "/api/v1/work-order-sla", Tag: tag, Summary: "SLA targets per category and priority (defaults included)", Permission: permRead, Response: SLATable{}, Handler: h.getSLA},
		{Method: "PUT", Path: "/api/v1/work-order-sla", Tag: tag, Summary: "Replace the SLA targets (response and resolution minutes)", Permission: permAssign, Request: SLATable{}, Response: SLATable{}, Handler: h.putSLA},
		{Method: "GET", Path: "/api/v1/work-order-settings", Tag: tag, Summary: "Auto-confirm days, chase interval, own categories", Permission: permRead, Response: workorder.Settings{}, Handler: h.getSettings},
		{Method: "PUT", Path: "/api/v1/work-order-settings", Tag: tag, Summary: "Set auto-confirm days, chase interval and own categories", Permission: permAssign, Request: workorder.Settings{}, Response: workorder.Settings{}, Handler: h.putSettings},

		{Method: "GET", Path: "/api/v1/me/work-orders", Tag: tag, Summary: "The signed-in resident's work orders (theirs and their rooms')", Permission: permSelf, Response: httpapi.Page[workorder.Order]{}, Handler: h.listMine},
		{Method: "POST", Path: "/api/v1/me/work-orders", Tag: tag, Summary: "Report a repair, complaint or suggestion for one of the resident's rooms", Permission: permSelf, Idempotent: true, Request: workorder.MyInput{}, Response: workorder.Order{}, Status: http.StatusCreated, Handler: h.createMine},
		{Method: "GET", Path: "/api/v1/me/work-orders/:id", Tag: tag, Summary: "One of the resident's orders: status, expected arrival, timeline", Permission: permSelf, Object: true, Response: workorder.View{}, Handler: h.getMine},
		{Method: "POST", Path: "/api/v1/me/work-orders/:id/chase", Tag: tag, Summary: "Chase (催单) an open order (once per the tenant's chase interval; 429 chase_too_soon)", Permission: permSelf, Object: true, Response: workorder.Order{}, Handler: h.chase},
		{Method: "POST", Path: "/api/v1/me/work-orders/:id/rate", Tag: tag, Summary: "Rate a resolved order 1–5 with a comment (once)", Permission: permSelf, Object: true, Request: workorder.RatingInput{}, Response: workorder.Order{}, Handler: h.rate},
		{Method: "POST", Path: "/api/v1/me/work-orders/:id/files", Tag: tag, Summary: "Attach a photo to one's own order (multipart field \"file\"; at most 20 MiB)", Permission: permSelf, Object: true, Response: attachment.Attachment{}, Status: http.StatusCreated, MaxBody: maxUploadBytes, Handler: h.upload(true)},
		{Method: "GET", Path: "/api/v1/me/work-orders/:id/files/:doc", Tag: tag, Summary: "Download a file of one's own order", Permission: permSelf, Object: true, Response: StoredFile{}, Handler: h.download(true)},
	}
	staff := map[string]string{
		workorder.ActAccept: "Accept an assigned order (the assignee), with expected_arrival", workorder.ActDecline: "Hand an assigned order back to the pool (the assignee)",
		workorder.ActStart: "Start work (the resident is told the technician is arriving)", workorder.ActResolve: "Resolve with the handling result",
		workorder.ActConfirm: "Confirm on the resident's behalf (not complaints)", workorder.ActClose: "Close a confirmed order",
		workorder.ActReopen: "Reopen a resolved, confirmed or closed order", workorder.ActCancel: "Cancel with a reason (note)",
	}
	for _, a := range []string{workorder.ActAccept, workorder.ActDecline, workorder.ActStart, workorder.ActResolve, workorder.ActConfirm, workorder.ActClose, workorder.ActReopen, workorder.ActCancel} {
		rs = append(rs, httpapi.Route{Method: "POST", Path: "/api/v1/work-orders/:id/" + a, Tag: tag, Summary: staff[a], Permission: permManage, Object: true,
			Request: workorder.ActionInput{}, Response: workorder.Order{}, Handler: h.act(a)})
	}
	mine := map[string]string{workorder.ActConfirm: "Accept the result (the only way a complaint ends)", workorder.ActReopen: "Reopen: not fixed", workorder.ActCancel: "Withdraw with a reason (note)"}
	for _, a := range []string{workorder.ActConfirm, workorder.ActReopen, workorder.ActCancel} {
		rs = append(rs, httpapi.Route{Method: "POST", Path: "/api/v1/me/work-orders/:id/" + a, Tag: tag, Summary: mine[a], Permission: permSelf, Object: true,
			Request: workorder.ActionInput{}, Response: workorder.Order{}, Handler: h.actMine(a)})
	}
	return rs
}

func (h handlers) list(c *gin.Context) error {
	var f workorder.Filter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "priority", "status", "resolve_due", "updated_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.List(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) create(c *gin.Context) error {
	var in workorder.Input
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.Create(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) get(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.Get(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// withID runs fn on the path's :id and writes its answer.
func withID[T any](c *gin.Context, fn func(id uuid.UUID) (T, error)) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := fn(id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) assign(c *gin.Context) error {
	var in workorder.AssignInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	return withID(c, func(id uuid.UUID) (workorder.Order, error) {
		return h.svc.Assign(c.Request.Context(), httpapi.Tenant(c), id, in)
	})
}

func (h handlers) grab(c *gin.Context) error {
	return withID(c, func(id uuid.UUID) (workorder.Order, error) {
		return h.svc.Grab(c.Request.Context(), httpapi.Tenant(c), id)
	})
}

// bindOptional binds a JSON body when there is one (an action may have none).
func bindOptional(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return httpapi.BindJSON(c, dst)
}

func (h handlers) act(action string) httpapi.HandlerFunc {
	return func(c *gin.Context) error {
		var in workorder.ActionInput
		if err := bindOptional(c, &in); err != nil {
			return err
		}
		return withID(c, func(id uuid.UUID) (workorder.Order, error) {
			return h.svc.Act(c.Request.Context(), httpapi.Tenant(c), id, action, in)
		})
	}
}

func (h handlers) actMine(action string) httpapi.HandlerFunc {
	return func(c *gin.Context) error {
		var in workorder.ActionInput
		if err := bindOptional(c, &in); err != nil {
			return err
		}
		return withID(c, func(id uuid.UUID) (workorder.Order, error) {
			return h.svc.ActMine(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, id, action, in)
		})
	}
}

func (h handlers) followUp(c *gin.Context) error {
	var in workorder.FollowUpInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	return withID(c, func(id uuid.UUID) (workorder.Order, error) {
		return h.svc.FollowUp(c.Request.Context(), httpapi.Tenant(c), id, in)
	})
}

func (h handlers) lines(c *gin.Context) error {
	var in LinesInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	return withID(c, func(id uuid.UUID) (workorder.View, error) {
		return h.svc.SetLines(c.Request.Context(), httpapi.Tenant(c), id, in.Items)
	})
}

func (h handlers) charge(c *gin.Context) error {
	return withID(c, func(id uuid.UUID) (workorder.Order, error) {
		return h.svc.PostCharge(c.Request.Context(), httpapi.Tenant(c), id)
	})
}

func (h handlers) pool(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "created_at", "priority")
	if err != nil {
		return err
	}
	items, total, err := h.svc.Pool(c.Request.Context(), httpapi.Tenant(c), p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) stats(c *gin.Context) error {
	var f workorder.StatsFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	out, err := h.svc.Statistics(c.Request.Context(), httpapi.Tenant(c), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) transitions(c *gin.Context) error {
	c.JSON(http.StatusOK, workorder.Transitions())
	return nil
}

func (h handlers) technicians(c *gin.Context) error {
	items, err := h.svc.ListTechnicians(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.Page[workorder.Technician]{Items: items, Total: int64(len(items)), Page: 1, PageSize: max(len(items), 1)})
	return nil
}

func (h handlers) technician(c *gin.Context) error {
	return withID(c, func(id uuid.UUID) (workorder.Technician, error) {
		return h.svc.GetTechnician(c.Request.Context(), httpapi.Tenant(c), id)
	})
}

func (h handlers) putTechnician(c *gin.Context) error {
	var in workorder.TechnicianInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	return withID(c, func(id uuid.UUID) (workorder.Technician, error) {
		// A user of another tenant is no staff member here: 404, not 400.
		t, err := h.svc.PutTechnician(c.Request.Context(), httpapi.Tenant(c), id, in)
		if errors.Is(err, workorder.ErrNotTechnician) {
			if _, gerr := h.svc.GetTechnician(c.Request.Context(), httpapi.Tenant(c), id); gerr != nil {
				return t, apperr.NotFound
			}
		}
		return t, err
	})
}

func (h handlers) deleteTechnician(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteTechnician(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) rules(c *gin.Context) error {
	items, err := h.svc.ListRules(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpapi.Page[workorder.Rule]{Items: items, Total: int64(len(items)), Page: 1, PageSize: max(len(items), 1)})
	return nil
}

func (h handlers) createRule(c *gin.Context) error {
	var in workorder.RuleInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateRule(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) deleteRule(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteRule(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) getSLA(c *gin.Context) error {
	items, err := h.svc.ListSLA(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, SLATable{Items: items})
	return nil
}

func (h handlers) putSLA(c *gin.Context) error {
	var in SLATable
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	items, err := h.svc.PutSLA(c.Request.Context(), httpapi.Tenant(c), in.Items)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, SLATable{Items: items})
	return nil
}

func (h handlers) getSettings(c *gin.Context) error {
	out, err := h.svc.GetSettings(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) putSettings(c *gin.Context) error {
	var in workorder.Settings
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.PutSettings(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) listMine(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "created_at", "status")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListMine(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createMine(c *gin.Context) error {
	var in workorder.MyInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateMine(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getMine(c *gin.Context) error {
	return withID(c, func(id uuid.UUID) (workorder.View, error) {
		return h.svc.GetMine(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, id)
	})
}

func (h handlers) chase(c *gin.Context) error {
	return withID(c, func(id uuid.UUID) (workorder.Order, error) {
		return h.svc.Chase(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, id)
	})
}

func (h handlers) rate(c *gin.Context) error {
	var in workorder.RatingInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	return withID(c, func(id uuid.UUID) (workorder.Order, error) {
		return h.svc.Rate(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).ID, id, in)
	})
}

// resident is the user whose own orders a /me route reaches; uuid.Nil for staff.
func resident(c *gin.Context, mine bool) uuid.UUID {
	if mine {
		return httpapi.Actor(c).ID
	}
	return uuid.Nil
}

func (h handlers) upload(mine bool) httpapi.HandlerFunc {
	return func(c *gin.Context) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		ctx, tenant, who := c.Request.Context(), httpapi.Tenant(c), resident(c, mine)
		if err := h.svc.CheckOrder(ctx, tenant, who, id); err != nil {
			return err
		}
		f, err := attachment.FromRequest(c.Request)
		if err != nil {
			return err
		}
		out, err := h.svc.AddFile(ctx, tenant, who, id, f)
		if err != nil {
			return err
		}
		c.JSON(http.StatusCreated, out)
		return nil
	}
}

func (h handlers) download(mine bool) httpapi.HandlerFunc {
	return func(c *gin.Context) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		doc, err := httpapi.PathID(c, "doc")
		if err != nil {
			return err
		}
		ctx, tenant := c.Request.Context(), httpapi.Tenant(c)
		a, err := h.svc.File(ctx, tenant, resident(c, mine), id, doc)
		if err != nil {
			return err
		}
		return httpapi.SendFile(c, httpapi.StoredFile{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256},
			func(w io.Writer) error { return h.svc.CopyFile(ctx, w, tenant, a) })
	}
}

func (h handlers) deleteFile(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := httpapi.PathID(c, "doc")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteFile(c.Request.Context(), httpapi.Tenant(c), id, doc); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
