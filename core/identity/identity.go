// Package identity knows who is who: platform operators, tenant users
// (staff and residents), their passwords (argon2id), sessions (short-lived
// JWT access tokens plus rotating refresh tokens) and API keys. Its Service
// implements httpapi.Authenticator. Roles and permissions belong to rbac;
// identity asks a RoleSource only to keep API keys within their creator's roles.
package identity

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
)

// RoleSource tells which roles a user holds in a tenant; rbac implements it.
type RoleSource interface {
	RolesOf(ctx context.Context, tenantID, userID uuid.UUID) ([]string, error)
}

// Config tunes identity. Zero values take the defaults noted on each field.
type Config struct {
	JWTSecret      []byte        // HS256 key, at least 32 bytes (required)
	Issuer         string        // "wuye"
	Audience       string        // "wuye-api"
	AccessTTL      time.Duration // 15m
	RefreshTTL     time.Duration // 30 days; each refresh starts a new period
	APIKeyCacheTTL time.Duration // 5s: how long a revoked key may still pass on another node
	MaxFailures    int           // 5 consecutive bad passwords lock the account …
	LockFor        time.Duration // … for 15m
	LoginPerMinute float64       // per-IP login attempts refilled per minute: 10
	LoginBurst     int           // per-IP burst: 20
	Argon2         Argon2Params  // DefaultArgon2
	Now            func() time.Time
	Log            *slog.Logger

	// Limiter holds the per-IP login budget; nil keeps it in process memory
	// (NewMemoryLimiter with LoginPerMinute and LoginBurst). Several API
	// nodes share one through Redis (NewRedisLimiter).
	Limiter LoginLimiter
}

func (c *Config) defaults() {
	if len(c.JWTSecret) < 32 {
		panic("identity: Config.JWTSecret must be at least 32 bytes")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Issuer == "" {
		c.Issuer = "wuye"
	}
	if c.Audience == "" {
		c.Audience = "wuye-api"
	}
	def(&c.AccessTTL, 15*time.Minute)
	def(&c.RefreshTTL, 30*24*time.Hour)
	def(&c.APIKeyCacheTTL, 5*time.Second)
	def(&c.LockFor, 15*time.Minute)
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.LoginPerMinute == 0 {
		c.LoginPerMinute = 10
	}
	if c.LoginBurst == 0 {
		c.LoginBurst = 20
	}
	if c.Argon2.MemoryKiB == 0 {
		c.Argon2 = DefaultArgon2
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Service is identity's entry point.
type Service struct {
	db      *store.DB
	cfg     Config
	rec     audit.PlatformRecorder
	roles   RoleSource
	jwt     *signer
	ips     LoginLimiter
	keys    *keyCache
	revoked *revocations
	dummy   string // a hash to verify against when the login is unknown (equal timing)

	// UserQuota, when set, is called inside the transaction before a user is
	// created and may refuse it (e.g. the plan's max_users).
	UserQuota func(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID) error

	// TenantGate, when set, may refuse a tenant user's sign-in and refresh
	// (tenant.Service.CheckActive: 403 tenant_suspended or tenant_deleted).
	// It is asked only after the password or refresh token checked out, so
	// a guess learns nothing about tenants.
	TenantGate func(ctx context.Context, tenantID uuid.UUID) error
}

// New builds the service. It panics when cfg.JWTSecret is shorter than 32 bytes.
func New(db *store.DB, cfg Config, rec audit.PlatformRecorder, roles RoleSource) *Service {
	cfg.defaults()
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemoryLimiter(cfg.LoginPerMinute, cfg.LoginBurst, cfg.Now)
	}
	dummy, err := HashPassword(GeneratePassword(20), cfg.Argon2)
	if err != nil {
		panic(fmt.Sprintf("identity: %v", err))
	}
	return &Service{
		db: db, cfg: cfg, rec: rec, roles: roles,
		jwt:     newSigner(cfg.JWTSecret, cfg.Issuer, cfg.Audience),
		ips:     cfg.Limiter,
		keys:    newKeyCache(),
		revoked: newRevocations(),
		dummy:   dummy,
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Authenticate turns a bearer credential into an actor: an access JWT
// (checked without touching the database, against the in-memory map of
// revoked sessions and, for operators, the in-memory set of active ones) or an API key (checked against the database, with
// verified keys cached for APIKeyCacheTTL).
func (s *Service) Authenticate(ctx context.Context, credential string) (actor.Actor, error) {
	if strings.HasPrefix(credential, apiKeyPrefix) {
		return s.authenticateKey(ctx, credential)
	}
	a, iat, err := s.jwt.verify(credential, s.cfg.Now())
	if err == nil && iat < s.revoked.before(a.ID) {
		err = ErrTokenRevoked
	}
	if err == nil && a.Kind == actor.Operator {
		// Operator tokens reach every tenant: the operator must still exist and be active.
		var ok bool
		if ok, err = s.operatorActive(ctx, a.ID); err == nil && !ok {
			err = ErrTokenRevoked
		}
	}
	if err != nil {
		s.record(ctx, platformScope, audit.Entry{Action: "auth.token", Result: audit.ResultDenied, Detail: detailOf(err)})
		return actor.Actor{}, err
	}
	return a, nil
}

// record writes an audit entry in sc's log (a tenant's, or the platform's
// for operators and failures before a tenant is known), filling the
// request's address and id from the context's actor. A failing recorder is
// logged, never fatal to the request.
func (s *Service) record(ctx context.Context, sc scope, e audit.Entry) {
	if s.rec == nil {
		return
	}
	if a, ok := actor.From(ctx); ok {
		e.IP, e.RequestID = a.IP, a.RequestID
		if e.ActorKind == "" && a.Kind != "" {
			e.ActorKind, e.ActorID, e.ActorName = string(a.Kind), a.ID, a.Name
		}
	}
	if e.ActorKind == "" {
		e.ActorKind = "anonymous"
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	var err error
	if sc.platform {
		err = s.rec.RecordPlatform(context.WithoutCancel(ctx), e)
	} else {
		e.TenantID = sc.tenant
		err = s.rec.Record(context.WithoutCancel(ctx), e)
	}
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "audit record failed", "action", e.Action, "err", err)
	}
}

// detailOf is the short, secret-free reason of an error for the audit log.
func detailOf(err error) string {
	if e, ok := apperr.As(err); ok {
		if d, ok := e.Details.(map[string]string); ok && d["reason"] != "" {
			return e.Code + ": " + d["reason"]
		}
		return e.Code
	}
	return "internal error"
}
