package queue

import (
	"math/rand/v2"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// embedded is the in-process Redis of the default setup. miniredis keeps its
// own clock and only expires keys when told time passed, so a ticker moves it
// along with the wall clock: TTLs (asynq's server heartbeats, unique locks,
// daily stats) then behave as on a real Redis. asynq's own scheduling (retry,
// scheduled, lease deadlines) uses the client's clock and needs nothing more.
type embedded struct {
	m    *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
}

func startEmbedded(tick time.Duration) (*embedded, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, err
	}
	e := &embedded{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	m.SetTime(time.Now())
	go e.follow(min(tick, 250*time.Millisecond))
	return e, nil
}

func (e *embedded) follow(step time.Duration) {
	defer close(e.done)
	t := time.NewTicker(step)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.m.SetTime(now)
			e.m.FastForward(now.Sub(last))
			last = now
		}
	}
}

func (e *embedded) addr() string { return e.m.Addr() }

func (e *embedded) close() {
	close(e.stop)
	<-e.done
	e.m.Close()
}

func jitter(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return rand.Int64N(n)
}
