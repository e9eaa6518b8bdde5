package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

// timing of the pull loop; tests shorten it.
var timing = struct {
	retry, maxRetry time.Duration // backoff after a failure, doubling up to maxRetry
	failures        int           // consecutive failures before the camera is offline
	ttl             time.Duration // subscription lifetime asked for
	renewMargin     time.Duration // renew when less than a pull plus this is left
	closeWait       time.Duration // how long Close waits for Unsubscribe
}{time.Second, 30 * time.Second, 3, time.Minute, 10 * time.Second, 2 * time.Second}

// messageLimit is the most notifications one PullMessages returns.
const messageLimit = 100

// conn is one open camera: a pull loop for its alarms, and its commands.
type conn struct {
	id   string
	cfg  config
	cl   *client
	sink driver.Sink
	seen *recent

	stop context.CancelFunc
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	sub     *subscription // the live subscription, ended on Close
	profile string        // the media profile in use, once known
}

func open(_ context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
	cfg, err := parseConfig(dev)
	if err != nil {
		return nil, err
	}
	c := &conn{id: dev.ID, cfg: cfg, cl: newClient(cfg, dev.Secrets["password"]), sink: sink,
		seen: newRecent(512), done: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go c.run(ctx)
	return c, nil
}

// run keeps a subscription and pulls it until Close.
func (c *conn) run(ctx context.Context) {
	defer close(c.done)
	failures, backoff := 0, timing.retry
	// fail reports err and waits before the next try.
	fail := func(err error) {
		failures++
		var f *Fault
		switch {
		case errors.As(err, &f) && f.Auth():
			c.cl.forget() // a clock that moved is refused like a wrong password
			c.sink.Status(driver.StatusFault, "authentication failed: the camera refused the username or password ("+f.Error()+")")
		case failures >= timing.failures:
			c.sink.Status(driver.StatusOffline, err.Error())
		}
		plugin.Logger().Warn("onvif camera", "device", c.id, "failures", failures, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, timing.maxRetry)
	}
	ok := func() {
		failures, backoff = 0, timing.retry
		c.sink.Status(driver.StatusOnline, "")
	}
	for ctx.Err() == nil {
		if err := c.connect(ctx); err != nil {
			fail(err)
			continue
		}
		sub, err := c.cl.subscribe(ctx, timing.ttl)
		if err != nil {
			fail(err)
			continue
		}
		c.setSub(sub)
		ok()
		c.pullLoop(ctx, sub, ok, fail)
		if ctx.Err() == nil {
			c.setSub(nil) // lost; on Close the live one is ended
		}
	}
}

// pullLoop pulls sub until it is lost (it returns; run subscribes again)
// or ctx ends.
func (c *conn) pullLoop(ctx context.Context, sub *subscription, ok func(), fail func(error)) {
	wait := c.cfg.pullTimeout()
	pulled := false
	for ctx.Err() == nil {
		if sub.expiresIn() < wait+timing.renewMargin {
			if err := c.cl.renew(ctx, sub, timing.ttl); err != nil {
				if ctx.Err() != nil {
					return
				}
				var f *Fault
				if errors.As(err, &f) {
					plugin.Logger().Info("onvif subscription not renewed; subscribing again", "device", c.id, "err", err)
					return
				}
				fail(err)
				continue
			}
		}
		pctx, cancel := context.WithTimeout(ctx, wait+10*time.Second)
		msgs, err := c.cl.pull(pctx, sub, wait, messageLimit)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var f *Fault
			if errors.As(err, &f) && !f.Auth() {
				// The subscription expired or the camera restarted.
				plugin.Logger().Info("onvif pull refused; subscribing again", "device", c.id, "err", err)
				if !pulled {
					fail(err) // a camera refusing every new subscription's pull: back off
				}
				return
			}
			fail(err)
			if errors.As(err, &f) {
				return
			}
			continue
		}
		pulled = true
		ok()
		for _, m := range msgs {
			ev, isAlarm := alarmOf(m, c.cfg.Channel)
			if !isAlarm || !c.seen.add(ev.Key) {
				continue
			}
			if c.cfg.AlarmSnapshot && ev.Data.(driver.Alarm).Active {
				c.attachSnapshot(ctx, &ev)
			}
			c.sink.Emit(ev)
		}
	}
}

// connect learns the camera's clock and service addresses once.
func (c *conn) connect(ctx context.Context) error {
	if events, _ := c.cl.services(); events != "" {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := c.cl.syncClock(cctx); err != nil {
		var f *Fault
		if !errors.As(err, &f) {
			return err
		}
		// Some cameras guard even the clock; go on with ours.
	}
	return c.cl.capabilities(cctx)
}

func (c *conn) setSub(s *subscription) {
	c.mu.Lock()
	c.sub = s
	c.mu.Unlock()
}

// Close stops the pull loop and ends the subscription on the camera.
func (c *conn) Close() error {
	c.once.Do(func() {
		c.stop()
		<-c.done
		c.mu.Lock()
		sub := c.sub
		c.sub = nil
		c.mu.Unlock()
		if sub != nil {
			ctx, cancel := context.WithTimeout(context.Background(), timing.closeWait)
			defer cancel()
			if err := c.cl.unsubscribe(ctx, sub); err != nil {
				plugin.Logger().Info("onvif unsubscribe failed", "device", c.id, "err", err)
			}
		}
		c.cl.http.CloseIdleConnections()
	})
	return nil
}

// Execute takes a snapshot or hands out the stream address.
func (c *conn) Execute(ctx context.Context, cmd driver.Command) (driver.Result, error) {
	switch cmd.Name {
	case driver.CameraSnapshot, driver.CameraStream:
	default:
		return driver.Result{}, fmt.Errorf("%w: %s", driver.ErrUnsupported, cmd.Name)
	}
	res, err := c.execute(ctx, cmd.Name)
	var f *Fault
	if errors.As(err, &f) {
		// The camera answered and refused.
		msg := f.Error()
		if f.Auth() {
			msg = "authentication failed: the camera refused the username or password (" + msg + ")"
		}
		return driver.Result{OK: false, Message: msg}, nil
	}
	return res, err
}

func (c *conn) execute(ctx context.Context, name string) (driver.Result, error) {
	if err := c.connect(ctx); err != nil {
		return driver.Result{}, err
	}
	profile, err := c.mediaProfile(ctx)
	if err != nil {
		return driver.Result{}, err
	}
	if name == driver.CameraStream {
		rtsp, err := c.cl.streamURI(ctx, profile)
		if err != nil {
			return driver.Result{}, err
		}
		snap, _ := c.cl.snapshotURI(ctx, profile) // cameras without snapshots still stream
		return driver.Result{OK: true, Data: map[string]string{"rtsp": public(rtsp), "snapshot": public(snap)}}, nil
	}
	uri, err := c.cl.snapshotURI(ctx, profile)
	if err != nil {
		return driver.Result{}, err
	}
	pic, typ, err := c.cl.fetchPicture(ctx, uri)
	if err != nil {
		return driver.Result{}, err
	}
	return driver.Result{OK: true, Blob: pic, BlobType: typ, Data: map[string]string{"snapshot": public(uri)}}, nil
}

// attachSnapshot adds a picture of the scene to an alarm; without one
// (the camera cannot take it in time) the alarm still goes.
func (c *conn) attachSnapshot(ctx context.Context, ev *driver.Event) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := c.execute(sctx, driver.CameraSnapshot)
	if err != nil || !res.OK {
		plugin.Logger().Info("onvif alarm without a snapshot", "device", c.id, "err", err)
		return
	}
	ev.Picture, ev.PictureType = res.Blob, res.BlobType
}

func (c *conn) mediaProfile(ctx context.Context) (string, error) {
	c.mu.Lock()
	p := c.profile
	c.mu.Unlock()
	if p != "" {
		return p, nil
	}
	p, err := c.cl.profile(ctx, c.cfg.Profile)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.profile = p
	c.mu.Unlock()
	return p, nil
}

// recent remembers the last n event keys, to drop repeats before they
// reach the host.
type recent struct {
	mu   sync.Mutex
	keys map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent { return &recent{keys: map[string]struct{}{}, ring: make([]string, n)} }

// add reports whether key is new, remembering it.
func (r *recent) add(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[key]; ok {
		return false
	}
	delete(r.keys, r.ring[r.next])
	r.ring[r.next] = key
	r.next = (r.next + 1) % len(r.ring)
	r.keys[key] = struct{}{}
	return true
}
