// Package hostsvc is the Host gRPC service a plugin process calls back into
// (sdk/proto/plugin.proto, service Host), one server per process, bound to
// the tenant and plugin it was made for: no request names a tenant, every
// call runs as that tenant, and another tenant's ids answer NotFound.
//
// It reaches the core's domains only through the small interfaces below
// (core/app adapts the services to them), except the records store, a low
// domain of its own. Domain errors become gRPC statuses with an ErrorDetail
// carrying the same stable code (errors.go).
package hostsvc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/records"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Community, Room and Resident are what a plugin may read of the compound.
type Community struct {
	ID                  uuid.UUID
	Code, Name, Address string
}

type Room struct {
	ID, CommunityID, BuildingID                 uuid.UUID
	Building, Unit, Number, Label, Area, Status string
}

// Resident never carries an ID number; the phone is masked.
type Resident struct {
	ID                        uuid.UUID
	Name, PhoneMasked, Gender string
	BirthYear                 int
	RoomIDs                   []uuid.UUID
	Tags                      []string
	UserID                    uuid.UUID // uuid.Nil without an app account
}

// RoomFilter and ResidentFilter narrow a list (uuid.Nil: any).
type RoomFilter struct{ CommunityID, BuildingID uuid.UUID }
type ResidentFilter struct {
	CommunityID, BuildingID, RoomID uuid.UUID
	Tag                             string
}

// Property reads communities and rooms. Lists are pages in a stable order
// from offset; they return at most limit rows.
type Property interface {
	ListCommunities(ctx context.Context, tenantID uuid.UUID) ([]Community, error)
	GetRoom(ctx context.Context, tenantID, id uuid.UUID) (Room, error)
	ListRooms(ctx context.Context, tenantID uuid.UUID, f RoomFilter, offset, limit int) ([]Room, error)
}

// Residents reads residents.
type Residents interface {
	GetResident(ctx context.Context, tenantID, id uuid.UUID) (Resident, error)
	ListResidents(ctx context.Context, tenantID uuid.UUID, f ResidentFilter, offset, limit int) ([]Resident, error)
}

// ChargeIn is a plugin's charge to a room.
type ChargeIn struct {
	RoomID         uuid.UUID
	ResidentID     uuid.UUID // optional
	Amount         int64
	Currency       string
	ItemCode       string
	ItemName       string
	Reason         string
	IdempotencyKey string // already namespaced by plugin
	Source         string // "plugin:<name>"
}

// Charge is the bill line a charge became.
type Charge struct {
	ID, BillID, RoomID uuid.UUID
	Amount             int64
	Currency           string
	Replayed           bool
}

// Billing posts charges.
type Billing interface {
	PostCharge(ctx context.Context, tenantID uuid.UUID, in ChargeIn) (Charge, error)
}

// WorkOrderIn is an order a plugin raises; Source and Key de-duplicate it.
type WorkOrderIn struct {
	Type, Category, Title, Description, Priority, Location string
	RoomID, CommunityID                                    uuid.UUID
	Source, Key                                            string
}

// WorkOrder is what a plugin sees of an order. Source is who raised it.
type WorkOrder struct {
	ID                          uuid.UUID
	Number, Type, Status, Title string
	RoomID                      uuid.UUID
	Source                      string
}

// WorkOrders is the service desk.
type WorkOrders interface {
	Raise(ctx context.Context, tenantID uuid.UUID, in WorkOrderIn) (WorkOrder, error)
	Get(ctx context.Context, tenantID, id uuid.UUID) (WorkOrder, error)
	Cancel(ctx context.Context, tenantID, id uuid.UUID, note string) (WorkOrder, error)
	Comment(ctx context.Context, tenantID, id uuid.UUID, note string) (WorkOrder, error)
}

// Template is a plugin's notification template, code already namespaced
// "<plugin>.<code>".
type Template struct {
	Code                             string
	TitleZH, BodyZH, TitleEN, BodyEN string
}

// Notice is one notification to users.
type Notice struct {
	Template string // namespaced
	Vars     map[string]string
	UserIDs  []uuid.UUID
	Link     string
	Urgent   bool
	Event    string // de-duplication key, namespaced by plugin
}

// Notifier sends notifications; Register makes a plugin's templates known
// (notify's catalogue refuses codes it does not know).
type Notifier interface {
	Register(templates []Template) error
	Send(ctx context.Context, tenantID uuid.UUID, n Notice) error
}

// Bus carries plugin events and tasks through the queue
// (core/pluginhost/bus implements it).
type Bus interface {
	Publish(ctx context.Context, tenantID uuid.UUID, plugin, typ string, payload []byte, key string) (eventID string, err error)
	Schedule(ctx context.Context, tenantID uuid.UUID, plugin, name string, payload []byte, runAt time.Time, key string) (taskID string, err error)
	Cancel(ctx context.Context, tenantID uuid.UUID, plugin, key string) (bool, error)
}

// AuditEntry is one audit line a plugin writes.
type AuditEntry struct {
	TenantID                     uuid.UUID
	ActorKind, ActorName         string
	ActorID                      uuid.UUID
	Action, ObjectType, ObjectID string
	Detail, RequestID, IP        string
}

// Auditor writes audit entries (core/audit).
type Auditor interface {
	Record(ctx context.Context, e AuditEntry) error
}

// Secrets returns a tenant's decrypted secret values of a plugin.
type Secrets func(ctx context.Context, tenantID uuid.UUID, plugin string) (map[string]string, error)

// Limits bound one process's Host calls, so one plugin cannot starve the
// database for other tenants.
type Limits struct {
	Rate       float64       // calls per second sustained (default 1000)
	Burst      int           // calls above the rate allowed at once (default 2000)
	Concurrent int           // calls in flight (default 16)
	Wait       time.Duration // how long a call waits for a slot before ResourceExhausted (default 200 ms)
}

// Deps are the services the Host calls.
type Deps struct {
	Records    *records.Store
	Property   Property
	Residents  Residents
	Billing    Billing
	WorkOrders WorkOrders
	Notify     Notifier
	Bus        Bus
	Audit      Auditor
	Secrets    Secrets
	Devices    Devices  // nil: device calls answer Unimplemented
	Vehicles   Vehicles // nil: likewise
	Payments   Payments // nil: payment calls answer Unimplemented
	Calls      *Calls
	Limits     Limits
	Log        *slog.Logger
}

// Factory makes Host servers.
type Factory struct{ d Deps }

// New returns the factory; For matches pluginhost.HostFactory.
func New(d Deps) *Factory {
	if d.Calls == nil {
		d.Calls = NewCalls()
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	// A gate decision takes some fifteen Host calls and a busy car park a
	// few decisions a second; the concurrency cap, not the rate, is what
	// keeps one plugin from starving the database.
	if d.Limits.Rate <= 0 {
		d.Limits.Rate = 1000
	}
	if d.Limits.Burst <= 0 {
		d.Limits.Burst = 2000
	}
	if d.Limits.Concurrent <= 0 {
		d.Limits.Concurrent = 16
	}
	if d.Limits.Wait <= 0 {
		d.Limits.Wait = 200 * time.Millisecond
	}
	return &Factory{d: d}
}

// Calls returns the registry of HTTP calls being served (for the proxy).
func (f *Factory) Calls() *Calls { return f.d.Calls }

var _ pluginhost.HostFactory = (*Factory)(nil).For

// For returns the Host server of one process.
func (f *Factory) For(spec pluginhost.Spec) wuyepb.HostServer {
	h := &host{d: f.d, spec: spec, colls: map[string]records.Collection{}, templates: map[string]bool{},
		slots: make(chan struct{}, f.d.Limits.Concurrent), tokens: float64(f.d.Limits.Burst), last: time.Now()}
	if m := spec.Manifest; m != nil {
		for _, c := range m.GetCollections() {
			rc := records.Collection{Name: c.GetName()}
			for _, ix := range c.GetIndexes() {
				rc.Indexes = append(rc.Indexes, records.Index{Field: ix.GetField(), Unique: ix.GetUnique()})
			}
			h.colls[rc.Name] = rc
		}
		var ts []Template
		for _, t := range m.GetTemplates() {
			code := spec.Name + "." + t.GetCode()
			h.templates[t.GetCode()] = true
			ts = append(ts, Template{Code: code, TitleZH: t.GetTitleZh(), BodyZH: t.GetBodyZh(), TitleEN: t.GetTitleEn(), BodyEN: t.GetBodyEn()})
		}
		if len(ts) > 0 && f.d.Notify != nil {
			if err := f.d.Notify.Register(ts); err != nil {
				f.d.Log.Error("plugin templates refused", slog.String("plugin", spec.Name), slog.Any("err", err))
			}
		}
	}
	return h
}

type host struct {
	wuyepb.UnimplementedHostServer
	d         Deps
	spec      pluginhost.Spec
	colls     map[string]records.Collection
	templates map[string]bool // local codes

	slots  chan struct{}
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// ErrFlood answers a process that calls faster than its limits.
var ErrFlood = apperr.New(apperr.KindRateLimited, "host_rate_limited", "The plugin calls the host too often; slow down.", "插件调用主机服务过于频繁,请降低频率。")

// enter admits one call: a token from the process's bucket and a slot of
// its concurrency cap (waiting briefly for one). It returns the call's
// context, carrying who acts (the HTTP caller when the call names one, else
// the plugin), and the function that ends the call.
func (h *host) enter(ctx context.Context) (context.Context, func(), error) {
	// A call beyond the rate waits for its token when that comes within
	// Limits.Wait (back-pressure on a busy plugin), and is refused
	// otherwise (a flood).
	h.mu.Lock()
	now := time.Now()
	h.tokens += now.Sub(h.last).Seconds() * h.d.Limits.Rate
	h.last = now
	if max := float64(h.d.Limits.Burst); h.tokens > max {
		h.tokens = max
	}
	wait := time.Duration((1 - h.tokens) / h.d.Limits.Rate * float64(time.Second))
	ok := h.tokens >= 1 || wait <= h.d.Limits.Wait
	if ok {
		h.tokens-- // may go below zero: the calls waiting have taken the tokens to come
	}
	h.mu.Unlock()
	if !ok {
		return ctx, nil, ErrFlood
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx, nil, ctx.Err()
		}
	}
	t := time.NewTimer(h.d.Limits.Wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
	case <-t.C:
		return ctx, nil, ErrFlood
	case <-ctx.Done():
		return ctx, nil, ctx.Err()
	}
	a := actor.Actor{Kind: actor.System, Name: "plugin:" + h.spec.Name, TenantID: h.spec.TenantID}
	if c, ok := h.caller(ctx); ok {
		a = actor.Actor{Kind: actor.Kind(c.Kind), ID: c.ID, Name: c.Name, TenantID: h.spec.TenantID, IP: c.IP, RequestID: c.RequestID}
	}
	return actor.With(ctx, a), func() { <-h.slots }, nil
}

// CallTokenHeader is the gRPC metadata key of HTTPRequest.call_token on Host
// calls made while serving that request.
const CallTokenHeader = "wuye-call-token"

func (h *host) caller(ctx context.Context) (Caller, bool) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return Caller{}, false
	}
	v := md.Get(CallTokenHeader)
	if len(v) == 0 || v[0] == "" {
		return Caller{}, false
	}
	return h.d.Calls.Lookup(h.spec.TenantID, h.spec.Name, v[0])
}

// run wraps one RPC: admission, the actor, and the error mapping.
func run[T any](h *host, ctx context.Context, method string, fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	ctx, done, err := h.enter(ctx)
	if err != nil {
		return zero, h.status(ctx, method, err)
	}
	defer done()
	out, err := fn(ctx)
	if err != nil {
		return zero, h.status(ctx, method, err)
	}
	return out, nil
}

func parseID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, invalid(field, "invalid_id", field+" is not an id", field+" 不是有效编号")
	}
	return id, nil
}

// optID parses an optional id (empty: uuid.Nil).
func optID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	return parseID(field, s)
}

func invalid(field, code, en, zh string) error {
	return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: field, Code: code, EN: en, ZH: zh}})
}

var errUnavailable = status.Error(codes.Unimplemented, "this host service is not available")
