package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/wuye-project/wuye/sdk"
	sdkplugin "github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The plugin API versions this host serves. go-plugin picks the highest one
// both sides know; version 1 plugins lack GetAsset, pages and device classes,
// version 2 plugins the Driver service and the device Host calls.
var apiVersions = []int{1, 2, sdk.APIVersion}

// launched is one started plugin process, before the supervisor adopts it.
type launched struct {
	client     *goplugin.Client
	cmd        *exec.Cmd
	rpc        wuyepb.PluginClient // guarded by the negotiated version
	driver     wuyepb.DriverClient // nil unless a driver speaking API 3
	manifest   *wuyepb.Manifest
	apiVersion int
	pid        int
	exited     <-chan struct{} // closed when the process is gone
}

// launchConfig is what one launch needs besides the spec.
type launchConfig struct {
	log          *slog.Logger
	host         HostFactory // nil: no tenant (Describe only), Start is not called
	startTimeout time.Duration
	interceptor  grpc.UnaryClientInterceptor
}

// launch checks the binary against its checksum, starts it, serves the Host
// services on the broker and calls Describe and (with a host) Start.
// Errors: ErrChecksum (never started) or ErrUnavailable wrapping the cause.
func launch(ctx context.Context, spec Spec, lc launchConfig) (*launched, error) {
	sum, err := hex.DecodeString(spec.SHA256)
	if err != nil || len(sum) != sha256.Size {
		return nil, ErrChecksum.Wrap(fmt.Errorf("registered checksum %q is not a hex SHA-256", spec.SHA256))
	}
	deadline := time.Now().Add(lc.startTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	cmd := exec.Command(spec.Path)
	// A plugin gets none of the host's environment (database URLs, signing
	// and personal-data keys may be there), only what a Go program needs.
	cmd.Env = pluginEnv()
	dieWithHost(cmd)
	gp := &grpcPlugin{spec: spec, host: lc.host}
	set := goplugin.PluginSet{sdkplugin.PluginKey: gp}
	versioned := make(map[int]goplugin.PluginSet, len(apiVersions))
	for _, v := range apiVersions {
		versioned[v] = set
	}
	var dial []grpc.DialOption
	if lc.interceptor != nil {
		dial = append(dial, grpc.WithChainUnaryInterceptor(lc.interceptor))
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: versioned,
		Cmd:              cmd,
		SkipHostEnv:      true,
		// go-plugin hashes the file right before exec, on every start.
		SecureConfig:     &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     time.Until(deadline),
		Logger:           newHCLogger(lc.log),
		SyncStdout:       &lineWriter{log: lc.log, stream: "stdout", level: slog.LevelInfo},
		SyncStderr:       &lineWriter{log: lc.log, stream: "stderr", level: slog.LevelInfo},
		GRPCDialOptions:  dial,
	})
	fail := func(err error) (*launched, error) {
		client.Kill()
		if errors.Is(err, goplugin.ErrChecksumsDoNotMatch) {
			return nil, ErrChecksum.Wrap(err)
		}
		return nil, ErrUnavailable.Wrap(err)
	}
	proto, err := client.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := proto.Dispense(sdkplugin.PluginKey)
	if err != nil {
		return fail(err)
	}
	conn := raw.(*pluginConn)
	api := client.NegotiatedVersion()
	rpc := versionGuard{PluginClient: conn.rpc, api: api}
	m, err := rpc.Describe(ctx, &wuyepb.DescribeRequest{ApiVersion: uint32(api)})
	if err != nil {
		return fail(fmt.Errorf("describe: %w", err))
	}
	if m.GetName() != spec.Name && spec.Name != "" {
		return fail(fmt.Errorf("binary describes itself as %q, registered as %q", m.GetName(), spec.Name))
	}
	if lc.host != nil {
		_, err = rpc.Start(ctx, &wuyepb.StartRequest{
			TenantId:     spec.TenantID.String(),
			TenantCode:   spec.TenantCode,
			TimeZone:     spec.TimeZone,
			HostBrokerId: conn.hostID,
			Config:       spec.Config,
			ApiVersion:   uint32(api),
		})
		if err != nil {
			return fail(fmt.Errorf("start: %w", err))
		}
	}
	pid := 0
	if rc := client.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	var driver wuyepb.DriverClient
	if m.GetKind() == wuyepb.Kind_KIND_DRIVER && api >= 3 {
		driver = conn.driver
	}
	return &launched{client: client, cmd: cmd, rpc: rpc, driver: driver, manifest: m, apiVersion: api, pid: pid, exited: conn.done}, nil
}

// grpcPlugin is the host's half of go-plugin's GRPCPlugin for one process.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	spec Spec
	host HostFactory
}

// pluginConn is what Dispense hands back: the Plugin client, the broker id
// the Host services are served on, and the process's lifetime.
type pluginConn struct {
	rpc    wuyepb.PluginClient
	driver wuyepb.DriverClient
	hostID uint32
	done   <-chan struct{}
}

func (p *grpcPlugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the host does not serve plugins")
}

// GRPCClient serves the tenant's Host services on a fresh broker id before
// the plugin hears of it in Start. ctx is go-plugin's: it ends with the
// process, which is how the supervisor learns of an exit at once.
func (p *grpcPlugin) GRPCClient(ctx context.Context, broker *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	c := &pluginConn{rpc: wuyepb.NewPluginClient(cc), driver: wuyepb.NewDriverClient(cc), done: ctx.Done()}
	if p.host != nil {
		srv := p.host(p.spec)
		c.hostID = broker.NextId()
		go broker.AcceptAndServe(c.hostID, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			wuyepb.RegisterHostServer(s, srv)
			return s
		})
	}
	return c, nil
}

// versionGuard keeps the host from calling an RPC the process's negotiated
// API version lacks: such a call fails here, never reaching the plugin.
type versionGuard struct {
	wuyepb.PluginClient
	api int
}

func (v versionGuard) GetAsset(ctx context.Context, in *wuyepb.AssetRequest, opts ...grpc.CallOption) (*wuyepb.Asset, error) {
	if v.api < 2 {
		return nil, status.Errorf(codes.Unimplemented, "GetAsset needs plugin API 2; this plugin speaks API %d", v.api)
	}
	return v.PluginClient.GetAsset(ctx, in, opts...)
}

// pluginEnv is a plugin process's whole environment: the search path, zone
// and locale of the host, nothing else.
func pluginEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "TZ", "LANG", "LC_ALL"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
