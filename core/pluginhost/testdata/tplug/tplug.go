// Package tplug is the little the supervisor's test plugins share, written
// with go-plugin and wuyepb directly (not the SDK) so the supervisor is tested
// against the wire contract alone.
package tplug

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	sdkplugin "github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Base answers Describe, Start and Health; a test plugin embeds it and adds
// HandleHTTP. The plugin's name is its binary's file name, so a test can copy
// one binary under several names; a name starting "driver" makes it a driver.
type Base struct {
	wuyepb.UnimplementedPluginServer
	broker *goplugin.GRPCBroker

	mu    sync.Mutex
	host  wuyepb.HostClient
	start *wuyepb.StartRequest
}

// Name is the plugin's name: its binary's file name.
func Name() string { return filepath.Base(os.Args[0]) }

func (b *Base) Describe(context.Context, *wuyepb.DescribeRequest) (*wuyepb.Manifest, error) {
	kind := wuyepb.Kind_KIND_FEATURE
	if strings.HasPrefix(Name(), "driver") {
		kind = wuyepb.Kind_KIND_DRIVER
	}
	return &wuyepb.Manifest{Name: Name(), Version: "1.0.0", Kind: kind, ApiVersion: 2, TitleEn: "Test plugin"}, nil
}

func (b *Base) Start(_ context.Context, req *wuyepb.StartRequest) (*wuyepb.StartResponse, error) {
	conn, err := b.broker.Dial(req.HostBrokerId)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.host, b.start = wuyepb.NewHostClient(conn), req
	b.mu.Unlock()
	return &wuyepb.StartResponse{}, nil
}

func (b *Base) Health(context.Context, *wuyepb.HealthRequest) (*wuyepb.HealthResponse, error) {
	return &wuyepb.HealthResponse{Ok: true}, nil
}

// Host is the tenant's Host client (after Start).
func (b *Base) Host() wuyepb.HostClient {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.host
}

// Started is the StartRequest the host sent.
func (b *Base) Started() *wuyepb.StartRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.start
}

// Text answers a plain-text HTTP response.
func Text(status int32, body string) *wuyepb.HTTPResponse {
	return &wuyepb.HTTPResponse{Status: status, Body: []byte(body), Headers: map[string]string{"Content-Type": "text/plain"}}
}

// Serve runs srv (which embeds base) as an API 2 plugin.
func Serve(srv wuyepb.PluginServer, base *Base) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{2: {sdkplugin.PluginKey: &gp{srv: srv, base: base}}},
		GRPCServer:       goplugin.DefaultGRPCServer,
	})
}

type gp struct {
	goplugin.NetRPCUnsupportedPlugin
	srv  wuyepb.PluginServer
	base *Base
}

func (g *gp) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	g.base.broker = broker
	wuyepb.RegisterPluginServer(s, g.srv)
	return nil
}

func (g *gp) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("plugin side only")
}
