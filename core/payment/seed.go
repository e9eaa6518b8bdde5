package payment

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// SeedData is the "payments" section of a tenant manifest's seed data:
// merchant accounts to create. The demo has a sandbox account, so a
// resident can pay a bill end to end on `make run`.
type SeedData struct {
	Merchants []MerchantInput `yaml:"merchants"`
}

// SeedDemo creates the accounts (by provider and name) that do not exist
// yet, joining the caller's transaction when ctx carries one. A sandbox
// account is skipped where sandbox payments are not allowed (production).
func (s *Service) SeedDemo(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
	var data SeedData
	b, err := yaml.Marshal(raw)
	if err != nil {
		return false, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&data); err != nil {
		return false, fmt.Errorf("payment seed: %w", err)
	}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		for _, m := range data.Merchants {
			if m.Provider == ProviderSandbox && !s.opt.Sandbox {
				continue
			}
			var n int64
			if err := tx.Model(&merchantRow{}).Where("tenant_id = ? AND provider = ? AND name = ?", tenantID, m.Provider, m.Name).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			r := merchantRow{TenantID: tenantID, ID: store.NewID(), PublicID: randomHex(12), Enabled: true}
			if err := s.apply(&r, m, true); err != nil {
				return fmt.Errorf("payment seed: %s: %w", m.Name, err)
			}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			changed = true
		}
		return nil
	})
	return changed, err
}
