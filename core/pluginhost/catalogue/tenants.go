package catalogue

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/tenant"
)

// TenantsOf answers Tenants from core/tenant: the tenant's row and plan are
// read directly (Overview would count every resource), the quota is
// tenant.Service's check of ResourcePlugins.
func TenantsOf(db *store.DB, svc *tenant.Service) Tenants { return tenantsOf{db, svc} }

type tenantsOf struct {
	db  *store.DB
	svc *tenant.Service
}

func (t tenantsOf) Info(ctx context.Context, tenantID uuid.UUID) (TenantInfo, error) {
	var (
		tn tenant.Tenant
		p  tenant.Plan
	)
	err := t.db.Platform(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", tenantID).Take(&tn).Error; err != nil {
			return err
		}
		return tx.Where("code = ?", tn.PlanCode).Take(&p).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return TenantInfo{}, apperr.NotFound
	}
	if err != nil {
		return TenantInfo{}, err
	}
	info := TenantInfo{Code: tn.Code, TimeZone: tn.TimeZone(), MaxPlugins: p.MaxPlugins, Declared: map[string]Declaration{}}
	for name, s := range tn.Settings.Plugins {
		info.Declared[name] = Declaration{Enabled: s.Enabled, Config: s.Config}
	}
	return info, nil
}

func (t tenantsOf) CheckQuota(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, adding int) error {
	return t.svc.CheckQuota(ctx, tx, tenantID, tenant.ResourcePlugins, adding)
}

// CountEnabled counts the tenant's enabled plugins: the "plugins" quota
// counter (tenant.Counter) once the catalogue owns enablement. It filters by
// tenant itself, as a counter must.
func CountEnabled(tx *gorm.DB, tenantID uuid.UUID) (n int64, err error) {
	err = tx.Model(&tenantRow{}).Where("tenant_id = ? AND enabled", tenantID).Count(&n).Error
	return n, err
}
