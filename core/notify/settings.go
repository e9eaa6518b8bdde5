package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// settingsRow is a tenant's channel configuration and quiet hours.
type settingsRow struct {
	TenantID        uuid.UUID `gorm:"primaryKey"`
	QuietStart      string
	QuietEnd        string
	DefaultLang     string
	SMTPHost        string `gorm:"column:smtp_host"`
	SMTPPort        int    `gorm:"column:smtp_port"`
	SMTPUsername    string `gorm:"column:smtp_username"`
	SMTPPasswordEnc string `gorm:"column:smtp_password_enc"`
	SMTPFrom        string `gorm:"column:smtp_from"`
	SMTPFromName    string `gorm:"column:smtp_from_name"`
	SMSProvider     string `gorm:"column:sms_provider"`
	SMSEndpoint     string `gorm:"column:sms_endpoint"`
	SMSRegion       string `gorm:"column:sms_region"`
	SMSAccessKeyID  string `gorm:"column:sms_access_key_id"`
	SMSSecretEnc    string `gorm:"column:sms_secret_enc"`
	SMSSignName     string `gorm:"column:sms_sign_name"`
	SMSTemplates    string `gorm:"column:sms_templates"`
	UpdatedAt       time.Time
}

func (settingsRow) TableName() string { return "notify_settings" }

// Settings is a tenant's notification configuration as shown: secrets are
// never returned, only whether one is set.
type Settings struct {
	QuietStart  string `json:"quiet_start"` // "22:00"; empty: no quiet hours
	QuietEnd    string `json:"quiet_end"`   // "08:00"
	DefaultLang string `json:"default_lang"`
	SMTP        SMTP   `json:"smtp"`
	SMS         SMS    `json:"sms"`
}

// SMTP is the mail server the tenant's email goes out through.
type SMTP struct {
	Host        string `json:"host"`
	Port        int    `json:"port"` // 587 (STARTTLS when offered), 465 (TLS), 25
	Username    string `json:"username"`
	Password    string `json:"password,omitempty"` // write only; empty on update keeps it
	PasswordSet bool   `json:"password_set"`
	From        string `json:"from"`
	FromName    string `json:"from_name"`
}

// SMS is the tenant's SMS provider account. Provider "aliyun" (阿里云短信
// SendSms); Templates maps a notification code to the provider's approved
// template code (SMS text must be approved by the provider in advance; the
// message's variables go out as its TemplateParam).
type SMS struct {
	Provider    string            `json:"provider"` // "" (off) or "aliyun"
	Endpoint    string            `json:"endpoint"` // default https://dysmsapi.aliyuncs.com/
	Region      string            `json:"region"`   // default cn-hangzhou
	AccessKeyID string            `json:"access_key_id"`
	Secret      string            `json:"access_key_secret,omitempty"` // write only
	SecretSet   bool              `json:"secret_set"`
	SignName    string            `json:"sign_name"`
	Templates   map[string]string `json:"templates"`
}

// DefaultAliyunEndpoint is Aliyun's SMS API.
const DefaultAliyunEndpoint = "https://dysmsapi.aliyuncs.com/"

func defaultSettings(tenantID uuid.UUID) settingsRow {
	return settingsRow{TenantID: tenantID, DefaultLang: "zh", SMTPPort: 587, SMSTemplates: "{}"}
}

func settingsIn(tx *gorm.DB, tenantID uuid.UUID) (settingsRow, error) {
	var rows []settingsRow
	if err := tx.Where("tenant_id = ?", tenantID).Limit(1).Find(&rows).Error; err != nil {
		return settingsRow{}, err
	}
	if len(rows) == 0 {
		return defaultSettings(tenantID), nil
	}
	return rows[0], nil
}

func (r settingsRow) view() Settings {
	tpl := map[string]string{}
	_ = json.Unmarshal([]byte(r.SMSTemplates), &tpl)
	return Settings{QuietStart: r.QuietStart, QuietEnd: r.QuietEnd, DefaultLang: r.DefaultLang,
		SMTP: SMTP{Host: r.SMTPHost, Port: r.SMTPPort, Username: r.SMTPUsername, PasswordSet: r.SMTPPasswordEnc != "", From: r.SMTPFrom, FromName: r.SMTPFromName},
		SMS: SMS{Provider: r.SMSProvider, Endpoint: r.SMSEndpoint, Region: r.SMSRegion, AccessKeyID: r.SMSAccessKeyID,
			SecretSet: r.SMSSecretEnc != "", SignName: r.SMSSignName, Templates: tpl}}
}

// GetSettings returns the tenant's notification settings (defaults until set).
func (s *Service) GetSettings(ctx context.Context, tenantID uuid.UUID) (out Settings, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		r, err := settingsIn(tx, tenantID)
		out = r.view()
		return err
	})
	return out, err
}

// parseClock reads "HH:MM" into minutes after midnight.
func parseClock(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func checkQuiet(start, end string) []apperr.FieldError {
	if start == "" && end == "" {
		return nil
	}
	var fe []apperr.FieldError
	a, ok1 := parseClock(start)
	b, ok2 := parseClock(end)
	if !ok1 {
		fe = append(fe, field("quiet_start", "invalid_time", "quiet_start must be a time such as 22:00 (both or neither)", "免打扰开始时间须为如 22:00 的时刻(须同时设置开始和结束)"))
	}
	if !ok2 {
		fe = append(fe, field("quiet_end", "invalid_time", "quiet_end must be a time such as 08:00 (both or neither)", "免打扰结束时间须为如 08:00 的时刻(须同时设置开始和结束)"))
	}
	if ok1 && ok2 && a == b {
		fe = append(fe, field("quiet_end", "empty_window", "quiet_end must differ from quiet_start", "免打扰结束时间不能与开始时间相同"))
	}
	return fe
}

// PutSettings replaces the tenant's settings; an empty password or secret
// keeps the stored one.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, in Settings) (out Settings, err error) {
	in.QuietStart, in.QuietEnd = strings.TrimSpace(in.QuietStart), strings.TrimSpace(in.QuietEnd)
	fe := checkQuiet(in.QuietStart, in.QuietEnd)
	if in.DefaultLang == "" {
		in.DefaultLang = "zh"
	}
	if !slices.Contains(Langs, in.DefaultLang) {
		fe = append(fe, field("default_lang", "unknown_lang", "default_lang must be zh or en", "默认语言须为 zh 或 en"))
	}
	m := &in.SMTP
	m.Host, m.From = strings.TrimSpace(m.Host), strings.TrimSpace(m.From)
	if m.Port == 0 {
		m.Port = 587
	}
	if m.Port < 1 || m.Port > 65535 {
		fe = append(fe, field("smtp.port", "out_of_range", "smtp.port must be 1 to 65535", "SMTP 端口须为 1 到 65535"))
	}
	if m.Host != "" {
		if _, err := mail.ParseAddress(m.From); err != nil || m.From == "" {
			fe = append(fe, field("smtp.from", "invalid_email", "smtp.from must be an email address", "发件地址须为邮箱地址"))
		}
	}
	q := &in.SMS
	q.Provider = strings.TrimSpace(q.Provider)
	switch q.Provider {
	case "":
	case "aliyun":
		if q.Endpoint == "" {
			q.Endpoint = DefaultAliyunEndpoint
		}
		if q.Region == "" {
			q.Region = "cn-hangzhou"
		}
		if !strings.HasPrefix(q.Endpoint, "https://") && !strings.HasPrefix(q.Endpoint, "http://") {
			fe = append(fe, field("sms.endpoint", "invalid_url", "sms.endpoint must be an http(s) URL", "短信接口地址须为 http(s) 地址"))
		}
		if q.AccessKeyID == "" || q.SignName == "" {
			fe = append(fe, field("sms.access_key_id", "required", "aliyun needs access_key_id and sign_name", "阿里云短信需填写 AccessKeyId 和签名"))
		}
	default:
		fe = append(fe, field("sms.provider", "unknown_provider", "sms.provider must be empty or aliyun", "短信服务商须为空或 aliyun"))
	}
	for code := range q.Templates {
		if _, ok := kindByCode[code]; !ok {
			fe = append(fe, field("sms.templates."+code, "unknown_template", "no notification has this code", "没有这个通知模板"))
		}
	}
	if err := invalid(fe); err != nil {
		return Settings{}, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		old, err := settingsIn(tx, tenantID)
		if err != nil {
			return err
		}
		tpl, _ := json.Marshal(q.Templates)
		if q.Templates == nil {
			tpl = []byte("{}")
		}
		r := settingsRow{TenantID: tenantID, QuietStart: in.QuietStart, QuietEnd: in.QuietEnd, DefaultLang: in.DefaultLang,
			SMTPHost: m.Host, SMTPPort: m.Port, SMTPUsername: strings.TrimSpace(m.Username), SMTPPasswordEnc: old.SMTPPasswordEnc,
			SMTPFrom: m.From, SMTPFromName: strings.TrimSpace(m.FromName),
			SMSProvider: q.Provider, SMSEndpoint: q.Endpoint, SMSRegion: q.Region, SMSAccessKeyID: strings.TrimSpace(q.AccessKeyID),
			SMSSecretEnc: old.SMSSecretEnc, SMSSignName: strings.TrimSpace(q.SignName), SMSTemplates: string(tpl), UpdatedAt: s.now().UTC()}
		if m.Password != "" {
			if r.SMTPPasswordEnc, err = s.deps.Keys.Encrypt(m.Password, aad(tenantID, "settings", tenantID, "smtp_password")); err != nil {
				return err
			}
		}
		if q.Secret != "" {
			if r.SMSSecretEnc, err = s.deps.Keys.Encrypt(q.Secret, aad(tenantID, "settings", tenantID, "sms_secret")); err != nil {
				return err
			}
		}
		out = r.view()
		return tx.Save(&r).Error
	})
	return out, err
}

// quietUntil returns when a quiet window [start, end) containing now ends,
// or the zero time when now is outside it (or there is no window).
func quietUntil(now time.Time, loc *time.Location, start, end string) time.Time {
	a, ok1 := parseClock(start)
	b, ok2 := parseClock(end)
	if !ok1 || !ok2 || a == b {
		return time.Time{}
	}
	t := now.In(loc)
	cur := t.Hour()*60 + t.Minute()
	in := (a < b && cur >= a && cur < b) || (a > b && (cur >= a || cur < b))
	if !in {
		return time.Time{}
	}
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	until := midnight.Add(time.Duration(b) * time.Minute)
	if cur >= b { // the window runs past midnight: it ends tomorrow
		until = time.Date(t.Year(), t.Month(), t.Day()+1, b/60, b%60, 0, 0, loc)
	}
	return until
}
