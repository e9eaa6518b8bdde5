// Package httpapitest holds the stand-ins the route packages' tests share:
// an authenticator mapping a bearer credential straight to an actor, and an
// authoriser that allows everything, for tests whose subject is neither
// identity nor RBAC.
package httpapitest

import (
	"context"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
)

// TokenActors maps a bearer credential to its actor (httpapi.Authenticator).
type TokenActors map[string]actor.Actor

// Authenticate answers the credential's actor, or unauthenticated.
func (t TokenActors) Authenticate(_ context.Context, cred string) (actor.Actor, error) {
	a, ok := t[cred]
	if !ok {
		return actor.Actor{}, apperr.Unauthenticated
	}
	return a, nil
}

// AllowAll grants every permission (httpapi.Authorizer).
type AllowAll struct{}

// Allowed is always true.
func (AllowAll) Allowed(context.Context, actor.Actor, string) (bool, error) { return true, nil }
