package identity_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func TestAPIKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		u := f.user(t, tid, identity.NewUser{Username: "frank"})
		f.roles[u.ID] = []string{"manager", "finance"}
		creator := actor.Actor{Kind: actor.User, ID: u.ID, TenantID: tid}

		_, err := f.svc.CreateAPIKey(ctx, creator, identity.NewAPIKey{Name: "too much", Roles: []string{"manager", "admin"}})
		wantCode(t, err, "roles_not_held")
		_, err = f.svc.CreateAPIKey(ctx, creator, identity.NewAPIKey{Name: "", Roles: nil})
		wantCode(t, err, "invalid_input")
		past := f.clock.Now().Add(-time.Hour)
		_, err = f.svc.CreateAPIKey(ctx, creator, identity.NewAPIKey{Name: "old", Roles: []string{"finance"}, ExpiresAt: &past})
		wantCode(t, err, "expiry_in_past")

		k, err := f.svc.CreateAPIKey(ctx, creator, identity.NewAPIKey{Name: "billing sync", Roles: []string{"finance", "finance"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k.Key, "wyk_"+strings.ReplaceAll(k.ID.String(), "-", "")+"_") || !strings.HasPrefix(k.Key, k.Prefix) {
			t.Fatalf("key %q / prefix %q not in the documented form", k.Key, k.Prefix)
		}
		var stored identity.APIKey
		db.InTenant(ctx, tid, func(tx *gorm.DB) error { return tx.First(&stored, "id = ?", k.ID).Error })
		if stored.KeyHash == "" || strings.Contains(stored.KeyHash, k.Key[20:]) || !slices.Equal(stored.Roles, []string{"finance"}) {
			t.Fatalf("stored key %+v: want a hash only and deduplicated roles", stored)
		}

		a, err := f.svc.Authenticate(ctx, k.Key)
		if err != nil || a.Kind != actor.APIKey || a.TenantID != tid || a.ID != k.ID || !slices.Equal(a.Roles, []string{"finance"}) {
			t.Fatalf("authenticate key: %+v %v", a, err)
		}
		// A key can make a key only within its own roles.
		_, err = f.svc.CreateAPIKey(ctx, a, identity.NewAPIKey{Name: "escalate", Roles: []string{"manager"}})
		wantCode(t, err, "roles_not_held")

		wrong := k.Key[:len(k.Key)-2] + "zz"
		if wrong == k.Key {
			wrong = k.Key[:len(k.Key)-2] + "yy"
		}
		_, err = f.svc.Authenticate(ctx, wrong) // cached id, wrong secret
		wantCode(t, err, "unauthenticated")
		_, err = f.svc.Authenticate(ctx, "wyk_"+strings.Repeat("0", 32)+"_"+strings.Repeat("A", 43))
		wantCode(t, err, "unauthenticated")

		// A second node caches the key; revocation on the first reaches it within the cache TTL.
		other := identity.New(db, identity.Config{JWTSecret: testSecret, Now: f.clock.Now}, f.rec, f.roles)
		if _, err := other.Authenticate(ctx, k.Key); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeAPIKey(ctx, tid, k.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Authenticate(ctx, k.Key)
		wantCode(t, err, "unauthenticated")
		if _, err := other.Authenticate(ctx, k.Key); err != nil {
			t.Fatalf("other node within the cache TTL: %v (documented to still accept)", err)
		}
		f.clock.Add(6 * time.Second)
		_, err = other.Authenticate(ctx, k.Key)
		wantCode(t, err, "unauthenticated")
		if len(f.rec.find("auth.api_key", "denied", "revoked")) < 2 {
			t.Fatal("revoked key use not audited")
		}

		// Expiry.
		soon := f.clock.Now().Add(time.Minute)
		k2, err := f.svc.CreateAPIKey(ctx, creator, identity.NewAPIKey{Name: "short", Roles: []string{"manager"}, ExpiresAt: &soon})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, k2.Key); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(2 * time.Minute)
		_, err = f.svc.Authenticate(ctx, k2.Key)
		wantCode(t, err, "unauthenticated")

		// Another tenant cannot see or revoke the keys.
		t2 := f.tenant(t, "bravo")
		if err := f.svc.RevokeAPIKey(ctx, t2, k2.ID); errCode(err) != "not_found" {
			t.Fatalf("cross-tenant revoke: %v", err)
		}
		keys, total, err := f.svc.ListAPIKeys(ctx, tid, 10, 0)
		if err != nil || total != 2 || len(keys) != 2 || keys[0].ID != k2.ID || keys[1].RevokedAt == nil || keys[1].LastUsedAt == nil {
			t.Fatalf("list: %d %+v %v", total, keys, err)
		}
		if _, total, _ := f.svc.ListAPIKeys(ctx, t2, 10, 0); total != 0 {
			t.Fatalf("other tenant lists %d keys", total)
		}
	})
}

func TestUserManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid, other := f.tenant(t, "acme"), f.tenant(t, "bravo")
		g := f.user(t, tid, identity.NewUser{Username: "grace", Name: "Grace Hopper", Phone: "13800000001", Email: "grace@acme.test"})
		f.user(t, tid, identity.NewUser{Username: "henry", Name: "Henry", Kind: identity.KindResident})
		f.user(t, other, identity.NewUser{Username: "grace", Phone: "13800000001"}) // same names in another tenant are fine

		for _, c := range []struct {
			in    identity.NewUser
			code  string
			field string
		}{
			{identity.NewUser{Username: "GRACE", Password: pw}, "user_exists", "username"},
			{identity.NewUser{Username: "grace2", Phone: "138 0000 0001", Password: pw}, "user_exists", "phone"},
			{identity.NewUser{Username: "grace3", Email: "Grace@acme.test", Password: pw}, "user_exists", "email"},
			{identity.NewUser{Username: "ivan", Password: "weak"}, "weak_password", ""},
			{identity.NewUser{Username: "13912345678", Password: pw}, "invalid_input", ""},
			{identity.NewUser{Username: "ivan", Kind: "robot", Password: pw}, "invalid_input", ""},
			{identity.NewUser{Username: "ivan", Email: "not-an-email", Password: pw}, "invalid_input", ""},
		} {
			_, err := f.svc.CreateUser(ctx, tid, c.in)
			wantCode(t, err, c.code)
			if c.field != "" {
				e, _ := errAs(err)
				if e.Details.(map[string]string)["field"] != c.field {
					t.Errorf("%+v: details %v, want field %s", c.in, e.Details, c.field)
				}
			}
		}

		list := func(fl identity.UserFilter) []string {
			t.Helper()
			if fl.Limit == 0 {
				fl.Limit = 10
			}
			us, total, err := f.svc.ListUsers(ctx, tid, fl)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, u := range us {
				names = append(names, u.Username)
			}
			if int(total) < len(names) {
				t.Fatalf("total %d < %d items", total, len(names))
			}
			return names
		}
		if got := list(identity.UserFilter{OrderBy: "username"}); !slices.Equal(got, []string{"grace", "henry"}) {
			t.Fatalf("list: %v", got)
		}
		if got := list(identity.UserFilter{Q: "HOPP"}); !slices.Equal(got, []string{"grace"}) {
			t.Fatalf("q=HOPP: %v", got)
		}
		if got := list(identity.UserFilter{Q: "%"}); len(got) != 0 {
			t.Fatalf("q=%% is a wildcard: %v", got)
		}
		if got := list(identity.UserFilter{Kind: identity.KindResident}); !slices.Equal(got, []string{"henry"}) {
			t.Fatalf("kind=resident: %v", got)
		}

		if _, err := f.svc.GetUser(ctx, other, g.ID); errCode(err) != "not_found" {
			t.Fatalf("other tenant reads grace: %v", err)
		}
		newName, bad := "Grace B. Hopper", "+1"
		_, err := f.svc.UpdateUser(ctx, tid, g.ID, identity.UserPatch{Phone: &bad})
		wantCode(t, err, "invalid_input")
		up, err := f.svc.UpdateUser(ctx, tid, g.ID, identity.UserPatch{Name: &newName})
		if err != nil || up.Name != newName || up.Phone != "13800000001" {
			t.Fatalf("update: %+v %v", up, err)
		}
		if _, err := f.svc.UpdateUser(ctx, other, g.ID, identity.UserPatch{Name: &newName}); errCode(err) != "not_found" {
			t.Fatalf("cross-tenant update: %v", err)
		}

		// Disabling ends sessions and refuses logins.
		sess, err := f.svc.Login(ctx, identity.LoginInput{Login: "grace", Password: pw, Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		disabled := identity.StatusDisabled
		if _, err := f.svc.UpdateUser(ctx, tid, g.ID, identity.UserPatch{Status: &disabled}); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Refresh(ctx, sess.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		_, err = f.svc.Login(ctx, identity.LoginInput{Login: "grace", Password: pw, Tenant: "acme"})
		wantCode(t, err, "account_disabled")

		// Reset by an admin unlocks and sets the new password.
		active := identity.StatusActive
		f.svc.UpdateUser(ctx, tid, g.ID, identity.UserPatch{Status: &active})
		wantCode(t, f.svc.ResetPassword(ctx, tid, g.ID, "grace-is-great"), "weak_password")
		if err := f.svc.ResetPassword(ctx, other, g.ID, "fresh-start-42"); errCode(err) != "not_found" {
			t.Fatalf("cross-tenant reset: %v", err)
		}
		if err := f.svc.ResetPassword(ctx, tid, g.ID, "fresh-start-42"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Login(ctx, identity.LoginInput{Login: "grace@acme.test", Password: "fresh-start-42", Tenant: "acme"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreateUserTxAndQuota(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// Tenant creation makes its first admin inside a platform transaction.
		tid := store.NewID()
		err := db.Platform(ctx, func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO tenants (id, code, name, plan_code) VALUES (?, 'delta', 'Delta', 'trial')", tid).Error; err != nil {
				return err
			}
			_, err := identity.CreateUserTx(tx, tid, identity.NewUser{Username: "admin", Password: pw})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := f.svc.Login(ctx, identity.LoginInput{Login: "admin", Password: pw})
		if err != nil || sess.TenantID != tid {
			t.Fatalf("first admin login: %+v %v", sess, err)
		}
		f.svc.UserQuota = func(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID) error {
			var n int64
			if err := tx.Model(&identity.User{}).Count(&n).Error; err != nil {
				return err
			}
			if n >= 2 {
				return errQuota
			}
			return nil
		}
		f.user(t, tid, identity.NewUser{Username: "second"})
		_, err = f.svc.CreateUser(ctx, tid, identity.NewUser{Username: "third", Password: pw})
		wantCode(t, err, "quota_exceeded")
	})
}
