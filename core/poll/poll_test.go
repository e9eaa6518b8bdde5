package poll

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEveryCallsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		Every(ctx, time.Millisecond, func(context.Context) error {
			if n.Add(1) == 5 {
				cancel()
			}
			return nil
		}, nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not stop when its context ended")
	}
	if got := n.Load(); got != 5 {
		t.Fatalf("calls = %d, want 5 (none after cancel)", got)
	}
}

func TestEveryBacksOffOnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stamps []time.Time
	var errs atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, 10*time.Millisecond, func(context.Context) error {
			stamps = append(stamps, time.Now())
			if len(stamps) == 4 {
				cancel()
			}
			return errors.New("down")
		}, func(error) { errs.Add(1) })
	}()
	<-done
	if len(stamps) != 4 {
		t.Fatalf("calls = %d", len(stamps))
	}
	// Waits after failures: 20, 40 ms (doubling), so the third gap is well above one interval.
	if gap := stamps[3].Sub(stamps[2]); gap < 35*time.Millisecond {
		t.Fatalf("third gap %v: no backoff after failures", gap)
	}
	if errs.Load() != 3 { // the fourth call's error comes after cancel: not reported
		t.Fatalf("onErr called %d times, want 3", errs.Load())
	}
}
