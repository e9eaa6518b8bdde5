package stream

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

type fakeRegistry struct {
	mu   sync.Mutex
	devs map[uuid.UUID]Ref
	seen int
}

func (f *fakeRegistry) add(tenantID uuid.UUID, drv string) Ref {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := Ref{ID: store.NewID(), TenantID: tenantID, Name: "gate", Class: "lpr_camera", Driver: drv, Place: "东门"}
	f.devs[r.ID] = r
	return r
}

func (f *fakeRegistry) Ref(_ context.Context, tenantID, id uuid.UUID) (Ref, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.devs[id]
	if !ok || r.TenantID != tenantID {
		return Ref{}, apperr.NotFound
	}
	return r, nil
}

func (f *fakeRegistry) CheckToken(ctx context.Context, tenantID, id uuid.UUID, token string) (Ref, error) {
	r, err := f.Ref(ctx, tenantID, id)
	if err == nil && token != "secret" {
		return Ref{}, apperr.New(apperr.KindUnauthenticated, "bad_device_token", "bad token", "令牌错误")
	}
	return r, err
}

func (f *fakeRegistry) Seen(uuid.UUID, uuid.UUID, time.Time) {
	f.mu.Lock()
	f.seen++
	f.mu.Unlock()
}

type fakeDir struct{ plugins []string }

func (d fakeDir) Subscribers(context.Context, uuid.UUID, string) ([]string, error) {
	return d.plugins, nil
}

// recorder is a feature plugin in process: it records what it handled and
// can refuse events.
type recorder struct {
	wuyepb.PluginClient
	mu     sync.Mutex
	got    []*wuyepb.Event
	ids    map[string]int
	refuse func(*wuyepb.Event) bool
	hold   func(context.Context, *wuyepb.Event) error // runs before an event is handled
	signal chan struct{}
}

func newRecorder() *recorder { return &recorder{ids: map[string]int{}, signal: make(chan struct{}, 1)} }

func (r *recorder) HandleEvent(ctx context.Context, ev *wuyepb.Event, _ ...grpc.CallOption) (*wuyepb.EventAck, error) {
	if r.hold != nil {
		if err := r.hold(ctx, ev); err != nil {
			return nil, err
		}
	}
	if r.refuse != nil && r.refuse(ev) {
		return nil, apperr.New(apperr.KindInternal, "refused", "refused", "拒绝")
	}
	r.mu.Lock()
	r.got = append(r.got, ev)
	r.ids[ev.Id]++
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
	return &wuyepb.EventAck{}, nil
}

func (r *recorder) events() []*wuyepb.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*wuyepb.Event(nil), r.got...)
}

// waitN waits until n distinct events arrived.
func (r *recorder) waitN(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		k := len(r.ids)
		r.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-r.signal:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("got %d distinct events, want %d", k, n)
		}
	}
}

type fakeRunner struct{ plugins map[string]*recorder }

func (f fakeRunner) Call(ctx context.Context, _ uuid.UUID, plugin string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	p := f.plugins[plugin]
	if p == nil {
		return apperr.NotFound
	}
	return fn(ctx, p, &wuyepb.Manifest{Subscriptions: []string{"plate.*", "door.accessed", "acme.*"}})
}
