// Package sim is a simulated ISAPI plate-recognition camera: a real HTTP
// server on 127.0.0.1 serving the barrier gate, IO output, snapshot,
// device info and alertStream endpoints with digest (or basic) auth, and a
// client that pushes EventNotificationAlerts to an ingress URL as a camera
// does. Tests, the demo runner and benchmarks use it.
//
//	cam, _ := sim.New(sim.Options{Username: "admin", Password: "pw", OnGate: func(cmd string, at time.Time) { ... }})
//	defer cam.Close()
//	err := cam.Push(ctx, ingressURL, "粤B·D12345", "enter", sim.PushOptions{Picture: true})
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// GateMode is how the camera answers barrier commands.
type GateMode int32

const (
	GateAck    GateMode = iota // open/close and answer statusCode 1
	GateRefuse                 // answer a ResponseStatus refusing it
	GateHang                   // never answer (until the caller gives up)
)

// Options configure a simulated camera.
type Options struct {
	Addr     string // listen address; "127.0.0.1:0" (a random port) when empty
	Username string // empty: no authentication
	Password string
	Auth     string // "digest" (default) or "basic"
	Channel  int    // the ANPR channel; 1 when zero
	Gate     GateMode
	// OnGate is called when the camera opens or closes its barrier
	// (gate.open, gate.close), at the moment the command arrived. It runs
	// before the camera answers: it must not block.
	OnGate func(cmd string, at time.Time)
	// Heartbeat is the interval of videoloss/inactive heartbeats on the
	// alertStream; 10 s when zero.
	Heartbeat time.Duration
}

// Command is one barrier command the camera received.
type Command struct {
	Name    string    // gate.open, gate.close
	Path    string    // the ISAPI path it came on
	At      time.Time // when it arrived
	Outcome string    // ok, refused, hung
}

// Camera is a running simulated camera.
type Camera struct {
	o      Options
	ln     net.Listener
	srv    *http.Server
	closed chan struct{}
	once   sync.Once
	gate   atomic.Int32
	nonce  string

	scene, plate []byte // JPEGs: scene (also the snapshot) and plate close-up

	mu       sync.Mutex
	commands []Command
	streams  map[chan streamItem]struct{}
	serial   int64

	pushedOK, pushedFailed atomic.Int64
}

// New starts a camera.
func New(o Options) (*Camera, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Channel == 0 {
		o.Channel = 1
	}
	if o.Auth == "" {
		o.Auth = "digest"
	}
	if o.Auth != "digest" && o.Auth != "basic" {
		return nil, fmt.Errorf("sim: auth %q: digest or basic", o.Auth)
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = 10 * time.Second
	}
	scene, plate, err := pictures()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	c := &Camera{o: o, ln: ln, closed: make(chan struct{}), nonce: randomHex(16), scene: scene, plate: plate,
		streams: map[chan streamItem]struct{}{}}
	c.gate.Store(int32(o.Gate))
	c.srv = &http.Server{Handler: c.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Addr is the camera's host:port (a device's "address").
func (c *Camera) Addr() string { return c.ln.Addr().String() }

// URL is the camera's base URL.
func (c *Camera) URL() string { return "http://" + c.Addr() }

// Close stops the camera, ending hung commands and streams.
func (c *Camera) Close() error {
	c.once.Do(func() { close(c.closed) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = c.srv.Close()
	}
	return err
}

// SetGate changes how the camera answers barrier commands from now on.
func (c *Camera) SetGate(m GateMode) { c.gate.Store(int32(m)) }

// Commands returns the barrier commands received so far, in order.
func (c *Camera) Commands() []Command {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Command(nil), c.commands...)
}

// Snapshot is the JPEG the camera serves as its picture.
func (c *Camera) Snapshot() []byte { return c.scene }

// Pushed counts the pushes that the ingress endpoint accepted and refused.
func (c *Camera) Pushed() (ok, failed int64) { return c.pushedOK.Load(), c.pushedFailed.Load() }

func (c *Camera) record(cmd Command) {
	c.mu.Lock()
	c.commands = append(c.commands, cmd)
	c.mu.Unlock()
	if cmd.Outcome == "ok" && c.o.OnGate != nil {
		c.o.OnGate(cmd.Name, cmd.At)
	}
}
