package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// State is where a tenant's plugin is in its life cycle.
type State string

// States of a tenant's plugin.
const (
	StateStopped     State = "stopped"      // no process; the next Call starts one
	StateStarting    State = "starting"     // launching (checksum, exec, Describe, Start)
	StateRunning     State = "running"      // serving calls
	StateRestarting  State = "restarting"   // lost; a restart is due after backoff
	StateCircuitOpen State = "circuit_open" // crashed too often; down until Reset
)

// AlertKind names what the operator is told about.
type AlertKind string

// Alerts for the operator.
const (
	AlertChecksum    AlertKind = "checksum_mismatch" // the binary differs from the catalogue; not started
	AlertCircuitOpen AlertKind = "circuit_open"      // a tenant's plugin kept crashing; no more restarts
)

// Alert tells the operator something needs a person.
type Alert struct {
	Kind       AlertKind
	TenantID   uuid.UUID
	TenantCode string
	Plugin     string
	Version    string
	Path       string
	Detail     string
	At         time.Time
}

// Options configure a Supervisor. Zero values take the defaults noted.
type Options struct {
	Resolver Resolver    // required
	Host     HostFactory // required

	// IdleTimeout stops a process that has had no call for this long
	// (default 10 min; negative: never). Driver plugins are never idle-stopped.
	IdleTimeout time.Duration
	// HealthInterval between Health calls (default 10 s), each bounded by
	// HealthTimeout (default 5 s). A failed check restarts the process.
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	// StartTimeout bounds a launch: checksum, exec, handshake, Describe and
	// Start (default 10 s).
	StartTimeout time.Duration
	// MaxMemory kills and restarts a process whose proportional set size
	// exceeds it (bytes; 0: no limit). Sampled every MemoryInterval (default
	// HealthInterval).
	MaxMemory      int64
	MemoryInterval time.Duration
	// MaxInFlight concurrent calls per process; more answer ErrUnavailable at
	// once (default 64).
	MaxInFlight int
	// RestartBackoff is the delay before the first restart of a lost process,
	// doubled for each further crash in CircuitWindow up to MaxRestartBackoff
	// (defaults 100 ms and 30 s).
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
	// CircuitCrashes crashes (exits, failed health checks, memory kills,
	// failed starts) within CircuitWindow open the circuit (defaults 5 and
	// 5 min).
	CircuitCrashes int
	CircuitWindow  time.Duration
	// DrainTimeout is how long Stop lets in-flight calls finish before the
	// process is stopped (default 5 s).
	DrainTimeout time.Duration

	Logger     *slog.Logger          // default slog.Default()
	Registerer prometheus.Registerer // nil: metrics are kept but not registered
	OnAlert    func(Alert)           // called on its own goroutine
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.IdleTimeout, 10*time.Minute)
	def(&o.HealthInterval, 10*time.Second)
	def(&o.HealthTimeout, 5*time.Second)
	def(&o.StartTimeout, 10*time.Second)
	def(&o.MemoryInterval, o.HealthInterval)
	def(&o.RestartBackoff, 100*time.Millisecond)
	def(&o.MaxRestartBackoff, 30*time.Second)
	def(&o.CircuitWindow, 5*time.Minute)
	def(&o.DrainTimeout, 5*time.Second)
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 64
	}
	if o.CircuitCrashes <= 0 {
		o.CircuitCrashes = 5
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Supervisor runs one plugin process per (tenant, plugin). It implements Runner.
type Supervisor struct {
	opt    Options
	log    *slog.Logger
	m      *metrics
	closed atomic.Bool
	// launching counts starts under way, so Shutdown can wait for them to
	// see it and kill what they started.
	launching atomic.Int64

	mu    sync.Mutex
	slots map[slotKey]*slot
}

var _ Runner = (*Supervisor)(nil)

type slotKey struct {
	tenant uuid.UUID
	plugin string
}

// slot is one tenant's plugin: at most one process, and its crash history.
type slot struct {
	key slotKey

	mu    sync.Mutex
	state State
	proc  *process // while running
	// gen changes on Stop, so a start or restart begun before it is dropped.
	gen uint64
	// ready is closed when the start in progress (or due, when restarting)
	// ends; waiting callers then read lastErr.
	ready     chan struct{}
	lastErr   error
	restartAt time.Time
	timer     *time.Timer
	crashes   []time.Time
	spec      Spec   // as last resolved
	alerted   string // the checksum a mismatch alert was last sent for
	// dropped: removed from the supervisor's map (a plugin the tenant does
	// not have), so calls naming any plugin do not grow it.
	dropped bool
}

// process is one running plugin process.
type process struct {
	*launched
	spec      Spec
	startedAt time.Time

	inFlight int           // slot.mu
	retired  bool          // slot.mu: no longer handed to new calls
	drained  chan struct{} // closed once retired with no call in flight

	stop     chan struct{} // ends the monitor
	stopOnce sync.Once
	killOnce sync.Once

	lastCall atomic.Int64 // unix ns
	calls    atomic.Uint64
	memory   atomic.Int64
}

func (p *process) closeStop() { p.stopOnce.Do(func() { close(p.stop) }) }

// kill ends the process: hard sends SIGKILL at once (a hung or bloated
// process); otherwise go-plugin asks it to exit and kills it after 2 s.
func (p *process) kill(hard bool) {
	p.killOnce.Do(func() {
		p.closeStop()
		if hard && p.cmd.Process != nil {
			_ = p.cmd.Process.Kill()
		}
		p.client.Kill()
	})
}

// New makes a Supervisor. Nothing starts until the first Call.
func New(opt Options) (*Supervisor, error) {
	if opt.Resolver == nil || opt.Host == nil {
		return nil, errors.New("pluginhost: Options.Resolver and Options.Host are required")
	}
	opt.defaults()
	s := &Supervisor{opt: opt, log: opt.Logger.With("component", "pluginhost"), slots: map[slotKey]*slot{}}
	s.m = newMetrics(s)
	if opt.Registerer != nil {
		for _, c := range s.m.collectors() {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("pluginhost: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Collectors are the supervisor's metrics, for a registry other than
// Options.Registerer.
func (s *Supervisor) Collectors() []prometheus.Collector { return s.m.collectors() }

var (
	errBusy       = errors.New("the process has its maximum of calls in flight")
	errCircuit    = errors.New("circuit open: the plugin kept crashing")
	errRestarting = errors.New("the process is restarting after a crash")
	errShutdown   = errors.New("the supervisor is shut down")
)

// Call implements Runner.
func (s *Supervisor) Call(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(ctx context.Context, c wuyepb.PluginClient, m *wuyepb.Manifest) error) error {
	sl, p, err := s.acquire(ctx, slotKey{tenantID, plugin})
	if err != nil {
		return err
	}
	p.lastCall.Store(time.Now().UnixNano())
	p.calls.Add(1)
	err = func() error {
		defer s.release(sl, p)
		return fn(ctx, p.rpc, p.manifest)
	}()
	if lostMidCall(ctx, err) {
		// The connection broke: the process is gone or going, and its
		// monitor is restarting it.
		return ErrUnavailable.Wrap(err)
	}
	return err
}

// lostMidCall reports an error that means the process went away during the
// call: the connection broke (Unavailable), or the monitor, seeing the exit
// first, closed it under the call (Canceled though the caller did not
// cancel).
func lostMidCall(ctx context.Context, err error) bool {
	switch status.Code(err) {
	case codes.Unavailable:
		return true
	case codes.Canceled:
		return ctx.Err() == nil
	}
	return false
}

// CallDriver implements DriverRunner: Call, with the process's Driver
// client. A plugin that is not a driver (or speaks an API before 3) answers
// ErrNotDriver.
func (s *Supervisor) CallDriver(ctx context.Context, tenantID uuid.UUID, plugin string, fn func(ctx context.Context, c wuyepb.DriverClient, m *wuyepb.Manifest) error) error {
	sl, p, err := s.acquire(ctx, slotKey{tenantID, plugin})
	if err != nil {
		return err
	}
	p.lastCall.Store(time.Now().UnixNano())
	p.calls.Add(1)
	err = func() error {
		defer s.release(sl, p)
		if p.driver == nil {
			return ErrNotDriver
		}
		return fn(ctx, p.driver, p.manifest)
	}()
	if lostMidCall(ctx, err) {
		return ErrUnavailable.Wrap(err)
	}
	return err
}

func (s *Supervisor) slotFor(k slotKey) *slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.slots[k]
	if sl == nil {
		sl = &slot{key: k, state: StateStopped}
		s.slots[k] = sl
	}
	return sl
}

func (s *Supervisor) lookup(k slotKey) *slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slots[k]
}

// acquire hands out the running process, starting it (once, however many
// callers wait) when there is none.
func (s *Supervisor) acquire(ctx context.Context, k slotKey) (*slot, *process, error) {
	sl := s.slotFor(k)
	for {
		if s.closed.Load() {
			return nil, nil, ErrUnavailable.Wrap(errShutdown)
		}
		sl.mu.Lock()
		if sl.dropped { // forgotten meanwhile: use the slot that replaced it
			sl.mu.Unlock()
			sl = s.slotFor(k)
			continue
		}
		switch sl.state {
		case StateRunning:
			p := sl.proc
			if p.inFlight >= s.opt.MaxInFlight {
				sl.mu.Unlock()
				s.m.rejected.WithLabelValues(sl.key.plugin, "in_flight").Inc()
				return nil, nil, ErrUnavailable.Wrap(errBusy)
			}
			p.inFlight++
			sl.mu.Unlock()
			return sl, p, nil
		case StateCircuitOpen:
			sl.mu.Unlock()
			s.m.rejected.WithLabelValues(sl.key.plugin, "circuit_open").Inc()
			return nil, nil, ErrUnavailable.Wrap(errCircuit)
		case StateStopped:
			s.beginStart(sl)
		case StateRestarting:
			// Wait for the restart only if it is due before the caller gives up.
			if d, ok := ctx.Deadline(); ok && sl.restartAt.After(d) {
				sl.mu.Unlock()
				return nil, nil, ErrUnavailable.Wrap(errRestarting)
			}
		}
		ready := sl.ready
		sl.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		sl.mu.Lock()
		running, err := sl.state == StateRunning, sl.lastErr
		sl.mu.Unlock()
		if !running {
			if err == nil {
				err = ErrUnavailable
			}
			return nil, nil, err
		}
	}
}

func (s *Supervisor) release(sl *slot, p *process) {
	p.lastCall.Store(time.Now().UnixNano())
	sl.mu.Lock()
	p.inFlight--
	if p.retired && p.inFlight == 0 {
		close(p.drained)
	}
	sl.mu.Unlock()
}

// retire takes p out of service (slot.mu held).
func retire(sl *slot, p *process) {
	if sl.proc == p {
		sl.proc = nil
	}
	if !p.retired {
		p.retired = true
		if p.inFlight == 0 {
			close(p.drained)
		}
	}
}

// beginStart launches a process for sl in the background (slot.mu held).
func (s *Supervisor) beginStart(sl *slot) {
	sl.state = StateStarting
	sl.ready = make(chan struct{})
	go s.start(sl, sl.gen, sl.ready, false)
}

// start resolves the tenant's plugin and launches it. restart says the slot
// had a live process, which is restarted again after a failed attempt.
func (s *Supervisor) start(sl *slot, gen uint64, ready chan struct{}, restart bool) {
	s.launching.Add(1)
	defer s.launching.Add(-1)
	defer close(ready)
	sl.mu.Lock()
	if sl.gen != gen || s.closed.Load() {
		sl.mu.Unlock()
		return
	}
	sl.state = StateStarting
	sl.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), s.opt.StartTimeout)
	defer cancel()
	spec, err := s.opt.Resolver.Resolve(ctx, sl.key.tenant, sl.key.plugin)
	resolved := err == nil
	var l *launched
	began := time.Now()
	if err == nil {
		spec.TenantID, spec.Name = sl.key.tenant, sl.key.plugin
		l, err = launch(ctx, spec, launchConfig{
			log:          s.procLog(spec),
			host:         s.opt.Host,
			startTimeout: s.opt.StartTimeout,
			interceptor:  s.m.interceptor(spec.Name),
		})
		outcome := "ok"
		switch {
		case errors.Is(err, ErrChecksum):
			outcome = "checksum"
		case err != nil:
			outcome = "failed"
		}
		s.m.starts.WithLabelValues(spec.Name, outcome).Observe(time.Since(began).Seconds())
	}

	sl.mu.Lock()
	var alert *Alert
	var unwanted *launched
	defer func() {
		sl.mu.Unlock()
		if alert != nil {
			s.alert(*alert)
		}
		if unwanted != nil {
			unwanted.client.Kill()
		}
	}()
	if sl.gen != gen || s.closed.Load() { // stopped meanwhile
		unwanted = l
		sl.lastErr = ErrUnavailable
		return
	}
	if err == nil || errors.Is(err, ErrChecksum) {
		sl.spec = spec
	}
	switch {
	case err == nil:
		p := &process{launched: l, spec: spec, startedAt: time.Now(), drained: make(chan struct{}), stop: make(chan struct{})}
		p.lastCall.Store(p.startedAt.UnixNano())
		p.memory.Store(pss(p.pid))
		sl.proc, sl.state, sl.lastErr, sl.alerted = p, StateRunning, nil, ""
		s.procLog(spec).Info("plugin started", "pid", p.pid, "api_version", p.apiVersion,
			"duration_ms", time.Since(began).Milliseconds(), "restart", restart)
		go s.monitor(sl, p)
	case errors.Is(err, ErrChecksum):
		sl.state, sl.lastErr = StateStopped, err
		s.procLog(spec).Error("plugin binary refused: checksum mismatch", "path", spec.Path, "err", err)
		if sl.alerted != spec.SHA256 { // once per registered checksum, not per request
			sl.alerted = spec.SHA256
			alert = &Alert{Kind: AlertChecksum, TenantID: spec.TenantID, TenantCode: spec.TenantCode, Plugin: spec.Name,
				Version: spec.Version, Path: spec.Path, Detail: err.Error(), At: time.Now()}
		}
	case !resolved: // the resolver refused (not enabled, or failed)
		sl.state, sl.lastErr = StateStopped, err
		if len(sl.crashes) == 0 && sl.timer == nil {
			s.mu.Lock() // order: slot, then supervisor; nothing holds s.mu while taking a slot's
			if s.slots[sl.key] == sl {
				delete(s.slots, sl.key)
			}
			s.mu.Unlock()
			sl.dropped = true
		}
	default: // the binary would not start or answer: a crash like any other
		s.m.restarts.WithLabelValues(spec.Name, "start_failed").Inc()
		s.procLog(spec).Warn("plugin failed to start", "err", err)
		alert = s.noteCrash(sl, spec, err, restart)
		if sl.state != StateCircuitOpen {
			sl.lastErr = err
		}
	}
}

// noteCrash records a lost process and decides what follows (slot.mu held):
// the circuit opens after too many crashes; a slot that had a live process is
// restarted after backoff; a failed lazy start waits for the next call.
func (s *Supervisor) noteCrash(sl *slot, spec Spec, cause error, live bool) *Alert {
	now := time.Now()
	keep := sl.crashes[:0]
	for _, t := range sl.crashes {
		if now.Sub(t) < s.opt.CircuitWindow {
			keep = append(keep, t)
		}
	}
	sl.crashes = append(keep, now)
	n := len(sl.crashes)
	if n >= s.opt.CircuitCrashes {
		sl.state = StateCircuitOpen
		sl.lastErr = ErrUnavailable.Wrap(errCircuit)
		s.procLog(spec).Error("plugin circuit open: not restarting", "crashes", n, "window", s.opt.CircuitWindow.String(), "last_err", cause)
		return &Alert{Kind: AlertCircuitOpen, TenantID: sl.key.tenant, TenantCode: spec.TenantCode, Plugin: sl.key.plugin,
			Version: spec.Version, Path: spec.Path, At: now,
			Detail: fmt.Sprintf("%d crashes within %s; last: %v", n, s.opt.CircuitWindow, cause)}
	}
	if !live {
		sl.state = StateStopped
		return nil
	}
	delay := s.opt.RestartBackoff << (n - 1)
	if delay > s.opt.MaxRestartBackoff || delay <= 0 {
		delay = s.opt.MaxRestartBackoff
	}
	ready := make(chan struct{})
	sl.state, sl.ready, sl.restartAt = StateRestarting, ready, now.Add(delay)
	gen := sl.gen
	sl.timer = time.AfterFunc(delay, func() { s.start(sl, gen, ready, true) })
	return nil
}

func (s *Supervisor) alert(a Alert) {
	if s.opt.OnAlert != nil {
		go s.opt.OnAlert(a)
	}
}

func (s *Supervisor) procLog(spec Spec) *slog.Logger {
	return s.log.With("tenant", spec.TenantCode, "tenant_id", spec.TenantID.String(), "plugin", spec.Name, "plugin_version", spec.Version)
}

// monitor watches one process until it is retired: its exit, its health, its
// memory and its idleness.
func (s *Supervisor) monitor(sl *slot, p *process) {
	health := time.NewTicker(s.opt.HealthInterval)
	defer health.Stop()
	mem := time.NewTicker(s.opt.MemoryInterval)
	defer mem.Stop()
	var idle *time.Timer
	var idleC <-chan time.Time
	if s.opt.IdleTimeout > 0 && p.manifest.GetKind() != wuyepb.Kind_KIND_DRIVER {
		idle = time.NewTimer(s.opt.IdleTimeout)
		defer idle.Stop()
		idleC = idle.C
	}
	for {
		if s.watch(sl, p, health.C, mem.C, idleC) {
			return
		}
		// The idle timer fired: stop if no call came since, else wait for the
		// rest of the idle time from the last one.
		wait := time.Until(time.Unix(0, p.lastCall.Load()).Add(s.opt.IdleTimeout))
		if wait <= 0 {
			if s.idleStop(sl, p) {
				return
			}
			wait = s.opt.IdleTimeout // calls in flight
		}
		idle.Reset(wait)
	}
}

// watch returns true when the process is gone or retired, false when the
// idle timer fired.
func (s *Supervisor) watch(sl *slot, p *process, health, mem, idle <-chan time.Time) bool {
	for {
		select {
		case <-p.stop:
			return true
		case <-p.exited:
			s.lost(sl, p, "exited", errors.New("the process exited"))
			return true
		case <-idle:
			return false
		case <-health:
			ctx, cancel := context.WithTimeout(context.Background(), s.opt.HealthTimeout)
			r, err := p.rpc.Health(ctx, &wuyepb.HealthRequest{})
			cancel()
			if err == nil && !r.GetOk() {
				err = fmt.Errorf("unhealthy: %s", r.GetMessage())
			}
			if err != nil {
				select {
				case <-p.stop:
					return true
				case <-p.exited:
					s.lost(sl, p, "exited", errors.New("the process exited"))
				default:
					s.lost(sl, p, "health", err)
				}
				return true
			}
		case <-mem:
			m := pss(p.pid)
			p.memory.Store(m)
			if s.opt.MaxMemory > 0 && m > s.opt.MaxMemory {
				s.lost(sl, p, "memory", fmt.Errorf("proportional set size %d MiB over the limit of %d MiB", m>>20, s.opt.MaxMemory>>20))
				return true
			}
		}
	}
}

// lost handles a process that exited, failed its health check or grew over
// the memory limit: it is killed and the slot restarted (or its circuit opened).
func (s *Supervisor) lost(sl *slot, p *process, reason string, cause error) {
	sl.mu.Lock()
	if sl.proc != p {
		sl.mu.Unlock()
		return
	}
	retire(sl, p)
	s.m.restarts.WithLabelValues(sl.key.plugin, reason).Inc()
	s.procLog(p.spec).Warn("plugin process lost", "reason", reason, "pid", p.pid, "err", cause)
	alert := s.noteCrash(sl, p.spec, fmt.Errorf("%s: %w", reason, cause), true)
	sl.mu.Unlock()
	if alert != nil {
		s.alert(*alert)
	}
	go p.kill(reason != "exited")
}

// idleStop stops p if it is still idle; false when a call came meanwhile.
func (s *Supervisor) idleStop(sl *slot, p *process) bool {
	sl.mu.Lock()
	if sl.proc != p {
		sl.mu.Unlock()
		return true
	}
	if p.inFlight > 0 || time.Since(time.Unix(0, p.lastCall.Load())) < s.opt.IdleTimeout {
		sl.mu.Unlock()
		return false
	}
	retire(sl, p)
	sl.state = StateStopped
	sl.mu.Unlock()
	s.procLog(p.spec).Info("plugin stopped: idle", "pid", p.pid, "idle", s.opt.IdleTimeout.String())
	p.kill(false)
	return true
}

// Stop stops a tenant's plugin process, letting calls in flight finish for up
// to DrainTimeout, and forgets its crash history. Used when a tenant disables
// or upgrades a plugin: the next Call resolves and starts it afresh.
func (s *Supervisor) Stop(tenantID uuid.UUID, plugin string) {
	sl := s.lookup(slotKey{tenantID, plugin})
	if sl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.DrainTimeout)
	defer cancel()
	s.stopSlot(ctx, sl)
}

func (s *Supervisor) stopSlot(ctx context.Context, sl *slot) {
	sl.mu.Lock()
	sl.gen++
	if sl.timer != nil && sl.timer.Stop() && sl.state == StateRestarting {
		close(sl.ready) // the restart will not run; its waiters must not hang
		sl.lastErr = ErrUnavailable
	}
	sl.timer = nil
	p := sl.proc
	if p != nil {
		retire(sl, p)
	}
	sl.state, sl.crashes, sl.alerted = StateStopped, nil, ""
	sl.mu.Unlock()
	if p == nil {
		return
	}
	p.closeStop()
	select {
	case <-p.drained:
	case <-ctx.Done():
		s.procLog(p.spec).Warn("plugin stopped with calls in flight")
	}
	p.kill(false)
}

// Reset closes a tenant's plugin circuit and forgets its crashes: the next
// Call starts it again.
func (s *Supervisor) Reset(tenantID uuid.UUID, plugin string) {
	sl := s.lookup(slotKey{tenantID, plugin})
	if sl == nil {
		return
	}
	sl.mu.Lock()
	sl.crashes = nil
	if sl.state == StateCircuitOpen {
		sl.state, sl.lastErr = StateStopped, nil
	}
	sl.mu.Unlock()
}

// Shutdown stops every process: calls in flight may finish until ctx ends,
// then each process is asked to exit (and killed 2 s later if it does not).
// Calls after Shutdown answer ErrUnavailable.
func (s *Supervisor) Shutdown(ctx context.Context) error {
	s.closed.Store(true)
	s.mu.Lock()
	all := make([]*slot, 0, len(s.slots))
	for _, sl := range s.slots {
		all = append(all, sl)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, sl := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stopSlot(ctx, sl)
		}()
	}
	wg.Wait()
	for s.launching.Load() > 0 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	return ctx.Err()
}

// ProcessInfo describes a tenant's plugin slot that is not plainly stopped.
type ProcessInfo struct {
	TenantID    uuid.UUID `json:"tenant_id"`
	TenantCode  string    `json:"tenant_code"`
	Plugin      string    `json:"plugin"`
	Version     string    `json:"version"`
	State       State     `json:"state"`
	PID         int       `json:"pid,omitempty"`
	APIVersion  int       `json:"api_version,omitempty"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	LastCallAt  time.Time `json:"last_call_at,omitzero"`
	Calls       uint64    `json:"calls"`
	InFlight    int       `json:"in_flight"`
	MemoryBytes int64     `json:"memory_bytes"`
	// RecentCrashes within the circuit window.
	RecentCrashes int `json:"recent_crashes"`
}

// Processes lists the live processes, and the slots starting, restarting or
// with their circuit open, by tenant code and plugin.
func (s *Supervisor) Processes() []ProcessInfo {
	s.mu.Lock()
	all := make([]*slot, 0, len(s.slots))
	for _, sl := range s.slots {
		all = append(all, sl)
	}
	s.mu.Unlock()
	out := make([]ProcessInfo, 0, len(all))
	for _, sl := range all {
		sl.mu.Lock()
		if sl.state == StateStopped {
			sl.mu.Unlock()
			continue
		}
		info := ProcessInfo{TenantID: sl.key.tenant, TenantCode: sl.spec.TenantCode, Plugin: sl.key.plugin,
			Version: sl.spec.Version, State: sl.state, RecentCrashes: len(sl.crashes)}
		if p := sl.proc; p != nil {
			info.Version = p.spec.Version
			info.PID, info.APIVersion, info.StartedAt = p.pid, p.apiVersion, p.startedAt
			info.LastCallAt = time.Unix(0, p.lastCall.Load())
			info.Calls, info.InFlight, info.MemoryBytes = p.calls.Load(), p.inFlight, p.memory.Load()
		}
		sl.mu.Unlock()
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TenantCode != out[j].TenantCode {
			return out[i].TenantCode < out[j].TenantCode
		}
		if out[i].TenantID != out[j].TenantID {
			return out[i].TenantID.String() < out[j].TenantID.String()
		}
		return out[i].Plugin < out[j].Plugin
	})
	return out
}

// Describe starts a binary once without a tenant (after checking its
// checksum), asks for its manifest and stops it. The catalogue calls it when
// an operator registers a binary.
func (s *Supervisor) Describe(ctx context.Context, path, sha256 string) (*wuyepb.Manifest, error) {
	return describe(ctx, path, sha256, s.log, s.opt.StartTimeout)
}

// Describe is Supervisor.Describe for callers without a Supervisor; plugin
// output goes to slog.Default().
func Describe(ctx context.Context, path, sha256 string) (*wuyepb.Manifest, error) {
	return describe(ctx, path, sha256, slog.Default().With("component", "pluginhost"), 10*time.Second)
}

func describe(ctx context.Context, path, sha256 string, log *slog.Logger, timeout time.Duration) (*wuyepb.Manifest, error) {
	l, err := launch(ctx, Spec{Path: path, SHA256: sha256}, launchConfig{log: log.With("describe", path), startTimeout: timeout})
	if err != nil {
		return nil, err
	}
	l.client.Kill()
	return l.manifest, nil
}
