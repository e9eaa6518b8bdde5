package hostsvc_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/records"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// recBus records what the host asked of the queue (core/pluginhost/bus is
// tested on its own).
type recBus struct {
	mu    sync.Mutex
	calls []string
}

func (b *recBus) note(s string) {
	b.mu.Lock()
	b.calls = append(b.calls, s)
	b.mu.Unlock()
}
func (b *recBus) Publish(_ context.Context, t uuid.UUID, plugin, typ string, _ []byte, key string) (string, error) {
	b.note("publish " + t.String() + " " + plugin + " " + typ + " " + key)
	return "ev1", nil
}
func (b *recBus) Schedule(_ context.Context, t uuid.UUID, plugin, name string, _ []byte, _ time.Time, key string) (string, error) {
	b.note("schedule " + plugin + " " + name + " " + key)
	return "task1", nil
}
func (b *recBus) Cancel(_ context.Context, t uuid.UUID, plugin, key string) (bool, error) {
	b.note("cancel " + plugin + " " + key)
	return true, nil
}

type recAudit struct {
	mu      sync.Mutex
	entries []hostsvc.AuditEntry
}

func (a *recAudit) Record(_ context.Context, e hostsvc.AuditEntry) error {
	a.mu.Lock()
	a.entries = append(a.entries, e)
	a.mu.Unlock()
	return nil
}

var manifest = &wuyepb.Manifest{Name: "events", Collections: []*wuyepb.Collection{
	{Name: "venues", Indexes: []*wuyepb.IndexField{{Field: "code", Unique: true}, {Field: "capacity"}}},
}}

// serve serves the Host of (tenant, plugin) on a real listener and returns a client.
func serve(t *testing.T, f *hostsvc.Factory, tenantID uuid.UUID, cfg string) wuyepb.HostClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	wuyepb.RegisterHostServer(srv, f.For(pluginhost.Spec{TenantID: tenantID, Name: "events", Manifest: manifest, Config: []byte(cfg)}))
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return wuyepb.NewHostClient(conn)
}

// detail returns the status code and the ErrorDetail's code of err.
func detail(t *testing.T, err error) (codes.Code, string) {
	t.Helper()
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if ed, ok := d.(*wuyepb.ErrorDetail); ok {
			return st.Code(), ed.GetCode()
		}
	}
	return st.Code(), ""
}

func TestRecordsOverGRPC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bus, aud := &recBus{}, &recAudit{}
		f := hostsvc.New(hostsvc.Deps{Records: records.New(db), Bus: bus, Audit: aud,
			Secrets: func(_ context.Context, _ uuid.UUID, plugin string) (map[string]string, error) {
				return map[string]string{"api_key": "k-" + plugin}, nil
			}})
		ta, tb := store.NewID(), store.NewID()
		a, b := serve(t, f, ta, `{"x":1}`), serve(t, f, tb, "")

		r, err := a.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "venues", Document: []byte(`{"code":"hall","capacity":40}`), ExpectedVersion: -1})
		if err != nil || r.GetVersion() != 1 {
			t.Fatalf("put: %v %v", r, err)
		}
		// Tenant B's host, same plugin, cannot read, replace or delete A's record.
		if _, err := b.GetRecord(ctx, &wuyepb.GetRecordRequest{Collection: "venues", Id: r.GetId()}); status.Code(err) != codes.NotFound {
			t.Fatalf("B reads A's record: %v", err)
		}
		if _, err := b.DeleteRecord(ctx, &wuyepb.DeleteRecordRequest{Collection: "venues", Id: r.GetId()}); status.Code(err) != codes.NotFound {
			t.Fatalf("B deletes A's record: %v", err)
		}
		if _, err := b.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "venues", Id: r.GetId(), Document: []byte(`{}`), ExpectedVersion: 1}); status.Code(err) != codes.NotFound {
			t.Fatalf("B replaces A's record: %v", err)
		}
		if q, err := b.QueryRecords(ctx, &wuyepb.QueryRecordsRequest{Collection: "venues"}); err != nil || len(q.GetRecords()) != 0 {
			t.Fatalf("B queries: %v %v", q, err)
		}
		// Errors carry their stable codes.
		for _, c := range []struct {
			err  error
			code codes.Code
			det  string
		}{
			{func() error {
				_, err := a.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "venues", Id: r.GetId(), Document: []byte(`{}`), ExpectedVersion: 7})
				return err
			}(), codes.Aborted, "version_conflict"},
			{func() error {
				_, err := a.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "venues", Document: []byte(`{"code":"hall"}`)})
				return err
			}(), codes.AlreadyExists, "duplicate"},
			{func() error {
				_, err := a.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "venues", Id: r.GetId(), Document: []byte(`{}`), ExpectedVersion: -1})
				return err
			}(), codes.AlreadyExists, "already_exists"},
			{func() error {
				_, err := a.PutRecord(ctx, &wuyepb.PutRecordRequest{Collection: "nope", Document: []byte(`{}`)})
				return err
			}(), codes.InvalidArgument, "unknown_collection"},
			{func() error {
				_, err := a.QueryRecords(ctx, &wuyepb.QueryRecordsRequest{Collection: "venues", Filters: []*wuyepb.Filter{{Field: "x", Op: "eq", Value: []byte(`1`)}}})
				return err
			}(), codes.InvalidArgument, "invalid_input"},
			{func() error {
				_, err := a.GetRoom(ctx, &wuyepb.GetRoomRequest{Id: store.NewID().String()})
				return err
			}(), codes.Unimplemented, ""},
		} {
			if code, det := detail(t, c.err); code != c.code || det != c.det {
				t.Errorf("%v: got %s %q, want %s %q", c.err, code, det, c.code, c.det)
			}
		}
		q, err := a.QueryRecords(ctx, &wuyepb.QueryRecordsRequest{Collection: "venues", Filters: []*wuyepb.Filter{{Field: "capacity", Op: "gte", Value: []byte(`40`)}}})
		if err != nil || len(q.GetRecords()) != 1 {
			t.Fatalf("query: %v %v", q, err)
		}

		// Events, tasks, audit and config.
		if _, err := a.Publish(ctx, &wuyepb.PublishRequest{Type: "activity_published", Payload: []byte(`{}`), IdempotencyKey: "a1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.ScheduleTask(ctx, &wuyepb.ScheduleTaskRequest{Name: "remind", RunAtUnixMs: time.Now().Add(time.Hour).UnixMilli(), Key: "r1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CancelTask(ctx, &wuyepb.CancelTaskRequest{Key: "r1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Publish(ctx, &wuyepb.PublishRequest{Type: "x"}); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("publish without key: %v", err)
		}
		want := []string{"publish " + ta.String() + " events activity_published plugin:events:a1", "schedule events remind plugin:events:r1", "cancel events plugin:events:r1"}
		if len(bus.calls) != 3 || bus.calls[0] != want[0] || bus.calls[1] != want[1] || bus.calls[2] != want[2] {
			t.Fatalf("bus calls: %q", bus.calls)
		}
		if _, err := a.Audit(ctx, &wuyepb.AuditRequest{Action: "venue.create", ObjectType: "venue", ObjectId: r.GetId()}); err != nil {
			t.Fatal(err)
		}
		user := store.NewID()
		tok := f.Calls().Begin(ta, "events", hostsvc.Caller{Kind: "user", ID: user, Name: "admin", RequestID: "req-1"})
		withTok := metadata.AppendToOutgoingContext(ctx, hostsvc.CallTokenHeader, tok)
		if _, err := a.Audit(withTok, &wuyepb.AuditRequest{Action: "venue.update"}); err != nil {
			t.Fatal(err)
		}
		// Tenant B's process cannot borrow A's token: it audits as itself.
		if _, err := b.Audit(withTok, &wuyepb.AuditRequest{Action: "venue.update"}); err != nil {
			t.Fatal(err)
		}
		f.Calls().End(tok)
		if _, err := a.Audit(withTok, &wuyepb.AuditRequest{Action: "late"}); err != nil {
			t.Fatal(err)
		}
		e := aud.entries
		if len(e) != 4 || e[0].ActorKind != "plugin" || e[0].Action != "events.venue.create" || e[0].TenantID != ta ||
			e[1].ActorKind != "user" || e[1].ActorID != user || e[1].RequestID != "req-1" ||
			e[2].ActorKind != "plugin" || e[2].TenantID != tb || e[3].ActorKind != "plugin" {
			t.Fatalf("audit entries: %+v", e)
		}
		c, err := a.GetConfig(ctx, &wuyepb.GetConfigRequest{})
		if err != nil || string(c.GetConfig()) != `{"x":1}` || c.GetSecrets()["api_key"] != "k-events" {
			t.Fatalf("config: %v %v", c, err)
		}
	})
}

// TestFlood: a process calling beyond its rate gets ResourceExhausted; a
// second process (another tenant) is not affected.
func TestFlood(t *testing.T) {
	db := storetest.SQLite(t)
	f := hostsvc.New(hostsvc.Deps{Records: records.New(db), Limits: hostsvc.Limits{Rate: 1, Burst: 5, Concurrent: 2}})
	a, b := serve(t, f, store.NewID(), ""), serve(t, f, store.NewID(), "")
	ctx := context.Background()
	var exhausted int
	for range 20 {
		if _, err := a.GetConfig(ctx, &wuyepb.GetConfigRequest{}); status.Code(err) == codes.ResourceExhausted {
			exhausted++
		}
	}
	if exhausted < 14 {
		t.Fatalf("%d of 20 calls refused, want at least 14", exhausted)
	}
	if _, err := b.GetConfig(ctx, &wuyepb.GetConfigRequest{}); err != nil {
		t.Fatalf("the other tenant's process: %v", err)
	}
}

// Calls a little beyond the rate wait for their tokens instead of failing:
// a busy plugin is slowed, not refused.
func TestBeyondTheRateWaits(t *testing.T) {
	db := storetest.SQLite(t)
	f := hostsvc.New(hostsvc.Deps{Records: records.New(db), Limits: hostsvc.Limits{Rate: 50, Burst: 1, Concurrent: 2}})
	a := serve(t, f, store.NewID(), "")
	for i := range 5 {
		if _, err := a.GetConfig(context.Background(), &wuyepb.GetConfigRequest{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}
