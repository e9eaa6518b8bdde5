package identity_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// node is a second API process over the same database and clock.
func (f *fixture) node(t *testing.T) *identity.Service {
	t.Helper()
	svc := identity.New(f.db, identity.Config{JWTSecret: testSecret, Now: f.clock.Now}, f.rec, f.roles)
	if err := svc.PollRevocations(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

// wantAuth checks what svc answers for tok: "" for accepted, else the error code.
func wantAuth(t *testing.T, svc *identity.Service, tok, code string) {
	t.Helper()
	_, err := svc.Authenticate(context.Background(), tok)
	if code == "" {
		if err != nil {
			t.Fatalf("token refused: %v", err)
		}
		return
	}
	wantCode(t, err, code)
}

func poll(t *testing.T, svc *identity.Service) {
	t.Helper()
	if err := svc.PollRevocations(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRevokeDisabledUser: disabling a user refuses their access token at once
// on the node that did it, and on another node after its poll; a node started
// later loads it; another user is unaffected.
func TestRevokeDisabledUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		alice := f.user(t, tid, identity.NewUser{Username: "alice"})
		f.user(t, tid, identity.NewUser{Username: "bob"})
		other := f.node(t)
		sa, err := f.svc.Login(ctx, identity.LoginInput{Login: "alice", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		sb, err := f.svc.Login(ctx, identity.LoginInput{Login: "bob", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		wantAuth(t, other, sa.AccessToken, "")

		if _, err := f.svc.UpdateUser(ctx, tid, alice.ID, identity.UserPatch{Status: ptr(identity.StatusDisabled)}); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, f.svc, sa.AccessToken, "token_revoked")
		wantAuth(t, other, sa.AccessToken, "") // the other node has not polled yet
		poll(t, other)
		wantAuth(t, other, sa.AccessToken, "token_revoked")
		wantAuth(t, f.node(t), sa.AccessToken, "token_revoked") // a restart loads it
		for _, svc := range []*identity.Service{f.svc, other} {
			wantAuth(t, svc, sb.AccessToken, "")
		}
		if len(f.rec.find("auth.token", audit.ResultDenied, "token_revoked")) == 0 {
			t.Fatal("refusal not audited")
		}
		// The answer tells the client to sign in again, in both languages.
		_, err = f.svc.Authenticate(ctx, sa.AccessToken)
		if e, _ := errAs(err); e.Kind != apperr.KindUnauthenticated || e.EN == "" || e.ZH == "" {
			t.Fatalf("error: %+v", e)
		}

		// Re-enabled and signed in again, alice's new token works everywhere.
		if _, err := f.svc.UpdateUser(ctx, tid, alice.ID, identity.UserPatch{Status: ptr(identity.StatusActive)}); err != nil {
			t.Fatal(err)
		}
		sa2, err := f.svc.Login(ctx, identity.LoginInput{Login: "alice", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		poll(t, other)
		wantAuth(t, f.svc, sa2.AccessToken, "")
		wantAuth(t, other, sa2.AccessToken, "")
	})
}

// TestRevokePasswordChange: the pair a change returns keeps working, the
// token from before it does not, on either node.
func TestRevokePasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		f.user(t, tid, identity.NewUser{Username: "carol"})
		other := f.node(t)
		old, err := f.svc.Login(ctx, identity.LoginInput{Login: "carol", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		who, _ := f.svc.Authenticate(ctx, old.AccessToken)
		fresh, err := f.svc.ChangePassword(ctx, who, identity.PasswordChange{OldPassword: pw, NewPassword: "new-horse-battery-2"})
		if err != nil {
			t.Fatal(err)
		}
		poll(t, other)
		for _, svc := range []*identity.Service{f.svc, other} {
			wantAuth(t, svc, old.AccessToken, "token_revoked")
			wantAuth(t, svc, fresh.AccessToken, "")
		}
		next, err := f.svc.Refresh(ctx, fresh.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		wantAuth(t, other, next.AccessToken, "")
	})
}

// TestRevokeSecondBoundary: iat is whole seconds. Within one second a token
// issued before a revocation is refused and one issued after it is not, even
// when a second revocation follows in the same second.
func TestRevokeSecondBoundary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tid := f.tenant(t, "acme")
		u := f.user(t, tid, identity.NewUser{Username: "dora"})
		login := func(pass string) identity.Session {
			t.Helper()
			s, err := f.svc.Login(ctx, identity.LoginInput{Login: "dora", Password: pass})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		f.clock.Add(400 * time.Millisecond) // T.4
		before := login(pw)
		f.clock.Add(100 * time.Millisecond) // T.5: change
		who, _ := f.svc.Authenticate(ctx, before.AccessToken)
		changed, err := f.svc.ChangePassword(ctx, who, identity.PasswordChange{OldPassword: pw, NewPassword: "new-horse-battery-2"})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(200 * time.Millisecond) // T.7: a sign-in after the change, same second
		after := login("new-horse-battery-2")
		wantAuth(t, f.svc, before.AccessToken, "token_revoked")
		wantAuth(t, f.svc, changed.AccessToken, "")
		wantAuth(t, f.svc, after.AccessToken, "")

		f.clock.Add(100 * time.Millisecond) // T.8: an administrator's reset in the same second
		if err := f.svc.ResetPassword(ctx, tid, u.ID, "third-horse-battery-3"); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, f.svc, changed.AccessToken, "token_revoked")
		wantAuth(t, f.svc, after.AccessToken, "token_revoked")
		f.clock.Add(100 * time.Millisecond) // T.9
		last := login("third-horse-battery-3")
		wantAuth(t, f.svc, last.AccessToken, "")
		wantAuth(t, f.node(t), last.AccessToken, "")
		wantAuth(t, f.node(t), after.AccessToken, "token_revoked")

		// Past its lifetime a revoked token answers as expired (refresh will not help either).
		f.clock.Add(16 * time.Minute)
		wantAuth(t, f.svc, before.AccessToken, "token_expired")
	})
}

// TestRevokeDisabledOperator: disabling an operator refuses their token on
// both nodes; the operator who did it keeps working.
func TestRevokeDisabledOperator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rootPass, _, err := f.svc.EnsureOperator(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		wang, err := f.svc.CreateOperator(ctx, identity.NewOperator{Username: "wang", Name: "Wang", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		other := f.node(t)
		rs, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "root", Password: rootPass})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "wang", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		root := actor.Actor{Kind: actor.Operator, ID: rs.SubjectID}
		if _, err := other.UpdateOperator(ctx, root, wang.ID, identity.OperatorPatch{Status: ptr(identity.StatusDisabled)}); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, other, ws.AccessToken, "token_revoked")
		poll(t, f.svc)
		wantAuth(t, f.svc, ws.AccessToken, "token_revoked")
		for _, svc := range []*identity.Service{f.svc, other} {
			wantAuth(t, svc, rs.AccessToken, "")
		}
	})
}

// TestOperatorTokenNeedsActiveOperator: an operator's access token is refused
// once the operator is disabled or deleted by any means (here straight in the
// database, so no revocation stamp), on every node after its poll.
func TestOperatorTokenNeedsActiveOperator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		var sess []identity.Session
		for _, name := range []string{"wang", "lilei", "zhao"} {
			if _, err := f.svc.CreateOperator(ctx, identity.NewOperator{Username: name, Name: name, Password: pw}); err != nil {
				t.Fatal(err)
			}
			s, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: name, Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			sess = append(sess, s)
		}
		wang, li, zhao := sess[0], sess[1], sess[2]
		other := f.node(t)
		for _, svc := range []*identity.Service{f.svc, other} {
			for _, s := range sess {
				wantAuth(t, svc, s.AccessToken, "")
			}
		}
		err := db.Platform(ctx, func(tx *gorm.DB) error {
			if err := tx.Exec("UPDATE operators SET status = 'disabled' WHERE id = ?", wang.SubjectID).Error; err != nil {
				return err
			}
			if err := tx.Exec("DELETE FROM refresh_tokens WHERE subject_id = ?", li.SubjectID).Error; err != nil {
				return err
			}
			return tx.Exec("DELETE FROM operators WHERE id = ?", li.SubjectID).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range []*identity.Service{f.svc, other} {
			poll(t, svc)
			wantAuth(t, svc, wang.AccessToken, "token_revoked")
			wantAuth(t, svc, li.AccessToken, "token_revoked")
			wantAuth(t, svc, zhao.AccessToken, "")
		}
		// A node that has never polled asks the database.
		fresh := identity.New(f.db, identity.Config{JWTSecret: testSecret, Now: f.clock.Now}, f.rec, f.roles)
		wantAuth(t, fresh, wang.AccessToken, "token_revoked")
		wantAuth(t, fresh, zhao.AccessToken, "")
		// Enabled again through the service: accepted again at once.
		root := actor.Actor{Kind: actor.Operator, ID: zhao.SubjectID}
		if _, err := f.svc.UpdateOperator(ctx, root, wang.SubjectID, identity.OperatorPatch{Status: ptr(identity.StatusActive)}); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, f.svc, wang.AccessToken, "")
	})
}
