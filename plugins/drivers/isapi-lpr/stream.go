package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/plugin"
)

// alertStreamPath is the camera's long-lived stream of alerts.
const alertStreamPath = "/ISAPI/Event/notification/alertStream"

// streamIdle is how long a silent stream is trusted: cameras send a
// heartbeat every few seconds, so silence means a dead link.
var streamIdle = 90 * time.Second

// readStream reads the camera's alertStream until ctx ends, reconnecting
// with backoff, and emits what it carries through the sink.
func (c *conn) readStream(ctx context.Context) {
	defer close(c.done)
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		connected, err := c.streamOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		c.sink.Status(driver.StatusOffline, fmt.Sprintf("alertStream: %v", err))
		if connected {
			backoff = 500 * time.Millisecond // the camera was there: a fresh failure
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// streamOnce holds one alertStream connection until it fails; connected
// tells whether the camera answered with a stream at all.
func (c *conn) streamOnce(parent context.Context) (connected bool, err error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	resp, err := c.client.do(ctx, http.MethodGet, alertStreamPath, nil, "")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return false, fmt.Errorf("the camera refused the username or password")
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("the camera answered HTTP %d", resp.StatusCode)
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return false, fmt.Errorf("the camera answered %q, not a multipart stream", resp.Header.Get("Content-Type"))
	}
	c.sink.Status(driver.StatusOnline, "")
	// A silent stream is cut, so the loop reconnects.
	idle := time.AfterFunc(streamIdle, cancel)
	defer idle.Stop()
	err = c.readParts(ctx, multipart.NewReader(resp.Body, params["boundary"]), func() { idle.Reset(streamIdle) })
	if ctx.Err() != nil && parent.Err() == nil {
		err = fmt.Errorf("no alert or heartbeat for %s", streamIdle)
	}
	return true, err
}

// readParts reads alerts and the pictures that follow each (picNum of
// them) and emits their events.
func (c *conn) readParts(ctx context.Context, mr *multipart.Reader, alive func()) error {
	var pending *alert
	var pics []picture
	flush := func() {
		if pending == nil {
			return
		}
		evs, err := c.alertEvents(pending, pics)
		if err != nil {
			plugin.Logger().Warn("unreadable alert on the alertStream", "device", c.dev.ID, "err", err)
		}
		for _, ev := range evs {
			c.sink.Emit(ev)
		}
		pending, pics = nil, nil
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			flush()
			if errors.Is(err, io.EOF) {
				return errors.New("the camera ended the stream")
			}
			return err
		}
		alive()
		a, pic, err := readPart(part)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err() // cut while reading a part: closing, or idle
		case err != nil:
			plugin.Logger().Warn("unreadable part on the alertStream", "device", c.dev.ID, "err", err)
		case a != nil:
			flush()
			pending = a
		case pic != nil && pending != nil:
			pics = append(pics, *pic)
		}
		if pending != nil && len(pics) >= pending.PicNum {
			flush()
		}
	}
}
