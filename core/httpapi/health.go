package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
)

// HealthStatus is the body of /healthz and /readyz.
type HealthStatus struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

var errNotReady = apperr.New(apperr.KindUnavailable, "not_ready", "A dependency is not reachable; see details.", "依赖服务不可用,详见 details。")

func (s *Server) healthRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/healthz", Public: true, Tag: "health", Summary: "The process is up", Response: HealthStatus{},
			Handler: func(c *gin.Context) error {
				c.JSON(http.StatusOK, HealthStatus{Status: "ok"})
				return nil
			}},
		{Method: "GET", Path: "/readyz", Public: true, Tag: "health", Summary: "Database and queue are reachable", Response: HealthStatus{},
			Handler: s.readyz},
	}
}

func (s *Server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	failed := false
	for name, p := range s.Probes {
		if err := p(ctx); err != nil {
			checks[name], failed = err.Error(), true
		} else {
			checks[name] = "ok"
		}
	}
	if failed {
		return errNotReady.WithDetails(checks)
	}
	c.JSON(http.StatusOK, HealthStatus{Status: "ok", Checks: checks})
	return nil
}
