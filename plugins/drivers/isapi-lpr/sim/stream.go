package sim

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"time"
)

// streamItem is one alert on the alertStream: its XML and pictures.
type streamItem struct {
	xml  []byte
	pics [][]byte
}

// alertStream serves GET /ISAPI/Event/notification/alertStream: a
// multipart/mixed response that never ends, one part per alert (and one
// per picture after it), with heartbeats when idle.
func (c *Camera) alertStream(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(w, r) {
		return
	}
	ch := make(chan streamItem, 64)
	c.mu.Lock()
	c.streams[ch] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.streams, ch)
		c.mu.Unlock()
	}()
	mw := multipart.NewWriter(w)
	_ = mw.SetBoundary("boundary")
	w.Header().Set("Content-Type", "multipart/mixed; boundary=boundary")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	flush()
	part := func(ct string, b []byte) error {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		pw, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		_, err = pw.Write(b)
		return err
	}
	beat := time.NewTicker(c.o.Heartbeat)
	defer beat.Stop()
	for {
		var it streamItem
		select {
		case it = <-ch:
		case <-beat.C:
			it = streamItem{xml: c.Heartbeat()}
		case <-r.Context().Done():
			return
		case <-c.closed:
			return
		}
		if err := part(`application/xml; charset="UTF-8"`, it.xml); err != nil {
			return
		}
		for _, p := range it.pics {
			if err := part("image/jpeg", p); err != nil {
				return
			}
		}
		flush()
	}
}

// StreamClients is how many alertStream readers are connected.
func (c *Camera) StreamClients() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.streams)
}

// WaitStreamClient waits until an alertStream reader is connected.
func (c *Camera) WaitStreamClient(ctx context.Context) error {
	for c.StreamClients() == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("sim: no alertStream reader: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// Stream sends an ANPR alert for plate to every alertStream reader (with
// its pictures when o.Picture), returning how many it reached.
func (c *Camera) Stream(plate, direction string, o PushOptions) int {
	a, _ := c.alertFor(plate, direction, o)
	it := streamItem{xml: a.xml()}
	if o.Picture {
		it.pics = [][]byte{c.plate, c.scene}
	}
	n := c.StreamRaw(it.xml, it.pics...)
	if o.Twice {
		c.StreamRaw(it.xml, it.pics...)
	}
	return n
}

// StreamRaw sends any alert XML (and pictures) to the alertStream readers.
func (c *Camera) StreamRaw(alertXML []byte, pics ...[]byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for ch := range c.streams {
		select {
		case ch <- streamItem{xml: alertXML, pics: pics}:
			n++
		default: // a reader too slow to keep up misses alerts, as on a camera
		}
	}
	return n
}
