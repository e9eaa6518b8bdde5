package identity_test

import (
	"context"
	"sync"
	"testing"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// TestOperatorManagement: operators add colleagues (policy and uniqueness
// checked), list them, rename and disable them; a disabled operator loses
// their sessions and cannot sign in; nobody disables themselves or the last
// active operator.
func TestOperatorManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rootPass, _, err := f.svc.EnsureOperator(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		rootSess, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "root", Password: rootPass})
		if err != nil {
			t.Fatal(err)
		}
		root, _ := f.svc.Authenticate(ctx, rootSess.AccessToken)

		_, err = f.svc.CreateOperator(ctx, identity.NewOperator{Username: "a", Name: "", Email: "nope", Password: pw})
		wantCode(t, err, "invalid_input")
		if e, _ := errAs(err); len(e.Details.([]apperr.FieldError)) != 3 {
			t.Fatalf("want username, name and email refused: %v", e.Details)
		}
		_, err = f.svc.CreateOperator(ctx, identity.NewOperator{Username: "wang", Name: "Wang", Password: "wang-wang-wang"})
		wantCode(t, err, "weak_password")
		wang, err := f.svc.CreateOperator(ctx, identity.NewOperator{Username: " Wang ", Name: "Wang Li", Email: "Wang@Ops.test", Password: pw})
		if err != nil || wang.Username != "wang" || wang.Email != "wang@ops.test" || wang.Status != identity.StatusActive {
			t.Fatalf("create: %+v %v", wang, err)
		}
		for field, in := range map[string]identity.NewOperator{
			"username": {Username: "WANG", Name: "Other", Password: pw},
			"email":    {Username: "wang2", Name: "Other", Email: "wang@ops.test", Password: pw},
		} {
			_, err := f.svc.CreateOperator(ctx, in)
			wantCode(t, err, "operator_exists")
			if e, _ := errAs(err); e.Kind != apperr.KindConflict || e.Details.(map[string]string)["field"] != field {
				t.Fatalf("duplicate %s: %v", field, e.Details)
			}
		}

		ops, total, err := f.svc.ListOperators(ctx, identity.OperatorFilter{Limit: 10})
		if err != nil || total != 2 || ops[0].Username != "root" || ops[1].Username != "wang" {
			t.Fatalf("list: %d %+v %v", total, ops, err)
		}

		// The new operator signs in by email; root disables them; their sessions end.
		wangSess, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "wang@ops.test", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.UpdateOperator(ctx, root, wang.ID, identity.OperatorPatch{Name: ptr(" Wang Lei "), Status: ptr(identity.StatusDisabled)})
		if err != nil || got.Name != "Wang Lei" || got.Status != identity.StatusDisabled {
			t.Fatalf("disable: %+v %v", got, err)
		}
		_, err = f.svc.Refresh(ctx, wangSess.RefreshToken)
		wantCode(t, err, "invalid_refresh_token")
		_, err = f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "wang", Password: pw})
		wantCode(t, err, "account_disabled")
		if _, n, _ := f.svc.ListOperators(ctx, identity.OperatorFilter{Status: identity.StatusActive, Limit: 10}); n != 1 {
			t.Fatalf("active operators: %d, want 1", n)
		}

		// Root is now the last active operator, and may not disable themselves anyway.
		_, err = f.svc.UpdateOperator(ctx, root, root.ID, identity.OperatorPatch{Status: ptr(identity.StatusDisabled)})
		wantCode(t, err, "cannot_disable_self")
		wangActor := actor.Actor{Kind: actor.Operator, ID: wang.ID} // a disabled operator whose token another node accepts until its poll
		_, err = f.svc.UpdateOperator(ctx, wangActor, root.ID, identity.OperatorPatch{Status: ptr(identity.StatusDisabled)})
		wantCode(t, err, "last_operator")
		_, err = f.svc.UpdateOperator(ctx, root, store.NewID(), identity.OperatorPatch{Name: ptr("x")})
		wantCode(t, err, "not_found")
		_, err = f.svc.UpdateOperator(ctx, root, wang.ID, identity.OperatorPatch{Status: ptr("gone")})
		wantCode(t, err, "invalid_input")

		// Enabled again, they sign in again.
		if _, err := f.svc.UpdateOperator(ctx, root, wang.ID, identity.OperatorPatch{Status: ptr(identity.StatusActive)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.OperatorLogin(ctx, identity.LoginInput{Login: "wang", Password: pw}); err != nil {
			t.Fatalf("login after re-enabling: %v", err)
		}
	})
}

// TestOperatorsDisableEachOther: two operators disabling each other at the
// same moment leave exactly one of them active.
func TestOperatorsDisableEachOther(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for round := range 5 {
			// Fresh pair each round; earlier pairs are left with one active member.
			var ids [2]actor.Actor
			for i := range ids {
				o, err := f.svc.CreateOperator(ctx, identity.NewOperator{Username: "op" + string(rune('a'+round)) + string(rune('0'+i)), Name: "Op", Password: pw})
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = actor.Actor{Kind: actor.Operator, ID: o.ID}
			}
			// Leave only this pair active.
			ops, _, _ := f.svc.ListOperators(ctx, identity.OperatorFilter{Status: identity.StatusActive, Limit: 100})
			for _, o := range ops {
				if o.ID != ids[0].ID && o.ID != ids[1].ID {
					if _, err := f.svc.UpdateOperator(ctx, ids[0], o.ID, identity.OperatorPatch{Status: ptr(identity.StatusDisabled)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = f.svc.UpdateOperator(ctx, ids[i], ids[1-i].ID, identity.OperatorPatch{Status: ptr(identity.StatusDisabled)})
				}()
			}
			wg.Wait()
			codes := errCode(errs[0]) + "," + errCode(errs[1])
			if (errs[0] == nil) == (errs[1] == nil) || (codes != ",last_operator" && codes != "last_operator,") {
				t.Fatalf("round %d: %v / %v, want one success and one last_operator", round, errs[0], errs[1])
			}
			if _, n, _ := f.svc.ListOperators(ctx, identity.OperatorFilter{Status: identity.StatusActive, Limit: 100}); n != 1 {
				t.Fatalf("round %d: %d active operators, want 1", round, n)
			}
		}
	})
}
