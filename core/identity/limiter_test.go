package identity_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/queue/queuetest"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// redisNodes returns n clients of the test Redis (as n API nodes would hold)
// and a key prefix of this test alone; its keys are deleted at the end.
func redisNodes(t testing.TB, n int) ([]*redis.Client, string) {
	t.Helper()
	addr := queuetest.RedisAddr(t)
	prefix := "wuye-test:" + store.NewID().String() + ":login:"
	var out []*redis.Client
	for range n {
		rc := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { rc.Close() })
		out = append(out, rc)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := out[0].Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			out[0].Del(ctx, keys...)
		}
	})
	return out, prefix
}

// TestRedisLimiterShared: two nodes take from one budget per address, the
// refusal says how long to wait, waiting that long is enough, and the key
// expires once the bucket would be full again.
func TestRedisLimiterShared(t *testing.T) {
	rcs, prefix := redisNodes(t, 2)
	ctx := context.Background()
	// 600 a minute: one token every 100 ms, burst 5.
	a := identity.NewRedisLimiter(rcs[0], prefix, 600, 5)
	b := identity.NewRedisLimiter(rcs[1], prefix, 600, 5)
	allow := func(l *identity.RedisLimiter, ip string) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := l.Allow(ctx, ip)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := range 5 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if ok, _ := allow(l, "10.0.0.1"); !ok {
			t.Fatalf("attempt %d within the burst refused", i+1)
		}
	}
	ok, wait := allow(b, "10.0.0.1")
	if ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("6th attempt across two nodes: allowed %v, wait %v (want refused, 0 < wait ≤ 100ms)", ok, wait)
	}
	if ok, _ := allow(a, "10.0.0.2"); !ok {
		t.Fatal("another address shares the first one's budget")
	}
	pttl, err := rcs[0].PTTL(ctx, prefix+"10.0.0.1").Result()
	if err != nil || pttl <= 0 || pttl > 500*time.Millisecond {
		t.Fatalf("key ttl %v (%v), want (0, 500ms]", pttl, err)
	}
	time.Sleep(wait + 5*time.Millisecond)
	if ok, _ := allow(a, "10.0.0.1"); !ok {
		t.Fatal("refused after waiting retry-after")
	}
	if ok, _ := allow(b, "10.0.0.1"); ok {
		t.Fatal("one wait refilled more than one token")
	}
}

// TestRedisLimiterConcurrent: 60 simultaneous attempts from one address on
// three nodes let exactly the burst through.
func TestRedisLimiterConcurrent(t *testing.T) {
	rcs, prefix := redisNodes(t, 3)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		l := identity.NewRedisLimiter(rcs[i%3], prefix, 1, 10) // one a minute: no refill during the test
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := l.Allow(context.Background(), "192.0.2.7")
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d attempts allowed, want exactly the burst of 10", n)
	}
}

// TestLoginRateLimitAcrossNodes: two identity services (two API nodes) on one
// database and one Redis share the per-address budget; an unreachable Redis
// lets attempts through (the account lockout still holds) instead of failing.
func TestLoginRateLimitAcrossNodes(t *testing.T) {
	rcs, prefix := redisNodes(t, 2)
	db := storetest.SQLite(t)
	node := func(rc *redis.Client) *identity.Service {
		return identity.New(db, identity.Config{JWTSecret: testSecret, Limiter: identity.NewRedisLimiter(rc, prefix, 6, 3)}, &memRecorder{}, nil)
	}
	n1, n2 := node(rcs[0]), node(rcs[1])
	ctx := context.Background()
	try := func(svc *identity.Service) error {
		_, err := svc.Login(ctx, identity.LoginInput{Login: "nobody", Password: "x", IP: "203.0.113.9"})
		return err
	}
	wantCode(t, try(n1), "invalid_credentials")
	wantCode(t, try(n2), "invalid_credentials")
	wantCode(t, try(n1), "invalid_credentials")
	err := try(n2)
	wantCode(t, err, "rate_limited")
	// One attempt comes back every 10 s (6 a minute); the answer counts down
	// from the last refill, and four argon2 logins on a loaded machine take
	// a second or two of it.
	if e, _ := errAs(err); e.Details.(map[string]any)["retry_after_seconds"].(int) < 7 || e.Details.(map[string]any)["retry_after_seconds"].(int) > 10 {
		t.Fatalf("retry after %v, want 7–10 s (one attempt every 10 s)", e.Details)
	}

	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer dead.Close()
	unreachable := identity.NewRedisLimiter(dead, prefix, 6, 3)
	if _, _, err := unreachable.Allow(ctx, "203.0.113.9"); err == nil {
		t.Fatal("limiter on a closed port reported no error")
	}
	down := identity.New(db, identity.Config{JWTSecret: testSecret, Limiter: unreachable}, &memRecorder{}, nil)
	wantCode(t, try(down), "invalid_credentials")
}

// BenchmarkRedisLimiter measures one login rate-limit decision on the test Redis.
func BenchmarkRedisLimiter(b *testing.B) {
	rcs, prefix := redisNodes(b, 1)
	l := identity.NewRedisLimiter(rcs[0], prefix, 1e6, 1e9)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := l.Allow(ctx, "198.51.100.1"); err != nil {
			b.Fatal(err)
		}
	}
}
