package payment

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
)

// apply validates in and writes it to r, sealing secrets. On an update
// (create false) an empty secret keeps the stored one. The whole account is
// checked by building its credentials, so a broken key is refused now, not
// at the first payment.
func (s *Service) apply(r *merchantRow, in MerchantInput, create bool) error {
	in.Provider = strings.TrimSpace(in.Provider)
	if _, ok := s.providers[in.Provider]; !ok {
		return ErrUnknownProvider
	}
	if in.Provider == ProviderSandbox && !s.opt.Sandbox {
		return ErrSandboxDisabled
	}
	var fe []apperr.FieldError
	if in.Name = strings.TrimSpace(in.Name); in.Name == "" || len(in.Name) > 200 {
		fe = append(fe, apperr.FieldError{Field: "name", Code: "required", EN: "name is required (at most 200 characters)", ZH: "名称必填(不超过 200 个字符)"})
	}
	if in.Gateway != "" && !strings.HasPrefix(in.Gateway, "https://") && !strings.HasPrefix(in.Gateway, "http://") {
		fe = append(fe, apperr.FieldError{Field: "gateway", Code: "invalid_url", EN: "gateway must be an http(s) URL", ZH: "网关须为 http(s) 地址"})
	}
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	r.Provider, r.Name = in.Provider, in.Name
	r.AppID, r.MchID = strings.TrimSpace(in.AppID), strings.TrimSpace(in.MchID)
	r.MerchantSerial, r.PlatformSerial = strings.TrimSpace(in.MerchantSerial), strings.TrimSpace(in.PlatformSerial)
	r.ProviderPublicKey = strings.TrimSpace(in.ProviderPublicKey)
	r.Gateway = strings.TrimSpace(in.Gateway)
	if r.Gateway == "" {
		r.Gateway = defaultGateways[r.Provider]
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if r.Provider == ProviderSandbox && in.SandboxKey == "" && r.SandboxKeyEnc == "" {
		in.SandboxKey = randomHex(32)
	}
	for _, f := range []struct {
		name  string
		plain string
		enc   *string
	}{{"private_key", in.PrivateKey, &r.PrivateKeyEnc}, {"api_v3_key", in.APIv3Key, &r.APIv3KeyEnc}, {"sandbox_key", in.SandboxKey, &r.SandboxKeyEnc}} {
		if f.plain == "" && !create {
			continue
		}
		enc, err := s.deps.Keys.Encrypt(strings.TrimSpace(f.plain), aad(r.TenantID, r.ID, f.name))
		if err != nil {
			return err
		}
		*f.enc = enc
	}
	if _, err := s.credentials(*r); err != nil {
		return err
	}
	return nil
}

// credentials opens an account's secrets and parses its keys. Parsing an
// RSA key costs more than verifying a signature, so the result is kept per
// account version (id and updated_at).
func (s *Service) credentials(r merchantRow) (*Credentials, error) {
	key := credKey{r.TenantID, r.ID, r.UpdatedAt.UnixNano()}
	if c, ok := s.creds.Load(key); ok && !r.UpdatedAt.IsZero() {
		return c.(*Credentials), nil
	}
	c, err := s.buildCredentials(r)
	if err != nil {
		return nil, err
	}
	if !r.UpdatedAt.IsZero() {
		s.creds.Store(key, c)
	}
	return c, nil
}

type credKey struct {
	tenant, id uuid.UUID
	version    int64
}

func (s *Service) buildCredentials(r merchantRow) (*Credentials, error) {
	bad := func(field, en, zh string) error {
		return ErrBadMerchant.WithDetails([]apperr.FieldError{{Field: field, Code: "invalid", EN: en, ZH: zh}})
	}
	c := &Credentials{Provider: r.Provider, PublicID: r.PublicID, AppID: r.AppID, MchID: r.MchID,
		MerchantSerial: r.MerchantSerial, PlatformSerial: r.PlatformSerial, Gateway: r.Gateway, NotifyURL: s.notifyURL(r)}
	open := func(enc, field string) (string, error) {
		return s.deps.Keys.Decrypt(enc, aad(r.TenantID, r.ID, field))
	}
	switch r.Provider {
	case ProviderSandbox:
		k, err := open(r.SandboxKeyEnc, "sandbox_key")
		if err != nil || len(k) < 16 {
			return nil, bad("sandbox_key", "sandbox_key must be at least 16 characters", "沙箱密钥至少 16 个字符")
		}
		c.SandboxKey = []byte(k)
		c.Gateway = strings.TrimRight(s.opt.PublicURL, "/") + "/api/v1/payments/sandbox"
		return c, nil
	case ProviderWeChat:
		if r.MchID == "" || r.AppID == "" || r.MerchantSerial == "" {
			return nil, bad("mch_id", "app_id, mch_id and merchant_serial are required", "app_id、mch_id 和 merchant_serial 必填")
		}
		k, err := open(r.APIv3KeyEnc, "api_v3_key")
		if err != nil || len(k) != 32 {
			return nil, bad("api_v3_key", "api_v3_key must be the 32-character APIv3 key", "api_v3_key 须为 32 个字符的 APIv3 密钥")
		}
		c.APIv3Key = []byte(k)
	case ProviderAlipay:
		if r.AppID == "" {
			return nil, bad("app_id", "app_id is required", "app_id 必填")
		}
	}
	pk, err := open(r.PrivateKeyEnc, "private_key")
	if err == nil {
		c.PrivateKey, err = ParsePrivateKey(pk)
	}
	if err != nil {
		return nil, bad("private_key", "private_key must be an RSA private key (PEM or base64)", "private_key 须为 RSA 私钥(PEM 或 base64)")
	}
	if c.ProviderKey, err = ParsePublicKey(r.ProviderPublicKey); err != nil {
		return nil, bad("provider_public_key", "provider_public_key must be the provider's RSA public key or certificate", "provider_public_key 须为支付渠道的 RSA 公钥或证书")
	}
	return c, nil
}

// expiry is when an order made now stops being payable.
func (s *Service) expiry() time.Time { return s.now().Add(s.opt.OrderTTL) }
