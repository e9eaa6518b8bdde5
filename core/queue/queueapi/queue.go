// Package queueapi is the HTTP face of core/queue: a tenant's job progress
// and the operator's view of the task queue.
package queueapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/queue"
)

// ArchivedQuery selects a page of a queue's archived tasks.
type ArchivedQuery struct {
	Queue    string `form:"queue" json:"queue"` // critical, default (when empty) or low
	Page     int    `form:"page" json:"page"`
	PageSize int    `form:"page_size" json:"page_size"`
}

// ArchivedPage is a page of archived tasks (asynq does not count them cheaply, so no total).
type ArchivedPage struct {
	httpapi.List[queue.ArchivedTask]
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

var errQueueOff = apperr.New(apperr.KindUnavailable, "queue_unavailable", "The task queue is not running in this process.", "本进程未运行任务队列。")

// api serves the queue routes.
type api struct{ svc *queue.Queue }

// Routes are job progress and the operator's queue endpoints; a nil queue
// (a process without one) answers 503 queue_unavailable.
func Routes(q *queue.Queue) []httpapi.Route {
	h := &api{svc: q}
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/jobs/:id", Permission: "job.read", Object: true, Tag: "jobs",
			Summary: "Progress of a background job", Response: queue.Job{}, Handler: h.getJob},
		{Method: "GET", Path: "/api/v1/operator/queue/stats", Operator: true, Tag: "operator",
			Summary: "Task queue sizes, latency and outbox backlog", Response: []queue.QueueStats{}, Handler: h.queueStats},
		{Method: "GET", Path: "/api/v1/operator/queue/archived", Operator: true, Tag: "operator",
			Summary: "Tasks that used up their retries", Query: ArchivedQuery{}, Response: ArchivedPage{}, Handler: h.queueArchived},
		{Method: "POST", Path: "/api/v1/operator/queue/archived/:queue/:id/retry", Operator: true, Tag: "operator",
			Summary: "Run an archived task again", Status: http.StatusNoContent, Handler: h.queueRetry},
	}
}

func (h *api) getJob(c *gin.Context) error {
	if h.svc == nil {
		return errQueueOff
	}
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	j, err := h.svc.Job(c.Request.Context(), a.TenantID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, j)
	return nil
}

func (h *api) queueStats(c *gin.Context) error {
	if h.svc == nil {
		return errQueueOff
	}
	st, err := h.svc.Stats(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

func (h *api) queueArchived(c *gin.Context) error {
	if h.svc == nil {
		return errQueueOff
	}
	p, _, err := httpapi.PageQueryOf(c)
	if err != nil {
		return err
	}
	name := c.DefaultQuery("queue", queue.Default)
	items, err := h.svc.Archived(c.Request.Context(), name, p.Page, p.PageSize)
	if err != nil {
		return err
	}
	if items == nil {
		items = []queue.ArchivedTask{}
	}
	c.JSON(http.StatusOK, ArchivedPage{List: httpapi.List[queue.ArchivedTask]{Items: items}, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (h *api) queueRetry(c *gin.Context) error {
	if h.svc == nil {
		return errQueueOff
	}
	if err := h.svc.RetryArchived(c.Request.Context(), c.Param("queue"), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
