// Package device is the core's device registry: the gates, doors, lifts and
// cameras a tenant registers, each run by a driver plugin (plugin API 3).
// It checks a device against its driver's manifest, seals its secrets, keeps
// its ingress token as a hash, tells the running driver of every change,
// routes canonical commands to it, and follows each device's status (driver
// reports, events seen, heartbeats) with device.online/offline/fault events
// on the plugin bus.
package device

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Statuses of a device.
const (
	StatusUnknown = "unknown"
	StatusOnline  = "online"
	StatusOffline = "offline"
	StatusFault   = "fault"
)

// Device is one registered device. Config, secrets and the token hash are
// never answered as they are stored (see View).
type Device struct {
	TenantID         uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID               uuid.UUID  `gorm:"primaryKey" json:"id"`
	CommunityID      uuid.UUID  `json:"community_id"`
	BuildingID       *uuid.UUID `json:"building_id"`
	Name             string     `json:"name"`
	Class            string     `json:"class"`
	Driver           string     `json:"driver"`
	Place            string     `json:"place"`
	Direction        string     `json:"direction"`
	Config           string     `json:"-"`
	SecretsEnc       string     `json:"-"`
	TokenHash        string     `json:"-"`
	Status           string     `json:"status"`
	StatusDetail     string     `json:"status_detail"`
	LastSeenAt       *time.Time `json:"last_seen_at"`
	StatusChangedAt  *time.Time `json:"status_changed_at"`
	HeartbeatSeconds int        `json:"heartbeat_seconds"`
	Declared         string     `json:"-"` // the tenant manifest's declaration last applied (JSON)
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Catalog is what the registry needs of the plugin catalogue: a tenant's
// spec of one plugin (ErrNotEnabled when it has none) and its enabled
// plugins' manifests.
type Catalog interface {
	pluginhost.Resolver
	Enabled(ctx context.Context, tenantID uuid.UUID) (map[string]*wuyepb.Manifest, error)
}

// Emitter is the durable plugin bus (bus.Bus): called with store.Ctx(tx),
// the deliveries commit with the status change.
type Emitter interface {
	Emit(ctx context.Context, tenantID uuid.UUID, ev bus.Event) (uuid.UUID, error)
}

// Places checks a device's community and building; nil accepts any.
type Places interface {
	// ValidPlace: the community is the tenant's, and the building (if any) is in it.
	ValidPlace(ctx context.Context, tenantID, communityID uuid.UUID, buildingID *uuid.UUID) (bool, error)
}

// Options are the registry's collaborators.
type Options struct {
	Catalog Catalog
	Runner  pluginhost.DriverRunner // nil: drivers are never told (tests of storage only)
	Keys    *pii.Keyring            // seals device secrets
	Bus     Emitter                 // nil: status changes are not published
	Places  Places
	Log     *slog.Logger
	Now     func() time.Time
	// SeenEvery is how often Seen's coalesced sightings are written (default 3 s).
	SeenEvery time.Duration
}

// Service is the device registry.
type Service struct {
	db  *store.DB
	opt Options

	refs refCache

	seenMu sync.Mutex
	seen   map[devKey]time.Time // sightings not written yet
}

type devKey struct{ tenant, id uuid.UUID }

// New returns the registry on db.
func New(db *store.DB, opt Options) (*Service, error) {
	if db == nil || opt.Catalog == nil {
		return nil, errors.New("device: New needs a database and the plugin catalogue")
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SeenEvery <= 0 {
		opt.SeenEvery = 3 * time.Second
	}
	return &Service{db: db, opt: opt, seen: map[devKey]time.Time{}, refs: refCache{m: map[devKey]refEntry{}}}, nil
}

func (s *Service) now() time.Time { return s.opt.Now().UTC().Truncate(time.Microsecond) }

// Errors of this package.
var (
	ErrDuplicateName      = apperr.New(apperr.KindConflict, "duplicate_device_name", "Another device already has this name.", "已有同名设备。")
	ErrBadToken           = apperr.New(apperr.KindUnauthenticated, "bad_device_token", "The device token is missing or wrong.", "设备令牌缺失或错误。")
	ErrUnsupportedCommand = apperr.New(apperr.KindInvalid, "unsupported_command", "The device's driver does not execute this command.", "该设备的驱动不支持此命令。")
	ErrNoAck              = apperr.New(apperr.KindUnavailable, "device_no_ack", "The device did not acknowledge the command in time.", "设备未在规定时间内确认命令。")
	ErrDriverDown         = apperr.New(apperr.KindUnavailable, "driver_unavailable", "The device's driver is not available right now; try again later.", "设备驱动暂时不可用,请稍后再试。")
	ErrDeviceRefused      = apperr.New(apperr.KindInvalid, "device_refused", "The driver refused the request: %s", "驱动拒绝了请求:%s")
)

func invalid(fe ...apperr.FieldError) error { return apperr.Invalid.WithDetails(fe) }

func field(name, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: name, Code: code, EN: en, ZH: zh}
}

func isKind(err error, k apperr.Kind) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == k
}

// errNotFound hides another driver's or tenant's device.
var errNotFound = apperr.NotFound
