package tenant

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
)

// CreateInput is what the operator gives to create a tenant.
type CreateInput struct {
	Code  string    `json:"code"`
	Name  string    `json:"name"`
	Plan  string    `json:"plan"`
	Admin AdminSpec `json:"admin"`
	// TimeZone is an IANA zone name; DefaultTimeZone when empty.
	TimeZone string `json:"time_zone,omitempty"`
}

// Created is the result of Create. Passwords holds passwords that were
// generated because none was given; they are not stored and shown only here.
type Created struct {
	Tenant    Tenant              `json:"tenant"`
	Passwords []GeneratedPassword `json:"generated_passwords,omitempty"`
}

var (
	codeRe     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{1,38})[a-z0-9]$`)
	usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)
	// Codes that would read as platform paths or roles in URLs and logs.
	reservedCodes = map[string]bool{"api": true, "www": true, "admin": true, "operator": true, "platform": true, "static": true, "system": true}
)

// CodeRules is the code rule in words, for messages and docs.
const CodeRules = "3-40 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit"

func checkCode(field, code string) []apperr.FieldError {
	switch {
	case !codeRe.MatchString(code):
		return []apperr.FieldError{{Field: field, Code: "invalid_code", EN: "code must be " + CodeRules,
			ZH: "编码须为 3-40 个字符,只能包含小写字母、数字和连字符,且以字母或数字开头和结尾"}}
	case reservedCodes[code]:
		return []apperr.FieldError{{Field: field, Code: "reserved_code", EN: fmt.Sprintf("code %q is reserved; choose another", code),
			ZH: fmt.Sprintf("编码 %q 为系统保留,请换一个", code)}}
	}
	return nil
}

func checkName(field, name string) []apperr.FieldError {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n == 0 || n > 200 {
		return []apperr.FieldError{{Field: field, Code: "invalid_name", EN: "name is required, at most 200 characters", ZH: "名称必填,最多 200 个字符"}}
	}
	return nil
}

// checkUser checks what this package relies on; the identity hook enforces
// its own rules (password policy, phone format) and may refuse with apperr.
func checkUser(field string, u AdminSpec) []apperr.FieldError {
	var fe []apperr.FieldError
	if !usernameRe.MatchString(u.Username) {
		fe = append(fe, apperr.FieldError{Field: field + ".username", Code: "invalid_username",
			EN: "username must be 2-64 characters: letters, digits and . _ @ -", ZH: "用户名须为 2-64 个字符,只能包含字母、数字和 . _ @ -"})
	}
	if len(u.Password) > 256 {
		fe = append(fe, apperr.FieldError{Field: field + ".password", Code: "too_long", EN: "password is at most 256 bytes", ZH: "密码最长 256 字节"})
	}
	if utf8.RuneCountInString(u.Name) > 100 {
		fe = append(fe, apperr.FieldError{Field: field + ".name", Code: "too_long", EN: "name is at most 100 characters", ZH: "姓名最多 100 个字符"})
	}
	return fe
}

// Validate checks the input's shape (plan existence is checked on create).
func (in CreateInput) Validate() []apperr.FieldError {
	fe := checkCode("code", in.Code)
	fe = append(fe, checkName("name", in.Name)...)
	if in.Plan == "" {
		fe = append(fe, apperr.FieldError{Field: "plan", Code: "required", EN: "plan is required", ZH: "套餐必填"})
	}
	fe = append(fe, checkUser("admin", in.Admin)...)
	fe = append(fe, checkTimeZone("time_zone", in.TimeZone)...)
	return fe
}

// Create creates a tenant and provisions its first administrator (see
// provisioning): if any provisioning hook fails no tenant is left behind.
func (s *Service) Create(ctx context.Context, in CreateInput) (Created, error) {
	in.Name = strings.TrimSpace(in.Name)
	if fe := in.Validate(); len(fe) > 0 {
		return Created{}, apperr.Invalid.WithDetails(fe)
	}
	in.Admin.Role = "admin"
	t := Tenant{ID: store.NewID(), Code: in.Code, Name: in.Name, Status: StatusProvisioning, PlanCode: in.Plan, Settings: Settings{TimeZone: in.TimeZone}}
	var out Created
	err := s.provisioning(ctx, t.ID, func(ctx context.Context) error {
		err := s.db.Platform(ctx, func(tx *gorm.DB) error {
			if _, err := findPlan(tx, in.Plan); err != nil {
				return err
			}
			return insertTenant(tx, &t)
		})
		if err != nil {
			return err
		}
		var pw []GeneratedPassword
		err = s.db.InTenant(ctx, t.ID, func(tx *gorm.DB) (err error) {
			pw, err = s.provision(store.Ctx(tx), tx, &t, []AdminSpec{in.Admin})
			return err
		})
		if err != nil {
			return err
		}
		t.Status = StatusActive
		if err := s.db.Platform(ctx, func(tx *gorm.DB) error { return tx.Save(&t).Error }); err != nil {
			return err
		}
		out = Created{Tenant: t, Passwords: pw}
		return nil
	})
	if err != nil {
		return Created{}, err
	}
	s.record(ctx, "tenant.create", out.Tenant, "plan "+in.Plan)
	if s.opt.Committed != nil {
		s.opt.Committed(ctx, out.Tenant.ID)
	}
	return out, nil
}

// provisioning runs fn, which makes tenant id in three steps: a platform
// transaction inserts its row as StatusProvisioning, a transaction in the
// tenant's own scope (store.InTenant) runs the hooks and seeders, a platform
// transaction records the outcome and the final status.
//
// On SQLite the three are savepoints of one writer transaction (the request
// transaction of store.InRequest, which Platform and InTenant join, each with
// its own scope): a failure anywhere leaves nothing, and no second writer
// waits on the first. On Postgres the platform and tenant pools are separate
// connections under separate roles, so the row commits first (the tenant
// transaction's foreign keys and quota check need to see it) and a failure
// afterwards deletes it again; the status keeps a tenant whose provisioning
// was cut short (a crash, a failed delete) from signing anyone in, and Apply
// finishes it.
func (s *Service) provisioning(ctx context.Context, id uuid.UUID, fn func(ctx context.Context) error) error {
	var err error
	if s.db.Dialect() == store.SQLite {
		err = s.db.InRequest(ctx, id, fn)
	} else {
		err = fn(ctx)
	}
	if err == nil {
		return nil
	}
	// Only a row still provisioning: an existing tenant that failed to update keeps its row.
	del := s.db.Platform(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
		return tx.Where("id = ? AND status = ?", id, StatusProvisioning).Delete(&Tenant{}).Error
	})
	if del != nil {
		s.opt.Log.Error("tenant: failed provisioning not cleaned up; the tenant stays provisioning until applied again or deleted",
			"tenant", id, "err", del)
	}
	return err
}

// insertTenant inserts t, answering tenant_code_taken when a live tenant has its code.
func insertTenant(tx *gorm.DB, t *Tenant) error {
	var n int64
	if err := tx.Model(&Tenant{}).Where("code = ? AND deleted_at IS NULL", t.Code).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrCodeTaken.WithDetails(map[string]string{"code": t.Code})
	}
	if err := tx.Create(t).Error; err != nil {
		if store.IsUniqueViolation(err) { // a concurrent create won the race
			return ErrCodeTaken.WithDetails(map[string]string{"code": t.Code})
		}
		return err
	}
	return nil
}

// provision creates each user not yet provisioned in t, generating a password
// where none is given, and records them in t.Settings (the caller saves t).
// Without hooks nothing can create users, so nothing is recorded either: a
// later apply with hooks wired still creates them. tx is the tenant's
// provisioning transaction and ctx carries it (store.Ctx), for the hooks.
func (s *Service) provision(ctx context.Context, tx *gorm.DB, t *Tenant, users []AdminSpec) ([]GeneratedPassword, error) {
	if len(s.opt.Hooks) == 0 {
		return nil, nil
	}
	var gen []GeneratedPassword
	for _, u := range users {
		if t.Settings.provisioned(u.Username) {
			continue
		}
		if u.Password == "" {
			u.Password = NewPassword()
			gen = append(gen, GeneratedPassword{Username: u.Username, Password: u.Password})
		}
		if _, ok := s.counter(ResourceUsers); ok {
			if err := s.CheckQuota(ctx, tx, t.ID, ResourceUsers, 1); err != nil {
				return nil, err
			}
		}
		for _, h := range s.opt.Hooks {
			if err := h(ctx, *t, u); err != nil {
				return nil, err
			}
		}
		t.Settings.Users = append(t.Settings.Users, u.Username)
	}
	return gen, nil
}

// NewPassword returns a strong random password (26 base32 characters, 130
// bits). The password policy wants letters mixed with digits, which about one
// draw in 200 lacks, so such a draw is taken again.
func NewPassword() string {
	for {
		p := rand.Text()
		if strings.ContainsAny(p, "234567") && strings.ContainsFunc(p, unicode.IsLetter) {
			return p
		}
	}
}

// Get finds a tenant by id (deleted ones included, for the operator's
// history) or by code (live tenants only, since deleted codes are reusable).
func (s *Service) Get(ctx context.Context, ref string) (Tenant, error) {
	var t Tenant
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		var err error
		t, err = getTenant(tx, ref, false)
		return err
	})
	return t, err
}

func getTenant(tx *gorm.DB, ref string, forUpdate bool) (Tenant, error) {
	var t Tenant
	q := tx
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"}) // ignored by SQLite, whose write transactions are exclusive
	}
	if id, err := uuid.Parse(ref); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("code = ? AND deleted_at IS NULL", ref)
	}
	err := q.Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, apperr.NotFound
	}
	return t, err
}

// ListFilter selects tenants. Deleted tenants are listed only when Status is "deleted".
type ListFilter struct {
	Status  string
	Plan    string
	Q       string // substring of code or name, case-insensitive
	OrderBy string // trusted column and optional " DESC" (httpapi's pageQuery allow-list); created_at when empty
	Offset  int
	Limit   int
}

// List returns one page of tenants and the total that match.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Tenant, int64, error) {
	switch f.Status {
	case "", StatusActive, StatusSuspended, StatusDeleted:
	default:
		return nil, 0, apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "status", Code: "invalid_status",
			EN: "status must be active, suspended or deleted", ZH: "status 只能是 active、suspended 或 deleted"}})
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.OrderBy == "" {
		f.OrderBy = "created_at"
	}
	var (
		items []Tenant
		total int64
	)
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Tenant{})
		if f.Status == StatusDeleted {
			q = q.Where("deleted_at IS NOT NULL")
		} else {
			q = q.Where("deleted_at IS NULL")
			if f.Status != "" {
				q = q.Where("status = ?", f.Status)
			}
		}
		if f.Plan != "" {
			q = q.Where("plan_code = ?", f.Plan)
		}
		if f.Q != "" {
			like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Q)) + "%"
			q = q.Where(`(LOWER(code) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\')`, like, like)
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		return q.Order(f.OrderBy + ", id").Offset(f.Offset).Limit(f.Limit).Find(&items).Error
	})
	return items, total, err
}

// Overview is a tenant with its plan and current usage.
type Overview struct {
	Tenant Tenant           `json:"tenant"`
	Plan   Plan             `json:"plan"`
	Usage  map[string]int64 `json:"usage"`
}

// Overview returns the tenant, its plan and the usage of every counted resource.
func (s *Service) Overview(ctx context.Context, tenantID uuid.UUID) (Overview, error) {
	var o Overview
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		var err error
		if o.Tenant, err = getTenant(tx, tenantID.String(), false); err != nil {
			return err
		}
		if o.Plan, err = findPlan(tx, o.Tenant.PlanCode); err != nil {
			return err
		}
		o.Usage, err = s.usage(tx, tenantID)
		return err
	})
	return o, err
}

// Suspend stops every request of the tenant's users (403 tenant_suspended)
// until Resume. Suspending a suspended tenant changes nothing unless a new
// reason is given, so a repeated click does not erase why it was suspended.
func (s *Service) Suspend(ctx context.Context, id uuid.UUID, reason string) (Tenant, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return Tenant{}, apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "reason", Code: "too_long", EN: "reason is at most 500 characters", ZH: "原因最多 500 个字符"}})
	}
	return s.change(ctx, id, "tenant.suspend", reason, func(tx *gorm.DB, t *Tenant) (bool, error) {
		if t.Status == StatusSuspended && reason == "" {
			return false, nil
		}
		return setStatus(t, StatusSuspended, reason), nil
	})
}

// Resume makes a suspended tenant active again.
func (s *Service) Resume(ctx context.Context, id uuid.UUID) (Tenant, error) {
	return s.change(ctx, id, "tenant.resume", "", func(tx *gorm.DB, t *Tenant) (bool, error) {
		return setStatus(t, StatusActive, ""), nil
	})
}

func setStatus(t *Tenant, status, reason string) bool {
	if t.Status == status && t.SuspendedReason == reason {
		return false
	}
	if status == StatusSuspended && t.Status != StatusSuspended {
		now := time.Now().UTC()
		t.SuspendedAt = &now
	}
	if status == StatusActive {
		t.SuspendedAt = nil
	}
	t.Status, t.SuspendedReason = status, reason
	return true
}

// SetPlan moves the tenant to another plan.
//
// A downgrade below current usage is refused (409 plan_below_usage, listing
// each resource over the new limit) rather than allowed: CheckQuota assumes
// usage never exceeds the plan, and a tenant silently left over its limits
// would find every further create failing with no way to fix it themselves.
// The operator reduces usage (or the tenant does) first, then downgrades.
func (s *Service) SetPlan(ctx context.Context, id uuid.UUID, plan string) (Tenant, error) {
	return s.change(ctx, id, "tenant.set_plan", "plan "+plan, func(tx *gorm.DB, t *Tenant) (bool, error) {
		return s.setPlan(tx, t, plan)
	})
}

func (s *Service) setPlan(tx *gorm.DB, t *Tenant, plan string) (bool, error) {
	if t.PlanCode == plan {
		return false, nil
	}
	p, err := findPlan(tx, plan)
	if err != nil {
		return false, err
	}
	over, err := s.overages(tx, t.ID, p)
	if err != nil {
		return false, err
	}
	if len(over) > 0 {
		return false, ErrPlanBelowUsage.WithDetails(over)
	}
	t.PlanCode = plan
	return true, nil
}

// Delete closes the tenant: its data is kept, its users are refused
// (403 tenant_deleted), and its code may be used by a new tenant.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) (Tenant, error) {
	return s.change(ctx, id, "tenant.delete", "", func(tx *gorm.DB, t *Tenant) (bool, error) {
		now := time.Now().UTC()
		t.DeletedAt, t.Status = &now, StatusDeleted
		return true, nil
	})
}

// change loads a live tenant for update, applies fn and saves when fn
// reports a change; after commit it drops the gate cache and audits.
func (s *Service) change(ctx context.Context, id uuid.UUID, action, detail string, fn func(tx *gorm.DB, t *Tenant) (bool, error)) (Tenant, error) {
	var (
		t       Tenant
		changed bool
	)
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		var err error
		if t, err = getTenant(tx, id.String(), true); err != nil {
			return err
		}
		if t.DeletedAt != nil {
			return apperr.NotFound
		}
		if changed, err = fn(tx, &t); err != nil || !changed {
			return err
		}
		return tx.Save(&t).Error
	})
	if err != nil {
		return Tenant{}, err
	}
	if changed {
		s.forget(id)
		s.record(ctx, action, t, detail)
	}
	return t, nil
}

// record writes an audit entry for a committed change. The change stands even
// if the audit write fails, so that failure is logged, not returned.
func (s *Service) record(ctx context.Context, action string, t Tenant, detail string) {
	if s.opt.Audit == nil {
		return
	}
	// Operator actions are platform events (TenantID nil); Object names the tenant.
	e := audit.Entry{Action: action, Object: "tenant/" + t.ID.String(), Result: audit.ResultOK, Detail: detail, ActorKind: string(actor.System)}
	if a, ok := actor.From(ctx); ok && a.Kind != "" {
		e.ActorKind, e.ActorID, e.ActorName, e.IP, e.RequestID = string(a.Kind), a.ID, a.Name, a.IP, a.RequestID
	}
	if err := s.opt.Audit.RecordPlatform(ctx, e); err != nil {
		s.opt.Log.ErrorContext(ctx, "audit record failed", "action", action, "tenant", t.ID, "err", err)
	}
}
