// Package audit is the append-only record of who did what: every write, every
// authentication failure and every authorisation failure.
package audit

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Results of an audited action.
const (
	ResultOK     = "ok"     // the action succeeded
	ResultDenied = "denied" // authentication or authorisation refused it
	ResultFailed = "failed" // the action was refused for bad input or state (4xx)
	ResultError  = "error"  // the server failed (5xx)
)

// Entry is one line of the audit log. TenantID is uuid.Nil for platform
// events (operator actions, failures before a tenant is known).
type Entry struct {
	TenantID  uuid.UUID
	ActorKind string // operator, user, api_key, system, anonymous
	ActorID   uuid.UUID
	ActorName string
	Action    string // e.g. "auth.login", "user.create", or the route's permission
	Object    string // what it acted on, e.g. "user/0193…" or a request path
	Result    string // ResultOK, ResultDenied, ResultFailed, ResultError
	Detail    string // short free text (why it failed, import counts); never secrets

	// What the request was: a PUT and a DELETE of one object differ here.
	Method     string // HTTP method; empty for events that are not requests
	Route      string // route template, e.g. /api/v1/rooms/:id
	ObjectType string // e.g. "room", "person", "user"
	ObjectID   string // the object's id (for a create, the id it got)
	Status     int    // HTTP status answered
	DryRun     bool   // checked only, nothing written (imports with dry_run=true)
	Changes    []Change
	IP         string
	RequestID  string
	At         time.Time // set by the recorder when zero
}

// Recorder writes a tenant's entries; the audit package's Log implements it.
// An entry without a tenant is an error (store.ErrNoTenant), never quietly a
// platform event.
type Recorder interface {
	Record(ctx context.Context, e Entry) error
}

// PlatformRecorder also writes platform events (TenantID nil: operator
// actions, failures before a tenant is known), through a call of their own.
type PlatformRecorder interface {
	Recorder
	RecordPlatform(ctx context.Context, e Entry) error
}
