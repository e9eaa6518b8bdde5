package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// pushClient posts alerts; cameras keep their connection to the platform.
var pushClient = &http.Client{Timeout: 10 * time.Second}

// Push posts one ANPR alert for plate to ingressURL as a camera does:
// EventNotificationAlert XML, or multipart/form-data with the XML and two
// JPEGs (o.Picture). direction is the camera's word: forward, reverse,
// enter, exit. A non-2xx answer is an error carrying the body.
func (c *Camera) Push(ctx context.Context, ingressURL, plate, direction string, o PushOptions) error {
	a, err := c.alertFor(plate, direction, o)
	if err != nil {
		return err
	}
	body, ct := a.xml(), `application/xml; charset="UTF-8"`
	if o.Picture {
		if body, ct, err = c.form(a); err != nil {
			return err
		}
	}
	if err := c.PushRaw(ctx, ingressURL, ct, body); err != nil {
		return err
	}
	if o.Twice {
		return c.PushRaw(ctx, ingressURL, ct, body)
	}
	return nil
}

// PushRaw posts a body as the camera, for alerts Push does not make
// (heartbeats, other events, malformed ones).
func (c *Camera) PushRaw(ctx context.Context, ingressURL, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ingressURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := pushClient.Do(req)
	if err != nil {
		if ctx.Err() == nil { // a push the caller abandoned did not fail
			c.pushedFailed.Add(1)
		}
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		c.pushedFailed.Add(1)
		return fmt.Errorf("sim: ingress answered %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	c.pushedOK.Add(1)
	return nil
}

// Heartbeat is the alert a camera sends on an idle link.
func (c *Camera) Heartbeat() []byte {
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>127.0.0.1</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<channelID>%d</channelID>
<dateTime>%s</dateTime>
<activePostCount>0</activePostCount>
<eventType>videoloss</eventType>
<eventState>inactive</eventState>
<eventDescription>videoloss alarm</eventDescription>
</EventNotificationAlert>
`, c.o.Channel, time.Now().Format("2006-01-02T15:04:05-07:00")))
}
