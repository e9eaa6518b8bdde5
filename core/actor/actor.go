// Package actor carries who is making a request through a context: the
// verified principal (operator, tenant user or API key), its tenant, and the
// request's id and address for the audit log. httpapi puts it in; domain
// packages read it. The tenant here always comes from a verified credential.
package actor

import (
	"context"

	"github.com/google/uuid"
)

// Kind says what sort of principal is acting.
type Kind string

const (
	Operator Kind = "operator" // platform operator, no tenant
	User     Kind = "user"     // tenant staff or resident
	APIKey   Kind = "api_key"  // integration key of a tenant
	System   Kind = "system"   // the platform itself (scheduler, relay, seeding)
)

// Actor is the verified principal of a request.
type Actor struct {
	Kind      Kind
	ID        uuid.UUID // user, operator or key id
	Name      string    // username or key name, for the audit log
	TenantID  uuid.UUID // uuid.Nil for operators and the system
	Roles     []string
	IP        string
	RequestID string
}

type ctxKey struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// From returns the actor in ctx; ok is false when there is none.
func From(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(ctxKey{}).(Actor)
	return a, ok
}
