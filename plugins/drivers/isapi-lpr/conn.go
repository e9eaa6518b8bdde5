package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
)

// conn is one open camera.
type conn struct {
	dev    driver.Device
	cfg    config
	sink   driver.Sink
	client *client
	stop   context.CancelFunc // ends the alertStream reader (stream mode)
	done   chan struct{}
	seen   atomic.Int64 // unix nanoseconds of the last alert or heartbeat
}

// recentlySeen is how long an alert vouches for the camera: Check does not
// ask a camera that has just spoken (health runs for every camera).
const recentlySeen = 2 * time.Minute

func open(_ context.Context, dev driver.Device, sink driver.Sink) (driver.Conn, error) {
	var cfg config
	if err := dev.Decode(&cfg); err != nil {
		return nil, driver.Invalid(fmt.Sprintf("device config: %v", err))
	}
	if err := cfg.normalize(); err != nil {
		return nil, driver.Invalid("device config: " + err.Error())
	}
	c := &conn{dev: dev, cfg: cfg, sink: sink, client: newClient(&cfg, dev.Secrets["password"]), done: make(chan struct{})}
	if cfg.Mode == modeStream {
		// The reader outlives Open's call: it runs until Close.
		ctx, cancel := context.WithCancel(context.Background())
		c.stop = cancel
		go c.readStream(ctx)
	} else {
		close(c.done)
	}
	return c, nil
}

// Close implements driver.Conn.
func (c *conn) Close() error {
	if c.stop != nil {
		c.stop()
	}
	<-c.done
	c.client.close()
	return nil
}

// Ingest implements driver.Ingester: one alert the camera posted.
func (c *conn) Ingest(_ context.Context, p driver.Push) ([]driver.Event, *driver.Reply, error) {
	if p.Method != "" && p.Method != http.MethodPost && p.Method != http.MethodPut {
		return nil, nil, driver.Invalid(fmt.Sprintf("method %s: a camera posts its alerts (POST)", p.Method))
	}
	a, pics, err := readPush(p.ContentType, p.Body)
	if err != nil {
		return nil, nil, err
	}
	evs, err := c.alertEvents(a, pics)
	return evs, nil, err
}

// alertEvents turns an alert into events, and takes any alert as a sign
// of life.
func (c *conn) alertEvents(a *alert, pics []picture) ([]driver.Event, error) {
	pic, picType := a.bestPicture(pics)
	evs, err := a.events(c.dev.Location.Direction, pic, picType)
	if err != nil {
		return nil, err
	}
	c.seen.Store(time.Now().UnixNano())
	c.sink.Status(driver.StatusOnline, "")
	return evs, nil
}

// Execute implements driver.Executor.
func (c *conn) Execute(ctx context.Context, cmd driver.Command) (driver.Result, error) {
	switch cmd.Name {
	case driver.GateOpen:
		return c.gate(ctx, true)
	case driver.GateClose:
		return c.gate(ctx, false)
	case driver.CameraSnapshot:
		return c.snapshot(ctx)
	}
	return driver.Result{}, fmt.Errorf("%w: command %s", driver.ErrUnsupported, cmd.Name)
}

// gate opens or closes the barrier: through the camera's barrierGate
// service, or by driving the IO output the barrier is wired to.
func (c *conn) gate(ctx context.Context, open bool) (driver.Result, error) {
	var path, body string
	if c.cfg.GateOutput > 0 {
		state := "low"
		if open {
			state = "high"
		}
		path = fmt.Sprintf("/ISAPI/System/IO/outputs/%d/trigger", c.cfg.GateOutput)
		body = `<?xml version="1.0" encoding="UTF-8"?><IOPortData version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><outputState>` + state + `</outputState></IOPortData>`
	} else {
		mode := "close"
		if open {
			mode = "open"
		}
		path = fmt.Sprintf("/ISAPI/Parking/channels/%d/barrierGate", c.cfg.Channel)
		body = `<?xml version="1.0" encoding="UTF-8"?><BarrierGate version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><ctrlMode>` + mode + `</ctrlMode></BarrierGate>`
	}
	resp, err := c.client.do(ctx, http.MethodPut, path, []byte(body), "application/xml")
	if err != nil {
		return driver.Result{}, err
	}
	defer resp.Body.Close()
	return responseResult(resp)
}

// responseStatus is the ISAPI answer to a command.
type responseStatus struct {
	XMLName       xml.Name `xml:"ResponseStatus"`
	StatusCode    int      `xml:"statusCode"`
	StatusString  string   `xml:"statusString"`
	SubStatusCode string   `xml:"subStatusCode"`
	ErrorMsg      string   `xml:"errorMsg"`
}

// responseResult reads a ResponseStatus: statusCode 1 is done; anything
// else is the camera refusing, with its reason.
func responseResult(resp *http.Response) (driver.Result, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return driver.Result{}, fmt.Errorf("%w: reading the answer: %v", driver.ErrNoAck, err)
	}
	var rs responseStatus
	xerr := xml.Unmarshal(b, &rs)
	if resp.StatusCode == http.StatusUnauthorized {
		return driver.Result{OK: false, Message: "the camera refused the username or password"}, nil
	}
	if xerr != nil {
		if resp.StatusCode/100 == 2 {
			return driver.Result{OK: true, Message: "the camera answered without a ResponseStatus"}, nil
		}
		return driver.Result{OK: false, Message: fmt.Sprintf("the camera answered HTTP %d", resp.StatusCode)}, nil
	}
	if rs.StatusCode == 1 && resp.StatusCode/100 == 2 {
		return driver.Result{OK: true}, nil
	}
	msg := strings.TrimSpace(strings.Join(nonEmpty(rs.StatusString, rs.SubStatusCode, rs.ErrorMsg), ": "))
	if msg == "" {
		msg = fmt.Sprintf("statusCode %d", rs.StatusCode)
	}
	return driver.Result{OK: false, Message: "the camera refused: " + msg}, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// snapshot takes a picture from the channel's main stream.
func (c *conn) snapshot(ctx context.Context) (driver.Result, error) {
	resp, err := c.client.do(ctx, http.MethodGet, fmt.Sprintf("/ISAPI/Streaming/channels/%d01/picture", c.cfg.Channel), nil, "")
	if err != nil {
		return driver.Result{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return responseResult(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPicture*4+1))
	if err != nil {
		return driver.Result{}, fmt.Errorf("%w: reading the picture: %v", driver.ErrNoAck, err)
	}
	if len(b) > maxPicture*4 {
		return driver.Result{OK: false, Message: "the snapshot is larger than 8 MiB"}, nil
	}
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	if !strings.HasPrefix(ct, "image/") {
		ct = http.DetectContentType(b)
	}
	if !strings.HasPrefix(ct, "image/") {
		return driver.Result{OK: false, Message: "the camera answered " + ct + ", not a picture"}, nil
	}
	return driver.Result{OK: true, Blob: b, BlobType: ct}, nil
}

// Check implements driver.Checker: the camera spoke lately or answers its
// device info.
func (c *conn) Check(ctx context.Context) error {
	if time.Since(time.Unix(0, c.seen.Load())) < recentlySeen {
		return nil
	}
	resp, err := c.client.do(ctx, http.MethodGet, "/ISAPI/System/deviceInfo", nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: the camera answered HTTP %d to deviceInfo", driver.ErrUnreachable, resp.StatusCode)
	}
	return nil
}
