package rbac

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// roleRow is a tenant's custom role.
type roleRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	Name        string
	Description string
	Permissions string // JSON array of permission codes
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (roleRow) TableName() string { return "roles" }

func (r roleRow) perms() []string {
	var ps []string
	_ = json.Unmarshal([]byte(r.Permissions), &ps) // written only by this package
	return ps
}

// userRole says a user holds a role (by name) in a tenant.
type userRole struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	UserID    uuid.UUID
	Role      string
	CreatedAt time.Time
}

func (userRole) TableName() string { return "user_roles" }

// versionRow counts the changes to a tenant's roles and assignments.
type versionRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Version   int64
	UpdatedAt time.Time
}

func (versionRow) TableName() string { return "rbac_versions" }

// bump records a change of tenantID's roles in tx, for other processes' Poll.
func bump(tx *gorm.DB, tenantID uuid.UUID) error {
	return tx.Exec(`INSERT INTO rbac_versions (tenant_id, id, version, updated_at) VALUES (?, ?, 1, ?)
ON CONFLICT (tenant_id) DO UPDATE SET version = rbac_versions.version + 1, updated_at = excluded.updated_at`,
		tenantID, store.NewID(), time.Now().UTC()).Error
}

// Role is a role as the API shows it: built-in (no ID) or a tenant's custom role.
type Role struct {
	ID          *uuid.UUID `json:"id,omitempty"`
	Name        string     `json:"name"`
	Builtin     bool       `json:"builtin"`
	Description string     `json:"description"`
	// DescriptionZH is set for built-in roles; custom roles have one description.
	DescriptionZH string   `json:"description_zh,omitempty"`
	Permissions   []string `json:"permissions"`
}

func (r roleRow) role() Role {
	id := r.ID
	return Role{ID: &id, Name: r.Name, Description: r.Description, Permissions: r.perms()}
}

// Errors of role management.
var (
	ErrUnknownPermission = apperr.New(apperr.KindInvalid, "unknown_permission", "Some permissions are not in the catalogue; see details.", "部分权限不在权限目录中,详见 details。")
	ErrUnknownRole       = apperr.New(apperr.KindInvalid, "unknown_role", "Some roles do not exist in this tenant; see details.", "部分角色在本租户中不存在,详见 details。")
	ErrBuiltinName       = apperr.New(apperr.KindConflict, "role_name_builtin", "That name belongs to a built-in role; choose another.", "该名称属于内置角色,请换一个名称。")
	ErrRoleExists        = apperr.New(apperr.KindConflict, "role_exists", "A role with that name already exists in this tenant.", "本租户已存在同名角色。")
	ErrRoleInUse         = apperr.New(apperr.KindConflict, "role_in_use", "The role is still assigned to users; unassign it first.", "该角色仍分配给用户,请先取消分配。")
	ErrLastAdmin         = apperr.New(apperr.KindConflict, "last_admin", "This would leave the tenant without an administrator.", "此操作会使本租户没有管理员。")
	ErrOperatorRole      = apperr.New(apperr.KindInvalid, "operator_role", "The operator role belongs to the platform and cannot be assigned in a tenant.", "运营方角色属于平台,不能在租户内分配。")
)

// checkPermissions returns ErrUnknownPermission listing the codes not in the
// catalogue (fixed, or a registered plugin's).
func (e *Enforcer) checkPermissions(ctx context.Context, ps []string) error {
	var bad []string
	for _, p := range ps {
		known, err := e.knownCode(ctx, p)
		if err != nil {
			return err
		}
		if !known {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		return ErrUnknownPermission.WithDetails(map[string][]string{"unknown": bad})
	}
	return nil
}

// normalise sorts and de-duplicates permission codes.
func normalise(ps []string) []string {
	out := append([]string{}, ps...)
	slices.Sort(out)
	return slices.Compact(out)
}

// ListRoles returns the built-in roles followed by tenantID's custom roles.
func (e *Enforcer) ListRoles(ctx context.Context, tenantID uuid.UUID) ([]Role, error) {
	var rows []roleRow
	if err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Order("name").Find(&rows).Error
	}); err != nil {
		return nil, err
	}
	plugin, err := e.pluginList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Role, 0, len(builtins)+len(rows))
	for _, b := range Builtins() {
		if b.Name == Admin {
			for _, p := range plugin {
				b.Permissions = append(b.Permissions, p.Code)
			}
		}
		out = append(out, Role{Name: b.Name, Builtin: true, Description: b.EN, DescriptionZH: b.ZH, Permissions: b.Permissions})
	}
	for _, r := range rows {
		out = append(out, r.role())
	}
	return out, nil
}

// RoleInput creates a custom role.
type RoleInput struct {
	Name        string
	Description string
	Permissions []string
}

// CreateRole adds a custom role to tenantID. The name must be a valid role
// name (checked by the caller's validation) not taken by a built-in role.
func (e *Enforcer) CreateRole(ctx context.Context, tenantID uuid.UUID, in RoleInput) (Role, error) {
	if IsBuiltin(in.Name) {
		return Role{}, ErrBuiltinName
	}
	if err := e.checkPermissions(ctx, in.Permissions); err != nil {
		return Role{}, err
	}
	perms, _ := json.Marshal(normalise(in.Permissions))
	row := roleRow{Name: in.Name, Description: in.Description, Permissions: string(perms)}
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return ErrRoleExists
			}
			return err
		}
		return bump(tx, tenantID)
	})
	if err != nil {
		return Role{}, err
	}
	return row.role(), e.Reload(ctx, tenantID)
}

// RolePatch changes a custom role; nil fields stay as they are.
type RolePatch struct {
	Name        *string
	Description *string
	Permissions *[]string
}

// UpdateRole changes a custom role of tenantID. Renaming carries its
// assignments along in the same transaction.
func (e *Enforcer) UpdateRole(ctx context.Context, tenantID, id uuid.UUID, p RolePatch) (Role, error) {
	if p.Name != nil && IsBuiltin(*p.Name) {
		return Role{}, ErrBuiltinName
	}
	if p.Permissions != nil {
		if err := e.checkPermissions(ctx, *p.Permissions); err != nil {
			return Role{}, err
		}
	}
	var row roleRow
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error; err != nil {
			return err
		}
		old := row.Name
		if p.Name != nil {
			row.Name = *p.Name
		}
		if p.Description != nil {
			row.Description = *p.Description
		}
		if p.Permissions != nil {
			b, _ := json.Marshal(normalise(*p.Permissions))
			row.Permissions = string(b)
		}
		err := tx.Model(&roleRow{}).Where("id = ?", id).Updates(map[string]any{
			"name": row.Name, "description": row.Description, "permissions": row.Permissions, "updated_at": time.Now().UTC(),
		}).Error
		if store.IsUniqueViolation(err) {
			return ErrRoleExists
		}
		if err != nil {
			return err
		}
		if row.Name != old {
			if err := tx.Model(&userRole{}).Where("role = ?", old).Update("role", row.Name).Error; err != nil {
				return err
			}
		}
		return bump(tx, tenantID)
	})
	if err != nil {
		return Role{}, err
	}
	return row.role(), e.Reload(ctx, tenantID)
}

// DeleteRole removes a custom role that nobody holds.
func (e *Enforcer) DeleteRole(ctx context.Context, tenantID, id uuid.UUID) error {
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var row roleRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&row, "id = ?", id).Error; err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&userRole{}).Where("role = ?", row.Name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrRoleInUse.WithDetails(map[string]int64{"users": n})
		}
		if err := tx.Where("id = ?", id).Delete(&roleRow{}).Error; err != nil {
			return err
		}
		return bump(tx, tenantID)
	})
	if err != nil {
		return err
	}
	return e.Reload(ctx, tenantID)
}

// RolesOf returns the roles userID holds in tenantID, sorted, read from the database.
func (e *Enforcer) RolesOf(ctx context.Context, tenantID, userID uuid.UUID) ([]string, error) {
	var roles []string
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Model(&userRole{}).Where("user_id = ?", userID).Order("role").Pluck("role", &roles).Error
	})
	return roles, err
}

// checkRoles returns ErrUnknownRole unless every name is a built-in tenant
// role or one of the tenant's custom roles (tx may be Platform or InTenant).
func checkRoles(tx *gorm.DB, tenantID uuid.UUID, names []string) error {
	var custom, bad []string
	for _, n := range names {
		switch {
		case n == Operator:
			return ErrOperatorRole
		case IsBuiltin(n):
		default:
			custom = append(custom, n)
		}
	}
	if len(custom) > 0 {
		var found []string
		if err := tx.Model(&roleRow{}).Where("tenant_id = ? AND name IN ?", tenantID, custom).Pluck("name", &found).Error; err != nil {
			return err
		}
		have := map[string]bool{}
		for _, f := range found {
			have[f] = true
		}
		for _, c := range custom {
			if !have[c] {
				bad = append(bad, c)
			}
		}
	}
	if len(bad) > 0 {
		return ErrUnknownRole.WithDetails(map[string][]string{"unknown": bad})
	}
	return nil
}

// AssignTx gives userID role in tenantID inside the caller's transaction
// (InTenant of that tenant, or Platform, e.g. while creating the tenant).
// Assigning a role the user holds already is a no-op. The in-memory enforcer
// sees it after Reload(ctx, tenantID) — call that after commit — or the next poll.
func (e *Enforcer) AssignTx(tx *gorm.DB, tenantID, userID uuid.UUID, role string) error {
	if !ValidRoleName(role) {
		return ErrUnknownRole.WithDetails(map[string][]string{"unknown": {role}})
	}
	if err := checkRoles(tx, tenantID, []string{role}); err != nil {
		return err
	}
	ur := userRole{TenantID: tenantID, UserID: userID, Role: role}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ur).Error; err != nil {
		return err
	}
	return bump(tx, tenantID)
}

// SetUserRoles replaces the roles userID holds in tenantID with roles and
// returns the new set. It refuses to leave the tenant without an admin.
func (e *Enforcer) SetUserRoles(ctx context.Context, tenantID, userID uuid.UUID, roles []string) ([]string, error) {
	want := normalise(roles)
	err := e.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		// Bump first: on Postgres the version row lock serialises concurrent
		// changes of the tenant, so two admins demoting each other cannot both
		// pass the last-admin check (SQLite transactions are serial already).
		if err := bump(tx, tenantID); err != nil {
			return err
		}
		if err := checkRoles(tx, tenantID, want); err != nil {
			return err
		}
		var have []string
		if err := tx.Model(&userRole{}).Where("user_id = ?", userID).Pluck("role", &have).Error; err != nil {
			return err
		}
		if slices.Contains(have, Admin) && !slices.Contains(want, Admin) {
			var others int64
			if err := tx.Model(&userRole{}).Where("role = ? AND user_id <> ?", Admin, userID).Count(&others).Error; err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		if err := tx.Where("user_id = ?", userID).Delete(&userRole{}).Error; err != nil {
			return err
		}
		if len(want) > 0 {
			rows := make([]userRole, len(want))
			for i, r := range want {
				rows[i] = userRole{UserID: userID, Role: r}
			}
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return want, e.Reload(ctx, tenantID)
}
