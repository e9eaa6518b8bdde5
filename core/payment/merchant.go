package payment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
)

// The providers' published production gateways, used when an account names none.
var defaultGateways = map[string]string{
	ProviderAlipay: "https://openapi.alipay.com/gateway.do",
	ProviderWeChat: "https://api.mch.weixin.qq.com",
}

// masked stands for a secret that is set; secrets are never answered.
const masked = "********"

// MerchantInput creates or updates a merchant account. On update an empty
// secret keeps the stored one.
type MerchantInput struct {
	Provider          string `json:"provider" yaml:"provider"`
	Name              string `json:"name" yaml:"name"`
	AppID             string `json:"app_id" yaml:"app_id"`
	MchID             string `json:"mch_id" yaml:"mch_id"`
	MerchantSerial    string `json:"merchant_serial" yaml:"merchant_serial"`
	PlatformSerial    string `json:"platform_serial" yaml:"platform_serial"`
	ProviderPublicKey string `json:"provider_public_key" yaml:"provider_public_key"`
	PrivateKey        string `json:"private_key" yaml:"private_key"`
	APIv3Key          string `json:"api_v3_key" yaml:"api_v3_key"`
	SandboxKey        string `json:"sandbox_key" yaml:"sandbox_key"`
	Gateway           string `json:"gateway" yaml:"gateway"`
	Enabled           *bool  `json:"enabled" yaml:"enabled"`
}

// Merchant is an account as the API shows it: secrets masked.
type Merchant struct {
	ID                uuid.UUID `json:"id"`
	PublicID          string    `json:"public_id"`
	Provider          string    `json:"provider"`
	Name              string    `json:"name"`
	AppID             string    `json:"app_id"`
	MchID             string    `json:"mch_id"`
	MerchantSerial    string    `json:"merchant_serial"`
	PlatformSerial    string    `json:"platform_serial"`
	ProviderPublicKey string    `json:"provider_public_key"`
	PrivateKey        string    `json:"private_key"`
	APIv3Key          string    `json:"api_v3_key"`
	SandboxKey        string    `json:"sandbox_key"`
	Gateway           string    `json:"gateway"`
	NotifyURL         string    `json:"notify_url"`
	Enabled           bool      `json:"enabled"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func mask(enc string) string {
	if enc == "" {
		return ""
	}
	return masked
}

func (s *Service) view(r merchantRow) Merchant {
	return Merchant{
		ID: r.ID, PublicID: r.PublicID, Provider: r.Provider, Name: r.Name, AppID: r.AppID, MchID: r.MchID,
		MerchantSerial: r.MerchantSerial, PlatformSerial: r.PlatformSerial, ProviderPublicKey: r.ProviderPublicKey,
		PrivateKey: mask(r.PrivateKeyEnc), APIv3Key: mask(r.APIv3KeyEnc), SandboxKey: mask(r.SandboxKeyEnc),
		Gateway: r.Gateway, NotifyURL: s.notifyURL(r), Enabled: r.Enabled, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// NotifyPath is the notify route's path for an account.
func NotifyPath(provider, publicID string) string {
	return "/api/v1/payments/notify/" + provider + "/" + publicID
}

func (s *Service) notifyURL(r merchantRow) string {
	return strings.TrimRight(s.opt.PublicURL, "/") + NotifyPath(r.Provider, r.PublicID)
}

func aad(tenantID, id uuid.UUID, field string) []byte {
	return pii.Context(tenantID, "payment_merchant."+field+"/"+id.String())
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CreateMerchant adds a merchant account.
func (s *Service) CreateMerchant(ctx context.Context, tenantID uuid.UUID, in MerchantInput) (Merchant, error) {
	r := merchantRow{TenantID: tenantID, ID: store.NewID(), PublicID: randomHex(12), Enabled: true}
	if err := s.apply(&r, in, true); err != nil {
		return Merchant{}, err
	}
	err := s.in(ctx, tenantID, func(tx *gorm.DB) error { return tx.Create(&r).Error })
	return s.view(r), err
}

// UpdateMerchant changes an account; the provider cannot change.
func (s *Service) UpdateMerchant(ctx context.Context, tenantID, id uuid.UUID, in MerchantInput) (out Merchant, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var r merchantRow
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&r).Error; err != nil {
			return store.NotFound(err)
		}
		if in.Provider == "" {
			in.Provider = r.Provider
		}
		if in.Provider != r.Provider {
			return apperr.New(apperr.KindInvalid, "provider_fixed", "A merchant account's provider cannot change; create another account.", "商户账户的支付渠道不能修改,请新建账户。")
		}
		if err := s.apply(&r, in, false); err != nil {
			return err
		}
		out = s.view(r)
		s.byPublic.Delete(r.PublicID)
		return tx.Save(&r).Error
	})
	return out, err
}

// GetMerchant returns one account.
func (s *Service) GetMerchant(ctx context.Context, tenantID, id uuid.UUID) (out Merchant, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var r merchantRow
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&r).Error; err != nil {
			return store.NotFound(err)
		}
		out = s.view(r)
		return nil
	})
	return out, err
}

// ListMerchants lists the tenant's accounts, oldest first.
func (s *Service) ListMerchants(ctx context.Context, tenantID uuid.UUID, p paging.Paging) (out []Merchant, total int64, err error) {
	out = []Merchant{}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&merchantRow{}).Where("tenant_id = ?", tenantID)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var rows []merchantRow
		if err := p.Apply(q).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, s.view(r))
		}
		return nil
	})
	return out, total, err
}

// merchantFor is the tenant's enabled account for a provider (the newest).
func (s *Service) merchantFor(tx *gorm.DB, tenantID uuid.UUID, provider string) (merchantRow, error) {
	var r merchantRow
	q := tx.Where("tenant_id = ? AND enabled", tenantID)
	if provider != "" {
		q = q.Where("provider = ?", provider)
	}
	err := q.Order("created_at DESC, id DESC").Take(&r).Error
	if store.IsNotFound(err) {
		return r, ErrNoMerchant
	}
	return r, err
}

// merchantTTL is how long a merchant account looked up by its public id is
// reused: a notification then costs no platform round trip. A change made
// on another node is seen within it (this node forgets at once).
const merchantTTL = 30 * time.Second

type cachedMerchant struct {
	row   merchantRow
	until time.Time
}

// merchantByPublicID finds an account by the id in its notify URL, across
// tenants (the platform pool: the tenant is not known yet).
func (s *Service) merchantByPublicID(ctx context.Context, publicID string) (r merchantRow, err error) {
	if c, ok := s.byPublic.Load(publicID); ok && time.Now().Before(c.(cachedMerchant).until) {
		return c.(cachedMerchant).row, nil
	}
	err = s.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Where("public_id = ?", publicID).Take(&r).Error
	})
	if err == nil {
		s.byPublic.Store(publicID, cachedMerchant{row: r, until: time.Now().Add(merchantTTL)})
	}
	return r, err
}
