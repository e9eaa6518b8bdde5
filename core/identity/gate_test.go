package identity_test

import (
	"context"
	"testing"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/core/tenant"
)

// TestTenantGateAtSignIn: with tenant.Service.CheckActive as the gate, a
// suspended tenant's users can neither sign in nor refresh, a wrong password
// still says only invalid_credentials, and resuming restores both — the
// refresh token refused while suspended still works afterwards.
func TestTenantGateAtSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tenants := tenant.New(db, tenant.Options{})
		f.svc.TenantGate = tenants.CheckActive
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		f.user(t, tid, identity.NewUser{Username: "amy"})
		login := identity.LoginInput{Login: "amy", Password: pw}
		sess, err := f.svc.Login(ctx, login)
		if err != nil {
			t.Fatal(err)
		}

		if _, err := tenants.Suspend(ctx, tid, "unpaid"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Login(ctx, identity.LoginInput{Login: "amy", Password: "wrong-wrong-1"})
		wantCode(t, err, "invalid_credentials")
		_, err = f.svc.Login(ctx, login)
		wantCode(t, err, "tenant_suspended")
		if e, _ := errAs(err); e.Kind != apperr.KindForbidden {
			t.Fatalf("kind %v, want forbidden", e.Kind)
		}
		_, err = f.svc.Refresh(ctx, sess.RefreshToken)
		wantCode(t, err, "tenant_suspended")
		if len(f.rec.find("auth.login", "denied", "tenant_suspended")) != 1 || len(f.rec.find("auth.refresh", "denied", "tenant_suspended")) != 1 {
			t.Fatal("gate refusals not audited")
		}
		// A forged token of the tenant learns nothing about its state.
		forged := sess.RefreshToken[:len(sess.RefreshToken)-4] + "AAAA"
		_, err = f.svc.Refresh(ctx, forged)
		wantCode(t, err, "invalid_refresh_token")
		// Operators have no tenant: the gate never applies to them.
		opPass, _, _ := f.svc.EnsureOperator(ctx, "root")
		if _, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "root", Password: opPass}); err != nil {
			t.Fatalf("operator login with a gate: %v", err)
		}

		if _, err := tenants.Resume(ctx, tid); err != nil {
			t.Fatal(err)
		}
		s2, err := f.svc.Refresh(ctx, sess.RefreshToken)
		if err != nil {
			t.Fatalf("refresh after resume (the refused token was not consumed): %v", err)
		}
		if _, err := f.svc.Login(ctx, login); err != nil {
			t.Fatalf("login after resume: %v", err)
		}

		if _, err := tenants.Delete(ctx, tid); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Refresh(ctx, s2.RefreshToken)
		wantCode(t, err, "tenant_deleted")
		// A closed tenant's logins are not looked up at all.
		_, err = f.svc.Login(ctx, login)
		wantCode(t, err, "invalid_credentials")
	})
}
