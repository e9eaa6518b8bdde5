// Package sim is a simulated ONVIF camera for tests and demos: a real HTTP
// server speaking the SOAP 1.2 calls the onvif-camera driver makes
// (device, events and media services), checking the WS-Security
// UsernameToken digest, holding PullPoint subscriptions with termination
// times, and serving a JPEG snapshot behind HTTP digest or basic auth.
//
//	cam, err := sim.New(sim.Options{Username: "admin", Password: "secret"})
//	defer cam.Close()
//	cam.Alarm(sim.Motion, true) // reaches every subscription's next pull
package sim

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Alarm kinds and the topics the camera raises them under.
const (
	Motion    = "motion"
	Smoke     = "smoke"
	Intrusion = "intrusion"
	Tamper    = "tamper"
)

var topics = map[string]struct{ topic, item string }{
	Motion:    {"tns1:RuleEngine/CellMotionDetector/Motion", "IsMotion"},
	Smoke:     {"tns1:Device/Trigger/SmokeDetector", "State"},
	Intrusion: {"tns1:RuleEngine/FieldDetector/ObjectsInside", "IsInside"},
	Tamper:    {"tns1:VideoSource/GlobalSceneChange/ImagingService", "State"},
}

// Options configure a Camera.
type Options struct {
	Addr     string // listen address; "" is 127.0.0.1 on a free port
	Username string // "" accepts requests without a UsernameToken
	Password string
	// VideoSource is the token alarms name (default "VideoSource_1").
	VideoSource string
	// MaxTTL caps subscriptions' termination time (default 10 minutes).
	MaxTTL time.Duration
	// SnapshotAuth is "digest" (default), "basic" or "none".
	SnapshotAuth string
	// ReferenceParameters makes subscriptions share one address and be
	// told apart by a WS-Addressing reference parameter the client must
	// echo as a header, as some cameras do.
	ReferenceParameters bool
	// Discovery, when set, is a UDP address ("127.0.0.1:0") where the
	// camera answers WS-Discovery probes (see DiscoveryAddr).
	Discovery string
	// Name is what the camera calls itself in discovery (default "Sim Camera").
	Name string
	// ClockSkew moves the camera's clock (its answers and the check of
	// the token's Created time).
	ClockSkew time.Duration
}

// Failure modes for Break.
const (
	BreakNone    = ""
	BreakGarbage = "garbage" // answers that are not XML
	BreakHuge    = "huge"    // an endless answer
	BreakHTTP    = "http500" // 500 with an HTML page
	BreakFault   = "fault"   // a SOAP fault to every call
)

// Camera is a running simulated camera.
type Camera struct {
	opt  Options
	srv  *http.Server
	ln   net.Listener
	udp  *net.UDPConn // WS-Discovery, when enabled
	uuid string

	mu      sync.Mutex
	subs    map[string]*sub
	nextID  int
	active  map[string]bool // alarm kind → active now
	broken  string
	stall   chan struct{} // non-nil while stalled; closed to resume
	created int
	renewed int
	pulls   int
	unsubs  int
	authBad int
}

// sub is one PullPoint subscription.
type sub struct {
	id         string
	terminates time.Time
	queue      []message
	wake       chan struct{} // closed and replaced when a message is queued
}

type message struct {
	at     time.Time
	kind   string
	active bool
	op     string // Initialized, Changed
}

// New starts a Camera.
func New(o Options) (*Camera, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.VideoSource == "" {
		o.VideoSource = "VideoSource_1"
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = 10 * time.Minute
	}
	if o.SnapshotAuth == "" {
		o.SnapshotAuth = "digest"
	}
	if o.Name == "" {
		o.Name = "Sim Camera"
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen: %w", err)
	}
	c := &Camera{opt: o, ln: ln, subs: map[string]*sub{}, active: map[string]bool{}}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	c.uuid = fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:])
	if o.Discovery != "" {
		ua, err := net.ResolveUDPAddr("udp4", o.Discovery)
		if err == nil {
			c.udp, err = net.ListenUDP("udp4", ua)
		}
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("sim: discovery: %w", err)
		}
		go c.serveDiscovery(c.udp)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /onvif/device_service", c.soap)
	mux.HandleFunc("POST /onvif/events_service", c.soap)
	mux.HandleFunc("POST /onvif/media_service", c.soap)
	mux.HandleFunc("POST /onvif/subscription/{id}", c.soap)
	mux.HandleFunc("POST /onvif/subscription", c.soap)
	mux.HandleFunc("GET /onvif/snapshot", c.snapshot)
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Addr is the camera's host:port.
func (c *Camera) Addr() string { return c.ln.Addr().String() }

// DiscoveryAddr is where the camera answers WS-Discovery probes ("" when
// Options.Discovery was not set).
func (c *Camera) DiscoveryAddr() string {
	if c.udp == nil {
		return ""
	}
	return c.udp.LocalAddr().String()
}

// Close stops the camera.
func (c *Camera) Close() error {
	c.Stall(false)
	if c.udp != nil {
		_ = c.udp.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return c.srv.Close()
	}
	return err
}

func (c *Camera) now() time.Time { return time.Now().Add(c.opt.ClockSkew).UTC() }

// Alarm raises (active) or ends an alarm of kind (Motion, Smoke,
// Intrusion, Tamper); every subscription gets it on its next pull.
func (c *Camera) Alarm(kind string, active bool) error {
	if _, ok := topics[kind]; !ok {
		return fmt.Errorf("sim: unknown alarm kind %q", kind)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active[kind] = active
	m := message{at: c.now(), kind: kind, active: active, op: "Changed"}
	for _, s := range c.subs {
		s.push(m)
	}
	return nil
}

func (s *sub) push(m message) {
	s.queue = append(s.queue, m)
	close(s.wake)
	s.wake = make(chan struct{})
}

// ExpireSubscriptions makes every subscription terminate now, as if the
// driver had missed its renewals.
func (c *Camera) ExpireSubscriptions() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subs {
		s.terminates = c.now().Add(-time.Second)
		close(s.wake)
		s.wake = make(chan struct{})
	}
}

// Restart forgets every subscription, as a rebooted camera does.
func (c *Camera) Restart() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, s := range c.subs {
		close(s.wake)
		delete(c.subs, id)
	}
}

// Break makes every SOAP answer fail in mode (BreakNone to heal).
func (c *Camera) Break(mode string) {
	c.mu.Lock()
	c.broken = mode
	c.mu.Unlock()
}

// Stall makes the camera stop answering (on) — requests hang until it is
// resumed or their client gives up — and answer again (off).
func (c *Camera) Stall(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case on && c.stall == nil:
		c.stall = make(chan struct{})
	case !on && c.stall != nil:
		close(c.stall)
		c.stall = nil
	}
}

// wait holds a request while the camera is stalled; false when its client
// gave up.
func (c *Camera) wait(r *http.Request) bool {
	c.mu.Lock()
	stall := c.stall
	c.mu.Unlock()
	if stall == nil {
		return true
	}
	select {
	case <-stall:
		return true
	case <-r.Context().Done():
		return false
	}
}

// Stats counts what the camera has served.
type Stats struct {
	Subscriptions int // live now
	Created       int
	Renewed       int
	Pulls         int
	Unsubscribed  int
	AuthFailures  int
}

// Stats returns the counters.
func (c *Camera) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Subscriptions: len(c.subs), Created: c.created, Renewed: c.renewed, Pulls: c.pulls,
		Unsubscribed: c.unsubs, AuthFailures: c.authBad}
}

// subscribe creates a subscription for ttl (capped by MaxTTL) and queues
// the alarms active now as Initialized messages. It returns the id and
// termination time (the sub itself is only read under c.mu).
func (c *Camera) subscribe(ttl time.Duration) (string, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	c.created++
	s := &sub{id: strconv.Itoa(c.nextID), terminates: c.now().Add(min(ttl, c.opt.MaxTTL)), wake: make(chan struct{})}
	for kind, on := range c.active {
		if on {
			s.queue = append(s.queue, message{at: c.now(), kind: kind, active: true, op: "Initialized"})
		}
	}
	c.subs[s.id] = s
	return s.id, s.terminates
}

// live returns the subscription id if it has not terminated; a terminated
// one is dropped.
func (c *Camera) live(id string) (*sub, bool) {
	s := c.subs[id]
	if s == nil {
		return nil, false
	}
	if !c.now().Before(s.terminates) {
		delete(c.subs, id)
		return nil, false
	}
	return s, true
}

// pull waits up to timeout for messages of subscription id; ok is false
// when the subscription is unknown or has terminated.
func (c *Camera) pull(ctx context.Context, id string, timeout time.Duration, limit int) (msgs []message, terminates time.Time, ok bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		s, live := c.live(id)
		if !live {
			c.mu.Unlock()
			return nil, time.Time{}, false
		}
		if len(s.queue) > 0 {
			n := min(len(s.queue), limit)
			msgs = append(msgs, s.queue[:n]...)
			s.queue = s.queue[n:]
			t := s.terminates
			c.mu.Unlock()
			return msgs, t, true
		}
		wake, t := s.wake, s.terminates
		c.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			return nil, t, true
		case <-ctx.Done():
			return nil, t, true
		}
	}
}
