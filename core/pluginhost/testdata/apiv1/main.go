// Command apiv1 is a plugin built against plugin API version 1, with its own
// frozen copy of that contract's generated code (v1pb): no GetAsset, pages or
// device classes. It offers only version 1 to go-plugin, and counts any call
// to a method it does not know, which the host must never make.
package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/wuye-project/wuye/core/pluginhost/testdata/apiv1/v1pb"
)

// handshake is the SDK's of API version 1, copied as a vendor's binary built
// then carries it (importing today's SDK would also register today's
// contract, whose proto file shares v1pb's name).
var handshake = goplugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "WUYE_PLUGIN", MagicCookieValue: "7f3c1e5a-wuye-plugin"}

var unknownCalls atomic.Int64

type v1 struct {
	v1pb.UnimplementedPluginServer
	broker *goplugin.GRPCBroker
	mu     sync.Mutex
	host   v1pb.HostClient
	apiV   uint32
}

func (p *v1) Describe(_ context.Context, req *v1pb.DescribeRequest) (*v1pb.Manifest, error) {
	return &v1pb.Manifest{Name: filepath.Base(os.Args[0]), Version: "0.9.0", Kind: v1pb.Kind_KIND_FEATURE, ApiVersion: 1}, nil
}

func (p *v1) Start(_ context.Context, req *v1pb.StartRequest) (*v1pb.StartResponse, error) {
	conn, err := p.broker.Dial(req.HostBrokerId)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.host, p.apiV = v1pb.NewHostClient(conn), req.ApiVersion
	p.mu.Unlock()
	return &v1pb.StartResponse{}, nil
}

func (p *v1) Health(context.Context, *v1pb.HealthRequest) (*v1pb.HealthResponse, error) {
	return &v1pb.HealthResponse{Ok: true}, nil
}

func (p *v1) HandleHTTP(ctx context.Context, req *v1pb.HTTPRequest) (*v1pb.HTTPResponse, error) {
	p.mu.Lock()
	host, apiV := p.host, p.apiV
	p.mu.Unlock()
	switch req.Path {
	case "/config":
		c, err := host.GetConfig(ctx, &v1pb.GetConfigRequest{})
		if err != nil {
			return nil, err
		}
		return &v1pb.HTTPResponse{Status: 200, Body: c.Config}, nil
	case "/unknown":
		return &v1pb.HTTPResponse{Status: 200, Body: []byte(strconv.FormatInt(unknownCalls.Load(), 10))}, nil
	case "/api":
		return &v1pb.HTTPResponse{Status: 200, Body: []byte(strconv.Itoa(int(apiV)))}, nil
	}
	return &v1pb.HTTPResponse{Status: 404}, nil
}

type gp struct {
	goplugin.NetRPCUnsupportedPlugin
	impl *v1
}

func (g *gp) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	g.impl.broker = broker
	v1pb.RegisterPluginServer(s, g.impl)
	return nil
}

func (g *gp) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("plugin side only")
}

func main() {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{1: {"wuye": &gp{impl: &v1{}}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			// A method this contract lacks lands here instead of grpc's
			// default Unimplemented answer, so the test can see it was called.
			opts = append(opts, grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
				unknownCalls.Add(1)
				return errors.New("unknown method")
			}))
			return grpc.NewServer(opts...)
		},
	})
}
