package identity

import (
	"context"
	"math"
	"sync"
	"time"
)

// LoginLimiter decides whether one more sign-in attempt from a client address
// may proceed, and if not, how long until one may. Every sign-in door (tenant
// and operator) takes from the same budget of the address.
type LoginLimiter interface {
	Allow(ctx context.Context, ip string) (ok bool, retryAfter time.Duration, err error)
}

// MemoryLimiter is a token bucket per client address in process memory: each
// process limits on its own and a restart forgets. It serves the embedded
// default and tests; several API nodes share a RedisLimiter instead.
type MemoryLimiter struct {
	mu        sync.Mutex
	rate      float64 // tokens per second
	burst     float64
	now       func() time.Time
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewMemoryLimiter refills perMinute attempts a minute up to burst; now may be
// nil (time.Now).
func NewMemoryLimiter(perMinute float64, burst int, now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{rate: perMinute / 60, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token for ip, or says how long until one is available.
func (l *MemoryLimiter) Allow(_ context.Context, ip string) (bool, time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[ip] = b
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = math.Min(l.burst, b.tokens+dt*l.rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), nil
}

// sweep drops buckets that have refilled completely: they hold no state
// a fresh bucket would not.
func (l *MemoryLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for ip, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, ip)
		}
	}
}
