// Package poll runs a function periodically until its context ends: the one
// loop behind the background pollers (identity revocations, RBAC versions,
// the queue's sweep).
package poll

import (
	"context"
	"time"
)

// maxBackoff caps how far consecutive failures stretch the interval.
const maxBackoff = 8

// Every calls fn every interval until ctx ends; the first call comes one
// interval after the start (callers load their state before they poll).
// An error is handed to onErr (unless ctx has ended, which makes errors
// expected) and doubles the next wait, up to maxBackoff intervals, so a
// database that is down is not hammered; a success restores the interval.
func Every(ctx context.Context, interval time.Duration, fn func(context.Context) error, onErr func(error)) {
	if interval <= 0 {
		panic("poll: interval must be positive")
	}
	wait := interval
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := fn(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			if onErr != nil {
				onErr(err)
			}
			wait = min(wait*2, maxBackoff*interval)
		} else {
			wait = interval
		}
		t.Reset(wait)
	}
}
