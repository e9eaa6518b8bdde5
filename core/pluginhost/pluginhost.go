// Package pluginhost runs plugins: one go-plugin process per (tenant, plugin),
// started lazily from the operator's catalogue, checked against its SHA-256
// before every start, and bound to its tenant through the Host services it is
// given over go-plugin's broker.
//
// The package is split by what each part holds:
//
//   - pluginhost (this package): the supervisor — launching, health, idle
//     stop, restart with backoff, the crash circuit, per-process metrics.
//   - catalogue: registered binaries, their manifests, and each tenant's
//     enablement and configuration (the Resolver the supervisor asks).
//   - hostsvc: the Host gRPC server a process calls back into.
//   - bus: core and plugin events, and plugin tasks, through the queue.
//   - pluginapi: the operator and tenant HTTP API and the proxy of
//     /api/v1/plugins/{name}/... to a tenant's process.
package pluginhost

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Spec is what the supervisor needs to start a tenant's plugin: the binary the
// tenant is pinned to and the configuration it runs with.
type Spec struct {
	TenantID   uuid.UUID
	TenantCode string
	TimeZone   string
	Name       string
	Version    string
	Path       string // absolute path of the registered binary
	SHA256     string // hex; checked against the file before every start
	Manifest   *wuyepb.Manifest
	Config     json.RawMessage // validated against the manifest's schema
}

// Resolver finds what a tenant runs of a plugin. It answers ErrNotEnabled when
// the tenant has not enabled the plugin (or it is retired).
type Resolver interface {
	Resolve(ctx context.Context, tenantID uuid.UUID, plugin string) (Spec, error)
}

// HostFactory makes the Host server one process calls back into, bound to the
// spec's tenant and plugin. The supervisor serves it on the process's broker.
type HostFactory func(spec Spec) wuyepb.HostServer

var (
	// ErrNotEnabled: the tenant has no such plugin enabled. Answered as 404 so
	// a tenant cannot learn what others run.
	ErrNotEnabled = apperr.New(apperr.KindNotFound, "plugin_not_enabled", "This plugin is not enabled for your organisation.", "本单位未启用该插件。")
	// ErrUnavailable: the process could not be started or keeps crashing
	// (circuit open). Answered as 503.
	ErrUnavailable = apperr.New(apperr.KindUnavailable, "plugin_unavailable", "The plugin is not available right now; the operator has been told. Try again later.", "插件暂时不可用,已通知平台运维,请稍后再试。")
	// ErrNotDriver: the plugin named as a device's driver is not a driver
	// speaking plugin API 3 or later.
	ErrNotDriver = apperr.New(apperr.KindInvalid, "not_a_driver", "This plugin is not a device driver (or was built with an SDK older than API 3).", "该插件不是设备驱动(或其 SDK 早于 API 3)。")
	// ErrChecksum: the binary on disk differs from the catalogue.
	ErrChecksum = apperr.New(apperr.KindUnavailable, "plugin_checksum_mismatch", "The plugin binary does not match its registered checksum and was not started; the operator has been told.", "插件程序与登记的校验和不符,未予启动,已通知平台运维。")
)

// Runner hands out a tenant's plugin process. Call starts the process when it
// is not running (lazily, after checking its checksum), keeps it from being
// stopped for idleness while fn runs, counts the call in the process's
// metrics, and notes a crash when the connection breaks. The manifest is the
// one the running binary described. Errors: ErrNotEnabled, ErrUnavailable,
// ErrChecksum, or fn's own.
type Runner interface {
	Call(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(ctx context.Context, c wuyepb.PluginClient, m *wuyepb.Manifest) error) error
}

// DriverRunner hands out a tenant's driver process, as Runner does, with its
// Driver client (plugin API 3). Errors: those of Runner, and ErrNotDriver.
type DriverRunner interface {
	CallDriver(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(ctx context.Context, c wuyepb.DriverClient, m *wuyepb.Manifest) error) error
}
