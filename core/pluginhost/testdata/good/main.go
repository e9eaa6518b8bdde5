// Command good is a well-behaved test plugin: it answers HTTP calls, reads its
// configuration back through the Host service, and serves an asset.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wuye-project/wuye/core/pluginhost/testdata/tplug"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type good struct{ tplug.Base }

func (g *good) HandleHTTP(ctx context.Context, req *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	switch req.Path {
	case "/hello":
		return tplug.Text(200, "hello "+g.Started().GetTenantCode()), nil
	case "/env": // what the host let the process see of its environment
		return tplug.Text(200, strings.Join(os.Environ(), "\n")), nil
	case "/pid":
		return tplug.Text(200, strconv.Itoa(os.Getpid())), nil
	case "/config": // a call back into the host, bound to this tenant
		c, err := g.Host().GetConfig(ctx, &wuyepb.GetConfigRequest{})
		if err != nil {
			return nil, err
		}
		return tplug.Text(200, string(c.Config)), nil
	case "/sleep":
		ms, _ := strconv.Atoi(req.Query)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return tplug.Text(200, "slept"), nil
	}
	return tplug.Text(404, fmt.Sprintf("no route %s", req.Path)), nil
}

func (g *good) GetAsset(_ context.Context, req *wuyepb.AssetRequest) (*wuyepb.Asset, error) {
	return &wuyepb.Asset{ContentType: "text/javascript", Body: []byte("export default 1 // " + req.Path)}, nil
}

func main() {
	g := &good{}
	tplug.Serve(g, &g.Base)
}
