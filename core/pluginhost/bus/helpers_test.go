package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// eachQueue runs fn on both engines, each with the embedded queue and with
// the test Redis.
func eachQueue(t *testing.T, fn func(t *testing.T, db *store.DB, cfg queue.Config)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("embedded", func(t *testing.T) { fn(t, db, queuetest.Fast(queue.Config{Concurrency: 4})) })
		t.Run("redis", func(t *testing.T) { fn(t, db, queuetest.Config(t)) })
	})
}

// directory is the catalogue as the bus sees it: per tenant, each plugin's
// subscriptions, and the periodic tasks.
type directory struct {
	mu       sync.Mutex
	subs     map[uuid.UUID]map[string][]string
	periodic []bus.Periodic
}

func newDirectory() *directory { return &directory{subs: map[uuid.UUID]map[string][]string{}} }

func (d *directory) subscribe(tenant uuid.UUID, plugin string, types ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.subs[tenant] == nil {
		d.subs[tenant] = map[string][]string{}
	}
	d.subs[tenant][plugin] = types
}

func (d *directory) setPeriodic(ps ...bus.Periodic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.periodic = ps
}

func (d *directory) Subscribers(_ context.Context, tenant uuid.UUID, typ string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for p, subs := range d.subs[tenant] {
		if bus.Subscribed(subs, typ) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (d *directory) PeriodicTasks(context.Context) ([]bus.Periodic, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]bus.Periodic(nil), d.periodic...), nil
}

// call is one HandleEvent or RunTask the fake runner answered.
type call struct {
	Tenant uuid.UUID
	Plugin string
	Event  *wuyepb.Event
	Task   *wuyepb.TaskRequest
	At     time.Time
	Err    error
}

// runner is a fake pluginhost.Runner: it records every call, fails the ones
// fail says to, and answers ErrNotEnabled for plugins it was told are off.
type runner struct {
	mu       sync.Mutex
	calls    []call
	fail     func(c call) error
	disabled map[string]bool
	delay    time.Duration
	manifest *wuyepb.Manifest
}

func newRunner() *runner { return &runner{disabled: map[string]bool{}} }

func (r *runner) Call(ctx context.Context, tenant uuid.UUID, plugin string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	r.mu.Lock()
	off, m := r.disabled[plugin], r.manifest
	r.mu.Unlock()
	if off {
		return pluginhost.ErrNotEnabled
	}
	return fn(ctx, client{r: r, tenant: tenant, plugin: plugin}, m)
}

func (r *runner) record(c call) error {
	r.mu.Lock()
	fail, delay := r.fail, r.delay
	r.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	c.At = time.Now()
	if fail != nil {
		c.Err = fail(c)
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return c.Err
}

func (r *runner) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// events are the successful event deliveries.
func (r *runner) events() []call {
	var out []call
	for _, c := range r.snapshot() {
		if c.Event != nil && c.Err == nil {
			out = append(out, c)
		}
	}
	return out
}

// tasks are the task runs (failed ones too).
func (r *runner) tasks() []call {
	var out []call
	for _, c := range r.snapshot() {
		if c.Task != nil {
			out = append(out, c)
		}
	}
	return out
}

// client answers the two RPCs the bus uses; any other panics (nil embedded).
type client struct {
	wuyepb.PluginClient
	r      *runner
	tenant uuid.UUID
	plugin string
}

func (c client) HandleEvent(ctx context.Context, in *wuyepb.Event, _ ...grpc.CallOption) (*wuyepb.EventAck, error) {
	return &wuyepb.EventAck{}, c.r.record(call{Tenant: c.tenant, Plugin: c.plugin, Event: in})
}

func (c client) RunTask(ctx context.Context, in *wuyepb.TaskRequest, _ ...grpc.CallOption) (*wuyepb.TaskResult, error) {
	return &wuyepb.TaskResult{}, c.r.record(call{Tenant: c.tenant, Plugin: c.plugin, Task: in})
}

func shanghai(context.Context, uuid.UUID) *time.Location {
	l, _ := time.LoadLocation("Asia/Shanghai")
	return l
}

// setup opens a queue with the bus's handlers, started; the bus's periodic
// loop is not (see runBus).
func setup(t *testing.T, db *store.DB, cfg queue.Config, dir *directory, r *runner, opt bus.Options) (*bus.Bus, *queue.Queue) {
	t.Helper()
	b, err := bus.New(db, bus.Deps{Directory: dir, Runner: r, Zone: shanghai}, opt)
	if err != nil {
		t.Fatal(err)
	}
	q := queuetest.Open(t, db, cfg)
	b.Register(q)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b, q
}

// runBus runs the bus's periodic loop until the test ends.
func runBus(t *testing.T, b *bus.Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outboxStates counts a tenant's outbox rows of a task type by state.
func outboxStates(t *testing.T, db *store.DB, tenant uuid.UUID, typ string) map[string]int {
	t.Helper()
	var rows []struct {
		State string
		N     int
	}
	err := db.Platform(context.Background(), func(tx *gorm.DB) error {
		return tx.Raw("SELECT state, count(*) AS n FROM outbox WHERE tenant_id = ? AND type = ? GROUP BY state", tenant, typ).Scan(&rows).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.State] = r.N
	}
	return m
}

var errPlugin = errors.New("plugin says no")

func describe(c call) string {
	if c.Event != nil {
		return fmt.Sprintf("%s event %s %s attempt %d", c.Plugin, c.Event.Type, c.Event.Id, c.Event.Attempt)
	}
	return fmt.Sprintf("%s task %s %s attempt %d", c.Plugin, c.Task.Name, c.Task.Id, c.Task.Attempt)
}

func storeSQLite(t *testing.T) *store.DB { return storetest.SQLite(t) }
