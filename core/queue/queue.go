// Package queue runs background work: a transactional outbox that domain code
// writes tasks to inside its own transaction, a relay that moves them to asynq
// on Redis fairly across tenants, workers that run idempotent handlers, a
// periodic scheduler that survives restarts, and pollable job progress.
//
// Without a Redis address the queue runs an in-process Redis (miniredis); the
// outbox is the durable record, so a restart loses nothing. See docs/queue.md.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wuye-project/wuye/core/store"
)

// Queue names, highest priority first.
const (
	Critical = "critical"
	Default  = "default"
	Low      = "low"
)

// weights are the asynq priorities: with all three busy, critical gets 6/10 of the workers' picks.
var weights = map[string]int{Critical: 6, Default: 3, Low: 1}

// Queues lists the queue names.
var Queues = []string{Critical, Default, Low}

// Config says where Redis is and how hard to work.
type Config struct {
	RedisAddr     string // host:port; empty starts an in-process Redis
	RedisPassword string
	RedisDB       int
	// Namespace prefixes the Redis queue names, so several installations (or
	// tests) can share one Redis without seeing each other's tasks.
	Namespace string
	// Concurrency is the number of handlers running at once (default 10).
	Concurrency int
	// Window bounds the tasks of one queue that sit in Redis waiting for a
	// worker; the relay refills it round-robin across tenants. A new task
	// waits behind at most this many, so keep it a small multiple of the
	// workers of all processes (default 10 × Concurrency, at least 100).
	Window int
	// PollInterval is how often the relay looks for new outbox rows for a
	// while after tasks were written or moved (default 200ms).
	PollInterval time.Duration
	// IdlePoll is how often an idle relay looks anyway, a safety net under
	// the wake-ups of Enqueue and Postgres NOTIFY (default 10s).
	IdlePoll time.Duration
	// RetryBase is the first retry delay; it doubles per attempt up to an hour (default 5s).
	RetryBase time.Duration
	// Retention keeps finished outbox rows (and so unique keys) this long (default 7 days).
	Retention time.Duration
	// StaleAfter is how long a sent row may be absent from Redis before it is sent again (default 2m).
	StaleAfter time.Duration
	// Tick is the scheduler's and the in-process Redis clock's step (default 1s).
	Tick time.Duration
	// TaskCheckInterval is how often an idle worker polls Redis (default 1s);
	// DelayedCheckInterval how often retries become due (default 5s).
	TaskCheckInterval    time.Duration
	DelayedCheckInterval time.Duration
	// ShutdownTimeout bounds how long Close waits for running handlers (default 10s).
	ShutdownTimeout time.Duration
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 10
	}
	if c.Window <= 0 {
		c.Window = max(100, 10*c.Concurrency)
	}
	def(&c.PollInterval, 200*time.Millisecond)
	def(&c.IdlePoll, 10*time.Second)
	def(&c.RetryBase, 5*time.Second)
	def(&c.Retention, 7*24*time.Hour)
	def(&c.StaleAfter, 2*time.Minute)
	def(&c.Tick, time.Second)
	def(&c.TaskCheckInterval, time.Second)
	def(&c.DelayedCheckInterval, 5*time.Second)
	def(&c.ShutdownTimeout, 10*time.Second)
}

// Handler runs one task. ctx carries the tenant as an actor.System actor, so
// a handler opens db.InTenant(ctx, t.TenantID, …) for tenant work.
type Handler func(ctx context.Context, t Task) error

// Queue is the process's task queue.
type Queue struct {
	cfg      Config
	db       *store.DB
	log      *slog.Logger
	rc       *redis.Client
	client   *asynq.Client
	inspect  *asynq.Inspector
	embedded *embedded

	mu        sync.Mutex
	handlers  map[string]Handler
	schedules []*schedule
	server    *asynq.Server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	done      *doneBatch
	started   bool
	closed    bool
	cursor    map[string]uuid.UUID // relay: the tenant each queue's next round starts from
}

// Open connects to Redis (or starts the in-process one). Register handlers
// and schedules, then call Start.
func Open(ctx context.Context, cfg Config, db *store.DB, log *slog.Logger) (*Queue, error) {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	q := &Queue{cfg: cfg, db: db, log: log, handlers: map[string]Handler{}, cursor: map[string]uuid.UUID{}}
	addr := cfg.RedisAddr
	if addr == "" {
		e, err := startEmbedded(cfg.Tick)
		if err != nil {
			return nil, err
		}
		q.embedded, addr = e, e.addr()
	}
	q.rc = redis.NewClient(&redis.Options{Addr: addr, Password: cfg.RedisPassword, DB: cfg.RedisDB, PoolSize: 4 * (cfg.Concurrency + 8)})
	if err := q.rc.Ping(ctx).Err(); err != nil {
		q.closeRedis()
		return nil, fmt.Errorf("queue: redis %s: %w", addr, err)
	}
	q.client = asynq.NewClientFromRedisClient(q.rc)
	q.inspect = asynq.NewInspectorFromRedisClient(q.rc)
	q.done = newDoneBatch(q)
	return q, nil
}

// Embedded reports whether the queue runs on the in-process Redis.
func (q *Queue) Embedded() bool { return q.embedded != nil }

// Handle registers the handler of a task type. Call it before Start.
func (q *Queue) Handle(taskType string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		panic("queue: Handle after Start")
	}
	q.handlers[taskType] = h
}

// Start runs the relay, the workers and the scheduler until Close.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("queue: already started")
	}
	q.started = true
	if q.embedded != nil {
		// The in-process Redis starts empty: everything sent before the
		// restart and not finished must be sent again.
		if err := q.resendAllSent(ctx); err != nil {
			return err
		}
	}
	q.server = asynq.NewServerFromRedisClient(q.rc, asynq.Config{
		Concurrency:              q.cfg.Concurrency,
		Queues:                   q.redisWeights(),
		RetryDelayFunc:           q.retryDelay,
		ErrorHandler:             asynq.ErrorHandlerFunc(q.handleError),
		Logger:                   asynqLogger{q.log},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          q.cfg.ShutdownTimeout,
		TaskCheckInterval:        q.cfg.TaskCheckInterval,
		DelayedTaskCheckInterval: q.cfg.DelayedCheckInterval,
	})
	if err := q.server.Start(asynq.HandlerFunc(q.process)); err != nil {
		return fmt.Errorf("queue: start workers: %w", err)
	}
	ctx, q.cancel = context.WithCancel(context.WithoutCancel(ctx))
	q.loop(ctx, q.done.run)
	q.loop(ctx, q.relay)
	q.loop(ctx, q.sweep)
	q.loop(ctx, q.runScheduler)
	return nil
}

func (q *Queue) loop(ctx context.Context, fn func(context.Context)) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		fn(ctx)
	}()
}

// Close stops the relay and scheduler, lets running handlers finish, records
// what finished and disconnects. Work not finished stays in the outbox.
func (q *Queue) Close() error {
	q.mu.Lock()
	srv, cancel, closed := q.server, q.cancel, q.closed
	q.closed = true
	q.mu.Unlock()
	if closed {
		return nil
	}
	if srv != nil {
		srv.Shutdown()
	}
	if cancel != nil {
		cancel()
	}
	q.wg.Wait()
	q.done.flush(context.Background())
	q.closeRedis()
	return nil
}

func (q *Queue) closeRedis() {
	if q.client != nil {
		q.client.Close()
	}
	if q.rc != nil {
		q.rc.Close()
	}
	if q.embedded != nil {
		q.embedded.close()
	}
}

// Ping checks Redis answers (readiness probe).
func (q *Queue) Ping(ctx context.Context) error { return q.rc.Ping(ctx).Err() }

// redisName is the asynq queue name of one of ours.
func (q *Queue) redisName(name string) string {
	if q.cfg.Namespace == "" {
		return name
	}
	return q.cfg.Namespace + ":" + name
}

func (q *Queue) redisWeights() map[string]int {
	m := map[string]int{}
	for n, w := range weights {
		m[q.redisName(n)] = w
	}
	return m
}

// retryDelay doubles from RetryBase per attempt, capped at an hour, with ±20% jitter.
func (q *Queue) retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := q.cfg.RetryBase
	for i := 0; i < n && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d - d/5 + time.Duration(jitter(int64(d/5*2+1)))
}

// asynqLogger sends asynq's logs to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "part", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "part", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "part", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "part", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "part", "asynq") }
