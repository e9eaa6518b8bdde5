package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
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
	Items    []queue.ArchivedTask `json:"items"`
	Page     int                  `json:"page"`
	PageSize int                  `json:"page_size"`
}

var errQueueOff = apperr.New(apperr.KindUnavailable, "queue_unavailable", "The task queue is not running in this process.", "本进程未运行任务队列。")

func (s *Server) queueRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/jobs/:id", Permission: "job.read", Object: true, Tag: "jobs",
			Summary: "Progress of a background job", Response: queue.Job{}, Handler: s.getJob},
		{Method: "GET", Path: "/api/v1/operator/queue/stats", Operator: true, Tag: "operator",
			Summary: "Task queue sizes, latency and outbox backlog", Response: []queue.QueueStats{}, Handler: s.queueStats},
		{Method: "GET", Path: "/api/v1/operator/queue/archived", Operator: true, Tag: "operator",
			Summary: "Tasks that used up their retries", Query: ArchivedQuery{}, Response: ArchivedPage{}, Handler: s.queueArchived},
		{Method: "POST", Path: "/api/v1/operator/queue/archived/:queue/:id/retry", Operator: true, Tag: "operator",
			Summary: "Run an archived task again", Status: http.StatusNoContent, Handler: s.queueRetry},
	}
}

func (s *Server) getJob(c *gin.Context) error {
	if s.Queue == nil {
		return errQueueOff
	}
	id, err := PathID(c, "id")
	if err != nil {
		return err
	}
	a, _ := actor.From(c.Request.Context())
	j, err := s.Queue.Job(c.Request.Context(), a.TenantID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, j)
	return nil
}

func (s *Server) queueStats(c *gin.Context) error {
	if s.Queue == nil {
		return errQueueOff
	}
	st, err := s.Queue.Stats(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

func (s *Server) queueArchived(c *gin.Context) error {
	if s.Queue == nil {
		return errQueueOff
	}
	p, _, err := pageQuery(c)
	if err != nil {
		return err
	}
	name := c.DefaultQuery("queue", queue.Default)
	items, err := s.Queue.Archived(c.Request.Context(), name, p.Page, p.PageSize)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ArchivedPage{Items: items, Page: p.Page, PageSize: p.PageSize})
	return nil
}

func (s *Server) queueRetry(c *gin.Context) error {
	if s.Queue == nil {
		return errQueueOff
	}
	if err := s.Queue.RetryArchived(c.Request.Context(), c.Param("queue"), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
