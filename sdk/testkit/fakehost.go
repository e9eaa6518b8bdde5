package testkit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// FakeHost is an in-memory Host service with the semantics the contract
// (sdk/proto/plugin.proto) gives the core's: records with versions and
// unique indexes, a compound of communities, rooms and residents, charges,
// work orders, notifications, events, tasks, audit and configuration. Its
// errors are gRPC statuses carrying a wuyepb.ErrorDetail with the core's
// stable codes, so a plugin meets the same failures it meets in production.
//
// Every method is safe for concurrent use (one mutex), so a plugin can test
// that two concurrent bookings cannot both win. What the plugin did is
// inspectable: Charges, Notifications, Published, Scheduled, AuditEntries,
// WorkOrders, Records and Calls; for devices EmittedEvents, DeviceStatuses
// and DeviceCommands. FailNext makes chosen calls fail.
type FakeHost struct {
	wuyepb.UnimplementedHostServer

	mu       sync.Mutex
	manifest *wuyepb.Manifest
	now      func() time.Time

	records     map[string]map[string]*storedRecord
	communities []*wuyepb.Community
	rooms       []*wuyepb.Room
	residents   []*wuyepb.Resident

	charges     []*wuyepb.Charge
	chargeByKey map[string]*wuyepb.Charge
	workOrders  []*wuyepb.WorkOrder
	woByKey     map[string]*wuyepb.WorkOrder
	woNotes     map[string][]string
	notes       []Notification
	notifyKeys  map[string]int32
	published   []PublishedEvent
	publishKeys map[string]string
	scheduled   map[string]*ScheduledTask
	audit       []AuditEntry
	config      []byte
	secrets     map[string]string
	callers     map[string]*wuyepb.Caller
	calls       []Call
	seq         int
	// delay, when set and positive, holds every answer back that long
	// unless the caller gives up first (the conformance suite's slow host).
	delay *atomic.Int64
	// dev holds devices, vehicles and what a driver sent (fakehost_devices.go).
	dev *devices
}

// Notification is one Notify the host accepted (not a repeated key).
type Notification struct {
	Template   string // the plugin's local template code
	Vars       map[string]string
	Recipients []*wuyepb.Recipient
	Link       string
	Urgent     bool
	Key        string
}

// PublishedEvent is one event the plugin published.
type PublishedEvent struct {
	ID      string
	Type    string // as subscribers see it: "<plugin>.<type>"
	Payload json.RawMessage
	Key     string
}

// ScheduledTask is a pending one-off task (Host.ScheduleTask).
type ScheduledTask struct {
	ID      string
	Key     string
	Name    string
	Payload json.RawMessage
	RunAt   time.Time
}

// AuditEntry is one Host.Audit call.
type AuditEntry struct {
	Action     string // "<plugin>.<action>"
	ObjectType string
	ObjectID   string
	Detail     json.RawMessage
	// Caller is who the HTTP request being served was from (nil for events
	// and tasks): the host attributes the entry to them.
	Caller *wuyepb.Caller
}

// Call is one Host RPC the plugin made over gRPC.
type Call struct {
	Method    string        // "PutRecord", "Notify", ...
	Request   proto.Message // a copy of the request
	Code      codes.Code    // codes.OK on success
	ErrorCode string        // the ErrorDetail code of a failure
	CallToken string        // set while serving an HTTP request
}

// NewFakeHost makes a fake host for the plugin described by m, with the
// default fixture compound (see Communities, Rooms and Residents) and an
// empty configuration.
func NewFakeHost(m *wuyepb.Manifest) *FakeHost {
	if m == nil {
		m = &wuyepb.Manifest{}
	}
	return &FakeHost{
		manifest: m, now: time.Now,
		records:     map[string]map[string]*storedRecord{},
		communities: DefaultCommunities(), rooms: DefaultRooms(), residents: DefaultResidents(),
		chargeByKey: map[string]*wuyepb.Charge{}, woByKey: map[string]*wuyepb.WorkOrder{}, woNotes: map[string][]string{},
		notifyKeys: map[string]int32{}, publishKeys: map[string]string{}, scheduled: map[string]*ScheduledTask{},
		config: []byte("{}"), secrets: map[string]string{}, callers: map[string]*wuyepb.Caller{},
	}
}

// fail makes a status like the core's: a gRPC code and an ErrorDetail.
func fail(c codes.Code, code, en, zh string, fields ...*wuyepb.FieldError) error {
	st, err := status.New(c, en).WithDetails(&wuyepb.ErrorDetail{Code: code, MessageEn: en, MessageZh: zh, Fields: fields})
	if err != nil {
		return status.Error(c, en)
	}
	return st.Err()
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func required(field string) error {
	return invalidField(field, "required", field+" is required", field+" 为必填项")
}

// ---- settings and inspection ----

// SetNow fixes the clock the host stamps records, charges and orders with.
func (f *FakeHost) SetNow(now func() time.Time) { f.mu.Lock(); f.now = now; f.mu.Unlock() }

// SetConfig sets what GetConfig answers (a JSON object).
func (f *FakeHost) SetConfig(config json.RawMessage) {
	f.mu.Lock()
	f.config = append([]byte(nil), config...)
	f.mu.Unlock()
}

// SetSecrets sets the decrypted secrets GetConfig answers.
func (f *FakeHost) SetSecrets(s map[string]string) {
	f.mu.Lock()
	f.secrets = map[string]string{}
	for k, v := range s {
		f.secrets[k] = v
	}
	f.mu.Unlock()
}

// SetCommunities replaces the fixture communities.
func (f *FakeHost) SetCommunities(cs ...*wuyepb.Community) {
	f.mu.Lock()
	f.communities = cs
	f.mu.Unlock()
}

// SetRooms replaces the fixture rooms.
func (f *FakeHost) SetRooms(rs ...*wuyepb.Room) { f.mu.Lock(); f.rooms = rs; f.mu.Unlock() }

// SetResidents replaces the fixture residents.
func (f *FakeHost) SetResidents(rs ...*wuyepb.Resident) { f.mu.Lock(); f.residents = rs; f.mu.Unlock() }

// AddResident adds one resident to the fixture.
func (f *FakeHost) AddResident(r *wuyepb.Resident) {
	f.mu.Lock()
	f.residents = append(f.residents, r)
	f.mu.Unlock()
}

// SetWorkOrderStatus moves a work order as the service desk would
// (assigned, in_progress, resolved, closed ...).
func (f *FakeHost) SetWorkOrderStatus(id, status string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.workOrders {
		if w.Id == id {
			w.Status = status
			return nil
		}
	}
	return fmt.Errorf("testkit: no work order %s", id)
}

func cloneAll[T proto.Message](in []T) []T {
	out := make([]T, len(in))
	for i, m := range in {
		out[i] = proto.Clone(m).(T)
	}
	return out
}

// Charges posted, in order (replays are not repeated).
func (f *FakeHost) Charges() []*wuyepb.Charge {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneAll(f.charges)
}

// WorkOrders created, in order, with their current status.
func (f *FakeHost) WorkOrders() []*wuyepb.WorkOrder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneAll(f.workOrders)
}

// WorkOrderNotes are the comments the plugin added to a work order.
func (f *FakeHost) WorkOrderNotes(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.woNotes[id])
}

// Notifications sent (a repeated key sends nothing and adds nothing).
func (f *FakeHost) Notifications() []Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.notes)
}

// Published events, in order.
func (f *FakeHost) Published() []PublishedEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.published)
}

// Scheduled tasks still pending, by run time.
func (f *FakeHost) Scheduled() []ScheduledTask {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ScheduledTask, 0, len(f.scheduled))
	for _, t := range f.scheduled {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b ScheduledTask) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// takeDue removes and returns the scheduled tasks due at or before t.
func (f *FakeHost) takeDue(t time.Time) []ScheduledTask {
	var due []ScheduledTask
	for _, s := range f.Scheduled() {
		if !s.RunAt.After(t) {
			due = append(due, s)
		}
	}
	f.mu.Lock()
	for _, s := range due {
		if cur := f.scheduled[s.Key]; cur != nil && cur.ID == s.ID {
			delete(f.scheduled, s.Key)
		}
	}
	f.mu.Unlock()
	return due
}

// AuditEntries written, in order.
func (f *FakeHost) AuditEntries() []AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.audit)
}

// Calls made over gRPC, in order.
func (f *FakeHost) Calls() []Call { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.calls) }

// CallCount counts the calls of one method ("PutRecord").
func (f *FakeHost) CallCount(method string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

// Records returns every record of a collection, by id.
func (f *FakeHost) Records(collection string) []*wuyepb.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*wuyepb.Record
	for _, r := range f.records[collection] {
		out = append(out, cloneRecord(r.rec))
	}
	slices.SortFunc(out, func(a, b *wuyepb.Record) int { return strings.Compare(a.Id, b.Id) })
	return out
}

// bindCaller makes host calls carrying token count as caller's (audit).
func (f *FakeHost) bindCaller(token string, c *wuyepb.Caller) {
	f.mu.Lock()
	f.callers[token] = c
	f.mu.Unlock()
}

func (f *FakeHost) unbindCaller(token string) {
	f.mu.Lock()
	delete(f.callers, token)
	f.mu.Unlock()
}

func callToken(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("wuye-call-token"); len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// UnaryInterceptor records every call in Calls; serve the fake with it.
func (f *FakeHost) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c := Call{Method: info.FullMethod[strings.LastIndex(info.FullMethod, "/")+1:], CallToken: callToken(ctx)}
		if m, ok := req.(proto.Message); ok {
			c.Request = proto.Clone(m)
		}
		f.mu.Lock()
		delay := f.delay
		f.mu.Unlock()
		var resp any
		err := f.injected(c.Method)
		if err == nil && delay != nil && delay.Load() > 0 {
			select {
			case <-time.After(time.Duration(delay.Load())):
			case <-ctx.Done():
				err = status.FromContextError(ctx.Err()).Err()
			}
		}
		if err == nil {
			resp, err = handler(ctx, req)
		}
		if st, ok := status.FromError(err); ok && err != nil {
			c.Code = st.Code()
			for _, d := range st.Details() {
				if ed, ok := d.(*wuyepb.ErrorDetail); ok {
					c.ErrorCode = ed.Code
				}
			}
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		return resp, err
	}
}

// ---- records ----

func (f *FakeHost) PutRecord(_ context.Context, req *wuyepb.PutRecordRequest) (*wuyepb.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.putRecord(req)
}

func (f *FakeHost) GetRecord(_ context.Context, req *wuyepb.GetRecordRequest) (*wuyepb.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.getRecord(req)
}

func (f *FakeHost) DeleteRecord(_ context.Context, req *wuyepb.DeleteRecordRequest) (*wuyepb.DeleteRecordResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.deleteRecord(req); err != nil {
		return nil, err
	}
	return &wuyepb.DeleteRecordResponse{}, nil
}

func (f *FakeHost) QueryRecords(_ context.Context, req *wuyepb.QueryRecordsRequest) (*wuyepb.QueryRecordsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queryRecords(req)
}

// ---- compound ----

func (f *FakeHost) ListCommunities(context.Context, *wuyepb.ListCommunitiesRequest) (*wuyepb.ListCommunitiesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &wuyepb.ListCommunitiesResponse{Communities: cloneAll(f.communities)}, nil
}

func (f *FakeHost) room(id string) *wuyepb.Room {
	for _, r := range f.rooms {
		if r.Id == id {
			return r
		}
	}
	return nil
}

func (f *FakeHost) resident(id string) *wuyepb.Resident {
	for _, r := range f.residents {
		if r.Id == id {
			return r
		}
	}
	return nil
}

func (f *FakeHost) GetRoom(_ context.Context, req *wuyepb.GetRoomRequest) (*wuyepb.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.room(req.Id); r != nil {
		return proto.Clone(r).(*wuyepb.Room), nil
	}
	return nil, fail(codes.NotFound, "not_found", "No such room.", "房间不存在。")
}

// page cuts items at an offset cursor; limit 0 means 100, at most 1000.
func page[T any](items []T, limit int32, cur string) ([]T, string, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return nil, "", invalidField("limit", "out_of_range", "limit is 1–1000", "limit 须为 1–1000")
	}
	off := 0
	if cur != "" {
		n, err := strconv.Atoi(cur)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", invalidField("cursor", "invalid_cursor", "the cursor is not one this query returned", "游标无效")
		}
		off = n
	}
	end := min(off+int(limit), len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[off:end], next, nil
}

func (f *FakeHost) ListRooms(_ context.Context, req *wuyepb.ListRoomsRequest) (*wuyepb.ListRoomsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sel []*wuyepb.Room
	for _, r := range f.rooms {
		if (req.CommunityId == "" || r.CommunityId == req.CommunityId) && (req.BuildingId == "" || r.BuildingId == req.BuildingId) {
			sel = append(sel, r)
		}
	}
	rs, next, err := page(sel, req.Limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	return &wuyepb.ListRoomsResponse{Rooms: cloneAll(rs), NextCursor: next}, nil
}

func (f *FakeHost) GetResident(_ context.Context, req *wuyepb.GetResidentRequest) (*wuyepb.Resident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.resident(req.Id); r != nil {
		return proto.Clone(r).(*wuyepb.Resident), nil
	}
	return nil, fail(codes.NotFound, "not_found", "No such resident.", "住户不存在。")
}

func (f *FakeHost) ListResidents(_ context.Context, req *wuyepb.ListResidentsRequest) (*wuyepb.ListResidentsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sel []*wuyepb.Resident
	for _, r := range f.residents {
		if req.Tag != "" && !slices.Contains(r.Tags, req.Tag) {
			continue
		}
		if req.RoomId != "" && !slices.Contains(r.RoomIds, req.RoomId) {
			continue
		}
		if req.CommunityId != "" || req.BuildingId != "" {
			in := false
			for _, id := range r.RoomIds {
				if rm := f.room(id); rm != nil && (req.CommunityId == "" || rm.CommunityId == req.CommunityId) &&
					(req.BuildingId == "" || rm.BuildingId == req.BuildingId) {
					in = true
				}
			}
			if !in {
				continue
			}
		}
		sel = append(sel, r)
	}
	rs, next, err := page(sel, req.Limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	return &wuyepb.ListResidentsResponse{Residents: cloneAll(rs), NextCursor: next}, nil
}

// ---- billing and service desk ----

func (f *FakeHost) PostCharge(_ context.Context, req *wuyepb.PostChargeRequest) (*wuyepb.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.IdempotencyKey == "" {
		return nil, required("idempotency_key")
	}
	if c := f.chargeByKey[req.IdempotencyKey]; c != nil {
		out := proto.Clone(c).(*wuyepb.Charge)
		out.Replayed = true
		return out, nil
	}
	switch {
	case req.RoomId == "":
		return nil, required("room_id")
	case req.AmountFen <= 0:
		return nil, invalidField("amount_fen", "out_of_range", "amount_fen must be more than 0", "amount_fen 须大于 0")
	case strings.TrimSpace(req.Description) == "":
		return nil, required("description")
	case req.Currency != "" && req.Currency != "CNY":
		return nil, invalidField("currency", "unsupported_currency", "only CNY is billed", "仅支持人民币计费")
	}
	rm := f.room(req.RoomId)
	if rm == nil {
		return nil, fail(codes.NotFound, "not_found", "No such room.", "房间不存在。")
	}
	if req.ResidentId != "" && f.resident(req.ResidentId) == nil {
		return nil, fail(codes.NotFound, "not_found", "No such resident.", "住户不存在。")
	}
	f.seq++
	c := &wuyepb.Charge{Id: newID(), BillId: "bill-" + rm.Id + "-" + f.now().Format("200601"), RoomId: rm.Id,
		AmountFen: req.AmountFen, Currency: "CNY"}
	f.charges = append(f.charges, c)
	f.chargeByKey[req.IdempotencyKey] = c
	return proto.Clone(c).(*wuyepb.Charge), nil
}

var (
	workOrderTypes = []string{"repair", "complaint", "suggestion", "inspection", "maintenance"}
	priorities     = []string{"", "low", "normal", "high", "urgent"}
)

func (f *FakeHost) CreateWorkOrder(_ context.Context, req *wuyepb.CreateWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.IdempotencyKey == "" {
		return nil, required("idempotency_key")
	}
	if w := f.woByKey[req.IdempotencyKey]; w != nil {
		return proto.Clone(w).(*wuyepb.WorkOrder), nil
	}
	switch {
	case !slices.Contains(workOrderTypes, req.Type):
		return nil, invalidField("type", "invalid_choice", "type is repair, complaint, suggestion, inspection or maintenance", "type 须为 repair、complaint、suggestion、inspection、maintenance 之一")
	case strings.TrimSpace(req.Title) == "":
		return nil, required("title")
	case !slices.Contains(priorities, req.Priority):
		return nil, invalidField("priority", "invalid_choice", "priority is low, normal, high or urgent", "priority 须为 low、normal、high、urgent 之一")
	case req.RoomId != "" && f.room(req.RoomId) == nil:
		return nil, fail(codes.NotFound, "not_found", "No such room.", "房间不存在。")
	}
	f.seq++
	w := &wuyepb.WorkOrder{Id: newID(), Number: fmt.Sprintf("WO%s%04d", f.now().Format("20060102"), len(f.workOrders)+1),
		Type: req.Type, Status: "submitted", Title: req.Title, RoomId: req.RoomId}
	f.workOrders = append(f.workOrders, w)
	f.woByKey[req.IdempotencyKey] = w
	return proto.Clone(w).(*wuyepb.WorkOrder), nil
}

func (f *FakeHost) workOrder(id string) (*wuyepb.WorkOrder, error) {
	for _, w := range f.workOrders {
		if w.Id == id {
			return w, nil
		}
	}
	return nil, fail(codes.NotFound, "not_found", "No such work order.", "工单不存在。")
}

func (f *FakeHost) UpdateWorkOrder(_ context.Context, req *wuyepb.UpdateWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, err := f.workOrder(req.Id)
	if err != nil {
		return nil, err
	}
	switch req.Action {
	case "comment":
		if strings.TrimSpace(req.Note) == "" {
			return nil, required("note")
		}
	case "cancel":
		if w.Status == "cancelled" || w.Status == "closed" || w.Status == "confirmed" {
			return nil, fail(codes.FailedPrecondition, "invalid_transition", "The work order can no longer be cancelled.", "该工单已无法取消。")
		}
		w.Status = "cancelled"
	default:
		return nil, invalidField("action", "invalid_choice", "action is comment or cancel", "action 须为 comment 或 cancel")
	}
	if req.Note != "" {
		f.woNotes[w.Id] = append(f.woNotes[w.Id], req.Note)
	}
	return proto.Clone(w).(*wuyepb.WorkOrder), nil
}

func (f *FakeHost) GetWorkOrder(_ context.Context, req *wuyepb.GetWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, err := f.workOrder(req.Id)
	if err != nil {
		return nil, err
	}
	return proto.Clone(w).(*wuyepb.WorkOrder), nil
}

func (f *FakeHost) Notify(_ context.Context, req *wuyepb.NotifyRequest) (*wuyepb.NotifyResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.IdempotencyKey == "" {
		return nil, required("idempotency_key")
	}
	if n, ok := f.notifyKeys[req.IdempotencyKey]; ok {
		return &wuyepb.NotifyResponse{Recipients: n}, nil // sent before: nothing new
	}
	known := false
	for _, t := range f.manifest.GetTemplates() {
		known = known || t.Code == req.Template
	}
	if !known {
		return nil, invalidField("template", "unknown_template", "the plugin's manifest declares no such template", "插件清单未声明该通知模板")
	}
	if len(req.Recipients) == 0 {
		return nil, required("recipients")
	}
	for i, r := range req.Recipients {
		field := "recipients[" + strconv.Itoa(i) + "]"
		switch {
		case (r.UserId == "") == (r.ResidentId == ""):
			return nil, invalidField(field, "invalid_recipient", "a recipient is a user_id or a resident_id", "接收人须为 user_id 或 resident_id 之一")
		case r.ResidentId != "" && f.resident(r.ResidentId) == nil:
			return nil, invalidField(field+".resident_id", "unknown_resident", "no such resident", "住户不存在")
		}
	}
	n := int32(len(req.Recipients))
	f.notifyKeys[req.IdempotencyKey] = n
	vars := map[string]string{}
	for k, v := range req.Vars {
		vars[k] = v
	}
	f.notes = append(f.notes, Notification{Template: req.Template, Vars: vars, Recipients: cloneAll(req.Recipients),
		Link: req.Link, Urgent: req.Urgent, Key: req.IdempotencyKey})
	return &wuyepb.NotifyResponse{Recipients: n}, nil
}

// ---- events, tasks, audit, configuration ----

func validLocalName(s string) bool {
	return s != "" && len(s) <= 100 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == ""
}

func jsonOrEmpty(field string, b []byte, object bool) error {
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return invalidField(field, "invalid_json", field+" must be JSON", field+" 须为 JSON")
	}
	if _, ok := v.(map[string]any); object && !ok {
		return invalidField(field, "invalid_json", field+" must be a JSON object", field+" 须为 JSON 对象")
	}
	return nil
}

func (f *FakeHost) Publish(_ context.Context, req *wuyepb.PublishRequest) (*wuyepb.PublishResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case req.IdempotencyKey == "":
		return nil, required("idempotency_key")
	case !validLocalName(req.Type):
		return nil, invalidField("type", "invalid_type", "type is lowercase letters, digits, '_', '.' and '-'", "type 须为小写字母、数字、_、. 或 -")
	}
	if id, ok := f.publishKeys[req.IdempotencyKey]; ok {
		return &wuyepb.PublishResponse{EventId: id}, nil
	}
	if err := jsonOrEmpty("payload", req.Payload, false); err != nil {
		return nil, err
	}
	id := newID()
	f.publishKeys[req.IdempotencyKey] = id
	f.published = append(f.published, PublishedEvent{ID: id, Type: f.manifest.GetName() + "." + req.Type,
		Payload: append(json.RawMessage(nil), req.Payload...), Key: req.IdempotencyKey})
	return &wuyepb.PublishResponse{EventId: id}, nil
}

func (f *FakeHost) ScheduleTask(_ context.Context, req *wuyepb.ScheduleTaskRequest) (*wuyepb.ScheduleTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !validLocalName(req.Name):
		return nil, required("name")
	case req.RunAtUnixMs <= 0:
		return nil, required("run_at_unix_ms")
	}
	if err := jsonOrEmpty("payload", req.Payload, false); err != nil {
		return nil, err
	}
	id := newID()
	key := req.Key
	if key == "" {
		key = id
	}
	f.scheduled[key] = &ScheduledTask{ID: id, Key: key, Name: req.Name, Payload: append(json.RawMessage(nil), req.Payload...),
		RunAt: time.UnixMilli(req.RunAtUnixMs)}
	return &wuyepb.ScheduleTaskResponse{TaskId: id}, nil
}

func (f *FakeHost) CancelTask(_ context.Context, req *wuyepb.CancelTaskRequest) (*wuyepb.CancelTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Key == "" {
		return nil, required("key")
	}
	_, ok := f.scheduled[req.Key]
	delete(f.scheduled, req.Key)
	return &wuyepb.CancelTaskResponse{Cancelled: ok}, nil
}

func (f *FakeHost) Audit(ctx context.Context, req *wuyepb.AuditRequest) (*wuyepb.AuditResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !validLocalName(req.Action) {
		return nil, required("action")
	}
	if err := jsonOrEmpty("detail", req.Detail, true); err != nil {
		return nil, err
	}
	e := AuditEntry{Action: f.manifest.GetName() + "." + req.Action, ObjectType: req.ObjectType, ObjectID: req.ObjectId,
		Detail: append(json.RawMessage(nil), req.Detail...)}
	if c := f.callers[callToken(ctx)]; c != nil {
		e.Caller = proto.Clone(c).(*wuyepb.Caller)
	}
	f.audit = append(f.audit, e)
	return &wuyepb.AuditResponse{}, nil
}

func (f *FakeHost) GetConfig(context.Context, *wuyepb.GetConfigRequest) (*wuyepb.GetConfigResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := map[string]string{}
	for k, v := range f.secrets {
		s[k] = v
	}
	return &wuyepb.GetConfigResponse{Config: append([]byte(nil), f.config...), Secrets: s}, nil
}
