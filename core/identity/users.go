package identity

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// User kinds and statuses.
const (
	KindStaff    = "staff"
	KindResident = "resident"

	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// User is a person of one tenant: staff or resident. Username, phone and
// email are each unique within the tenant; any of them signs in.
type User struct {
	TenantID          uuid.UUID  `gorm:"primaryKey" json:"tenant_id"`
	ID                uuid.UUID  `gorm:"primaryKey" json:"id"`
	Username          string     `json:"username"`
	Name              string     `json:"name"`
	Phone             string     `json:"phone"`
	Email             string     `json:"email"`
	Kind              string     `json:"kind"`
	Status            string     `json:"status"`
	PasswordHash      string     `json:"-"`
	FailedLogins      int        `json:"-"`
	LockedUntil       *time.Time `json:"locked_until,omitempty"`
	LastLoginAt       *time.Time `json:"last_login_at,omitempty"`
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
	SessionsRevokedAt *time.Time `json:"-"` // access tokens issued before it are refused (revoke.go)
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// Operator is a platform operator: no tenant, platform rows only.
type Operator struct {
	ID           uuid.UUID  `gorm:"primaryKey" json:"id"`
	Username     string     `json:"username"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	Status       string     `json:"status"`
	PasswordHash string     `json:"-"`
	FailedLogins int        `json:"-"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`

	SessionsRevokedAt *time.Time `json:"-"` // access tokens issued before it are refused (revoke.go)
}

// NewUser is the input for creating a user.
type NewUser struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	Kind     string `json:"kind"` // staff (default) or resident
	Password string `json:"password"`
}

// Errors of user management.
var (
	ErrUserExists = apperr.New(apperr.KindConflict, "user_exists", "Another user of this tenant already has this %s.", "本租户已有其他用户使用此%s。")
)

func fieldErr(field, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: code, EN: en, ZH: zh}
}

// normalize trims the fields and lower-cases username and email, so lookups
// and uniqueness do not depend on how a person typed them.
func (in *NewUser) normalize() {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	in.Phone = normalizePhone(in.Phone)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Kind = strings.TrimSpace(in.Kind)
	if in.Kind == "" {
		in.Kind = KindStaff
	}
}

func normalizePhone(p string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, strings.TrimSpace(p))
}

// Validate checks the fields (the password policy is checked separately so
// that it can answer weak_password).
func (in NewUser) Validate() []apperr.FieldError {
	in.normalize()
	var fe []apperr.FieldError
	if !validUsername(in.Username) {
		fe = append(fe, fieldErr("username", "invalid", "username: 3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", "用户名:3 到 64 个字母、数字、'.'、'_' 或 '-',以字母或数字开头"))
	}
	fe = append(fe, validateProfile(in.Name, in.Phone, in.Email)...)
	if in.Kind != KindStaff && in.Kind != KindResident {
		fe = append(fe, fieldErr("kind", "invalid", "kind must be staff or resident", "kind 只能是 staff 或 resident"))
	}
	if in.Password == "" {
		fe = append(fe, fieldErr("password", "required", "password is required", "密码必填"))
	}
	return fe
}

func validateProfile(name, phone, email string) []apperr.FieldError {
	var fe []apperr.FieldError
	if len(name) > 200 {
		fe = append(fe, fieldErr("name", "too_long", "name is at most 200 bytes", "姓名最长 200 字节"))
	}
	if phone != "" && !validPhone(phone) {
		fe = append(fe, fieldErr("phone", "invalid", "phone: 5 to 20 digits, optionally starting with +", "电话:5 到 20 位数字,可以 + 开头"))
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			fe = append(fe, fieldErr("email", "invalid", "email is not a valid address", "邮箱地址无效"))
		}
	}
	return fe
}

func validUsername(u string) bool {
	if len(u) < 3 || len(u) > 64 {
		return false
	}
	for i, r := range u {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || (i > 0 && (r == '.' || r == '_' || r == '-'))
		if !ok {
			return false
		}
	}
	// A username that looks like a phone number or email would make sign-in ambiguous.
	return !validPhone(u)
}

func validPhone(p string) bool {
	d := strings.TrimPrefix(p, "+")
	if len(d) < 5 || len(d) > 20 {
		return false
	}
	for _, r := range d {
		if !unicode.IsDigit(r) || r > '9' {
			return false
		}
	}
	return true
}

// CreateUserTx creates a user inside tx, which may be an InTenant or a
// Platform transaction (tenant creation makes its first admin this way).
func CreateUserTx(tx *gorm.DB, tenantID uuid.UUID, in NewUser) (User, error) {
	return createUserTx(tx, tenantID, in, DefaultArgon2)
}

func createUserTx(tx *gorm.DB, tenantID uuid.UUID, in NewUser, p Argon2Params) (User, error) {
	if tenantID == uuid.Nil {
		return User{}, store.ErrNoTenant
	}
	in.normalize()
	if fe := in.Validate(); len(fe) > 0 {
		return User{}, apperr.Invalid.WithDetails(fe)
	}
	if err := CheckPassword(in.Password, in.Username); err != nil {
		return User{}, err
	}
	if err := checkUnique(tx, tenantID, uuid.Nil, in.Username, in.Phone, in.Email); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password, p)
	if err != nil {
		return User{}, err
	}
	now := time.Now().UTC()
	u := User{
		TenantID: tenantID, Username: in.Username, Name: in.Name, Phone: in.Phone, Email: in.Email,
		Kind: in.Kind, Status: StatusActive, PasswordHash: hash, PasswordChangedAt: &now,
	}
	if err := tx.Create(&u).Error; err != nil {
		if store.IsUniqueViolation(err) {
			return User{}, ErrUserExists.Withf("username, phone or email").WithDetails(map[string]string{"field": "username"})
		}
		return User{}, err
	}
	return u, nil
}

// checkUnique answers user_exists naming the field that collides, before an
// insert would fail (a failed statement poisons a Postgres transaction).
func checkUnique(tx *gorm.DB, tenantID, self uuid.UUID, username, phone, email string) error {
	type probe struct {
		field, value string
	}
	for _, p := range []probe{{"username", username}, {"phone", phone}, {"email", email}} {
		if p.value == "" {
			continue
		}
		var n int64
		err := tx.Model(&User{}).Where("tenant_id = ? AND id <> ? AND "+p.field+" = ?", tenantID, self, p.value).Count(&n).Error
		if err != nil {
			return err
		}
		if n > 0 {
			names := map[string][2]string{"username": {"username", "用户名"}, "phone": {"phone number", "手机号"}, "email": {"email", "邮箱"}}[p.field]
			e := *ErrUserExists
			e.EN, e.ZH = strings.Replace(e.EN, "%s", names[0], 1), strings.Replace(e.ZH, "%s", names[1], 1)
			return e.WithDetails(map[string]string{"field": p.field})
		}
	}
	return nil
}

// CreateUser creates a user of tenantID after the quota hook agrees.
func (s *Service) CreateUser(ctx context.Context, tenantID uuid.UUID, in NewUser) (User, error) {
	var u User
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if s.UserQuota != nil {
			if err := s.UserQuota(ctx, tx, tenantID); err != nil {
				return err
			}
		}
		var err error
		u, err = createUserTx(tx, tenantID, in, s.cfg.Argon2)
		return err
	})
	return u, err
}

// GetUser returns one user of the tenant; another tenant's id is not_found.
func (s *Service) GetUser(ctx context.Context, tenantID, id uuid.UUID) (User, error) {
	var u User
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.First(&u, "id = ?", id).Error })
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, apperr.NotFound
	}
	return u, err
}

// UserFilter selects and orders users for a list.
type UserFilter struct {
	Q       string // substring of username, name, phone or email
	Status  string
	Kind    string
	OrderBy string // a column, optionally " DESC"; the caller checks it against an allow-list
	Limit   int
	Offset  int
}

// ListUsers returns a page of the tenant's users and the total matching.
func (s *Service) ListUsers(ctx context.Context, tenantID uuid.UUID, f UserFilter) ([]User, int64, error) {
	var (
		out   []User
		total int64
	)
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&User{})
		if f.Q != "" {
			like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Q)) + "%"
			q = q.Where(`(username LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`, like, like, like, like)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		order := f.OrderBy
		if order == "" {
			order = "created_at DESC"
		}
		return q.Order(order).Order("id").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	})
	return out, total, err
}

// UserPatch changes a user's profile or status; nil fields stay as they are.
type UserPatch struct {
	Name   *string `json:"name,omitempty"`
	Phone  *string `json:"phone,omitempty"`
	Email  *string `json:"email,omitempty"`
	Status *string `json:"status,omitempty"`
}

// Validate checks the fields that are present.
func (p UserPatch) Validate() []apperr.FieldError {
	var name, phone, email string
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
	}
	if p.Phone != nil {
		phone = normalizePhone(*p.Phone)
	}
	if p.Email != nil {
		email = strings.ToLower(strings.TrimSpace(*p.Email))
	}
	fe := validateProfile(name, phone, email)
	if p.Status != nil && *p.Status != StatusActive && *p.Status != StatusDisabled {
		fe = append(fe, fieldErr("status", "invalid", "status must be active or disabled", "status 只能是 active 或 disabled"))
	}
	return fe
}

// UpdateUser applies p. Disabling a user also ends all of their sessions.
func (s *Service) UpdateUser(ctx context.Context, tenantID, id uuid.UUID, p UserPatch) (User, error) {
	if fe := p.Validate(); len(fe) > 0 {
		return User{}, apperr.Invalid.WithDetails(fe)
	}
	var (
		u       User
		revoked time.Time
	)
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := tx.First(&u, "id = ?", id).Error; err != nil {
			return err
		}
		if p.Name != nil {
			u.Name = strings.TrimSpace(*p.Name)
		}
		if p.Phone != nil {
			u.Phone = normalizePhone(*p.Phone)
		}
		if p.Email != nil {
			u.Email = strings.ToLower(strings.TrimSpace(*p.Email))
		}
		if p.Status != nil {
			u.Status = *p.Status
		}
		if err := checkUnique(tx, tenantID, u.ID, "", u.Phone, u.Email); err != nil {
			return err
		}
		u.UpdatedAt = s.now()
		err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"name": u.Name, "phone": u.Phone, "email": u.Email, "status": u.Status, "updated_at": u.UpdatedAt,
		}).Error
		if err != nil {
			return err
		}
		if u.Status == StatusDisabled {
			if revoked, err = stampRevocation(tx, &User{}, u.ID, s.now()); err != nil {
				return err
			}
			return revokeSubject(tx, u.ID, s.now())
		}
		return nil
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, apperr.NotFound
	}
	if err == nil && !revoked.IsZero() {
		s.noteRevoked(u.ID, revoked)
	}
	return u, err
}

// ResetPassword sets a new password chosen by an administrator, clears any
// lock and ends every session of the user.
func (s *Service) ResetPassword(ctx context.Context, tenantID, id uuid.UUID, password string) error {
	var (
		u       User
		revoked time.Time
	)
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) (err error) {
		if err := tx.First(&u, "id = ?", id).Error; err != nil {
			return err
		}
		if err := CheckPassword(password, u.Username); err != nil {
			return err
		}
		revoked, err = s.setPassword(tx, &User{}, u.ID, password)
		return err
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.NotFound
	}
	if err == nil {
		s.noteRevoked(u.ID, revoked)
	}
	return err
}

// setPassword stores a new hash for a user or operator (model says which),
// unlocks the account and ends all its sessions. It returns the revocation
// stamp for noteRevoked after commit.
func (s *Service) setPassword(tx *gorm.DB, model any, id uuid.UUID, password string) (time.Time, error) {
	hash, err := HashPassword(password, s.cfg.Argon2)
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	cols := map[string]any{"password_hash": hash, "failed_logins": 0, "locked_until": nil, "updated_at": now}
	if _, isUser := model.(*User); isUser {
		cols["password_changed_at"] = now
	}
	if err := tx.Model(model).Where("id = ?", id).Updates(cols).Error; err != nil {
		return time.Time{}, err
	}
	revoked, err := stampRevocation(tx, model, id, now)
	if err != nil {
		return time.Time{}, err
	}
	return revoked, revokeSubject(tx, id, now)
}

// EnsureOperator creates the first platform operator with a generated
// password when there is none yet. It returns the password only when it
// created the operator; show it once and never store it.
func (s *Service) EnsureOperator(ctx context.Context, username string) (password string, created bool, err error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if !validUsername(username) {
		return "", false, apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("username", "invalid", "operator username: 3 to 64 letters, digits, '.', '_' or '-'", "运维账号用户名:3 到 64 个字母、数字、'.'、'_' 或 '-'")})
	}
	err = s.db.Platform(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Operator{}).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		password = GeneratePassword(20)
		hash, err := HashPassword(password, s.cfg.Argon2)
		if err != nil {
			return err
		}
		created = true
		return tx.Create(&Operator{Username: username, Name: username, Status: StatusActive, PasswordHash: hash}).Error
	})
	if err != nil {
		return "", false, err
	}
	return password, created, nil
}
