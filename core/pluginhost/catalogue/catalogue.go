// Package catalogue is the operator's plugin catalogue and each tenant's
// enablement of it: the pluginhost.Resolver the supervisor asks.
//
// plugin_versions (a platform table) holds every registered binary: its
// path, SHA-256 and the manifest it described, so what a plugin declares is
// known without running it. tenant_plugins (a tenant table under row-level
// security) holds what a tenant runs: the pinned version, the one before it
// (for rollback), the configuration (validated against the manifest's JSON
// Schema) and its secrets, sealed with the personal-data keyring. Disabling
// keeps the row and the plugin's data.
package catalogue

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Describer runs the binary at path (after checking it has the given SHA-256)
// and returns the manifest it describes. The supervisor provides it
// (pluginhost.Describe); tests inject their own.
type Describer func(ctx context.Context, path, sha256 string) (*wuyepb.Manifest, error)

// Tenants is what the catalogue needs of core/tenant: a tenant's code, zone,
// plugin quota and declared plugins, and the quota check inside the
// transaction that enables one.
type Tenants interface {
	Info(ctx context.Context, tenantID uuid.UUID) (TenantInfo, error)
	// CheckQuota refuses enabling `adding` more plugins beyond the plan's
	// limit (tenant.ErrQuotaExceeded); tx is the enabling transaction.
	CheckQuota(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, adding int) error
}

// TenantInfo is a tenant as the catalogue sees it.
type TenantInfo struct {
	Code       string
	TimeZone   string
	MaxPlugins int // 0: unlimited
	// Declared is the tenant manifest's plugins: section (tenant settings).
	Declared map[string]Declaration
}

// Declaration is one plugin a tenant manifest declares.
type Declaration struct {
	Enabled bool           `json:"enabled"`
	Config  map[string]any `json:"config,omitempty"`
}

// Options configures a Catalogue.
type Options struct {
	Describe Describer
	Tenants  Tenants
	Keys     *pii.Keyring // seals plugins' secret configuration values
	Audit    audit.PlatformRecorder
	// OnChange is told after a tenant's enablement of a plugin changed and
	// committed (enabled, disabled, configured, another version), and for
	// every tenant pinned to a version whose binary was replaced, so the
	// supervisor restarts or reconfigures that process. Set later with SetOnChange.
	OnChange func(tenantID uuid.UUID, name string)
	Log      *slog.Logger
	Now      func() time.Time
}

// Catalogue is the plugin catalogue and tenants' enablements.
type Catalogue struct {
	db  *store.DB
	opt Options

	mu       sync.RWMutex
	onChange func(tenantID uuid.UUID, name string)
	cache    versionSet // the whole catalogue; see versions
	cachedAt time.Time

	parsed  sync.Map // name@version#sha -> *parsedManifest
	enabled sync.Map // tenant uuid.UUID -> *enabledEntry
	specs   sync.Map // specKey -> *specEntry (Resolve's answers)
	// gen counts changes: a read that began before one must not store
	// what it read into a cache the change has just dropped.
	gen atomic.Uint64
}

var _ pluginhost.Resolver = (*Catalogue)(nil)

// New returns the catalogue kept in db.
func New(db *store.DB, opt Options) *Catalogue {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Catalogue{db: db, opt: opt, onChange: opt.OnChange}
}

// SetOnChange sets the hook told of enablement changes (see Options.OnChange).
func (c *Catalogue) SetOnChange(fn func(tenantID uuid.UUID, name string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onChange = fn
}

func (c *Catalogue) changed(tenantID uuid.UUID, name string) {
	// Once more now the change is visible: a read between the drop in
	// afterCommit and the commit may have cached the old state.
	c.gen.Add(1)
	c.enabled.Delete(tenantID)
	c.forgetSpecs(tenantID)
	c.mu.RLock()
	fn := c.onChange
	c.mu.RUnlock()
	if fn != nil {
		fn(tenantID, name)
	}
}

func (c *Catalogue) now() time.Time { return c.opt.Now().UTC() }

// Errors of this package.
var (
	ErrNotRegistered = apperr.New(apperr.KindNotFound, "plugin_not_registered",
		"No such plugin (or version) is registered in the catalogue.",
		"插件目录中没有该插件(或该版本)。")
	ErrRetired = apperr.New(apperr.KindConflict, "plugin_version_retired",
		"This plugin version is retired; choose another version.",
		"该插件版本已下线,请选择其他版本。")
	ErrInUse = apperr.New(apperr.KindConflict, "plugin_version_in_use",
		"Tenants still run this version (see details); move them to another version before retiring it.",
		"仍有租户在使用该版本(见 details),请先将其切换到其他版本再下线。")
	ErrVersionExists = apperr.New(apperr.KindConflict, "plugin_version_exists",
		"This name and version is registered with a different binary; give the new binary a new version, or register it with replace to overwrite.",
		"该插件的此版本已登记为另一个程序;请为新程序使用新的版本号,或以 replace 方式覆盖登记。")
	ErrManifest = apperr.New(apperr.KindInvalid, "plugin_manifest_invalid",
		"The plugin's manifest is invalid; see details.",
		"插件自述清单有误,请查看 details。")
	ErrConfigInvalid = apperr.New(apperr.KindInvalid, "plugin_config_invalid",
		"The plugin configuration does not match the plugin's schema; see details for each field.",
		"插件配置不符合插件要求,请查看各字段的详细说明。")
	ErrNoPrevious = apperr.New(apperr.KindConflict, "plugin_no_previous_version",
		"There is no earlier version to roll back to.",
		"没有可回退的早先版本。")
	ErrNoDescriber = apperr.New(apperr.KindUnavailable, "plugin_describe_unavailable",
		"This server cannot run plugin binaries to read their manifests.",
		"本服务器无法运行插件程序以读取其清单。")
	ErrBinary = apperr.New(apperr.KindInvalid, "plugin_binary_invalid",
		"The plugin binary cannot be registered; see details.",
		"插件程序无法登记,请查看 details。")
)

// parsedManifest is a stored manifest decoded once, with its compiled schema.
type parsedManifest struct {
	m      *wuyepb.Manifest
	schema *jsonschema.Schema
	err    error
}

func (c *Catalogue) manifestOf(r versionRow) (*parsedManifest, error) {
	key := r.Name + "@" + r.Version + "#" + r.SHA256
	if p, ok := c.parsed.Load(key); ok {
		pm := p.(*parsedManifest)
		return pm, pm.err
	}
	pm := &parsedManifest{m: &wuyepb.Manifest{}}
	if pm.err = protojson.Unmarshal([]byte(r.Manifest), pm.m); pm.err == nil {
		pm.schema, pm.err = compileSchema(pm.m.GetConfigSchema())
	}
	c.parsed.Store(key, pm)
	return pm, pm.err
}

var (
	nameRe    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	versionRe = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$`)
)

// compareVersions orders semantic versions (a pre-release before its
// release); it falls back to string order for anything else.
func compareVersions(a, b string) int {
	ma, mb := versionRe.FindStringSubmatch(a), versionRe.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		return strings.Compare(a, b)
	}
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(ma[i])
		y, _ := strconv.Atoi(mb[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case ma[4] == mb[4]:
		return 0
	case ma[4] == "":
		return 1
	case mb[4] == "":
		return -1
	}
	return strings.Compare(ma[4], mb[4])
}

// actorOf names who is acting for the audit log: the request's principal, or
// the system (tenant manifests, start-up registration).
func actorOf(ctx context.Context, e *audit.Entry, system string) {
	e.ActorKind, e.ActorName = "system", system
	if a, ok := actorFrom(ctx); ok {
		e.ActorKind, e.ActorID, e.ActorName, e.IP, e.RequestID = string(a.Kind), a.ID, a.Name, a.IP, a.RequestID
	}
}
