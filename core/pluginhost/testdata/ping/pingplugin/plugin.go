// Package pingplugin is a small SDK plugin whose handler benchmarks run both
// ways: in a separate process through plugin.Serve, and in the core's own
// process through plugin.NewServer (same SDK dispatch, same handler code).
package pingplugin

import (
	"context"

	"github.com/wuye-project/wuye/sdk/plugin"
)

// New returns the plugin "ping": GET /items answers a small JSON list naming
// the tenant and the caller, under the permission ping.read.
func New() *plugin.Plugin {
	p := &plugin.Plugin{Name: "ping", Version: "1.0.0", TitleEN: "Ping", TitleZH: "连通测试"}
	p.Permission("read", "Read pings", "查看连通测试", "manager")
	p.Handle("GET", "/items", "read", func(_ context.Context, r *plugin.Request) (*plugin.Response, error) {
		return plugin.JSON(200, map[string]any{"items": []map[string]any{{"tenant": p.Tenant.Code, "caller": r.Caller.Username}}}), nil
	})
	return p
}
