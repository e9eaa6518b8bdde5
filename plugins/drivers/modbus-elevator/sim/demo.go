package sim

import (
	"context"
	"math/rand/v2"
	"time"
)

// Demo drives the lift with a day's traffic until ctx ends: a morning rush
// (most trips from the upper floors down to the lobby, heavy loads), an
// evening rush the other way, sparse trips between, and now and then a fault that clears itself
// after a while — once in a long while passengers trapped for a minute.
// Hours follow the wall clock.
func (l *Lift) Demo(ctx context.Context) {
	for {
		wait := l.demoTrip(time.Now().Hour())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// demoTrip places one trip for the hour and returns the wait to the next.
func (l *Lift) demoTrip(hour int) time.Duration {
	lobby := 1 // ground floor, above any basements
	if l.opt.Lowest > 1 {
		lobby = l.opt.Lowest
	}
	upper := func() int { return lobby + 1 + rand.IntN(max(l.opt.Floors-lobby, 1)) }
	if !l.Idle() {
		return 2 * time.Second
	}
	switch r := rand.IntN(1000); {
	case r < 2:
		l.Trap()
		go l.clearAfter(time.Minute)
		return 90 * time.Second
	case r < 12:
		codes := []int{1, 6, 7, 9}
		l.Fault(codes[rand.IntN(len(codes))])
		go l.clearAfter(20 * time.Second)
		return 30 * time.Second
	}
	from, to := upper(), lobby
	switch {
	case hour >= 7 && hour < 9: // morning rush: down to the lobby, out to work
		l.Load(40 + rand.IntN(50))
	case hour >= 17 && hour < 20: // evening: home
		from, to = lobby, upper()
		l.Load(30 + rand.IntN(50))
	default:
		if rand.IntN(2) == 0 {
			from, to = to, from
		}
		l.Load(5 + rand.IntN(30))
	}
	l.Call(from)
	l.Call(to)
	if hour >= 7 && hour < 9 || hour >= 17 && hour < 20 {
		return time.Duration(5+rand.IntN(10)) * time.Second
	}
	return time.Duration(30+rand.IntN(90)) * time.Second
}

func (l *Lift) clearAfter(d time.Duration) {
	select {
	case <-time.After(d):
		l.Clear()
	case <-l.stop:
	}
}
