package tenant

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// Resources a plan limits.
const (
	ResourceCommunities = "communities"
	ResourceRooms       = "rooms"
	ResourceUsers       = "users"
	ResourcePlugins     = "plugins"
)

// Resources lists every resource a plan limits, in display order.
var Resources = []string{ResourceCommunities, ResourceRooms, ResourceUsers, ResourcePlugins}

var resourceZH = map[string]string{
	ResourceCommunities: "小区", ResourceRooms: "房屋", ResourceUsers: "用户", ResourcePlugins: "插件",
}

// Plan is a row of the plans table: quotas a tenant is held to (0 = unlimited).
type Plan struct {
	Code           string    `gorm:"primaryKey" json:"code"`
	Name           string    `json:"name"`
	MaxCommunities int       `json:"max_communities"`
	MaxRooms       int       `json:"max_rooms"`
	MaxUsers       int       `json:"max_users"`
	MaxPlugins     int       `json:"max_plugins"`
	CreatedAt      time.Time `json:"-"`
	UpdatedAt      time.Time `json:"-"`
}

func (Plan) TableName() string { return "plans" }

// Limit returns the plan's limit for resource; 0 means unlimited.
func (p Plan) Limit(resource string) int {
	switch resource {
	case ResourceCommunities:
		return p.MaxCommunities
	case ResourceRooms:
		return p.MaxRooms
	case ResourceUsers:
		return p.MaxUsers
	case ResourcePlugins:
		return p.MaxPlugins
	}
	return 0
}

// QuotaDetails are the details of quota_exceeded, and one line of plan_below_usage.
type QuotaDetails struct {
	Resource string `json:"resource"`
	Limit    int    `json:"limit"`
	Used     int64  `json:"used"`
	Plan     string `json:"plan"`
}

// RegisterCounter makes resource countable for quotas. Packages that own a
// limited resource register one at wiring time (property: communities and
// rooms; identity: users).
func (s *Service) RegisterCounter(resource string, fn Counter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters[resource] = fn
}

func (s *Service) counter(resource string) (Counter, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn, ok := s.counters[resource]
	return fn, ok
}

// Plans lists every plan.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	var ps []Plan
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Order("code").Find(&ps).Error
	})
	return ps, err
}

func findPlan(tx *gorm.DB, code string) (Plan, error) {
	var p Plan
	err := tx.Where("code = ?", code).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		var codes []string
		tx.Model(&Plan{}).Order("code").Pluck("code", &codes)
		return p, apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "plan", Code: "unknown_plan",
			EN: fmt.Sprintf("no plan %q; choose one of %v", code, codes),
			ZH: fmt.Sprintf("没有套餐 %q,可选:%v", code, codes)}})
	}
	return p, err
}

// planOf reads the plan tenantID is on.
func planOf(tx *gorm.DB, tenantID uuid.UUID) (Plan, error) {
	var p Plan
	err := tx.Table("plans").Select("plans.*").
		Joins("JOIN tenants ON tenants.plan_code = plans.code").
		Where("tenants.id = ?", tenantID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, apperr.NotFound
	}
	return p, err
}

// CheckQuota refuses adding more of resource when the tenant's plan would be
// exceeded. Call it inside the transaction that adds them, before inserting.
// An unlimited resource (limit 0) is not counted at all.
//
// Counting and inserting are two statements, so two transactions could each
// count below the limit and both insert. On Postgres a transaction-scoped
// advisory lock per (tenant, resource) makes the second wait until the first
// commits, and its count then includes the first's rows (READ COMMITTED takes
// a new snapshot per statement). SQLite runs one writer at a time already.
func (s *Service) CheckQuota(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, resource string, adding int) error {
	p, err := planOf(tx, tenantID)
	if err != nil {
		return err
	}
	limit := p.Limit(resource)
	if limit == 0 {
		return nil
	}
	if tx.Dialector.Name() == "postgres" {
		key := "wuye.quota:" + tenantID.String() + ":" + resource
		if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key).Error; err != nil {
			return err
		}
	}
	fn, ok := s.counter(resource)
	if !ok {
		return fmt.Errorf("tenant: no usage counter registered for %q", resource)
	}
	used, err := fn(tx, tenantID)
	if err != nil {
		return err
	}
	if used+int64(adding) > int64(limit) {
		return quotaError(QuotaDetails{Resource: resource, Limit: limit, Used: used, Plan: p.Code})
	}
	return nil
}

func quotaError(d QuotaDetails) error {
	e := ErrQuotaExceeded.WithDetails(d)
	e.EN = fmt.Sprintf("Your plan %q allows %d %s and %d are in use; ask the platform operator to upgrade your plan.", d.Plan, d.Limit, d.Resource, d.Used)
	e.ZH = fmt.Sprintf("您的套餐 %q 最多允许 %d 个%s,已使用 %d 个;请联系平台运营方升级套餐。", d.Plan, d.Limit, resourceZH[d.Resource], d.Used)
	return e
}

// usage runs every registered counter for tenantID.
func (s *Service) usage(tx *gorm.DB, tenantID uuid.UUID) (map[string]int64, error) {
	s.mu.RLock()
	names := make([]string, 0, len(s.counters))
	for n := range s.counters {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	out := map[string]int64{}
	for _, n := range names {
		fn, _ := s.counter(n)
		used, err := fn(tx, tenantID)
		if err != nil {
			return nil, fmt.Errorf("tenant: count %s: %w", n, err)
		}
		out[n] = used
	}
	return out, nil
}

// overages lists the resources whose usage exceeds plan p.
func (s *Service) overages(tx *gorm.DB, tenantID uuid.UUID, p Plan) ([]QuotaDetails, error) {
	used, err := s.usage(tx, tenantID)
	if err != nil {
		return nil, err
	}
	var over []QuotaDetails
	for _, r := range Resources {
		n, counted := used[r]
		if l := p.Limit(r); counted && l > 0 && n > int64(l) {
			over = append(over, QuotaDetails{Resource: r, Limit: l, Used: n, Plan: p.Code})
		}
	}
	return over, nil
}

// countEnabledPlugins counts the plugins enabled in the tenant's settings.
func countEnabledPlugins(tx *gorm.DB, tenantID uuid.UUID) (int64, error) {
	var t Tenant
	if err := tx.Select("id", "settings").Where("id = ?", tenantID).Take(&t).Error; err != nil {
		return 0, err
	}
	return int64(enabledPlugins(t.Settings.Plugins)), nil
}

func enabledPlugins(ps map[string]PluginSetting) int {
	n := 0
	for _, p := range ps {
		if p.Enabled {
			n++
		}
	}
	return n
}
