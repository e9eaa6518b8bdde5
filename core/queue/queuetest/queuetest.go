// Package queuetest gives tests a queue on the real test Redis
// (WUYE_TEST_REDIS_ADDR), isolated by a namespace of its own and cleaned up
// when the test ends. Without the variable the test is skipped locally and
// fails when CI=true.
package queuetest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// RedisAddr returns the test Redis address, failing under CI when unset.
func RedisAddr(t testing.TB) string {
	t.Helper()
	a := os.Getenv("WUYE_TEST_REDIS_ADDR")
	if a == "" {
		if storetest.InCI() {
			t.Fatal("WUYE_TEST_REDIS_ADDR is not set; CI must run the Redis tests")
		}
		t.Skip("WUYE_TEST_REDIS_ADDR not set; skipping Redis test")
	}
	return a
}

// Config is a fast-ticking config on the test Redis with a fresh namespace;
// the namespace's queues are deleted when the test ends.
func Config(t testing.TB) queue.Config {
	t.Helper()
	addr := RedisAddr(t)
	ns := "t" + strings.ReplaceAll(store.NewID().String(), "-", "")[20:]
	t.Cleanup(func() {
		rc := redis.NewClient(&redis.Options{Addr: addr})
		defer rc.Close()
		in := asynq.NewInspectorFromRedisClient(rc)
		for _, q := range queue.Queues {
			in.DeleteQueue(ns+":"+q, true)
		}
	})
	return Fast(queue.Config{RedisAddr: addr, Namespace: ns})
}

// Fast shortens every interval of cfg so tests see effects in milliseconds.
func Fast(cfg queue.Config) queue.Config {
	cfg.PollInterval = 20 * time.Millisecond
	cfg.RetryBase = 50 * time.Millisecond
	cfg.Tick = 50 * time.Millisecond
	cfg.TaskCheckInterval = 50 * time.Millisecond
	cfg.DelayedCheckInterval = 100 * time.Millisecond
	cfg.ShutdownTimeout = 2 * time.Second
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 8
	}
	return cfg
}

// Open opens a queue on db with cfg and closes it when the test ends.
// Register handlers, then call Start.
func Open(t testing.TB, db *store.DB, cfg queue.Config) *queue.Queue {
	t.Helper()
	q, err := queue.Open(context.Background(), cfg, db, nil)
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}
