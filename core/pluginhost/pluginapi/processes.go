package pluginapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/pluginhost"
)

// ProcessRoutes are the operator's view of live plugin processes and the
// reset of a crash circuit.
func ProcessRoutes(sup *pluginhost.Supervisor) []httpapi.Route {
	h := &procAPI{sup: sup}
	return []httpapi.Route{
		{Method: "GET", Path: "/api/v1/operator/plugin-processes", Operator: true, Tag: tag,
			Summary:  "Live plugin processes (and those starting, restarting or stopped by their crash circuit): tenant, plugin, version, pid, memory, calls",
			Response: httpapi.List[pluginhost.ProcessInfo]{}, Handler: h.list},
		{Method: "POST", Path: "/api/v1/operator/tenants/:id/plugins/:name/reset", Operator: true, Tag: tag,
			Summary: "Close a tenant plugin's crash circuit so the next call starts it again (after fixing what made it crash)",
			Handler: h.reset},
	}
}

type procAPI struct{ sup *pluginhost.Supervisor }

func (h *procAPI) list(c *gin.Context) error {
	httpapi.WriteList(c, h.sup.Processes())
	return nil
}

func (h *procAPI) reset(c *gin.Context) error {
	id, err := tenantOf(c, true)
	if err != nil {
		return err
	}
	h.sup.Reset(id, c.Param("name"))
	c.Status(http.StatusNoContent)
	return nil
}
