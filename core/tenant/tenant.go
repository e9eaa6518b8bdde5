// Package tenant is the SaaS operator's side of the platform: property
// companies (tenants), their plans and quotas, suspension, and declarative
// manifests (tenants/*.yaml) that create and update tenants idempotently.
//
// Tenants are platform rows (no tenant_id, no RLS): this package reaches them
// through store.Platform. Other packages plug in at three points, all wired by
// core/app: provisioning hooks create users and seeders consume a manifest's
// seed data, both in the tenant's own scope (store.InTenant, see provisioning
// in service.go), and counters report usage for quotas.
package tenant

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
)

// Tenant statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusDeleted   = "deleted"
	// StatusProvisioning marks a tenant whose row is committed while its
	// users and seed data are being made (Postgres: another pool, see
	// provisioning in service.go). It signs nobody in; a failed provisioning
	// deletes the row, and Apply finishes one a crash left behind.
	StatusProvisioning = "provisioning"
)

// Tenant is one property company.
type Tenant struct {
	ID              uuid.UUID  `gorm:"primaryKey" json:"id"`
	Code            string     `json:"code"`
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	PlanCode        string     `json:"plan"`
	Settings        Settings   `gorm:"serializer:json" json:"settings"`
	SuspendedReason string     `json:"suspended_reason,omitempty"`
	SuspendedAt     *time.Time `json:"suspended_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	DeletedAt       *time.Time `json:"deleted_at,omitempty"`
}

func (Tenant) TableName() string { return "tenants" }

// Settings is the tenant's settings JSON column.
type Settings struct {
	// Plugins is the declared plugin set; the plugin host will read it.
	Plugins map[string]PluginSetting `json:"plugins,omitempty"`
	// Devices is the declared device list; core/device applies it.
	Devices []DeviceSpec `json:"devices,omitempty"`
	// Users lists the usernames this package has provisioned (Create, Apply).
	// Apply provisions only names missing here, so re-applying a manifest never
	// resets a password nor revives a user the tenant has since removed.
	Users []string `json:"provisioned_users,omitempty"`
	// TimeZone is the tenant's IANA zone; DefaultTimeZone when empty (see Location).
	TimeZone string `json:"time_zone,omitempty"`
}

// PluginSetting is one plugin's declared state for a tenant.
type PluginSetting struct {
	Enabled bool           `json:"enabled"`
	Config  map[string]any `json:"config,omitempty"`
}

func (s Settings) provisioned(username string) bool {
	for _, u := range s.Users {
		if u == username {
			return true
		}
	}
	return false
}

// AdminSpec describes a user to provision in a new or updated tenant. Role
// is "admin" for the tenant's administrators.
type AdminSpec struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	Password string `json:"password,omitempty"`
	Role     string `json:"role,omitempty"`
}

// ProvisionHook creates a user in tenant t. ctx carries t's provisioning
// transaction (a store.InTenant one): service methods called with ctx join
// it, so the users, their roles and the seed data commit together. An error
// rolls the whole provisioning back.
type ProvisionHook func(ctx context.Context, t Tenant, user AdminSpec) error

// Counter reports a tenant's current usage of a resource. It must filter by
// tenantID itself: it runs inside store.Platform as well as store.InTenant.
type Counter func(tx *gorm.DB, tenantID uuid.UUID) (int64, error)

// Seeder consumes one key of a manifest's seed section. Apply calls it on
// every apply, so it must be idempotent (create what is missing by a natural
// key) and report whether it changed anything. Like a ProvisionHook it runs
// in t's scope, ctx carrying the provisioning transaction.
type Seeder func(ctx context.Context, t Tenant, data any) (changed bool, err error)

// GeneratedPassword is a password this package generated; it is shown once.
type GeneratedPassword struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Options configures a Service.
type Options struct {
	Audit   audit.PlatformRecorder // may be nil; operator actions are platform events
	Hooks   []ProvisionHook        // run in order for every provisioned user
	Log     *slog.Logger           // for audit failures after commit; slog.Default when nil
	GateTTL time.Duration          // how long CheckActive trusts its cache; 2 s when zero
	// Committed runs after a Create or a changing Apply has committed, so
	// caches of other packages (the RBAC enforcer) can pick up what hooks wrote.
	Committed func(ctx context.Context, tenantID uuid.UUID)
}

// Service manages tenants.
type Service struct {
	db  *store.DB
	opt Options

	mu       sync.RWMutex
	counters map[string]Counter
	seeders  map[string]Seeder
	order    []string // seed keys in registration order

	gate  sync.Map // uuid.UUID -> *gateEntry
	zones sync.Map // uuid.UUID -> *zoneEntry
}

// New returns the tenant service. It registers the "plugins" counter itself
// (enabled plugins in the tenant's settings) until the plugin host owns it.
func New(db *store.DB, opt Options) *Service {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.GateTTL <= 0 {
		opt.GateTTL = 2 * time.Second
	}
	s := &Service{db: db, opt: opt, counters: map[string]Counter{}, seeders: map[string]Seeder{}}
	s.RegisterCounter(ResourcePlugins, countEnabledPlugins)
	return s
}

// Errors of this package.
var (
	ErrCodeTaken = apperr.New(apperr.KindConflict, "tenant_code_taken",
		"Another tenant already uses this code; choose a different one.",
		"该租户编码已被其他租户使用,请换一个。")
	ErrSuspended = apperr.New(apperr.KindForbidden, "tenant_suspended",
		"Your property company's account is suspended; please contact the platform operator to restore it.",
		"贵公司的账户已被暂停使用,请联系平台运营方恢复。")
	ErrProvisioning = apperr.New(apperr.KindForbidden, "tenant_provisioning",
		"Your property company's account is still being set up; please try again in a moment.",
		"贵公司的账户仍在开通中,请稍后再试。")
	ErrDeleted = apperr.New(apperr.KindForbidden, "tenant_deleted",
		"Your property company's account has been closed; please contact the platform operator.",
		"贵公司的账户已被关闭,请联系平台运营方。")
	// 403, not 409: the plan does not entitle the tenant to more; nothing in
	// the request conflicts with the object's state.
	ErrQuotaExceeded = apperr.New(apperr.KindForbidden, "quota_exceeded",
		"Your plan's limit is reached; ask the platform operator to upgrade your plan.",
		"已达到套餐上限,请联系平台运营方升级套餐。")
	ErrPlanBelowUsage = apperr.New(apperr.KindConflict, "plan_below_usage",
		"The tenant already uses more than that plan allows (see details); reduce the usage first or choose a larger plan.",
		"该租户当前用量已超过目标套餐的上限(见 details),请先减少用量或选择更大的套餐。")
	ErrManifest = apperr.New(apperr.KindInvalid, "manifest_invalid",
		"The tenant manifest is invalid; see details.",
		"租户清单文件有误,请查看 details。")
)
