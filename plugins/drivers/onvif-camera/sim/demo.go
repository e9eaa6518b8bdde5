package sim

import (
	"context"
	"math/rand/v2"
	"time"
)

// Demo raises alarms until ctx ends: motion every few seconds, lasting a
// moment, and now and then an intrusion.
func (c *Camera) Demo(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(3000+rand.IntN(7000)) * time.Millisecond):
		}
		kind := Motion
		if rand.IntN(20) == 0 {
			kind = Intrusion
		}
		_ = c.Alarm(kind, true)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(1000+rand.IntN(3000)) * time.Millisecond):
		}
		_ = c.Alarm(kind, false)
	}
}
