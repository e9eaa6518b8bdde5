package app

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
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
// role, inside the tenant-creation transaction.
func (a *App) provisionUser(ctx context.Context, tx *gorm.DB, t tenant.Tenant, u tenant.AdminSpec) error {
	user, err := identity.CreateUserTx(tx, t.ID, identity.NewUser{Username: u.Username, Name: u.Name, Phone: u.Phone, Email: u.Email, Password: u.Password})
	if err != nil {
		return err
	}
	role := u.Role
	if role == "" {
		role = "admin"
	}
	return a.RBAC.AssignTx(tx, t.ID, user.ID, role)
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
	a.Property.Quota = t.CheckQuota
	res := a.Residents
	a.Property.Occupancy = residentOccupancy{res}
	property.RegisterRoomSection("residents", func(ctx context.Context, tx *gorm.DB, id uuid.UUID, r property.Room) (any, error) {
		return res.RoomSection(store.Ctx(tx), id, r.ID)
	})

	// Seeders run in this order: assets and residents need the property's rooms.
	t.RegisterSeeder("property", func(ctx context.Context, tx *gorm.DB, tn tenant.Tenant, d any) (bool, error) {
		return property.SeedDemo(ctx, tx, tn.ID, d)
	})
	t.RegisterSeeder("assets", func(ctx context.Context, tx *gorm.DB, tn tenant.Tenant, d any) (bool, error) {
		return asset.SeedDemo(ctx, tx, tn.ID, d)
	})
	seedResidents := res.DemoSeeder(seedRooms{})
	t.RegisterSeeder("residents", func(ctx context.Context, tx *gorm.DB, tn tenant.Tenant, d any) (bool, error) {
		return seedResidents(ctx, tx, tn.ID, d)
	})
}

func countUsers(tx *gorm.DB, tenantID uuid.UUID) (n int64, err error) {
	err = tx.Model(&identity.User{}).Where("tenant_id = ?", tenantID).Count(&n).Error
	return n, err
}

// SetRoomOccupied keeps a room's status in step with its residents: a move-in
// marks a vacant (or sold, unoccupied) room occupied; the last move-out marks
// it vacant. A room under renovation keeps its status.
func (RoomDirectory) SetRoomOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID, occupied bool) error {
	q := tx.Model(&property.Room{}).Where("tenant_id = ? AND id = ?", tenantID, roomID)
	if occupied {
		return q.Where("status IN ?", []property.Status{property.Vacant, property.SoldUnoccupied}).Update("status", property.Occupied).Error
	}
	return q.Where("status = ?", property.Occupied).Update("status", property.Vacant).Error
}

// ResolveRoom finds a room by building, unit and number as people write them
// ("1", "1栋" or "1号楼"; "2" or "2单元").
func (RoomDirectory) ResolveRoom(tx *gorm.DB, tenantID uuid.UUID, building, unit, room string) (uuid.UUID, error) {
	var r property.Room
	err := tx.Model(&property.Room{}).
		Joins("JOIN buildings b ON b.tenant_id = rooms.tenant_id AND b.id = rooms.building_id").
		Joins("JOIN units u ON u.tenant_id = rooms.tenant_id AND u.id = rooms.unit_id").
		Where("rooms.tenant_id = ? AND rooms.number = ?", tenantID, room).
		Where("b.name IN ?", []string{building, building + "栋", building + "号楼"}).
		Where("u.name IN ?", []string{unit, unit + "单元"}).
		Order("rooms.id").Take(&r).Error
	if err != nil {
		return uuid.Nil, fmt.Errorf("room %s-%s-%s: %w", building, unit, room, err)
	}
	return r.ID, nil
}
