package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
)

// API keys look like wyk_<key id, 32 hex>_<secret, 43 base64url>. The id lets
// verification find the row; only SHA-256 of the whole key is stored (the
// secret has 256 bits, so a slow hash adds nothing). The key is shown once.
const apiKeyPrefix = "wyk_"

// RoleList is a list of role names stored as JSON text.
type RoleList []string

// Value stores the list as JSON.
func (r RoleList) Value() (driver.Value, error) {
	if r == nil {
		r = RoleList{}
	}
	b, err := json.Marshal([]string(r))
	return string(b), err
}

// Scan reads the JSON text back.
func (r *RoleList) Scan(v any) error {
	switch t := v.(type) {
	case string:
		return json.Unmarshal([]byte(t), (*[]string)(r))
	case []byte:
		return json.Unmarshal(t, (*[]string)(r))
	case nil:
		*r = nil
		return nil
	}
	return fmt.Errorf("identity: cannot scan %T into roles", v)
}

// APIKey is an integration key of a tenant, acting with its own roles.
type APIKey struct {
	TenantID   uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID         uuid.UUID  `gorm:"primaryKey" json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the key's first characters, to recognise it
	KeyHash    string     `json:"-"`
	Roles      RoleList   `json:"roles"`
	CreatedBy  uuid.UUID  `json:"created_by"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func (APIKey) TableName() string { return "api_keys" }

// NewAPIKey is the input for creating a key.
type NewAPIKey struct {
	Name      string     `json:"name"`
	Roles     []string   `json:"roles"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Validate checks the fields.
func (in NewAPIKey) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if n := len(strings.TrimSpace(in.Name)); n == 0 || n > 100 {
		fe = append(fe, fieldErr("name", "invalid", "name is required, at most 100 bytes", "名称必填,最长 100 字节"))
	}
	if len(in.Roles) == 0 || len(in.Roles) > 20 {
		fe = append(fe, fieldErr("roles", "invalid", "give 1 to 20 roles", "请指定 1 到 20 个角色"))
	}
	for _, r := range in.Roles {
		if r == "" || len(r) > 64 {
			fe = append(fe, fieldErr("roles", "invalid", "role names are 1 to 64 characters", "角色名为 1 到 64 个字符"))
			break
		}
	}
	return fe
}

// CreatedAPIKey is returned once, at creation: Key is never shown again.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// Errors of API keys.
var (
	ErrRolesNotHeld = apperr.New(apperr.KindForbidden, "roles_not_held", "A key can only have roles you hold yourself; see details.roles.", "密钥只能拥有您自己具有的角色,详见 details.roles。")
	ErrExpiryPast   = apperr.New(apperr.KindInvalid, "expiry_in_past", "expires_at must be in the future.", "expires_at 必须是将来的时间。")
	errBadKey       = apperr.Unauthenticated.WithDetails(map[string]string{"reason": "invalid_api_key"})
)

// CreateAPIKey creates a key for creator's tenant whose roles are a subset of
// the creator's own (a user's from the RoleSource, a key's from the key).
func (s *Service) CreateAPIKey(ctx context.Context, creator actor.Actor, in NewAPIKey) (CreatedAPIKey, error) {
	if fe := in.Validate(); len(fe) > 0 {
		return CreatedAPIKey{}, apperr.Invalid.WithDetails(fe)
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return CreatedAPIKey{}, ErrExpiryPast
	}
	var held []string
	switch creator.Kind {
	case actor.User:
		if s.roles == nil {
			return CreatedAPIKey{}, apperr.Forbidden
		}
		var err error
		if held, err = s.roles.RolesOf(ctx, creator.TenantID, creator.ID); err != nil {
			return CreatedAPIKey{}, err
		}
	case actor.APIKey:
		held = creator.Roles
	default:
		return CreatedAPIKey{}, apperr.Forbidden
	}
	var missing []string
	roles := RoleList{}
	for _, r := range in.Roles {
		if !slices.Contains(held, r) {
			missing = append(missing, r)
		} else if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(missing) > 0 {
		return CreatedAPIKey{}, ErrRolesNotHeld.WithDetails(map[string]any{"roles": missing})
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return CreatedAPIKey{}, err
	}
	k := APIKey{TenantID: creator.TenantID, Name: strings.TrimSpace(in.Name), Roles: roles, CreatedBy: creator.ID, ExpiresAt: in.ExpiresAt}
	var out CreatedAPIKey
	err := s.db.InTenant(ctx, creator.TenantID, func(tx *gorm.DB) error {
		k.ID = uuid.Must(uuid.NewV7())
		out.Key = apiKeyPrefix + hex.EncodeToString(k.ID[:]) + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
		k.Prefix = out.Key[:16]
		k.KeyHash = hashToken(out.Key)
		return tx.Create(&k).Error
	})
	out.APIKey = k
	return out, err
}

// ListAPIKeys returns a page of the tenant's keys, newest first.
func (s *Service) ListAPIKeys(ctx context.Context, tenantID uuid.UUID, limit, offset int) ([]APIKey, int64, error) {
	var (
		out   []APIKey
		total int64
	)
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Model(&APIKey{}).Count(&total).Error; err != nil {
			return err
		}
		return tx.Order("created_at DESC").Order("id DESC").Limit(limit).Offset(offset).Find(&out).Error
	})
	return out, total, err
}

// RevokeAPIKey revokes a key of the tenant. This node stops accepting it at
// once; other nodes within APIKeyCacheTTL.
func (s *Service) RevokeAPIKey(ctx context.Context, tenantID, id uuid.UUID) error {
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var k APIKey
		if err := tx.First(&k, "id = ?", id).Error; err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		return tx.Model(&APIKey{}).Where("id = ?", id).Update("revoked_at", s.now()).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.NotFound
	}
	s.keys.evict(id)
	return err
}

// keyCache remembers verified (and refused) keys for a few seconds so a busy
// integration does not cost a database round trip per request.
type keyCache struct {
	mu sync.Mutex
	m  map[uuid.UUID]keyEntry
}

type keyEntry struct {
	hash    [sha256.Size]byte
	valid   bool // false: unknown or revoked id
	actor   actor.Actor
	expires *time.Time // the key's own expiry
	until   time.Time  // end of caching
}

const keyCacheMax = 10000

func newKeyCache() *keyCache { return &keyCache{m: map[uuid.UUID]keyEntry{}} }

func (c *keyCache) get(id uuid.UUID, now time.Time) (keyEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !now.Before(e.until) {
		return keyEntry{}, false
	}
	return e, true
}

func (c *keyCache) put(id uuid.UUID, e keyEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= keyCacheMax {
		clear(c.m) // crude but bounded; entries live seconds anyway
	}
	c.m[id] = e
}

func (c *keyCache) evict(id uuid.UUID) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

func parseKeyID(k string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(k, apiKeyPrefix)
	if !ok || len(rest) != 32+1+43 || rest[32] != '_' {
		return uuid.Nil, false
	}
	var id uuid.UUID
	if _, err := hex.Decode(id[:], []byte(rest[:32])); err != nil {
		return uuid.Nil, false
	}
	return id, true
}

func (s *Service) authenticateKey(ctx context.Context, key string) (actor.Actor, error) {
	// An unknown key has no tenant yet: its refusal is a platform event.
	deny := func(sc scope, id uuid.UUID, why string) (actor.Actor, error) {
		s.record(ctx, sc, audit.Entry{ActorKind: string(actor.APIKey), ActorID: id,
			Action: "auth.api_key", Result: audit.ResultDenied, Detail: why})
		return actor.Actor{}, errBadKey
	}
	id, ok := parseKeyID(key)
	if !ok {
		return deny(platformScope, uuid.Nil, "malformed api key")
	}
	sum := sha256.Sum256([]byte(key))
	now := s.now()
	e, hit := s.keys.get(id, now)
	if !hit {
		var err error
		if e, err = s.loadKey(ctx, id, sum, now); err != nil {
			return actor.Actor{}, err
		}
	}
	switch {
	case !e.valid:
		return deny(platformScope, id, "unknown or revoked api key")
	case subtle.ConstantTimeCompare(e.hash[:], sum[:]) != 1:
		return deny(tenantScope(e.actor.TenantID), id, "wrong api key secret")
	case e.expires != nil && !now.Before(*e.expires):
		return deny(tenantScope(e.actor.TenantID), id, "api key expired")
	}
	a := e.actor
	a.Roles = slices.Clone(a.Roles)
	return a, nil
}

// loadKey reads a key by id across tenants (the key names no tenant) and
// caches what it found. A matching key gets its last_used_at updated, at most
// once per cache period.
func (s *Service) loadKey(ctx context.Context, id uuid.UUID, sum [sha256.Size]byte, now time.Time) (keyEntry, error) {
	e := keyEntry{until: now.Add(s.cfg.APIKeyCacheTTL)}
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		var k APIKey
		err := tx.First(&k, "id = ?", id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		if _, err := hex.Decode(e.hash[:], []byte(k.KeyHash)); err != nil {
			return nil
		}
		e.valid, e.expires = true, k.ExpiresAt
		e.actor = actor.Actor{Kind: actor.APIKey, ID: k.ID, Name: k.Name, TenantID: k.TenantID, Roles: k.Roles}
		if subtle.ConstantTimeCompare(e.hash[:], sum[:]) == 1 {
			return tx.Model(&APIKey{}).Where("tenant_id = ? AND id = ?", k.TenantID, k.ID).Update("last_used_at", now).Error
		}
		return nil
	})
	if err != nil {
		return e, err
	}
	s.keys.put(id, e)
	return e, nil
}
