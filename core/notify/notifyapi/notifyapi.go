// Package notifyapi is the HTTP face of notifications: everyone's own inbox,
// preferences and announcements (/me/…), and for staff the templates,
// channel settings, webhook endpoints, the delivery log and announcements.
package notifyapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/notify"
)

// Permissions: sending and announcing is notify.send; templates, channel
// settings and webhook endpoints notify.manage.
const (
	PermSend   = "notify.send"
	PermManage = "notify.manage"
)

// Count answers the unread count.
type Count struct {
	Unread int64 `json:"unread"`
}

// Marked answers "mark all read".
type Marked struct {
	Marked int64 `json:"marked"`
}

// ResetQuery narrows a template reset.
type ResetQuery struct {
	Lang    string `form:"lang" json:"lang"`
	Channel string `form:"channel" json:"channel"`
}

type handlers struct{ svc *notify.Service }

// Routes are the notification rows of the route table.
func Routes(svc *notify.Service) []httpapi.Route {
	h := handlers{svc}
	const tag = "notifications"
	const codeParam = "a template code from the catalogue, not a tenant object"
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/me/notifications", Tag: tag, Summary: "Your inbox, unread first (filters: unread, category)", Self: true, Query: notify.InboxFilter{}, Response: httpapi.Page[notify.Item]{}, Handler: h.inbox},
		{Method: "GET", Path: "/api/v1/me/notifications/unread-count", Tag: tag, Summary: "How many of your inbox entries are unread", Self: true, Response: Count{}, Handler: h.unread},
		{Method: "POST", Path: "/api/v1/me/notifications/:id/read", Tag: tag, Summary: "Mark one of your inbox entries read", Self: true, Object: true, Response: notify.Item{}, Handler: h.markRead},
		{Method: "POST", Path: "/api/v1/me/notifications/read-all", Tag: tag, Summary: "Mark your whole inbox read", Self: true, Response: Marked{}, Handler: h.markAll},
		{Method: "GET", Path: "/api/v1/me/notification-preferences", Tag: tag, Summary: "Your channel choices per category and your quiet hours", Self: true, Response: notify.Preferences{}, Handler: h.getPrefs},
		{Method: "PUT", Path: "/api/v1/me/notification-preferences", Tag: tag, Summary: "Set your channel choices (sms, email per category) and quiet hours", Self: true, Request: notify.Preferences{}, Response: notify.Preferences{}, Handler: h.putPrefs},
		{Method: "GET", Path: "/api/v1/me/announcements", Tag: tag, Summary: "The announcements addressed to you, newest first", Self: true, Response: httpapi.Page[notify.MyAnnouncement]{}, Handler: h.myAnnouncements},
		{Method: "GET", Path: "/api/v1/me/announcements/:id", Tag: tag, Summary: "Read one announcement addressed to you (marks it read)", Self: true, Object: true, Response: notify.MyAnnouncement{}, Handler: h.myAnnouncement},

		{Method: "GET", Path: "/api/v1/notification-templates", Tag: tag, Summary: "Every notification the product sends: variables, default channels, default texts and your overrides", Permission: PermSend, Response: httpapi.List[notify.Template]{}, Handler: h.templates},
		{Method: "PUT", Path: "/api/v1/notification-templates/:code", Tag: tag, Summary: "Write your own text of a notification for one language and channel ({variable} placeholders)", Permission: PermManage, NotObject: codeParam, Request: notify.TemplateInput{}, Response: notify.Override{}, Handler: h.putTemplate},
		{Method: "DELETE", Path: "/api/v1/notification-templates/:code", Tag: tag, Summary: "Return a notification to its default texts (?lang, ?channel narrow it)", Permission: PermManage, NotObject: codeParam, Query: ResetQuery{}, Status: http.StatusNoContent, Handler: h.resetTemplate},
		{Method: "GET", Path: "/api/v1/notification-settings", Tag: tag, Summary: "Quiet hours, default language, SMTP and SMS provider (secrets never shown)", Permission: PermManage, Response: notify.Settings{}, Handler: h.getSettings},
		{Method: "PUT", Path: "/api/v1/notification-settings", Tag: tag, Summary: "Set quiet hours, default language, SMTP and the SMS provider (an empty secret keeps the stored one)", Permission: PermManage, Request: notify.Settings{}, Response: notify.Settings{}, Handler: h.putSettings},
		{Method: "GET", Path: "/api/v1/notification-deliveries", Tag: tag, Summary: "Delivery log: each SMS, email and webhook with status, attempts and last error (addresses masked)", Permission: PermSend, Query: notify.DeliveryFilter{}, Response: httpapi.Page[notify.Delivery]{}, Handler: h.deliveries},

		{Method: "GET", Path: "/api/v1/webhook-endpoints", Tag: tag, Summary: "Webhook endpoints", Permission: PermManage, Response: httpapi.Page[notify.Endpoint]{}, Handler: h.listEndpoints},
		{Method: "POST", Path: "/api/v1/webhook-endpoints", Tag: tag, Summary: "Add a webhook endpoint (the answer shows its signing secret once)", Permission: PermManage, Idempotent: true, ReplayRedacts: []string{"secret"}, Request: notify.EndpointInput{}, Response: notify.Endpoint{}, Status: http.StatusCreated, Handler: h.createEndpoint},
		{Method: "GET", Path: "/api/v1/webhook-endpoints/:id", Tag: tag, Summary: "A webhook endpoint", Permission: PermManage, Object: true, Response: notify.Endpoint{}, Handler: h.getEndpoint},
		{Method: "PUT", Path: "/api/v1/webhook-endpoints/:id", Tag: tag, Summary: "Change a webhook endpoint's URL, events or state", Permission: PermManage, Object: true, Request: notify.EndpointInput{}, Response: notify.Endpoint{}, Handler: h.updateEndpoint},
		{Method: "DELETE", Path: "/api/v1/webhook-endpoints/:id", Tag: tag, Summary: "Remove a webhook endpoint", Permission: PermManage, Object: true, Status: http.StatusNoContent, Handler: h.deleteEndpoint},

		{Method: "GET", Path: "/api/v1/announcements", Tag: tag, Summary: "Announcements with read counts (filter: status)", Permission: PermSend, Query: notify.AnnouncementFilter{}, Response: httpapi.Page[notify.Announcement]{}, Handler: h.listAnnouncements},
		{Method: "POST", Path: "/api/v1/announcements", Tag: tag, Summary: "Write a draft announcement to a community, a building or a tagged group", Permission: PermSend, Idempotent: true, Request: notify.AnnouncementInput{}, Response: notify.Announcement{}, Status: http.StatusCreated, Handler: h.createAnnouncement},
		{Method: "GET", Path: "/api/v1/announcements/:id", Tag: tag, Summary: "An announcement with its recipients and read count", Permission: PermSend, Object: true, Response: notify.Announcement{}, Handler: h.getAnnouncement},
		{Method: "PUT", Path: "/api/v1/announcements/:id", Tag: tag, Summary: "Rewrite a draft", Permission: PermSend, Object: true, Request: notify.AnnouncementInput{}, Response: notify.Announcement{}, Handler: h.updateAnnouncement},
		{Method: "DELETE", Path: "/api/v1/announcements/:id", Tag: tag, Summary: "Delete a draft", Permission: PermSend, Object: true, Status: http.StatusNoContent, Handler: h.deleteAnnouncement},
		{Method: "POST", Path: "/api/v1/announcements/:id/publish", Tag: tag, Summary: "Publish: every resident of the audience gets it in the inbox (SMS for those without an account)", Permission: PermSend, Object: true, Response: notify.Announcement{}, Handler: h.publish},
		{Method: "POST", Path: "/api/v1/announcements/:id/withdraw", Tag: tag, Summary: "Withdraw a published announcement", Permission: PermSend, Object: true, Response: notify.Announcement{}, Handler: h.withdraw},
		{Method: "GET", Path: "/api/v1/announcements/:id/readers", Tag: tag, Summary: "Who the announcement reached; ?read=false lists who has not read it", Permission: PermSend, Object: true, Query: notify.ReaderFilter{}, Response: httpapi.Page[notify.Reader]{}, Handler: h.readers},
	}
}

func (h handlers) inbox(c *gin.Context) error {
	var f notify.InboxFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at")
	if err != nil {
		return err
	}
	me := httpapi.Actor(c)
	items, total, err := h.svc.Inbox(c.Request.Context(), me.TenantID, me.ID, f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) unread(c *gin.Context) error {
	me := httpapi.Actor(c)
	n, err := h.svc.UnreadCount(c.Request.Context(), me.TenantID, me.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Count{n})
	return nil
}

func (h handlers) markRead(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	me := httpapi.Actor(c)
	out, err := h.svc.MarkRead(c.Request.Context(), me.TenantID, me.ID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) markAll(c *gin.Context) error {
	me := httpapi.Actor(c)
	n, err := h.svc.MarkAllRead(c.Request.Context(), me.TenantID, me.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Marked{n})
	return nil
}

func (h handlers) getPrefs(c *gin.Context) error {
	me := httpapi.Actor(c)
	out, err := h.svc.GetPreferences(c.Request.Context(), me.TenantID, me.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) putPrefs(c *gin.Context) error {
	var in notify.Preferences
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	me := httpapi.Actor(c)
	out, err := h.svc.PutPreferences(c.Request.Context(), me.TenantID, me.ID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) myAnnouncements(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "published_at")
	if err != nil {
		return err
	}
	me := httpapi.Actor(c)
	items, total, err := h.svc.MyAnnouncements(c.Request.Context(), me.TenantID, me.ID, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) myAnnouncement(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	me := httpapi.Actor(c)
	out, err := h.svc.ReadMyAnnouncement(c.Request.Context(), me.TenantID, me.ID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) templates(c *gin.Context) error {
	out, err := h.svc.ListTemplates(c.Request.Context(), httpapi.Tenant(c))
	if err != nil {
		return err
	}
	httpapi.WriteList(c, out)
	return nil
}

func (h handlers) putTemplate(c *gin.Context) error {
	var in notify.TemplateInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.PutTemplate(c.Request.Context(), httpapi.Tenant(c), c.Param("code"), httpapi.Actor(c).Name, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) resetTemplate(c *gin.Context) error {
	var q ResetQuery
	if err := httpapi.BindQuery(c, &q); err != nil {
		return err
	}
	if err := h.svc.ResetTemplate(c.Request.Context(), httpapi.Tenant(c), c.Param("code"), q.Lang, q.Channel); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
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
	var in notify.Settings
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

func (h handlers) deliveries(c *gin.Context) error {
	var f notify.DeliveryFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "status", "channel")
	if err != nil {
		return err
	}
	items, total, err := h.svc.Deliveries(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) listEndpoints(c *gin.Context) error {
	pq, p, err := httpapi.ListPaging(c, "created_at", "url")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListEndpoints(c.Request.Context(), httpapi.Tenant(c), p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createEndpoint(c *gin.Context) error {
	var in notify.EndpointInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateEndpoint(c.Request.Context(), httpapi.Tenant(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getEndpoint(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetEndpoint(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateEndpoint(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in notify.EndpointInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateEndpoint(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteEndpoint(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteEndpoint(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) listAnnouncements(c *gin.Context) error {
	var f notify.AnnouncementFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "created_at", "published_at", "title")
	if err != nil {
		return err
	}
	items, total, err := h.svc.ListAnnouncements(c.Request.Context(), httpapi.Tenant(c), f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}

func (h handlers) createAnnouncement(c *gin.Context) error {
	var in notify.AnnouncementInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateAnnouncement(c.Request.Context(), httpapi.Tenant(c), httpapi.Actor(c).Name, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

func (h handlers) getAnnouncement(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetAnnouncement(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) updateAnnouncement(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var in notify.AnnouncementInput
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	out, err := h.svc.UpdateAnnouncement(c.Request.Context(), httpapi.Tenant(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) deleteAnnouncement(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteAnnouncement(c.Request.Context(), httpapi.Tenant(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h handlers) publish(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.PublishAnnouncement(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) withdraw(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.WithdrawAnnouncement(c.Request.Context(), httpapi.Tenant(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (h handlers) readers(c *gin.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	var f notify.ReaderFilter
	if err := httpapi.BindQuery(c, &f); err != nil {
		return err
	}
	pq, p, err := httpapi.ListPaging(c, "name", "read_at")
	if err != nil {
		return err
	}
	items, total, err := h.svc.Readers(c.Request.Context(), httpapi.Tenant(c), id, f, p)
	if err != nil {
		return err
	}
	httpapi.WritePage(c, pq, items, total)
	return nil
}
