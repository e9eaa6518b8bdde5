package identity_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
)

// memRecorder keeps audit entries in memory (the audit table belongs to another package).
type memRecorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

// RecordPlatform keeps a platform entry; like audit.Log it refuses one
// naming a tenant, and Record one without.
func (r *memRecorder) RecordPlatform(ctx context.Context, e audit.Entry) error {
	if e.TenantID != uuid.Nil {
		return audit.ErrPlatformTenant
	}
	return r.keep(e)
}

func (r *memRecorder) Record(_ context.Context, e audit.Entry) error {
	if e.TenantID == uuid.Nil {
		return store.ErrNoTenant
	}
	return r.keep(e)
}

func (r *memRecorder) keep(e audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

// find returns the entries with action whose detail contains detail.
func (r *memRecorder) find(action, result, detail string) []audit.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Entry
	for _, e := range r.entries {
		if e.Action == action && e.Result == result && (detail == "" || contains(e.Detail, detail)) {
			out = append(out, e)
		}
	}
	return out
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// mapRoles is a RoleSource backed by a map of user id to roles.
type mapRoles map[uuid.UUID][]string

func (m mapRoles) RolesOf(_ context.Context, _, userID uuid.UUID) ([]string, error) {
	return m[userID], nil
}

// clock is an adjustable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

type fixture struct {
	db    *store.DB
	svc   *identity.Service
	rec   *memRecorder
	clock *clock
	roles mapRoles
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	f := &fixture{db: db, rec: &memRecorder{}, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, roles: mapRoles{}}
	f.svc = identity.New(db, identity.Config{JWTSecret: testSecret, Now: f.clock.Now}, f.rec, f.roles)
	return f
}

// tenant inserts a tenant row and returns its id.
func (f *fixture) tenant(t testing.TB, code string) uuid.UUID {
	t.Helper()
	id := store.NewID()
	err := f.db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO tenants (id, code, name, plan_code) VALUES (?, ?, ?, 'standard')", id, code, code).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) user(t testing.TB, tenantID uuid.UUID, in identity.NewUser) identity.User {
	t.Helper()
	if in.Password == "" {
		in.Password = "correct-horse-9"
	}
	u, err := f.svc.CreateUser(context.Background(), tenantID, in)
	if err != nil {
		t.Fatalf("create user %s: %v", in.Username, err)
	}
	return u
}

// wantCode fails unless err is an apperr with code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := errCode(err); got != code {
		t.Fatalf("got error %v (code %q), want %s", err, got, code)
	}
}

var errQuota = apperr.New(apperr.KindForbidden, "quota_exceeded", "quota", "quota")

func errAs(err error) (*apperr.Error, bool) { return apperr.As(err) }
