package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

// conn is one open controller.
type conn struct {
	dev  driver.Device
	cfg  config
	sink driver.Sink
	bc   *brokerClient

	mu      sync.Mutex
	waiting map[string]*waiter // request id → the Execute calls waiting for its ack
	status  string             // what the device last reported on its status topic
	closed  bool
	report  [2]string     // the status and detail for the host, latest only
	reports chan struct{} // wakes reportLoop; closed by Close

	dropped atomic.Uint64 // messages dropped as unreadable
}

// waiter is one outstanding command; done closes when its ack arrives.
type waiter struct {
	done chan struct{}
	ack  wireAck
}

// droppedTotal counts dropped messages over all devices.
var droppedTotal atomic.Uint64

// open connects one device: it joins (or starts) its broker's client.
func open(ctx context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
	cfg, err := parseConfig(dev)
	if err != nil {
		return nil, err
	}
	cn := &conn{dev: dev, cfg: cfg, sink: sink, waiting: map[string]*waiter{}, reports: make(chan struct{}, 1)}
	go cn.reportLoop()
	cn.bc = acquire(cfg)
	cn.bc.attach(cn)
	// A mistyped broker shows as offline at once rather than never online;
	// the client keeps trying and the device comes up when it can.
	if !cn.bc.waitConnected(ctx, 2*time.Second) {
		cn.setStatus(driver.StatusOffline, "broker "+cfg.Broker+" is not reachable; retrying")
	}
	return cn, nil
}

// Close implements driver.Conn.
func (cn *conn) Close() error {
	cn.mu.Lock()
	if cn.closed {
		cn.mu.Unlock()
		return nil
	}
	cn.closed = true
	close(cn.reports)
	cn.mu.Unlock()
	cn.bc.detach(cn)
	cn.bc.release()
	return nil
}

// Check implements driver.Checker: the broker link, and the device's own
// status (its last will says when it went away).
func (cn *conn) Check(context.Context) error {
	if !cn.bc.connected() {
		return fmt.Errorf("%w: broker %s is not connected", driver.ErrUnreachable, cn.cfg.Broker)
	}
	cn.mu.Lock()
	st := cn.status
	cn.mu.Unlock()
	if st == driver.StatusOffline {
		return fmt.Errorf("%w: the controller reports offline", driver.ErrUnreachable)
	}
	return nil
}

// Dropped is how many of this device's messages were dropped as unreadable.
func (cn *conn) Dropped() uint64 { return cn.dropped.Load() }

// handle takes one message on the device's topic suffix.
func (cn *conn) handle(suffix string, payload []byte, retained bool) {
	switch suffix {
	case "event":
		if retained {
			return // a stale event a misconfigured device left retained
		}
		ev, err := parseEvent(payload)
		if err != nil {
			cn.drop("event", err)
			return
		}
		cn.sink.Emit(ev)
	case "status":
		st := strings.ToLower(strings.TrimSpace(string(payload)))
		if st != driver.StatusOnline && st != driver.StatusOffline {
			cn.drop("status", fmt.Errorf("status %q is neither online nor offline", clip(st, 32)))
			return
		}
		cn.mu.Lock()
		cn.status = st
		cn.mu.Unlock()
		detail := ""
		if st == driver.StatusOffline {
			detail = "the controller reports offline"
		}
		cn.setStatus(st, detail)
	case "ack":
		ack, err := parseAck(payload)
		if err != nil {
			cn.drop("ack", err)
			return
		}
		cn.mu.Lock()
		w := cn.waiting[ack.ID]
		delete(cn.waiting, ack.ID)
		cn.mu.Unlock()
		if w != nil {
			w.ack = ack
			close(w.done)
		}
	}
}

// drop counts and logs an unreadable message; a flood logs sparingly.
func (cn *conn) drop(kind string, err error) {
	n := cn.dropped.Add(1)
	droppedTotal.Add(1)
	if n <= 10 || n%1000 == 0 {
		plugin.Logger().Warn("mqtt-door dropped a message", "device", cn.dev.ID, "serial", cn.cfg.Serial,
			"topic", kind, "dropped", n, "err", err)
	}
}

// brokerLost marks the device offline while its broker is away.
func (cn *conn) brokerLost(err error) {
	cn.setStatus(driver.StatusOffline, fmt.Sprintf("broker %s connection lost: %v", cn.cfg.Broker, err))
}

// setStatus hands a status to reportLoop. The host call behind
// Sink.Status may take a while, and the MQTT client's message loop must
// not wait on it (its keepalive would suffer): the latest status wins.
func (cn *conn) setStatus(st, detail string) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.closed {
		return
	}
	cn.report = [2]string{st, detail}
	select {
	case cn.reports <- struct{}{}:
	default:
	}
}

// reportLoop sends statuses to the sink until Close.
func (cn *conn) reportLoop() {
	for range cn.reports {
		cn.mu.Lock()
		r := cn.report
		cn.mu.Unlock()
		cn.sink.Status(r[0], r[1])
	}
}

// Execute implements driver.Executor: publish the command, wait for its
// ack. While waiting the command is republished with the same id (a QoS 0
// message or one the device missed while reconnecting); the device
// executes an id once.
func (cn *conn) Execute(ctx context.Context, cmd driver.Command) (driver.Result, error) {
	wc, err := cn.command(cmd)
	if err != nil {
		return driver.Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return driver.Result{}, err
	}
	if !cn.bc.connected() {
		return driver.Result{}, fmt.Errorf("%w: broker %s is not connected", driver.ErrUnreachable, cn.cfg.Broker)
	}
	body, _ := json.Marshal(wc)

	cn.mu.Lock()
	w := cn.waiting[wc.ID]
	if w == nil { // the same id in flight twice waits for one ack
		w = &waiter{done: make(chan struct{})}
		cn.waiting[wc.ID] = w
	}
	cn.mu.Unlock()

	timeout := cn.cfg.ackTimeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resend := time.NewTicker(max(timeout/3, 200*time.Millisecond))
	defer resend.Stop()
	cn.bc.client.Publish(cn.cfg.topic("cmd"), cn.cfg.qos(), false, body)
	for {
		select {
		case <-w.done:
			return driver.Result{OK: w.ack.OK, Message: w.ack.Message}, nil
		case <-resend.C:
			cn.bc.client.Publish(cn.cfg.topic("cmd"), cn.cfg.qos(), false, body)
		case <-ctx.Done():
			cn.mu.Lock()
			if cn.waiting[wc.ID] == w {
				delete(cn.waiting, wc.ID)
			}
			cn.mu.Unlock()
			if errors.Is(ctx.Err(), context.Canceled) {
				return driver.Result{}, ctx.Err()
			}
			return driver.Result{}, fmt.Errorf("%w: %s %s got no ack: %w", driver.ErrNoAck, cmd.Name, wc.ID, context.DeadlineExceeded)
		}
	}
}

// commandArgs are the arguments door.open and gate.* take.
type commandArgs struct {
	Door      json.RawMessage `json:"door"`
	DurationS int             `json:"duration_s"`
	Reason    string          `json:"reason"`
}

// command maps a canonical command onto the wire.
func (cn *conn) command(cmd driver.Command) (wireCommand, error) {
	wc := wireCommand{ID: cmd.RequestID, Door: 1}
	if wc.ID == "" {
		wc.ID = "wuye-" + randomID()
	}
	if len(wc.ID) > maxIDLen {
		return wc, driver.Invalid("request id too long")
	}
	gate := cn.dev.Class == driver.BarrierGate
	switch {
	case cmd.Name == driver.DoorOpen && !gate:
		wc.Cmd, wc.DurationS = "open", cn.cfg.OpenDuration
	case cmd.Name == driver.GateOpen && gate:
		wc.Cmd = "open"
	case cmd.Name == driver.GateClose && gate:
		wc.Cmd = "close"
	default:
		return wc, fmt.Errorf("%w: %s on a %s", driver.ErrUnsupported, cmd.Name, cn.dev.Class)
	}
	var a commandArgs
	if err := cmd.Decode(&a); err != nil {
		return wc, driver.Invalid("arguments: " + err.Error())
	}
	if len(a.Door) > 0 {
		s, err := doorOf(a.Door)
		if err != nil {
			return wc, driver.Invalid(err.Error())
		}
		n, err := strconv.Atoi(s)
		if s != "" && (err != nil || n < 1) {
			return wc, driver.Invalid(fmt.Sprintf("door %q is not a door number", s))
		}
		if s != "" {
			wc.Door = n
		}
	}
	if a.DurationS != 0 {
		if a.DurationS < 1 || a.DurationS > 600 || wc.Cmd == "close" {
			return wc, driver.Invalid("duration_s must be 1–600, and only for opening")
		}
		wc.DurationS = a.DurationS
	}
	return wc, nil
}
