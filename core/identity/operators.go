package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
)

// Errors of operator management.
var (
	ErrOperatorExists = apperr.New(apperr.KindConflict, "operator_exists", "Another operator already has this username or email; details.field says which.", "已有其他运维账号使用此用户名或邮箱,details.field 指明是哪一项。")
	ErrLastOperator   = apperr.New(apperr.KindConflict, "last_operator", "This is the last active operator: enable or add another operator before disabling it.", "这是最后一个启用的运维账号:请先启用或添加其他运维账号再停用它。")
	ErrDisableSelf    = apperr.New(apperr.KindConflict, "cannot_disable_self", "You cannot disable your own operator account; ask another operator.", "不能停用自己的运维账号,请让其他运维人员操作。")
)

// operatorsLock is the Postgres advisory lock key that serialises changes to
// operators' status, so two operators disabling each other at once cannot
// leave none active. SQLite transactions already run one writer at a time.
const operatorsLock = 0x77796f70 // "wyop"

// NewOperator is the input for adding a platform operator.
type NewOperator struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Password string `json:"password"`
}

func (in *NewOperator) normalize() {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
}

// Validate checks the fields (the password policy is checked separately so
// that it can answer weak_password).
func (in NewOperator) Validate() []apperr.FieldError {
	in.normalize()
	var fe []apperr.FieldError
	if !validUsername(in.Username) {
		fe = append(fe, fieldErr("username", "invalid", "username: 3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", "用户名:3 到 64 个字母、数字、'.'、'_' 或 '-',以字母或数字开头"))
	}
	if in.Name == "" {
		fe = append(fe, fieldErr("name", "required", "name is required", "请填写姓名"))
	}
	fe = append(fe, validateProfile(in.Name, "", in.Email)...)
	if in.Password == "" {
		fe = append(fe, fieldErr("password", "required", "password is required", "密码必填"))
	}
	return fe
}

// CreateOperator adds a platform operator with the password an existing
// operator chose for them (policy checked: 400 weak_password).
func (s *Service) CreateOperator(ctx context.Context, in NewOperator) (Operator, error) {
	in.normalize()
	if fe := in.Validate(); len(fe) > 0 {
		return Operator{}, apperr.Invalid.WithDetails(fe)
	}
	if err := CheckPassword(in.Password, in.Username); err != nil {
		return Operator{}, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Argon2) // ~20 ms: outside the transaction
	if err != nil {
		return Operator{}, err
	}
	o := Operator{Username: in.Username, Name: in.Name, Email: in.Email, Status: StatusActive, PasswordHash: hash}
	err = s.db.Platform(ctx, func(tx *gorm.DB) error {
		for _, f := range [][2]string{{"username", in.Username}, {"email", in.Email}} {
			if f[1] == "" {
				continue
			}
			var n int64
			if err := tx.Model(&Operator{}).Where(f[0]+" = ?", f[1]).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 { // checked first: a failed insert would poison a Postgres transaction
				return ErrOperatorExists.WithDetails(map[string]string{"field": f[0]})
			}
		}
		if err := tx.Create(&o).Error; err != nil {
			if store.IsUniqueViolation(err) { // a concurrent create took the username
				return ErrOperatorExists.WithDetails(map[string]string{"field": "username"})
			}
			return err
		}
		return nil
	})
	return o, err
}

// OperatorFilter selects and orders operators for a list.
type OperatorFilter struct {
	Status  string
	OrderBy string // a column, optionally " DESC"; the caller checks it against an allow-list
	Limit   int
	Offset  int
}

// ListOperators returns a page of operators and the total matching.
func (s *Service) ListOperators(ctx context.Context, f OperatorFilter) ([]Operator, int64, error) {
	var (
		out   []Operator
		total int64
	)
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Operator{})
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		order := f.OrderBy
		if order == "" {
			order = "username"
		}
		return q.Order(order).Order("id").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	})
	return out, total, err
}

// OperatorPatch changes an operator's name or status; nil fields stay as they are.
type OperatorPatch struct {
	Name   *string `json:"name,omitempty"`
	Status *string `json:"status,omitempty"` // active or disabled
}

// Validate checks the fields that are present.
func (p OperatorPatch) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if p.Name != nil {
		if n := strings.TrimSpace(*p.Name); n == "" {
			fe = append(fe, fieldErr("name", "required", "name cannot be empty", "姓名不能为空"))
		} else {
			fe = append(fe, validateProfile(n, "", "")...)
		}
	}
	if p.Status != nil && *p.Status != StatusActive && *p.Status != StatusDisabled {
		fe = append(fe, fieldErr("status", "invalid", "status must be active or disabled", "status 只能是 active 或 disabled"))
	}
	return fe
}

// UpdateOperator applies p on behalf of operator by. Disabling ends every
// session of the operator; nobody may disable themselves or the last active
// operator, so the platform always keeps someone who can sign in.
func (s *Service) UpdateOperator(ctx context.Context, by actor.Actor, id uuid.UUID, p OperatorPatch) (Operator, error) {
	if fe := p.Validate(); len(fe) > 0 {
		return Operator{}, apperr.Invalid.WithDetails(fe)
	}
	var (
		o       Operator
		revoked time.Time
	)
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		if s.db.Dialect() == store.Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", operatorsLock).Error; err != nil {
				return err
			}
		}
		if err := tx.First(&o, "id = ?", id).Error; err != nil {
			return err
		}
		disabling := p.Status != nil && *p.Status == StatusDisabled && o.Status != StatusDisabled
		if disabling {
			if o.ID == by.ID {
				return ErrDisableSelf
			}
			var others int64
			if err := tx.Model(&Operator{}).Where("status = ? AND id <> ?", StatusActive, o.ID).Count(&others).Error; err != nil {
				return err
			}
			if others == 0 {
				return ErrLastOperator
			}
		}
		if p.Name != nil {
			o.Name = strings.TrimSpace(*p.Name)
		}
		if p.Status != nil {
			o.Status = *p.Status
		}
		o.UpdatedAt = s.now()
		err := tx.Model(&Operator{}).Where("id = ?", o.ID).Updates(map[string]any{
			"name": o.Name, "status": o.Status, "updated_at": o.UpdatedAt,
		}).Error
		if err != nil || !disabling {
			return err
		}
		if revoked, err = stampRevocation(tx, &Operator{}, o.ID, o.UpdatedAt); err != nil {
			return err
		}
		return revokeSubject(tx, o.ID, o.UpdatedAt)
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Operator{}, apperr.NotFound
	}
	if err == nil && !revoked.IsZero() {
		s.noteRevoked(o.ID, revoked)
	}
	if err == nil {
		s.revoked.setOperator(o.ID, o.Status == StatusActive)
	}
	return o, err
}
