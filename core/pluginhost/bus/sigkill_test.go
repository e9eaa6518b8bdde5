package bus_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// recordingHost is the Host a recorder process calls back into: its records
// store keeps, per event id, how many times the plugin stored it.
type recordingHost struct {
	wuyepb.UnimplementedHostServer
	mu      sync.Mutex
	handled map[string]int
}

func (h *recordingHost) PutRecord(_ context.Context, r *wuyepb.PutRecordRequest) (*wuyepb.Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handled[r.Id]++
	return &wuyepb.Record{Collection: r.Collection, Id: r.Id, Document: r.Document, Version: int64(h.handled[r.Id])}, nil
}

func (h *recordingHost) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.handled)
}

type oneSpec struct{ spec pluginhost.Spec }

func (o oneSpec) Resolve(_ context.Context, tenant uuid.UUID, plugin string) (pluginhost.Spec, error) {
	if tenant != o.spec.TenantID || plugin != o.spec.Name {
		return pluginhost.Spec{}, pluginhost.ErrNotEnabled
	}
	return o.spec, nil
}

// buildRecorder builds the recorder test plugin into dir and returns its
// path and SHA-256.
func buildRecorder(t *testing.T, dir string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, "recorder")
	out, err := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", path, "../testdata/recorder").CombinedOutput()
	if err != nil {
		t.Fatalf("go build recorder: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// TestSIGKILLLosesNoEvent: core events emitted through the real bus and
// queue to a subscribed plugin running as a real process under the real
// supervisor; the process is killed with SIGKILL mid-stream. The plugin
// answers again within 2 s of the kill, and every event id reaches the
// plugin (it stored each one through its Host before acknowledging), none
// other: deliveries cut by the kill are retried with their ids.
func TestSIGKILLLosesNoEvent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux")
	}
	const n = 120
	t.Setenv("RECORDER_DELAY_MS", "5") // the stream takes long enough to be cut
	path, sum := buildRecorder(t, t.TempDir())
	storetest.Each(t, func(t *testing.T, db *store.DB) { sigkillOnce(t, db, path, sum, n) })
}

func sigkillOnce(t *testing.T, db *store.DB, path, sum string, n int) {
	tenant := store.NewID()
	host := &recordingHost{handled: map[string]int{}}
	sup, err := pluginhost.New(pluginhost.Options{
		Resolver: oneSpec{pluginhost.Spec{TenantID: tenant, TenantCode: "sigkill", Name: "recorder", Version: "1.0.0", Path: path, SHA256: sum}},
		Host:     func(pluginhost.Spec) wuyepb.HostServer { return host },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sup.Shutdown(ctx)
	})
	dir := newDirectory()
	dir.subscribe(tenant, "recorder", "workorder.*")
	b, err := bus.New(db, bus.Deps{Directory: dir, Runner: sup, Zone: shanghai}, bus.Options{CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	q := queuetest.Open(t, db, queuetest.Fast(queue.Config{Concurrency: 4}))
	b.Register(q)

	pidOf := func(ctx context.Context) (int, error) {
		var pid int
		err := sup.Call(ctx, tenant, "recorder", func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
			r, err := c.HandleHTTP(ctx, &wuyepb.HTTPRequest{Method: "GET", Path: "/pid"})
			if err == nil {
				pid, err = strconv.Atoi(string(r.Body))
			}
			return err
		})
		return pid, err
	}
	ctx := context.Background()
	pid, err := pidOf(ctx)
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]bool{}
	err = db.InTenant(ctx, tenant, func(tx *gorm.DB) error {
		for i := range n {
			id, err := b.Emit(store.Ctx(tx), tenant, bus.Event{Type: "workorder.changed", Payload: json.RawMessage(`{"seq":` + strconv.Itoa(i) + `}`)})
			if err != nil {
				return err
			}
			want[id.String()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a quarter of the events handled", func() bool { return host.count() >= n/4 })
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	before := host.count()
	if before >= n {
		t.Fatalf("every event was handled before the kill: the test proves nothing")
	}

	// Served again: a call answered by a new process.
	var again time.Duration
	for {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		p2, err := pidOf(cctx)
		cancel()
		if err == nil && p2 != pid {
			again = time.Since(killed)
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("not serving 5 s after SIGKILL: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("SIGKILL with %d of %d events handled; served again after %s", before, n, again.Round(time.Millisecond))
	if again > 2*time.Second {
		t.Errorf("served again %s after SIGKILL, want ≤ 2 s", again)
	}

	waitFor(t, 30*time.Second, "every delivery done", func() bool { return outboxStates(t, db, tenant, bus.TaskEvent)["done"] == n })
	host.mu.Lock()
	defer host.mu.Unlock()
	dup := 0
	for id, k := range host.handled {
		if !want[id] {
			t.Errorf("unknown event id %s handled", id)
		}
		if k > 1 {
			dup++
		}
	}
	for id := range want {
		if host.handled[id] == 0 {
			t.Errorf("event %s lost", id)
		}
	}
	t.Logf("%d events, %d handled, %d handled more than once (at-least-once)", n, len(host.handled), dup)
}
