package rbacapi_test

import (
	"context"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
)

// tokenActors maps a bearer credential straight to an actor, for tests whose
// subject is not the identity package.
type tokenActors map[string]actor.Actor

func (t tokenActors) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	a, ok := t[cred]
	if !ok {
		return actor.Actor{}, apperr.Unauthenticated
	}
	return a, nil
}

// allowAll grants every permission, for tests whose subject is not RBAC.
type allowAll struct{}

func (allowAll) Allowed(context.Context, actor.Actor, string) (bool, error) { return true, nil }
