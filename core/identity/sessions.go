package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/store"
)

// Errors of signing in and sessions.
var (
	ErrInvalidCredentials = apperr.New(apperr.KindUnauthenticated, "invalid_credentials", "The login or password is wrong.", "账号或密码错误。")
	ErrTenantRequired     = apperr.New(apperr.KindInvalid, "tenant_required", "This login exists in more than one organisation; give the organisation code as \"tenant\".", "该账号存在于多个组织,请在 \"tenant\" 中填写组织代码。")
	ErrAccountLocked      = apperr.New(apperr.KindLocked, "account_locked", "Too many wrong passwords: the account is locked until the time in details.", "密码错误次数过多,账号已锁定至 details 中的时间。")
	ErrAccountDisabled    = apperr.New(apperr.KindForbidden, "account_disabled", "This account is disabled; ask your administrator.", "该账号已停用,请联系管理员。")
	ErrInvalidRefresh     = apperr.New(apperr.KindUnauthenticated, "invalid_refresh_token", "The refresh token is invalid, expired or already used; sign in again.", "刷新令牌无效、已过期或已使用,请重新登录。")
	ErrWrongPassword      = apperr.New(apperr.KindInvalid, "wrong_password", "The current password is wrong.", "当前密码错误。")
)

const refreshPrefix = "wyr_"

// refreshToken is one refresh token. A login starts a family; each refresh
// revokes the presented token and adds its successor to the family. Operators'
// tokens carry the nil tenant and are reached only through store.Platform.
type refreshToken struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	FamilyID    uuid.UUID
	SubjectKind string
	SubjectID   uuid.UUID
	TokenHash   string
	ExpiresAt   time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
}

func (refreshToken) TableName() string { return "refresh_tokens" }

// Session is what a login or a refresh returns.
type Session struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	ExpiresIn        int       `json:"expires_in"` // seconds
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshToken     string    `json:"refresh_token"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
	Kind             string    `json:"kind"` // user or operator
	SubjectID        uuid.UUID `json:"subject_id"`
	TenantID         uuid.UUID `json:"tenant_id,omitzero"`
}

// LoginInput is the body of a login. Login is a username, phone or email.
type LoginInput struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Tenant   string `json:"tenant,omitempty"` // tenant code, needed when the login exists in several tenants
	IP       string `json:"-"`
}

// Validate checks the body's shape.
func (in LoginInput) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if strings.TrimSpace(in.Login) == "" || len(in.Login) > 254 {
		fe = append(fe, fieldErr("login", "required", "login (username, phone or email) is required", "请填写账号(用户名、手机号或邮箱)"))
	}
	if in.Password == "" || len(in.Password) > 1024 {
		fe = append(fe, fieldErr("password", "required", "password is required", "请填写密码"))
	}
	if len(in.Tenant) > 64 {
		fe = append(fe, fieldErr("tenant", "too_long", "tenant code is at most 64 characters", "组织代码最长 64 个字符"))
	}
	return fe
}

// account is what sign-in needs of a user or an operator.
type account struct {
	kind        actor.Kind
	tenantID    uuid.UUID // nil for operators
	id          uuid.UUID
	username    string
	hash        string
	status      string
	failed      int
	lockedUntil *time.Time
	revokedAt   int64 // unix second of sessions_revoked_at; new tokens' iat is at least this
}

func unixOf(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

func userAccount(u User) account {
	return account{actor.User, u.TenantID, u.ID, u.Username, u.PasswordHash, u.Status, u.FailedLogins, u.LockedUntil, unixOf(u.SessionsRevokedAt)}
}

func operatorAccount(o Operator) account {
	return account{actor.Operator, uuid.Nil, o.ID, o.Username, o.PasswordHash, o.Status, o.FailedLogins, o.LockedUntil, unixOf(o.SessionsRevokedAt)}
}

func (a account) model() any {
	if a.kind == actor.Operator {
		return &Operator{}
	}
	return &User{}
}

// scope is where an account lives: a tenant, or the platform (operators).
// It is said explicitly, never read off a nil tenant id: a tenant call with a
// nil tenant fails (store.ErrNoTenant) instead of reaching every tenant.
type scope struct {
	tenant   uuid.UUID
	platform bool
}

var platformScope = scope{platform: true}

func tenantScope(id uuid.UUID) scope { return scope{tenant: id} }

// scope of an account: operators live on the platform, users in their tenant.
func (a account) scope() scope {
	if a.kind == actor.Operator {
		return platformScope
	}
	return tenantScope(a.tenantID)
}

// actorScope is the scope of a signed-in principal's own account.
func actorScope(a actor.Actor) scope {
	if a.Kind == actor.Operator {
		return platformScope
	}
	return tenantScope(a.TenantID)
}

// inScope runs fn in the scope's transaction: the platform's, or the tenant's.
func (s *Service) inScope(ctx context.Context, sc scope, fn func(tx *gorm.DB) error) error {
	if sc.platform {
		return s.db.Platform(ctx, fn)
	}
	return s.db.InTenant(ctx, sc.tenant, fn)
}

// loginColumn says which column a login names: email, phone or username.
func loginColumn(login string) (col, value string) {
	login = strings.TrimSpace(login)
	if strings.Contains(login, "@") {
		return "email", strings.ToLower(login)
	}
	if p := normalizePhone(login); validPhone(p) {
		return "phone", p
	}
	return "username", strings.ToLower(login)
}

// Login signs a tenant user in. The login is looked up across tenants (the
// tenant is not known yet), narrowed by in.Tenant when given.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	if err := s.allowIP(ctx, in.IP, "auth.login"); err != nil {
		return Session{}, err
	}
	col, value := loginColumn(in.Login)
	var found []User
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		q := tx.Select("users.*").
			Joins("JOIN tenants ON tenants.id = users.tenant_id AND tenants.deleted_at IS NULL").
			Where("users."+col+" = ?", value)
		if in.Tenant != "" {
			q = q.Where("tenants.code = ?", strings.TrimSpace(in.Tenant))
		}
		return q.Limit(20).Find(&found).Error
	})
	if err != nil {
		return Session{}, err
	}
	switch {
	case len(found) == 0:
		VerifyPassword(in.Password, s.dummy, s.cfg.Argon2) // same cost as a real check: no timing oracle
		s.record(ctx, platformScope, audit.Entry{Action: "auth.login", ActorName: clip(value), Result: audit.ResultDenied, Detail: "unknown login"})
		return Session{}, ErrInvalidCredentials
	case len(found) > 1:
		s.record(ctx, platformScope, audit.Entry{Action: "auth.login", ActorName: clip(value), Result: audit.ResultFailed, Detail: "tenant_required"})
		return Session{}, ErrTenantRequired
	}
	return s.signIn(ctx, userAccount(found[0]), in.Password)
}

// OperatorLogin signs a platform operator in by username or email.
func (s *Service) OperatorLogin(ctx context.Context, in LoginInput) (Session, error) {
	if err := s.allowIP(ctx, in.IP, "auth.operator_login"); err != nil {
		return Session{}, err
	}
	col, value := loginColumn(in.Login)
	var found []Operator
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		if col == "phone" {
			col = "username"
		}
		return tx.Where(col+" = ?", value).Limit(2).Find(&found).Error
	})
	if err != nil {
		return Session{}, err
	}
	if len(found) != 1 {
		VerifyPassword(in.Password, s.dummy, s.cfg.Argon2)
		s.record(ctx, platformScope, audit.Entry{Action: "auth.operator_login", ActorName: clip(value), Result: audit.ResultDenied, Detail: "unknown login"})
		return Session{}, ErrInvalidCredentials
	}
	return s.signIn(ctx, operatorAccount(found[0]), in.Password)
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

func (s *Service) allowIP(ctx context.Context, ip, action string) error {
	ok, wait, err := s.ips.Allow(ctx, ip)
	if err != nil {
		// The per-account lockout still holds; an unreachable limiter must not shut every door.
		s.cfg.Log.WarnContext(ctx, "login rate limit unavailable; attempt let through", "err", err)
		return nil
	}
	if ok {
		return nil
	}
	s.record(ctx, platformScope, audit.Entry{Action: action, Result: audit.ResultDenied, Detail: "rate_limited", IP: ip})
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return apperr.RateLimited.WithDetails(map[string]any{"retry_after_seconds": secs})
}

func loginAction(a account) string {
	if a.kind == actor.Operator {
		return "auth.operator_login"
	}
	return "auth.login"
}

// signIn checks the password of a found account and starts a session.
func (s *Service) signIn(ctx context.Context, a account, password string) (Session, error) {
	newHash, err := s.checkPassword(ctx, a, password, loginAction(a))
	if err != nil {
		return Session{}, err
	}
	if a.status != StatusActive {
		s.record(ctx, a.scope(), s.entry(a, loginAction(a), audit.ResultDenied, "account disabled"))
		return Session{}, ErrAccountDisabled
	}
	if err := s.checkTenant(ctx, a, loginAction(a)); err != nil {
		return Session{}, err
	}
	sess, err := s.startSession(ctx, a, newHash)
	if err != nil {
		return Session{}, err
	}
	s.record(ctx, a.scope(), s.entry(a, loginAction(a), audit.ResultOK, ""))
	return sess, nil
}

func (s *Service) entry(a account, action, result, detail string) audit.Entry {
	return audit.Entry{TenantID: a.tenantID, ActorKind: string(a.kind), ActorID: a.id, ActorName: a.username,
		Action: action, Object: string(a.kind) + "/" + a.id.String(), Result: result, Detail: detail}
}

// checkTenant asks TenantGate whether a user's tenant is open; operators have none.
func (s *Service) checkTenant(ctx context.Context, a account, action string) error {
	if s.TenantGate == nil || a.kind == actor.Operator {
		return nil
	}
	if err := s.TenantGate(ctx, a.tenantID); err != nil {
		s.record(ctx, a.scope(), s.entry(a, action, audit.ResultDenied, detailOf(err)))
		return err
	}
	return nil
}

// checkPassword verifies password against the account, honouring and
// maintaining the lockout: each failure counts, the MaxFailures-th locks the
// account for LockFor. It returns a new hash when the stored one should be
// upgraded to the current parameters.
func (s *Service) checkPassword(ctx context.Context, a account, password, action string) (newHash string, err error) {
	now := s.now()
	if a.lockedUntil != nil && now.Before(*a.lockedUntil) {
		s.record(ctx, a.scope(), s.entry(a, action, audit.ResultDenied, "account locked"))
		return "", lockedErr(*a.lockedUntil)
	}
	ok, rehash, err := VerifyPassword(password, a.hash, s.cfg.Argon2)
	if err != nil {
		return "", err
	}
	if !ok {
		max, until := s.cfg.MaxFailures, now.Add(s.cfg.LockFor)
		err := s.inScope(ctx, a.scope(), func(tx *gorm.DB) error {
			// One statement, so concurrent failures all count.
			return tx.Model(a.model()).Where("id = ?", a.id).Updates(map[string]any{
				"failed_logins": gorm.Expr("CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END", max),
				"locked_until":  gorm.Expr("CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END", max, until),
			}).Error
		})
		if err != nil {
			return "", err
		}
		if a.failed+1 >= max {
			s.record(ctx, a.scope(), s.entry(a, action, audit.ResultDenied, "wrong password; account locked"))
			return "", lockedErr(until)
		}
		s.record(ctx, a.scope(), s.entry(a, action, audit.ResultDenied, "wrong password"))
		return "", ErrInvalidCredentials
	}
	if rehash {
		if newHash, err = HashPassword(password, s.cfg.Argon2); err != nil {
			return "", err
		}
	}
	return newHash, nil
}

func lockedErr(until time.Time) error {
	return ErrAccountLocked.WithDetails(map[string]any{"locked_until": until.UTC().Format(time.RFC3339)})
}

// startSession clears the failure count, records the login and issues a new
// token family.
func (s *Service) startSession(ctx context.Context, a account, newHash string) (Session, error) {
	var sess Session
	err := s.inScope(ctx, a.scope(), func(tx *gorm.DB) error {
		cols := map[string]any{"failed_logins": 0, "locked_until": nil, "last_login_at": s.now()}
		if newHash != "" {
			cols["password_hash"] = newHash
		}
		if err := tx.Model(a.model()).Where("id = ?", a.id).Updates(cols).Error; err != nil {
			return err
		}
		var err error
		sess, err = s.issue(tx, a, store.NewID())
		return err
	})
	return sess, err
}

// issue creates a refresh token in family and an access token for a.
func (s *Service) issue(tx *gorm.DB, a account, family uuid.UUID) (Session, error) {
	now := s.now()
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return Session{}, err
	}
	refresh := refreshPrefix + hex.EncodeToString(a.tenantID[:]) + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	rt := refreshToken{
		TenantID: a.tenantID, FamilyID: family, SubjectKind: string(a.kind), SubjectID: a.id,
		TokenHash: hashToken(refresh), ExpiresAt: now.Add(s.cfg.RefreshTTL),
	}
	if err := tx.Create(&rt).Error; err != nil {
		return Session{}, err
	}
	exp := now.Add(s.cfg.AccessTTL)
	// iat is at least the account's revocation stamp, which may be up to a
	// second ahead: a token issued after a revocation must not count as before it.
	iat := max(now.Unix(), a.revokedAt)
	c := accessClaims{Sub: a.id.String(), Kind: string(a.kind), Name: a.username, Jti: store.NewID().String(), Iat: iat, Exp: exp.Unix()}
	if !a.scope().platform {
		c.Tid = a.tenantID.String()
	}
	access, err := s.jwt.sign(c)
	if err != nil {
		return Session{}, err
	}
	return Session{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL.Seconds()), ExpiresAt: exp,
		RefreshToken: refresh, RefreshExpiresAt: rt.ExpiresAt, Kind: string(a.kind), SubjectID: a.id, TenantID: a.tenantID,
	}, nil
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// parseRefresh reads the scope out of a refresh token (wyr_<tenant hex>_<secret>):
// the token format writes an operator's (platform) session as the all-zero
// tenant; that encoding is read here and nowhere else.
func parseRefresh(t string) (scope, bool) {
	rest, ok := strings.CutPrefix(t, refreshPrefix)
	if !ok || len(rest) != 32+1+43 || rest[32] != '_' {
		return scope{}, false
	}
	var id uuid.UUID
	if _, err := hex.Decode(id[:], []byte(rest[:32])); err != nil {
		return scope{}, false
	}
	if id == uuid.Nil {
		return platformScope, true
	}
	return tenantScope(id), true
}

// loadAccount reads a user or operator by id inside tx.
func loadAccount(tx *gorm.DB, kind string, id uuid.UUID) (account, error) {
	if kind == string(actor.Operator) {
		var o Operator
		err := tx.First(&o, "id = ?", id).Error
		return operatorAccount(o), err
	}
	var u User
	err := tx.First(&u, "id = ?", id).Error
	return userAccount(u), err
}

// Refresh exchanges a refresh token for a new pair. The presented token is
// revoked; presenting a revoked token again means it was copied, so the whole
// family is revoked and both holders must sign in again.
func (s *Service) Refresh(ctx context.Context, token string) (Session, error) {
	sc, ok := parseRefresh(token)
	if !ok {
		s.record(ctx, platformScope, audit.Entry{Action: "auth.refresh", Result: audit.ResultDenied, Detail: "malformed refresh token"})
		return Session{}, ErrInvalidRefresh
	}
	tenantID := sc.tenant // the rows' tenant_id: nil for operators' sessions
	if err := s.gateRefresh(ctx, sc, token); err != nil {
		return Session{}, err
	}
	var (
		sess Session
		fail string
		a    account
	)
	now := s.now()
	err := s.inScope(ctx, sc, func(tx *gorm.DB) error {
		var rt refreshToken
		err := tx.Where("tenant_id = ? AND token_hash = ?", tenantID, hashToken(token)).First(&rt).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			fail = "unknown refresh token"
			return nil
		}
		if err != nil {
			return err
		}
		a = account{kind: actor.Kind(rt.SubjectKind), tenantID: rt.TenantID, id: rt.SubjectID}
		if rt.RevokedAt != nil {
			fail = "refresh token reused; family revoked"
			return revokeFamily(tx, tenantID, rt.FamilyID, now)
		}
		if !now.Before(rt.ExpiresAt) {
			fail = "refresh token expired"
			return nil
		}
		res := tx.Model(&refreshToken{}).Where("tenant_id = ? AND id = ? AND revoked_at IS NULL", tenantID, rt.ID).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // another request used it a moment ago
			fail = "refresh token reused concurrently; family revoked"
			return revokeFamily(tx, tenantID, rt.FamilyID, now)
		}
		if a, err = loadAccount(tx, rt.SubjectKind, rt.SubjectID); err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				fail = "subject no longer exists"
				return revokeFamily(tx, tenantID, rt.FamilyID, now)
			}
			return err
		}
		if a.status != StatusActive {
			fail = "account disabled"
			return revokeFamily(tx, tenantID, rt.FamilyID, now)
		}
		sess, err = s.issue(tx, a, rt.FamilyID)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if fail != "" {
		e := s.entry(a, "auth.refresh", audit.ResultDenied, fail)
		if a.id == uuid.Nil { // no such token: nobody to name
			e = audit.Entry{Action: "auth.refresh", Result: audit.ResultDenied, Detail: fail}
		}
		s.record(ctx, sc, e)
		return Session{}, ErrInvalidRefresh
	}
	return sess, nil
}

// gateRefresh refuses a live refresh token of a closed tenant without
// consuming it, so the session continues if the tenant is resumed. Unknown,
// used or expired tokens pass on to Refresh, which answers them as always.
// The gate runs outside Refresh's transaction: it may read the database itself.
func (s *Service) gateRefresh(ctx context.Context, sc scope, token string) error {
	if s.TenantGate == nil || sc.platform {
		return nil
	}
	tenantID := sc.tenant
	var rt refreshToken
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND token_hash = ? AND revoked_at IS NULL AND expires_at > ?", tenantID, hashToken(token), s.now()).
			Take(&rt).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	a := account{kind: actor.Kind(rt.SubjectKind), tenantID: tenantID, id: rt.SubjectID}
	return s.checkTenant(ctx, a, "auth.refresh")
}

// Logout revokes the family of a refresh token: that device's session ends.
// It is idempotent; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	sc, ok := parseRefresh(token)
	if !ok {
		return nil
	}
	tenantID := sc.tenant
	return s.inScope(ctx, sc, func(tx *gorm.DB) error {
		var rt refreshToken
		err := tx.Where("tenant_id = ? AND token_hash = ?", tenantID, hashToken(token)).First(&rt).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return revokeFamily(tx, tenantID, rt.FamilyID, s.now())
	})
}

func revokeFamily(tx *gorm.DB, tenantID, family uuid.UUID, now time.Time) error {
	return tx.Model(&refreshToken{}).Where("tenant_id = ? AND family_id = ? AND revoked_at IS NULL", tenantID, family).Update("revoked_at", now).Error
}

// revokeSubject ends every session of a user or operator.
func revokeSubject(tx *gorm.DB, subject uuid.UUID, now time.Time) error {
	return tx.Model(&refreshToken{}).Where("subject_id = ? AND revoked_at IS NULL", subject).Update("revoked_at", now).Error
}

// PasswordChange is the body of a password change.
type PasswordChange struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// Validate checks both are present.
func (p PasswordChange) Validate() []apperr.FieldError {
	var fe []apperr.FieldError
	if p.OldPassword == "" || len(p.OldPassword) > 1024 {
		fe = append(fe, fieldErr("old_password", "required", "old_password is required", "请填写当前密码"))
	}
	if p.NewPassword == "" {
		fe = append(fe, fieldErr("new_password", "required", "new_password is required", "请填写新密码"))
	}
	return fe
}

// ChangePassword lets a signed-in user or operator change their own password.
// Every session of the account ends, access tokens included; the caller gets
// a fresh one.
func (s *Service) ChangePassword(ctx context.Context, who actor.Actor, p PasswordChange) (Session, error) {
	if who.Kind != actor.User && who.Kind != actor.Operator {
		return Session{}, apperr.Forbidden
	}
	var a account
	err := s.inScope(ctx, actorScope(who), func(tx *gorm.DB) (err error) {
		a, err = loadAccount(tx, string(who.Kind), who.ID)
		return err
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Session{}, apperr.Unauthenticated
	}
	if err != nil {
		return Session{}, err
	}
	if _, err := s.checkPassword(ctx, a, p.OldPassword, "auth.password"); err != nil {
		if errors.Is(err, ErrInvalidCredentials) {
			return Session{}, ErrWrongPassword
		}
		return Session{}, err
	}
	if err := CheckPassword(p.NewPassword, a.username); err != nil {
		return Session{}, err
	}
	if p.NewPassword == p.OldPassword {
		return Session{}, ErrWeakPassword.WithDetails(map[string]any{"reason": "same_as_old"})
	}
	var revoked time.Time
	err = s.inScope(ctx, a.scope(), func(tx *gorm.DB) (err error) {
		revoked, err = s.setPassword(tx, a.model(), a.id, p.NewPassword)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	s.noteRevoked(a.id, revoked)
	a.revokedAt = revoked.Unix() // the fresh pair is issued after the revocation
	return s.startSession(ctx, a, "")
}

// Me returns the signed-in user (kind user) or operator (kind operator).
func (s *Service) Me(ctx context.Context, who actor.Actor) (any, error) {
	switch who.Kind {
	case actor.User:
		return s.GetUser(ctx, who.TenantID, who.ID)
	case actor.Operator:
		var o Operator
		err := s.db.Platform(ctx, func(tx *gorm.DB) error { return tx.First(&o, "id = ?", who.ID).Error })
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, apperr.NotFound
		}
		return o, err
	}
	return nil, apperr.Forbidden
}
