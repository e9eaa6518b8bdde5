package identity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLimiter is the login rate limit shared by every API node: the same
// token bucket as MemoryLimiter (perMinute a minute, burst at once), kept in
// Redis as one key per address holding the bucket's "theoretical arrival
// time" (GCRA). One Lua script reads and moves it, so concurrent attempts on
// any node are counted exactly; Redis's own clock is used, so nodes whose
// clocks differ still agree. The key expires once the bucket is full again.
type RedisLimiter struct {
	rc       redis.Scripter
	prefix   string
	interval int64 // milliseconds per token
	burst    int64
}

// gcra: KEYS[1] the address's key; ARGV[1] ms per token; ARGV[2] burst.
// Returns {1, 0} when allowed, {0, ms to wait} when not.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local after = tat + interval
local wait = after - burst * interval - now
if wait > 0 then return {0, wait} end
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', after - now)
return {1, 0}
`)

// NewRedisLimiter limits on rc under keys prefix+address. Give each
// installation sharing a Redis its own prefix. Zero perMinute or burst take
// the defaults (10, 20).
func NewRedisLimiter(rc redis.Scripter, prefix string, perMinute float64, burst int) *RedisLimiter {
	if perMinute <= 0 {
		perMinute = 10
	}
	if burst <= 0 {
		burst = 20
	}
	return &RedisLimiter{rc: rc, prefix: prefix, interval: max(1, int64(math.Round(60000/perMinute))), burst: int64(burst)}
}

// Allow takes one attempt from ip's bucket, or says how long until one is available.
func (l *RedisLimiter) Allow(ctx context.Context, ip string) (bool, time.Duration, error) {
	res, err := gcra.Run(ctx, l.rc, []string{l.prefix + ip}, l.interval, l.burst).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("login limiter: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("login limiter: unexpected reply %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}
