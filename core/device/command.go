package device

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Command timeouts: the default, and the most a caller may ask for.
const (
	DefaultCommandTimeout = 5 * time.Second
	MaxCommandTimeout     = 30 * time.Second
)

// driverOf reads a device and its driver's manifest.
func (s *Service) driverOf(ctx context.Context, tenantID, id uuid.UUID) (Device, *wuyepb.Manifest, error) {
	var d Device
	err := s.db.InTenant(store.ReadMostly(ctx), tenantID, func(tx *gorm.DB) (err error) {
		d, err = get(tx, tenantID, id)
		return err
	})
	if err != nil {
		return d, nil, err
	}
	spec, err := s.opt.Catalog.Resolve(ctx, tenantID, d.Driver)
	if err != nil {
		return d, nil, err // a driver no longer enabled: 404 plugin_not_enabled
	}
	return d, spec.Manifest, nil
}

// callError maps a driver's gRPC answer to the API's errors.
func callError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		if errors.Is(err, context.DeadlineExceeded) {
			return ErrNoAck.Wrap(err)
		}
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrNoAck.Wrap(err)
	}
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.DeadlineExceeded:
		return ErrNoAck.Wrap(err)
	case codes.Unavailable:
		return ErrDriverDown.Wrap(err)
	case codes.InvalidArgument, codes.Unimplemented, codes.FailedPrecondition, codes.NotFound:
		return ErrDeviceRefused.Withf(clip(st.Message(), 300)).Wrap(err)
	}
	return err
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Command runs a canonical command on a device through its driver and
// audits it with its outcome, in the name of the actor in ctx.
func (s *Service) Command(ctx context.Context, tenantID uuid.UUID, in *wuyepb.CommandRequest) (*wuyepb.CommandResult, error) {
	id, err := uuid.Parse(in.GetDeviceId())
	if err != nil {
		return nil, invalid(field("device_id", "invalid_id", "device_id is not an id", "device_id 不是有效编号"))
	}
	if len(in.GetArgs()) > 0 {
		var obj map[string]any
		if json.Unmarshal(in.GetArgs(), &obj) != nil || obj == nil {
			return nil, invalid(field("args", "not_object", "args must be a JSON object", "参数须为 JSON 对象"))
		}
	}
	d, m, err := s.driverOf(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(m.GetDriver().GetCommands(), in.GetCommand()) {
		err := ErrUnsupportedCommand
		s.auditCommand(ctx, d, in.GetCommand(), nil, err)
		return nil, err
	}
	timeout := DefaultCommandTimeout
	if t := time.Duration(in.GetTimeoutMs()) * time.Millisecond; t > 0 {
		timeout = min(t, MaxCommandTimeout)
	}
	req := &wuyepb.CommandRequest{DeviceId: d.ID.String(), Command: in.GetCommand(), Args: in.GetArgs(), TimeoutMs: uint32(timeout / time.Millisecond), RequestId: in.GetRequestId()}
	if len(req.Args) == 0 {
		req.Args = []byte("{}")
	}
	var res *wuyepb.CommandResult
	err = s.call(ctx, tenantID, d.Driver, timeout, func(ctx context.Context, c wuyepb.DriverClient) (err error) {
		res, err = c.Execute(ctx, req)
		return err
	})
	s.auditCommand(ctx, d, in.GetCommand(), res, err)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// call runs fn on the driver within timeout, mapping errors. The timeout is
// the device's to answer in: it starts once the driver process runs, so a
// driver started cold (the first command after start-up, or after a crash)
// does not eat the barrier's ack window. The start has its own bound (the
// supervisor's StartTimeout) and the caller's context still bounds the call.
func (s *Service) call(ctx context.Context, tenantID uuid.UUID, driverName string, timeout time.Duration, fn func(ctx context.Context, c wuyepb.DriverClient) error) error {
	if s.opt.Runner == nil {
		return ErrDriverDown
	}
	noAck := false
	err := s.opt.Runner.CallDriver(ctx, tenantID, driverName, func(ctx context.Context, c wuyepb.DriverClient, _ *wuyepb.Manifest) error {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		err := fn(cctx, c)
		noAck = err != nil && cctx.Err() != nil
		return err
	})
	if err != nil && (noAck || ctx.Err() != nil) {
		return ErrNoAck.Wrap(err)
	}
	return callError(err)
}

// auditCommand writes the command's audit line on a transaction of its own:
// a failed command is recorded even when the request rolls back.
func (s *Service) auditCommand(ctx context.Context, d Device, command string, res *wuyepb.CommandResult, err error) {
	e := audit.Entry{TenantID: d.TenantID, Action: "device.command", Object: "device/" + d.ID.String(), ObjectType: "device", ObjectID: d.ID.String()}
	actorOf(ctx, &e, "device registry")
	switch {
	case err == nil && res.GetOk():
		e.Result, e.Detail = audit.ResultOK, command+": ok"
	case err == nil:
		e.Result, e.Detail = audit.ResultFailed, command+": refused by the device: "+clip(res.GetMessage(), 200)
	default:
		e.Result = audit.ResultFailed
		if ae, ok := apperr.As(err); ok {
			e.Detail = command + ": " + ae.Code
			if ae.Kind == apperr.KindUnavailable || ae.Kind == apperr.KindInternal {
				e.Result = audit.ResultError
			}
		} else {
			e.Result, e.Detail = audit.ResultError, command+": "+clip(err.Error(), 200)
		}
	}
	bg, cancel := context.WithTimeout(store.Detach(context.WithoutCancel(ctx)), 5*time.Second)
	defer cancel()
	if werr := s.db.InTenant(bg, d.TenantID, func(tx *gorm.DB) error { return audit.RecordTx(tx, e) }); werr != nil {
		s.opt.Log.Error("device command not audited", "tenant", d.TenantID, "device", d.ID, "err", werr)
	}
}

// Points reads a device's data points (all when names is empty).
func (s *Service) Points(ctx context.Context, tenantID, id uuid.UUID, names []string) (*wuyepb.Points, error) {
	d, _, err := s.driverOf(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	var out *wuyepb.Points
	err = s.call(ctx, tenantID, d.Driver, DefaultCommandTimeout, func(ctx context.Context, c wuyepb.DriverClient) (err error) {
		out, err = c.ReadPoints(ctx, &wuyepb.PointsRequest{DeviceId: d.ID.String(), Names: names})
		return err
	})
	return out, err
}

// Discover asks a tenant's driver for devices on the network.
func (s *Service) Discover(ctx context.Context, tenantID uuid.UUID, name string, params json.RawMessage, timeout time.Duration) (*wuyepb.DiscoverResponse, error) {
	m, err := s.manifest(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	if !m.GetDriver().GetDiscover() {
		return nil, ErrNoDiscover
	}
	if len(params) == 0 || string(params) == "null" {
		params = json.RawMessage("{}")
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	timeout = min(timeout, MaxCommandTimeout)
	var out *wuyepb.DiscoverResponse
	err = s.call(ctx, tenantID, name, timeout+time.Second, func(ctx context.Context, c wuyepb.DriverClient) (err error) {
		out, err = c.Discover(ctx, &wuyepb.DiscoverRequest{Params: params, TimeoutMs: uint32(timeout / time.Millisecond)})
		return err
	})
	return out, err
}

// ErrNoDiscover: the driver does not look for devices.
var ErrNoDiscover = apperr.New(apperr.KindInvalid, "discover_unsupported", "This driver cannot discover devices; register them by hand.", "该驱动不支持自动发现设备,请手动登记。")

// manifest is an enabled driver's manifest; NotFound otherwise.
func (s *Service) manifest(ctx context.Context, tenantID uuid.UUID, name string) (*wuyepb.Manifest, error) {
	spec, err := s.opt.Catalog.Resolve(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	if spec.Manifest.GetKind() != wuyepb.Kind_KIND_DRIVER || spec.Manifest.GetDriver() == nil {
		return nil, errNotFound
	}
	return spec.Manifest, nil
}

// DriverInfo is one of the tenant's enabled drivers as the console needs it
// to register a device.
type DriverInfo struct {
	Name         string              `json:"name"`
	Version      string              `json:"version"`
	TitleEN      string              `json:"title_en"`
	TitleZH      string              `json:"title_zh"`
	Classes      []string            `json:"classes"`
	Commands     []string            `json:"commands"`
	Events       []string            `json:"events"`
	Secrets      []string            `json:"secrets"`
	Points       []*wuyepb.PointSpec `json:"points"`
	Discover     bool                `json:"discover"`
	Ingest       bool                `json:"ingest"`
	DeviceSchema json.RawMessage     `json:"device_schema" swaggertype:"object"`
}

// Drivers lists the tenant's enabled drivers, by name.
func (s *Service) Drivers(ctx context.Context, tenantID uuid.UUID) ([]DriverInfo, error) {
	ms, err := s.opt.Catalog.Enabled(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := []DriverInfo{}
	for name, m := range ms {
		di := m.GetDriver()
		if m.GetKind() != wuyepb.Kind_KIND_DRIVER || di == nil {
			continue
		}
		schema := json.RawMessage(di.GetDeviceSchema())
		if len(strings.TrimSpace(string(schema))) == 0 || !json.Valid(schema) {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		out = append(out, DriverInfo{Name: name, Version: m.GetVersion(), TitleEN: m.GetTitleEn(), TitleZH: m.GetTitleZh(),
			Classes: nonNil(m.GetDeviceClasses()), Commands: nonNil(di.GetCommands()), Events: nonNil(di.GetEvents()),
			Secrets: nonNil(di.GetDeviceSecrets()), Points: di.GetPoints(), Discover: di.GetDiscover(), Ingest: di.GetIngest(), DeviceSchema: schema})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
