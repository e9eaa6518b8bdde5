// Package app wires the core together: config -> store -> queue -> http.
// Nothing else lives here.
package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything the process can be told. Zero values mean the embedded
// default: SQLite under ./data, an in-process queue, 127.0.0.1:8080.
type Config struct {
	HTTPAddr       string `yaml:"http_addr"`             // WUYE_HTTP_ADDR
	DataDir        string `yaml:"data_dir"`              // WUYE_DATA_DIR
	DatabaseURL    string `yaml:"database_url"`          // WUYE_DATABASE_URL (postgres://wuye_app@…); empty = SQLite
	PlatformURL    string `yaml:"platform_database_url"` // WUYE_PLATFORM_DATABASE_URL (postgres://wuye_platform@…)
	MigrateURL     string `yaml:"migrate_url"`           // WUYE_MIGRATE_URL; the table owner, defaults to DatabaseURL
	RedisAddr      string `yaml:"redis_addr"`            // WUYE_REDIS_ADDR; empty = in-process
	RedisPass      string `yaml:"redis_password"`
	QueueNamespace string `yaml:"queue_namespace"` // WUYE_QUEUE_NAMESPACE: prefix of queue names, to share one Redis
	JWTSecret      string `yaml:"jwt_secret"`      // WUYE_JWT_SECRET; generated and kept in the data dir when empty
	TenantsDir     string `yaml:"tenants_dir"`     // WUYE_TENANTS_DIR; where demo.yaml lives
	LogLevel       string `yaml:"log_level"`       // WUYE_LOG_LEVEL: debug, info, warn, error
	MaxBodyBytes   int64  `yaml:"max_body_bytes"`  // WUYE_MAX_BODY_BYTES
	NoSeed         bool   `yaml:"no_seed"`         // WUYE_NO_SEED: do not seed the demo tenant on first start
	// MetricsDisabled leaves /metrics out (WUYE_METRICS_DISABLED); otherwise keep it off the public network.
	MetricsDisabled bool `yaml:"metrics_disabled"`
	// TrustedProxies (WUYE_TRUSTED_PROXIES): comma-separated IPs/CIDRs of reverse
	// proxies whose X-Forwarded-For is believed; empty = none.
	TrustedProxies string `yaml:"trusted_proxies"`
	// Personal-data keys (docs/resident.md). Empty: generated into the data dir.
	PIIKeys      string `yaml:"pii_keys"`       // WUYE_PII_KEYS: "id:hex64,id2:hex64"
	PIIActiveKey string `yaml:"pii_active_key"` // WUYE_PII_ACTIVE_KEY: the id new data is encrypted with
	PIIIndexKey  string `yaml:"pii_index_key"`  // WUYE_PII_INDEX_KEY: hex, ≥ 32 bytes, never rotated
	// PublicURL (WUYE_PUBLIC_URL) is the address payers and payment providers
	// reach this server at (notify URLs, sandbox pages); default http://HTTPAddr.
	PublicURL string `yaml:"public_url"`
	// PaymentSandbox (WUYE_PAYMENT_SANDBOX=on|off) allows sandbox merchant
	// accounts, whose payments move no money; default on for the embedded
	// SQLite set-up only.
	PaymentSandbox string `yaml:"payment_sandbox"`
	// NotifyAllowPrivate (WUYE_NOTIFY_ALLOW_PRIVATE=1) lets tenants' SMTP
	// servers, SMS endpoints and webhooks be internal addresses; off, the
	// notification channels reach public addresses only.
	NotifyAllowPrivate bool `yaml:"notify_allow_private"`
	// PluginDir (WUYE_PLUGIN_DIR) is where plugin binaries are registered
	// from at start; default plugins/ next to the wuye binary.
	PluginDir string `yaml:"plugin_dir"`
	// PluginIdleTimeout (WUYE_PLUGIN_IDLE_TIMEOUT, e.g. "10m"; "-1s": never)
	// stops a tenant's plugin process after this long without a call; the
	// next call starts it again. Drivers are never stopped for idleness.
	PluginIdleTimeout time.Duration `yaml:"plugin_idle_timeout"`
	// PluginMaxMemoryMB (WUYE_PLUGIN_MAX_MEMORY_MB, default 256) restarts a
	// plugin process whose proportional set size grows beyond it.
	PluginMaxMemoryMB int64 `yaml:"plugin_max_memory_mb"`
	// DeviceEventRetention (WUYE_DEVICE_EVENT_RETENTION, e.g. "168h",
	// default 7 days) is how long device events and their pictures are kept.
	DeviceEventRetention time.Duration `yaml:"device_event_retention"`
	// LoginPerMinute (WUYE_LOGIN_PER_MINUTE, default 10) and LoginBurst
	// (WUYE_LOGIN_BURST, default 20) are each client address's sign-in
	// budget. Raise them when many staff sign in from one address (an
	// office behind one NAT); the per-account lockout holds either way.
	LoginPerMinute int `yaml:"login_per_minute"`
	LoginBurst     int `yaml:"login_burst"`
}

// SandboxAllowed reports whether sandbox merchant accounts may be used.
func (c Config) SandboxAllowed() bool {
	switch c.PaymentSandbox {
	case "on", "true", "1":
		return true
	case "off", "false", "0":
		return false
	}
	return c.DatabaseURL == ""
}

// LoadConfig reads the YAML file named by WUYE_CONFIG (if any), then lets
// environment variables override it, then fills defaults.
func LoadConfig() (Config, error) {
	var c Config
	if f := os.Getenv("WUYE_CONFIG"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := yaml.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("config %s: %w", f, err)
		}
	}
	str := func(dst *string, env string) {
		if v, ok := os.LookupEnv(env); ok {
			*dst = v
		}
	}
	str(&c.HTTPAddr, "WUYE_HTTP_ADDR")
	str(&c.DataDir, "WUYE_DATA_DIR")
	str(&c.DatabaseURL, "WUYE_DATABASE_URL")
	str(&c.MigrateURL, "WUYE_MIGRATE_URL")
	str(&c.PlatformURL, "WUYE_PLATFORM_DATABASE_URL")
	if _, ok := os.LookupEnv("WUYE_DATABASE_ROLE"); ok {
		return c, fmt.Errorf("config: WUYE_DATABASE_ROLE is no longer used: the app logs in as wuye_app (WUYE_DATABASE_URL) and wuye_platform (WUYE_PLATFORM_DATABASE_URL); see docs/operator.md")
	}
	str(&c.RedisAddr, "WUYE_REDIS_ADDR")
	str(&c.RedisPass, "WUYE_REDIS_PASSWORD")
	str(&c.JWTSecret, "WUYE_JWT_SECRET")
	str(&c.TenantsDir, "WUYE_TENANTS_DIR")
	str(&c.LogLevel, "WUYE_LOG_LEVEL")
	str(&c.QueueNamespace, "WUYE_QUEUE_NAMESPACE")
	str(&c.PIIKeys, "WUYE_PII_KEYS")
	str(&c.PIIActiveKey, "WUYE_PII_ACTIVE_KEY")
	str(&c.PIIIndexKey, "WUYE_PII_INDEX_KEY")
	str(&c.TrustedProxies, "WUYE_TRUSTED_PROXIES")
	str(&c.PublicURL, "WUYE_PUBLIC_URL")
	str(&c.PaymentSandbox, "WUYE_PAYMENT_SANDBOX")
	str(&c.PluginDir, "WUYE_PLUGIN_DIR")
	if v := os.Getenv("WUYE_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("config: WUYE_MAX_BODY_BYTES must be a positive number of bytes")
		}
		c.MaxBodyBytes = n
	}
	if v := os.Getenv("WUYE_PLUGIN_IDLE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d == 0 {
			return c, fmt.Errorf("config: WUYE_PLUGIN_IDLE_TIMEOUT must be a duration such as 10m (negative: never)")
		}
		c.PluginIdleTimeout = d
	}
	if v := os.Getenv("WUYE_DEVICE_EVENT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("config: WUYE_DEVICE_EVENT_RETENTION must be a positive duration such as 168h")
		}
		c.DeviceEventRetention = d
	}
	if v := os.Getenv("WUYE_PLUGIN_MAX_MEMORY_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("config: WUYE_PLUGIN_MAX_MEMORY_MB must be a positive number of megabytes")
		}
		c.PluginMaxMemoryMB = n
	}
	for _, e := range []struct {
		to   *int
		name string
	}{{&c.LoginPerMinute, "WUYE_LOGIN_PER_MINUTE"}, {&c.LoginBurst, "WUYE_LOGIN_BURST"}} {
		if v := os.Getenv(e.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("config: %s must be a positive whole number of sign-in attempts", e.name)
			}
			*e.to = n
		}
	}
	if v := os.Getenv("WUYE_NO_SEED"); v != "" {
		c.NoSeed = v == "1" || v == "true"
	}
	if v := os.Getenv("WUYE_NOTIFY_ALLOW_PRIVATE"); v != "" {
		c.NotifyAllowPrivate = v == "1" || v == "true"
	}
	if v := os.Getenv("WUYE_METRICS_DISABLED"); v != "" {
		c.MetricsDisabled = v == "1" || v == "true"
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		return c, fmt.Errorf("config: WUYE_JWT_SECRET must be at least 32 characters")
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.TenantsDir == "" {
		c.TenantsDir = "tenants"
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, err
	}
	c.DataDir = abs
	return c, nil
}
