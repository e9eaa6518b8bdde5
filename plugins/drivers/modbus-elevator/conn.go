package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

// offlineAfter is how many polls in a row must fail before the device is
// reported offline: one lost answer on a busy network is not an outage.
const offlineAfter = 3

// maxBackoff caps the wait between reconnects to a box that is down.
const maxBackoff = 10 * time.Second

// conn is one lift monitoring box: a Modbus TCP connection and the
// goroutine that polls it.
type conn struct {
	dev  driver.Device
	set  settings
	sink driver.Sink
	log  *slog.Logger

	mu     sync.Mutex
	client *modbus.ModbusClient // nil while disconnected

	stats  stats
	cancel context.CancelFunc
	done   chan struct{}
}

// stats counts what went wrong with a box, for the log and the tests.
type stats struct {
	polls, unreachable, exceptions, badFrames, outOfRange, stalled atomic.Int64
}

// quiet keeps the library's own log off stdout, which is go-plugin's.
var quiet = log.New(io.Discard, "", 0)

func open(_ context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
	set, err := parseConfig(dev.Config)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{dev: dev, set: set, sink: sink, cancel: cancel, done: make(chan struct{}),
		log: plugin.Logger().With("device", dev.ID, "address", set.addr)}
	go c.run(ctx)
	return c, nil
}

// Close stops polling and drops the connection. A poll in flight ends
// within the timeout; Close does not wait longer than that for it.
func (c *conn) Close() error {
	c.cancel()
	select {
	case <-c.done:
	case <-time.After(c.set.timeout + time.Second):
	}
	c.disconnect()
	return nil
}

// run polls on the device's interval until Close, reconnecting with a
// doubling backoff while the box is unreachable.
func (c *conn) run(ctx context.Context) {
	defer close(c.done)
	// A dial still in flight when Close gave up waiting leaves its client
	// here: close it on the way out.
	defer c.disconnect()
	w := newWatch(c.dev.ID, c.set.trappedAfter)
	status, said := "", ""
	report := func(s, detail string) {
		if s != status || detail != said {
			c.sink.Status(s, detail)
		}
		status, said = s, detail
	}
	fails, backoff := 0, c.set.poll
	wait := time.Duration(0)
	beat, beatAt := -1, time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		st, err := c.poll()
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		var bad *badAnswer
		switch {
		case err == nil:
			fails, backoff, wait = 0, c.set.poll, c.set.poll
			// The heartbeat counts seconds; a box answering with the same
			// one for long no longer refreshes its registers from the lift.
			if st.Heartbeat != beat {
				beat, beatAt = st.Heartbeat, now
			}
			if now.Sub(beatAt) >= c.set.staleAfter {
				// Stale registers: events from them would be fiction.
				c.stats.stalled.Add(1)
				report(driver.StatusFault, fmt.Sprintf("the box's heartbeat has not moved for %s: its readings are stale", c.set.staleAfter))
				continue
			}
			report(driver.StatusOnline, "")
			for _, ev := range w.observe(st, now) {
				c.sink.Emit(ev)
			}
		case errors.As(err, &bad):
			// The box answers, but not sensibly: at fault, not offline.
			fails, backoff, wait = 0, c.set.poll, c.set.poll
			c.log.Warn("lift box answered badly", "err", err, "exceptions", c.stats.exceptions.Load(),
				"bad_frames", c.stats.badFrames.Load(), "out_of_range", c.stats.outOfRange.Load())
			report(driver.StatusFault, err.Error())
		default:
			fails++
			c.stats.unreachable.Add(1)
			c.disconnect()
			if fails >= offlineAfter && status != driver.StatusOffline {
				c.log.Warn("lift box unreachable", "err", err, "failed_polls", fails)
				report(driver.StatusOffline, fmt.Sprintf("%d polls failed: %v", fails, err))
			}
			wait = backoff
			backoff = min(backoff*2, max(maxBackoff, c.set.poll))
		}
	}
}

// badAnswer is an answer that arrived but cannot be used: a Modbus
// exception, a malformed or short frame, a value out of range.
type badAnswer struct{ reason string }

func (e *badAnswer) Error() string { return e.reason }

// poll reads the register map once.
func (c *conn) poll() (state, error) {
	c.stats.polls.Add(1)
	regs, err := c.read(c.set.base, numRegs)
	if err != nil {
		return state{}, err
	}
	st, err := decode(regs)
	if err != nil {
		c.stats.outOfRange.Add(1)
		return st, &badAnswer{reason: "the box reports nonsense: " + err.Error()}
	}
	return st, nil
}

// read reads holding registers, connecting first if need be, and sorts
// the library's errors into bad answers and unreachable boxes.
func (c *conn) read(addr, n uint16) ([]uint16, error) {
	mc, err := c.connect()
	if err != nil {
		return nil, err
	}
	regs, err := mc.ReadRegisters(addr, n, modbus.HOLDING_REGISTER)
	return regs, c.classify(mc, err)
}

// write writes one holding register.
func (c *conn) write(addr, v uint16) error {
	mc, err := c.connect()
	if err != nil {
		return err
	}
	return c.classify(mc, mc.WriteRegister(addr, v))
}

func (c *conn) classify(mc *modbus.ModbusClient, err error) error {
	switch {
	case err == nil:
		return nil
	case isException(err):
		c.stats.exceptions.Add(1)
		return &badAnswer{reason: "the box answered with exception: " + err.Error()}
	case errors.Is(err, modbus.ErrProtocolError), errors.Is(err, modbus.ErrShortFrame),
		errors.Is(err, modbus.ErrBadUnitId), errors.Is(err, modbus.ErrBadTransactionId),
		errors.Is(err, modbus.ErrUnexpectedParameters):
		c.stats.badFrames.Add(1)
		// The stream may be out of step now: start afresh next time.
		c.drop(mc)
		return &badAnswer{reason: "the box sent a malformed answer: " + err.Error()}
	}
	c.drop(mc)
	return fmt.Errorf("%w: %v", driver.ErrUnreachable, err)
}

func isException(err error) bool {
	switch {
	case errors.Is(err, modbus.ErrIllegalFunction), errors.Is(err, modbus.ErrIllegalDataAddress),
		errors.Is(err, modbus.ErrIllegalDataValue), errors.Is(err, modbus.ErrServerDeviceFailure),
		errors.Is(err, modbus.ErrAcknowledge), errors.Is(err, modbus.ErrServerDeviceBusy),
		errors.Is(err, modbus.ErrMemoryParityError), errors.Is(err, modbus.ErrGWPathUnavailable),
		errors.Is(err, modbus.ErrGWTargetFailedToRespond):
		return true
	}
	return false
}

// connect returns the open client, dialling the box if there is none.
func (c *conn) connect() (*modbus.ModbusClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, nil
	}
	mc, err := modbus.NewClient(&modbus.ClientConfiguration{
		URL: "tcp://" + c.set.addr, Timeout: c.set.timeout, Logger: quiet,
	})
	if err != nil {
		return nil, driver.Invalid("address: " + err.Error())
	}
	if err := mc.Open(); err != nil {
		return nil, fmt.Errorf("%w: %v", driver.ErrUnreachable, err)
	}
	if err := mc.SetUnitId(c.set.unit); err != nil {
		_ = mc.Close()
		return nil, err
	}
	c.client = mc
	return mc, nil
}

// drop closes mc if it is still the current client.
func (c *conn) drop(mc *modbus.ModbusClient) {
	c.mu.Lock()
	if c.client == mc {
		c.client = nil
	}
	c.mu.Unlock()
	_ = mc.Close()
}

func (c *conn) disconnect() {
	c.mu.Lock()
	mc := c.client
	c.client = nil
	c.mu.Unlock()
	if mc != nil {
		_ = mc.Close()
	}
}
