// Package bus carries events and tasks between the core and a tenant's
// plugins, through the queue (core/queue): durable, retried with backoff,
// at-least-once.
//
// Events. Emit writes, inside the caller's transaction, one queue task per
// plugin of the tenant subscribed to the event's type (the outbox: the
// deliveries exist exactly when the change that caused them commits). Each
// task calls the plugin's HandleEvent through pluginhost.Runner; an error or
// an unavailable plugin is retried with the queue's backoff, always with the
// same event id, so a plugin de-duplicates on it; a plugin no longer enabled
// (or no longer subscribed) drops the delivery. Core events have source
// "core"; Publish is a plugin's (Host.Publish), idempotent on its key,
// delivered as "<plugin>.<type>" with the plugin as source.
//
// Subscriptions are a manifest's list of types: an exact type
// ("bill.overdue") or a prefix ending in ".*" ("bill.*", "events.*": every
// event of that family or plugin). Matches is the rule; the catalogue's
// Subscribers answers with it. A plugin subscribed to its own events
// receives them too.
//
// Tasks. Each enabled plugin's periodic tasks (Manifest.tasks: "@every 10m",
// "@hourly" or a five-field cron read in the tenant's zone) are claimed slot
// by slot in plugin_task_slots, so among several processes one runs each
// slot, and a slot missed while no process ran is run once on return. A
// plugin's one-off tasks (Schedule/Cancel, Host.ScheduleTask/CancelTask) are
// rows of plugin_tasks, one per key: scheduling a key again replaces it,
// cancelling deletes it, and the queue task of a replaced or cancelled one
// finds its token gone and runs nothing. Both reach the plugin's RunTask,
// with an id stable across retries.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
)

// Queue task types of this package.
const (
	// TaskEvent delivers one event to one plugin.
	TaskEvent = "plugin.event"
	// TaskRun runs one of a plugin's tasks (periodic or one-off).
	TaskRun = "plugin.task"
)

// SourceCore is the source of the core's own events.
const SourceCore = "core"

// Event is something that happened, told to the plugins subscribed to its type.
type Event struct {
	ID         uuid.UUID       `json:"id"`   // stable across retries: plugins de-duplicate on it
	Type       string          `json:"type"` // "resident.moved_in", "<plugin>.<type>"
	Source     string          `json:"source"`
	OccurredAt time.Time       `json:"occurred_at"`
	Payload    json.RawMessage `json:"payload"` // a JSON object
}

// Periodic is one periodic task of a tenant's enabled plugin.
type Periodic struct {
	TenantID uuid.UUID
	Plugin   string
	Name     string
	Schedule string // "@every 10m", "@hourly", "0 9 * * 1" (tenant's zone)
}

// Directory is what the bus asks the plugin catalogue.
type Directory interface {
	// Subscribers lists the tenant's enabled plugins whose manifest
	// subscribes to eventType (see Matches). It is called inside the
	// emitting transaction (ctx carries it), on the core's write paths, so
	// it should be cheap (cached).
	Subscribers(ctx context.Context, tenantID uuid.UUID, eventType string) ([]string, error)
	// PeriodicTasks lists every tenant's enabled plugins' periodic tasks.
	PeriodicTasks(ctx context.Context) ([]Periodic, error)
}

// Deps are the bus's collaborators; all are required.
type Deps struct {
	Directory Directory
	Runner    pluginhost.Runner
	// Zone is a tenant's time zone (tenant.Service.Location): cron fields
	// of periodic tasks are read in it.
	Zone func(ctx context.Context, tenantID uuid.UUID) *time.Location
}

// Options tune the bus; zero values take the defaults.
type Options struct {
	// CallTimeout bounds one HandleEvent or RunTask call (default 30s).
	CallTimeout time.Duration
	// MaxRetry is the queue's retries of a delivery (default 25: backoff
	// doubling from the queue's RetryBase to an hour, about 16 hours in all).
	MaxRetry int
	// Tick is how often due periodic slots are looked for (default 1s);
	// Refresh how often the list of periodic tasks is read again (default 30s).
	Tick    time.Duration
	Refresh time.Duration
	// MinEvery is the shortest "@every" a plugin may ask for (default 1m):
	// one plugin of many tenants must not flood the queue.
	MinEvery time.Duration
	// MaxPending caps a plugin's one-off tasks waiting in one tenant (default 10000).
	MaxPending int64
	// Retention keeps published events' keys (default 30 days).
	Retention time.Duration
	Log       *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.CallTimeout, 30*time.Second)
	def(&o.Tick, time.Second)
	def(&o.Refresh, 30*time.Second)
	def(&o.MinEvery, time.Minute)
	def(&o.Retention, 30*24*time.Hour)
	if o.MaxRetry <= 0 {
		o.MaxRetry = 25
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10000
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Bus is the process's plugin event and task bus.
type Bus struct {
	db  *store.DB
	d   Deps
	opt Options
	now func() time.Time

	mu       sync.Mutex
	periodic map[periodicKey]*slotState // Run's view of the periodic tasks
}

// New returns a Bus on db. Register its handlers on the queue, and Run it
// for the periodic tasks.
func New(db *store.DB, d Deps, opt Options) (*Bus, error) {
	if db == nil || d.Directory == nil || d.Runner == nil || d.Zone == nil {
		return nil, errors.New("bus: New needs a database, the plugin directory, the runner and the tenant zone")
	}
	opt.defaults()
	return &Bus{db: db, d: d, opt: opt, now: time.Now, periodic: map[periodicKey]*slotState{}}, nil
}

// Register installs the delivery handlers on q (before q.Start).
func (b *Bus) Register(q *queue.Queue) {
	q.Handle(TaskEvent, b.handleEvent)
	q.Handle(TaskRun, b.handleTask)
}

// Errors of this package (stable codes; hostsvc hands them to plugins).
var (
	ErrBadType    = apperr.New(apperr.KindInvalid, "invalid_event_type", "An event type is lowercase letters, digits, '_' and '-', in dot-separated parts (at most 100 bytes).", "事件类型须为小写字母、数字、下划线或连字符,以点分隔(不超过 100 字节)。")
	ErrBadPayload = apperr.New(apperr.KindInvalid, "invalid_payload", "The payload must be a JSON object of at most 64 KiB.", "载荷须为不超过 64 KiB 的 JSON 对象。")
	ErrKeyNeeded  = apperr.New(apperr.KindInvalid, "idempotency_key_required", "An idempotency key (1 to 200 bytes) is required.", "须提供幂等键(1 到 200 字节)。")
	ErrBadTask    = apperr.New(apperr.KindInvalid, "invalid_task_name", "A task name is lowercase letters, digits, '_', '-' and '.' (1 to 100 bytes).", "任务名须为小写字母、数字、下划线、连字符或点(1 到 100 字节)。")
	ErrTooMany    = apperr.New(apperr.KindRateLimited, "too_many_tasks", "This plugin has too many tasks waiting; cancel some or wait for them to run.", "该插件待运行的任务过多,请取消部分任务或等待其运行。")
)

// maxPayload bounds an event's or a task's payload: it travels in the outbox
// and in Redis once per subscriber.
const maxPayload = 64 << 10

var (
	typeRe   = regexp.MustCompile(`^[a-z0-9_-]+(\.[a-z0-9_-]+)*$`)
	pluginRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	taskRe   = regexp.MustCompile(`^[a-z0-9_.-]+$`)
)

func checkType(t string) error {
	if len(t) == 0 || len(t) > 100 || !typeRe.MatchString(t) {
		return ErrBadType
	}
	return nil
}

func checkPlugin(p string) error {
	if len(p) == 0 || len(p) > 64 || !pluginRe.MatchString(p) {
		return fmt.Errorf("bus: invalid plugin name %q", p)
	}
	return nil
}

// payloadOf returns p checked as a JSON object ({} when empty).
func payloadOf(p json.RawMessage) (json.RawMessage, error) {
	if len(strings.TrimSpace(string(p))) == 0 {
		return json.RawMessage("{}"), nil
	}
	if len(p) > maxPayload {
		return nil, ErrBadPayload
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(p, &m); err != nil || m == nil {
		return nil, ErrBadPayload
	}
	return p, nil
}

func checkKey(k string) error {
	if len(k) == 0 || len(k) > 200 {
		return ErrKeyNeeded
	}
	return nil
}

// Matches reports whether a subscription names an event type: the type
// itself, or a family "<prefix>.*" matching every type under that prefix
// ("bill.*" matches "bill.issued" and "bill.overdue"; "events.*" every event
// the events plugin publishes). There is no bare "*".
func Matches(subscription, eventType string) bool {
	if prefix, ok := strings.CutSuffix(subscription, ".*"); ok {
		return prefix != "" && strings.HasPrefix(eventType, prefix+".")
	}
	return subscription == eventType
}

// Subscribed reports whether any of subs matches eventType.
func Subscribed(subs []string, eventType string) bool {
	for _, s := range subs {
		if Matches(s, eventType) {
			return true
		}
	}
	return false
}
