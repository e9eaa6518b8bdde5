package app

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/rbac"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/tenant"
)

// jwtSecret is WUYE_JWT_SECRET, or a secret generated once into the data dir.
func (a *App) jwtSecret() ([]byte, error) {
	if a.Config.JWTSecret != "" {
		return []byte(a.Config.JWTSecret), nil
	}
	return secretFile(a.Config.DataDir, "jwt.secret", 32)
}

// piiConfig is the configured keyring, or keys generated once into the data dir.
func (a *App) piiConfig() (resident.Config, error) {
	c := a.Config
	if c.PIIKeys != "" {
		keys, err := pii.ParseKeys(c.PIIKeys)
		if err != nil {
			return resident.Config{}, fmt.Errorf("config: WUYE_PII_KEYS: %w", err)
		}
		idx, err := hex.DecodeString(c.PIIIndexKey)
		if err != nil || len(idx) < 32 {
			return resident.Config{}, fmt.Errorf("config: WUYE_PII_INDEX_KEY must be hex of at least 32 bytes")
		}
		return resident.Config{PIIKeys: keys, ActiveKeyID: c.PIIActiveKey, IndexKey: idx}, nil
	}
	key, err := secretFile(c.DataDir, "pii.key", 32)
	if err != nil {
		return resident.Config{}, err
	}
	idx, err := secretFile(c.DataDir, "pii-index.key", 32)
	if err != nil {
		return resident.Config{}, err
	}
	return resident.Config{PIIKeys: map[string][]byte{"local": key}, ActiveKeyID: "local", IndexKey: idx}, nil
}

// provisionUser creates a manifest's or a new tenant's user and gives it its
// role. ctx carries the tenant's provisioning transaction (tenant.ProvisionHook),
// which CreateUser joins; the role is assigned in the same transaction.
func (a *App) provisionUser(ctx context.Context, t tenant.Tenant, u tenant.AdminSpec) error {
	kind := identity.KindStaff
	if u.Role == rbac.Resident {
		kind = identity.KindResident // a resident's app account, linked to a person by the resident seed
	}
	user, err := a.Identity.CreateUser(ctx, t.ID, identity.NewUser{Username: u.Username, Name: u.Name, Phone: u.Phone, Email: u.Email, Password: u.Password, Kind: kind})
	if err != nil {
		return err
	}
	role := u.Role
	if role == "" {
		role = "admin"
	}
	return a.DB.InTenant(ctx, t.ID, func(tx *gorm.DB) error { return a.RBAC.AssignTx(tx, t.ID, user.ID, role) })
}

// reloadRoles makes role assignments a tenant change committed visible at once
// on this node (other nodes follow through the RBAC poll).
func (a *App) reloadRoles(ctx context.Context, tenantID uuid.UUID) {
	if err := a.RBAC.Reload(ctx, tenantID); err != nil {
		a.Log.Warn("rbac reload after tenant change", "tenant", tenantID, "err", err)
	}
}

// connectDomains registers what domains provide to each other: quota
// counters, the room file's residents section, occupancy checks, seeders.
func (a *App) connectDomains() {
	t := a.Tenants
	t.RegisterCounter(tenant.ResourceUsers, countUsers)
	t.RegisterCounter(tenant.ResourceCommunities, property.CountCommunities)
	t.RegisterCounter(tenant.ResourceRooms, property.CountRooms)
	a.Identity.UserQuota = func(ctx context.Context, tx *gorm.DB, id uuid.UUID) error {
		return t.CheckQuota(ctx, tx, id, tenant.ResourceUsers, 1)
	}
	res := a.Residents
	a.Property.AddRoomSection("residents", func(ctx context.Context, id uuid.UUID, r property.Room) (any, error) {
		return res.RoomSection(ctx, id, r.ID) // joins the room file's transaction
	})

	// Seeders run in this order: assets and residents need the property's rooms.
	// Each runs in the tenant's scope and joins the provisioning transaction ctx carries.
	t.RegisterSeeder("property", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Property.SeedDemo(ctx, tn.ID, d)
	})
	t.RegisterSeeder("assets", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Assets.SeedDemo(ctx, tn.ID, d)
	})
	seedResidents := res.DemoSeeder(a.Property)
	t.RegisterSeeder("residents", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return seedResidents(ctx, tn.ID, d)
	})
	t.RegisterSeeder("fees", func(ctx context.Context, tn tenant.Tenant, d any) (bool, error) {
		return a.Fees.SeedDemo(ctx, tn.ID, d)
	})
}

func countUsers(tx *gorm.DB, tenantID uuid.UUID) (n int64, err error) {
	err = tx.Model(&identity.User{}).Where("tenant_id = ?", tenantID).Count(&n).Error
	return n, err
}
