// Command hanger is a test plugin that never answers "/hang" (ignoring the
// caller's deadline), and whose Health hangs too when configured so.
package main

import (
	"context"
	"encoding/json"

	"github.com/wuye-project/wuye/core/pluginhost/testdata/tplug"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type hanger struct {
	tplug.Base
	hangHealth bool
}

func (h *hanger) Start(ctx context.Context, req *wuyepb.StartRequest) (*wuyepb.StartResponse, error) {
	var cfg struct {
		HangHealth bool `json:"hang_health"`
	}
	_ = json.Unmarshal(req.Config, &cfg)
	h.hangHealth = cfg.HangHealth
	return h.Base.Start(ctx, req)
}

func (h *hanger) Health(ctx context.Context, req *wuyepb.HealthRequest) (*wuyepb.HealthResponse, error) {
	if h.hangHealth {
		select {}
	}
	return h.Base.Health(ctx, req)
}

func (h *hanger) HandleHTTP(_ context.Context, req *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	if req.Path == "/hang" {
		select {}
	}
	return tplug.Text(200, "ok"), nil
}

func main() {
	h := &hanger{}
	tplug.Serve(h, &h.Base)
}
