package plugin

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// logger writes to stderr, which the host collects into its log with the
// tenant and plugin named.
var logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))

// Logger is the plugin's structured logger (stderr, collected by the host).
func Logger() *slog.Logger { return logger }

// Serve runs the plugin until the host stops it or dies. It never returns
// normally; call it last in main.
func Serve(p *Plugin) {
	if err := p.check(); err != nil {
		logger.Error("invalid plugin", "err", err)
		os.Exit(2)
	}
	go exitWithHost(os.Getppid())
	set := goplugin.PluginSet{PluginKey: &grpcPlugin{p: p}}
	// A plugin built with this SDK also serves hosts that speak only API 1:
	// the host never calls what its version lacks.
	versions := map[int]goplugin.PluginSet{}
	for v := 1; v <= sdk.APIVersion; v++ {
		versions[v] = set
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versions,
		GRPCServer:       goplugin.DefaultGRPCServer,
	})
	os.Exit(0)
}

// exitWithHost ends the process when the host that started it is gone, so
// a host killed with SIGKILL leaves no plugin behind (the host also asks
// the kernel for that on Linux; this covers other systems).
func exitWithHost(parent int) {
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			logger.Warn("host process is gone; exiting")
			os.Exit(3)
		}
	}
}

// grpcPlugin is go-plugin's plugin-side glue; gRPC only (no net/rpc).
type grpcPlugin struct {
	goplugin.Plugin
	p *Plugin
}

func (g *grpcPlugin) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	wuyepb.RegisterPluginServer(s, NewServer(g.p, func(ctx context.Context, id uint32) (*grpc.ClientConn, error) {
		return broker.DialWithOptions(id, grpc.WithUnaryInterceptor(callTokenInterceptor))
	}))
	if g.p.DriverServer != nil {
		wuyepb.RegisterDriverServer(s, g.p.DriverServer)
	}
	return nil
}

func (g *grpcPlugin) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("plugin: the client side belongs to the host")
}

// DialHost connects to the host service named by a broker id. Serve dials
// through go-plugin's broker; the testkit dials its fake host. The
// connection must carry HostInterceptor.
type DialHost func(ctx context.Context, brokerID uint32) (*grpc.ClientConn, error)

// HostInterceptor is the unary client interceptor a host connection needs:
// it forwards call tokens and turns statuses into *HostError.
var HostInterceptor grpc.UnaryClientInterceptor = callTokenInterceptor

// NewServer is the gRPC Plugin service of p; Serve registers it, the
// testkit runs it in process.
func NewServer(p *Plugin, dial DialHost) wuyepb.PluginServer {
	return &server{p: p, dial: dial}
}

type server struct {
	wuyepb.UnimplementedPluginServer
	p    *Plugin
	dial DialHost

	mu      sync.Mutex
	started bool
}

func (s *server) Describe(context.Context, *wuyepb.DescribeRequest) (*wuyepb.Manifest, error) {
	return s.p.Manifest(), nil
}

func (s *server) Start(ctx context.Context, req *wuyepb.StartRequest) (*wuyepb.StartResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil, status.Error(codes.FailedPrecondition, "already started")
	}
	conn, err := s.dial(ctx, req.HostBrokerId)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dial host: %v", err)
	}
	loc, err := time.LoadLocation(req.TimeZone)
	if err != nil || req.TimeZone == "" {
		loc = time.Local
	}
	s.p.Host = NewHost(wuyepb.NewHostClient(conn))
	s.p.Tenant = TenantInfo{ID: req.TenantId, Code: req.TenantCode, Location: loc, Config: req.Config}
	if s.p.OnStart != nil {
		if err := s.p.OnStart(ctx, s.p.Host); err != nil {
			return nil, status.Errorf(codes.FailedPrecondition, "start: %v", err)
		}
	}
	s.started = true
	return &wuyepb.StartResponse{}, nil
}

func (s *server) ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return status.Error(codes.FailedPrecondition, "plugin not started")
	}
	return nil
}

func (s *server) Configure(ctx context.Context, req *wuyepb.ConfigureRequest) (*wuyepb.ConfigureResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if s.p.OnConfigure != nil {
		if err := s.p.OnConfigure(ctx, req.Config); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	s.mu.Lock()
	s.p.Tenant.Config = req.Config
	s.mu.Unlock()
	return &wuyepb.ConfigureResponse{}, nil
}

func (s *server) Health(ctx context.Context, _ *wuyepb.HealthRequest) (*wuyepb.HealthResponse, error) {
	if s.p.OnHealth != nil {
		if err := s.p.OnHealth(ctx); err != nil {
			return &wuyepb.HealthResponse{Ok: false, Message: err.Error()}, nil
		}
	}
	return &wuyepb.HealthResponse{Ok: true}, nil
}

func (s *server) HandleHTTP(ctx context.Context, req *wuyepb.HTTPRequest) (*wuyepb.HTTPResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	q, _ := url.ParseQuery(req.Query) // a bad query string reads as empty fields
	r := &Request{Method: strings.ToUpper(req.Method), Path: req.Path, Route: req.Route, Params: req.Params,
		Query: q, Header: req.Headers, Body: req.Body, RequestID: req.RequestId}
	if c := req.Caller; c != nil {
		r.Caller = Caller{UserID: c.UserId, Username: c.Username, Name: c.Name, Kind: c.Kind, Lang: c.Lang,
			Permissions: c.Permissions, ResidentIDs: c.ResidentIds, RoomIDs: c.RoomIds}
	}
	resp := s.p.serveHTTP(withCallToken(ctx, req.CallToken), r)
	return &wuyepb.HTTPResponse{Status: int32(resp.Status), Headers: resp.Header, Body: resp.Body}, nil
}

func (s *server) HandleEvent(ctx context.Context, ev *wuyepb.Event) (*wuyepb.EventAck, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	h := s.p.events[ev.Type]
	if h == nil {
		return &wuyepb.EventAck{}, nil // not subscribed (any more): nothing to do
	}
	err := h(ctx, Event{ID: ev.Id, Type: ev.Type, Source: ev.Source, OccurredAt: time.UnixMilli(ev.OccurredAtUnixMs),
		Payload: ev.Payload, Attempt: int(ev.Attempt)})
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &wuyepb.EventAck{}, nil
}

func (s *server) RunTask(ctx context.Context, t *wuyepb.TaskRequest) (*wuyepb.TaskResult, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	h := s.p.tasks[t.Name]
	if h == nil {
		return nil, status.Errorf(codes.NotFound, "no task %q", t.Name)
	}
	err := h(ctx, Task{ID: t.Id, Name: t.Name, Payload: t.Payload, Attempt: int(t.Attempt), ScheduledAt: time.UnixMilli(t.ScheduledAtUnixMs)})
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &wuyepb.TaskResult{}, nil
}

func (s *server) GetAsset(_ context.Context, req *wuyepb.AssetRequest) (*wuyepb.Asset, error) {
	name := path.Clean(strings.TrimPrefix(req.Path, "/"))
	if s.p.Assets == nil || !fs.ValidPath(name) {
		return nil, status.Error(codes.NotFound, "no such asset")
	}
	b, err := fs.ReadFile(s.p.Assets, name)
	if err != nil {
		return nil, status.Error(codes.NotFound, "no such asset")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &wuyepb.Asset{ContentType: ct, Body: b}, nil
}
