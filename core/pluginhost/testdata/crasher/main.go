// Command crasher is a test plugin that dies: on "/crash", or by itself
// exit_after_ms after Start when its configuration says so.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/wuye-project/wuye/core/pluginhost/testdata/tplug"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type crasher struct{ tplug.Base }

func (c *crasher) Start(ctx context.Context, req *wuyepb.StartRequest) (*wuyepb.StartResponse, error) {
	var cfg struct {
		ExitAfterMS int `json:"exit_after_ms"`
	}
	_ = json.Unmarshal(req.Config, &cfg)
	if cfg.ExitAfterMS > 0 {
		go func() {
			time.Sleep(time.Duration(cfg.ExitAfterMS) * time.Millisecond)
			fmt.Fprintln(os.Stderr, "crasher: exiting as configured")
			os.Exit(3)
		}()
	}
	return c.Base.Start(ctx, req)
}

func (c *crasher) HandleHTTP(_ context.Context, req *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	if req.Path == "/crash" {
		os.Exit(3)
	}
	return tplug.Text(200, fmt.Sprintf("alive %d", os.Getpid())), nil
}

func main() {
	c := &crasher{}
	tplug.Serve(c, &c.Base)
}
