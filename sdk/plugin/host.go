package plugin

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Host is the typed client of the core's host services, bound to the
// process's tenant. Every error it returns is a *HostError (or the context's
// error): test it with IsNotFound, IsConflict or Code.
type Host struct {
	c wuyepb.HostClient
}

// NewHost wraps a raw client (the testkit uses it with its fake host).
func NewHost(c wuyepb.HostClient) *Host { return &Host{c: c} }

// Raw is the generated client, for RPCs this wrapper does not cover.
func (h *Host) Raw() wuyepb.HostClient { return h.c }

type callTokenKey struct{}

// withCallToken marks ctx as serving an HTTP request, so host calls made
// with it are attributed to that request's caller in the audit trail.
func withCallToken(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return context.WithValue(ctx, callTokenKey{}, token)
}

// callTokenInterceptor sends the call token of the request being served.
func callTokenInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if t, ok := ctx.Value(callTokenKey{}).(string); ok {
		ctx = metadata.AppendToOutgoingContext(ctx, "wuye-call-token", t)
	}
	return hostError(invoker(ctx, method, req, reply, cc, opts...))
}

// Record is one JSON document of a collection.
type Record struct {
	Collection string
	ID         string
	Version    int64
	Doc        json.RawMessage
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Decode reads the document into v.
func (r Record) Decode(v any) error { return json.Unmarshal(r.Doc, v) }

func record(r *wuyepb.Record) Record {
	return Record{Collection: r.Collection, ID: r.Id, Version: r.Version, Doc: r.Document,
		CreatedAt: time.UnixMilli(r.CreatedAtUnixMs), UpdatedAt: time.UnixMilli(r.UpdatedAtUnixMs)}
}

// Versions for Put's expected version.
const (
	AnyVersion int64 = 0  // create or replace
	CreateOnly int64 = -1 // fail with a conflict when the id exists
)

// Put writes doc (any JSON-encodable value) as collection/id. expected is
// AnyVersion, CreateOnly, or the version read before (optimistic
// concurrency: a stale version is a conflict). An empty id is assigned.
func (h *Host) Put(ctx context.Context, collection, id string, doc any, expected int64) (Record, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return Record{}, err
	}
	r, err := h.c.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: collection, Id: id, Document: b, ExpectedVersion: expected})
	if err != nil {
		return Record{}, err
	}
	return record(r), nil
}

// Get reads collection/id into v (when v is not nil).
func (h *Host) Get(ctx context.Context, collection, id string, v any) (Record, error) {
	r, err := h.c.GetRecord(ctx, &wuyepb.GetRecordRequest{Collection: collection, Id: id})
	if err != nil {
		return Record{}, err
	}
	rec := record(r)
	if v != nil {
		err = rec.Decode(v)
	}
	return rec, err
}

// Delete removes collection/id; expected 0 deletes any version.
func (h *Host) Delete(ctx context.Context, collection, id string, expected int64) error {
	_, err := h.c.DeleteRecord(ctx, &wuyepb.DeleteRecordRequest{Collection: collection, Id: id, ExpectedVersion: expected})
	return err
}

// Query selects documents of a collection by its indexed fields.
type Query struct {
	Collection string
	Filters    []*wuyepb.Filter
	OrderBy    string
	Descending bool
	Limit      int
	Cursor     string
}

// Where adds a filter: op is eq, ne, lt, lte, gt, gte, in (value a slice)
// or prefix.
func (q Query) Where(field, op string, value any) Query {
	b, _ := json.Marshal(value)
	q.Filters = append(append([]*wuyepb.Filter(nil), q.Filters...), &wuyepb.Filter{Field: field, Op: op, Value: b})
	return q
}

// Query returns one page of records and the cursor of the next ("" at the end).
func (h *Host) Query(ctx context.Context, q Query) ([]Record, string, error) {
	resp, err := h.c.QueryRecords(ctx, &wuyepb.QueryRecordsRequest{Collection: q.Collection, Filters: q.Filters,
		OrderBy: q.OrderBy, Descending: q.Descending, Limit: int32(q.Limit), Cursor: q.Cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]Record, len(resp.Records))
	for i, r := range resp.Records {
		out[i] = record(r)
	}
	return out, resp.NextCursor, nil
}

// QueryAll follows cursors and returns every matching record; use it only
// for collections that stay small (a venue's bookings of a day).
func (h *Host) QueryAll(ctx context.Context, q Query) ([]Record, error) {
	var all []Record
	for {
		page, next, err := h.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		q.Cursor = next
	}
}

// Communities lists the tenant's communities.
func (h *Host) Communities(ctx context.Context) ([]*wuyepb.Community, error) {
	r, err := h.c.ListCommunities(ctx, &wuyepb.ListCommunitiesRequest{})
	if err != nil {
		return nil, err
	}
	return r.Communities, nil
}

// Room reads one room.
func (h *Host) Room(ctx context.Context, id string) (*wuyepb.Room, error) {
	return h.c.GetRoom(ctx, &wuyepb.GetRoomRequest{Id: id})
}

// Resident reads one resident (masked phone, birth year, rooms, tags).
func (h *Host) Resident(ctx context.Context, id string) (*wuyepb.Resident, error) {
	return h.c.GetResident(ctx, &wuyepb.GetResidentRequest{Id: id})
}

// Residents lists residents matching the request's filters, one page.
func (h *Host) Residents(ctx context.Context, req *wuyepb.ListResidentsRequest) (*wuyepb.ListResidentsResponse, error) {
	return h.c.ListResidents(ctx, req)
}

// Charge posts a charge to a room's account through billing. The key makes
// it idempotent: the same key returns the first charge (Replayed true).
func (h *Host) Charge(ctx context.Context, req *wuyepb.PostChargeRequest) (*wuyepb.Charge, error) {
	return h.c.PostCharge(ctx, req)
}

// CreateWorkOrder raises a work order (idempotent on req.IdempotencyKey).
func (h *Host) CreateWorkOrder(ctx context.Context, req *wuyepb.CreateWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	return h.c.CreateWorkOrder(ctx, req)
}

// Notify sends one of the plugin's templates to users or residents; a
// repeated key sends nothing new.
func (h *Host) Notify(ctx context.Context, req *wuyepb.NotifyRequest) (int, error) {
	r, err := h.c.Notify(ctx, req)
	if err != nil {
		return 0, err
	}
	return int(r.Recipients), nil
}

// Publish sends an event, delivered to subscribers as "<plugin>.<typ>".
func (h *Host) Publish(ctx context.Context, typ string, payload any, key string) (string, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	r, err := h.c.Publish(ctx, &wuyepb.PublishRequest{Type: typ, Payload: b, IdempotencyKey: key})
	if err != nil {
		return "", err
	}
	return r.EventId, nil
}

// Schedule runs the task name once at at, with payload; scheduling the same
// key again replaces the earlier one.
func (h *Host) Schedule(ctx context.Context, name string, payload any, at time.Time, key string) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = h.c.ScheduleTask(ctx, &wuyepb.ScheduleTaskRequest{Name: name, Payload: b, RunAtUnixMs: at.UnixMilli(), Key: key})
	return err
}

// Cancel cancels a scheduled task; it reports whether one was pending.
func (h *Host) Cancel(ctx context.Context, key string) (bool, error) {
	r, err := h.c.CancelTask(ctx, &wuyepb.CancelTaskRequest{Key: key})
	if err != nil {
		return false, err
	}
	return r.Cancelled, nil
}

// Audit records an entry in the tenant's audit trail as "<plugin>.<action>",
// attributed to the caller of the request being served (if any).
func (h *Host) Audit(ctx context.Context, action, objectType, objectID string, detail any) error {
	var b []byte
	if detail != nil {
		var err error
		if b, err = json.Marshal(detail); err != nil {
			return err
		}
	}
	_, err := h.c.Audit(ctx, &wuyepb.AuditRequest{Action: action, ObjectType: objectType, ObjectId: objectID, Detail: b})
	return err
}

// Config reads the current configuration into v (when not nil) and returns
// the decrypted secrets.
func (h *Host) Config(ctx context.Context, v any) (map[string]string, error) {
	r, err := h.c.GetConfig(ctx, &wuyepb.GetConfigRequest{})
	if err != nil {
		return nil, err
	}
	if v != nil && len(r.Config) > 0 {
		if err := json.Unmarshal(r.Config, v); err != nil {
			return nil, err
		}
	}
	return r.Secrets, nil
}

// Devices lists the tenant's devices, optionally of one class
// ("lpr_camera") or community. API 3.
func (h *Host) Devices(ctx context.Context, class, communityID string) ([]*wuyepb.DeviceInfo, error) {
	r, err := h.c.ListDevices(ctx, &wuyepb.ListDevicesRequest{Class: class, CommunityId: communityID})
	if err != nil {
		return nil, err
	}
	return r.Devices, nil
}

// Device reads one of the tenant's devices. API 3.
func (h *Host) Device(ctx context.Context, id string) (*wuyepb.DeviceInfo, error) {
	return h.c.GetDevice(ctx, &wuyepb.GetDeviceRequest{Id: id})
}

// Command sends a canonical command ("gate.open") to a device through its
// driver and waits for the outcome; the host audits it in the plugin's
// name. args is marshalled to JSON (nil for none); requestID makes a retry
// safe. API 3.
func (h *Host) Command(ctx context.Context, deviceID, command string, args any, requestID string) (*wuyepb.CommandResult, error) {
	var raw []byte
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	return h.c.DeviceCommand(ctx, &wuyepb.CommandRequest{DeviceId: deviceID, Command: command, Args: raw, RequestId: requestID})
}

// Vehicle finds a registered vehicle by its exact plate (normalised by the
// host); NotFound when none is registered. API 3.
func (h *Host) Vehicle(ctx context.Context, plate string) (*wuyepb.Vehicle, error) {
	return h.c.FindVehicle(ctx, &wuyepb.FindVehicleRequest{Plate: plate})
}

// Vehicles lists the vehicles of a resident or a room. API 3.
func (h *Host) Vehicles(ctx context.Context, residentID, roomID string) ([]*wuyepb.Vehicle, error) {
	r, err := h.c.ListVehicles(ctx, &wuyepb.ListVehiclesRequest{ResidentId: residentID, RoomId: roomID})
	if err != nil {
		return nil, err
	}
	return r.Vehicles, nil
}

// Pay opens an online payment of an amount that belongs to no room (a
// visitor's parking fee) and returns it with the URL to pay; the same key
// returns the same payment. The host publishes "payment.received" with the
// reference when it is paid. API 3.
func (h *Host) Pay(ctx context.Context, req *wuyepb.CreatePaymentRequest) (*wuyepb.Payment, error) {
	return h.c.CreatePayment(ctx, req)
}

// Payment reads a payment Pay opened. API 3.
func (h *Host) Payment(ctx context.Context, id string) (*wuyepb.Payment, error) {
	return h.c.GetPayment(ctx, &wuyepb.GetPaymentRequest{Id: id})
}
