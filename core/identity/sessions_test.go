package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

const pw = "correct-horse-9"

func TestLoginByUsernamePhoneEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		u := f.user(t, tid, identity.NewUser{Username: "Alice", Name: "Alice Li", Phone: "+86 138-0000-0001", Email: "Alice@Example.com"})
		if u.Username != "alice" || u.Phone != "+8613800000001" || u.Email != "alice@example.com" {
			t.Fatalf("user not normalised: %+v", u)
		}
		for _, login := range []string{"alice", " ALICE ", "+86 138 0000 0001", "ALICE@example.com"} {
			sess, err := f.svc.Login(ctx, identity.LoginInput{Login: login, Password: pw, IP: "10.0.0.1"})
			if err != nil {
				t.Fatalf("login %q: %v", login, err)
			}
			if sess.Kind != "user" || sess.TenantID != tid || sess.SubjectID != u.ID || sess.TokenType != "Bearer" || sess.ExpiresIn != 900 {
				t.Fatalf("login %q: session %+v", login, sess)
			}
		}
		if n := len(f.rec.find("auth.login", "ok", "")); n != 4 {
			t.Fatalf("%d successful logins audited, want 4", n)
		}
		_, err := f.svc.Login(ctx, identity.LoginInput{Login: "alice", Password: "wrong-horse-9"})
		wantCode(t, err, "invalid_credentials")
		_, err = f.svc.Login(ctx, identity.LoginInput{Login: "nobody", Password: pw})
		wantCode(t, err, "invalid_credentials")
		if len(f.rec.find("auth.login", "denied", "wrong password")) != 1 || len(f.rec.find("auth.login", "denied", "unknown login")) != 1 {
			t.Fatalf("login failures not audited: %+v", f.rec.entries)
		}
		e := f.rec.find("auth.login", "denied", "wrong password")[0]
		if e.TenantID != tid || e.ActorID != u.ID {
			t.Fatalf("failure entry does not name the tenant and user: %+v", e)
		}
	})
}

func TestLoginAcrossTenants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a, b := f.tenant(t, "acme"), f.tenant(t, "bravo")
		ua := f.user(t, a, identity.NewUser{Username: "bob"})
		ub := f.user(t, b, identity.NewUser{Username: "bob", Password: "another-horse-7"})
		_, err := f.svc.Login(ctx, identity.LoginInput{Login: "bob", Password: pw})
		wantCode(t, err, "tenant_required")
		if e, _ := apperr.As(err); e.Details != nil {
			t.Fatalf("tenant_required leaks details: %v", e.Details)
		}
		sa, err := f.svc.Login(ctx, identity.LoginInput{Login: "bob", Password: pw, Tenant: "acme"})
		if err != nil || sa.TenantID != a || sa.SubjectID != ua.ID {
			t.Fatalf("login into acme: %+v %v", sa, err)
		}
		sb, err := f.svc.Login(ctx, identity.LoginInput{Login: "bob", Password: "another-horse-7", Tenant: "bravo"})
		if err != nil || sb.TenantID != b || sb.SubjectID != ub.ID {
			t.Fatalf("login into bravo: %+v %v", sb, err)
		}
		// Acme's password does not open bravo's account.
		_, err = f.svc.Login(ctx, identity.LoginInput{Login: "bob", Password: pw, Tenant: "bravo"})
		wantCode(t, err, "invalid_credentials")
		_, err = f.svc.Login(ctx, identity.LoginInput{Login: "bob", Password: pw, Tenant: "nosuch"})
		wantCode(t, err, "invalid_credentials")
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		f.user(t, tid, identity.NewUser{Username: "carol"})
		s1, err := f.svc.Login(ctx, identity.LoginInput{Login: "carol", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Minute)
		s2, err := f.svc.Refresh(ctx, s1.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if s2.RefreshToken == s1.RefreshToken || s2.AccessToken == s1.AccessToken {
			t.Fatal("refresh did not rotate both tokens")
		}
		if a, err := f.svc.Authenticate(ctx, s2.AccessToken); err != nil || a.TenantID != tid {
			t.Fatalf("refreshed access token: %+v %v", a, err)
		}
		s3, err := f.svc.Refresh(ctx, s2.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		// A thief replays the first token: the whole family dies, including s3.
		_, err = f.svc.Refresh(ctx, s1.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		_, err = f.svc.Refresh(ctx, s3.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		if len(f.rec.find("auth.refresh", "denied", "reused")) == 0 {
			t.Fatal("refresh token reuse not audited")
		}
		// Another login (another family) is unaffected by that revocation.
		other, err := f.svc.Login(ctx, identity.LoginInput{Login: "carol", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(ctx, other.RefreshToken); err != nil {
			t.Fatalf("unrelated family revoked: %v", err)
		}
		for _, bad := range []string{"", "wyr_", "wyr_" + tid.String(), s1.RefreshToken[:len(s1.RefreshToken)-1] + "x"} {
			_, err = f.svc.Refresh(ctx, bad)
			wantCode(t, err, "invalid_refresh_token")
		}
		// Refresh tokens expire.
		s4, _ := f.svc.Login(ctx, identity.LoginInput{Login: "carol", Password: pw})
		f.clock.Add(31 * 24 * time.Hour)
		_, err = f.svc.Refresh(ctx, s4.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
	})
}

func TestLogoutAndPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		f.user(t, tid, identity.NewUser{Username: "dave"})
		s1, _ := f.svc.Login(ctx, identity.LoginInput{Login: "dave", Password: pw})
		s2, _ := f.svc.Login(ctx, identity.LoginInput{Login: "dave", Password: pw})
		if err := f.svc.Logout(ctx, s1.RefreshToken); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Refresh(ctx, s1.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		if err := f.svc.Logout(ctx, s1.RefreshToken); err != nil {
			t.Fatalf("second logout: %v", err)
		}

		who, err := f.svc.Authenticate(ctx, s2.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ChangePassword(ctx, who, identity.PasswordChange{OldPassword: "not-my-pass-1", NewPassword: "new-horse-battery-2"})
		wantCode(t, err, "wrong_password")
		_, err = f.svc.ChangePassword(ctx, who, identity.PasswordChange{OldPassword: pw, NewPassword: "short"})
		wantCode(t, err, "weak_password")
		s3, err := f.svc.ChangePassword(ctx, who, identity.PasswordChange{OldPassword: pw, NewPassword: "new-horse-battery-2"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Refresh(ctx, s2.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		if _, err := f.svc.Refresh(ctx, s3.RefreshToken); err != nil {
			t.Fatalf("session returned by the change is dead: %v", err)
		}
		_, err = f.svc.Login(ctx, identity.LoginInput{Login: "dave", Password: pw})
		wantCode(t, err, "invalid_credentials")
		if _, err := f.svc.Login(ctx, identity.LoginInput{Login: "dave", Password: "new-horse-battery-2"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		f.user(t, tid, identity.NewUser{Username: "erin"})
		bad := identity.LoginInput{Login: "erin", Password: "guess-guess-1"}
		good := identity.LoginInput{Login: "erin", Password: pw}
		// Four failures, then a success, resets the count.
		for i := 0; i < 4; i++ {
			_, err := f.svc.Login(ctx, bad)
			wantCode(t, err, "invalid_credentials")
		}
		if _, err := f.svc.Login(ctx, good); err != nil {
			t.Fatalf("login after 4 failures: %v", err)
		}
		for i := 0; i < 4; i++ {
			_, err := f.svc.Login(ctx, bad)
			wantCode(t, err, "invalid_credentials")
		}
		_, err := f.svc.Login(ctx, bad)
		wantCode(t, err, "account_locked")
		e, _ := apperr.As(err)
		until := e.Details.(map[string]any)["locked_until"].(string)
		if want := f.clock.Now().Add(15 * time.Minute).Format(time.RFC3339); until != want {
			t.Fatalf("locked until %s, want %s", until, want)
		}
		if e.Kind != apperr.KindLocked {
			t.Fatalf("kind %v, want locked", e.Kind)
		}
		// While locked even the right password is refused.
		f.clock.Add(14 * time.Minute)
		_, err = f.svc.Login(ctx, good)
		wantCode(t, err, "account_locked")
		f.clock.Add(time.Minute + time.Second)
		if _, err := f.svc.Login(ctx, good); err != nil {
			t.Fatalf("login after the lock window: %v", err)
		}
		if len(f.rec.find("auth.login", "denied", "locked")) < 2 {
			t.Fatal("lockout not audited")
		}
	})
}

func TestLoginRateLimitPerIP(t *testing.T) {
	db := storetest.SQLite(t)
	rec, clk := &memRecorder{}, &clock{t: time.Now()}
	svc := identity.New(db, identity.Config{JWTSecret: testSecret, Now: clk.Now, LoginPerMinute: 6, LoginBurst: 3}, rec, nil)
	ctx := context.Background()
	try := func(ip string) error {
		_, err := svc.Login(ctx, identity.LoginInput{Login: "nobody", Password: "x", IP: ip})
		return err
	}
	for i := 0; i < 3; i++ {
		wantCode(t, try("1.2.3.4"), "invalid_credentials")
	}
	err := try("1.2.3.4")
	wantCode(t, err, "rate_limited")
	if e, _ := apperr.As(err); e.Details.(map[string]any)["retry_after_seconds"].(int) < 1 {
		t.Fatalf("no retry time: %v", e.Details)
	}
	wantCode(t, try("5.6.7.8"), "invalid_credentials") // other addresses have their own bucket
	clk.t = clk.t.Add(10 * time.Second)                // 6/min refills one token in 10 s
	wantCode(t, try("1.2.3.4"), "invalid_credentials")
	wantCode(t, try("1.2.3.4"), "rate_limited")
	if len(rec.find("auth.login", "denied", "rate_limited")) != 2 {
		t.Fatal("rate limiting not audited")
	}
}

func TestOperators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		pass, created, err := f.svc.EnsureOperator(ctx, "root")
		if err != nil || !created || identity.CheckPassword(pass, "root") != nil {
			t.Fatalf("ensure operator: %q %v %v", pass, created, err)
		}
		if p2, again, err := f.svc.EnsureOperator(ctx, "root"); err != nil || again || p2 != "" {
			t.Fatalf("second ensure created again: %v %v", again, err)
		}
		sess, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "root", Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.Authenticate(ctx, sess.AccessToken)
		if err != nil || a.Kind != actor.Operator || a.TenantID.String() != "00000000-0000-0000-0000-000000000000" {
			t.Fatalf("operator actor %+v %v", a, err)
		}
		s2, err := f.svc.Refresh(ctx, sess.RefreshToken)
		if err != nil {
			t.Fatalf("operator refresh: %v", err)
		}
		_, err = f.svc.Refresh(ctx, sess.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		_, err = f.svc.Refresh(ctx, s2.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		me, err := f.svc.Me(ctx, a)
		if err != nil || me.(identity.Operator).Username != "root" {
			t.Fatalf("me: %+v %v", me, err)
		}
		// A tenant user's credentials do not open the operator door.
		tid := f.tenant(t, "acme")
		f.user(t, tid, identity.NewUser{Username: "root2"})
		_, err = f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "root2", Password: pw})
		wantCode(t, err, "invalid_credentials")
		_, err = f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "root", Password: pw})
		wantCode(t, err, "invalid_credentials")
		if len(f.rec.find("auth.operator_login", "denied", "")) != 2 {
			t.Fatal("operator login failures not audited")
		}
	})
}
