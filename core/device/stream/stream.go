// Package stream is the device events' own path from drivers to feature
// plugins: a log (device_events) appended by one group-commit writer per
// process, and a dispatcher that reads it after each (tenant, plugin)
// cursor and calls the plugin's HandleEvent. The queue (outbox → relay →
// asynq) is durable but costs milliseconds and several writes per event;
// a plate at a gate must reach the parking plugin in a few.
//
// Accept checks a driver's events (the device is the tenant's and names the
// driver, the type is canonical or the driver's own, the payload a small
// JSON object), drops repeats, and waits for the batch holding them to
// commit. The writer then wakes the consumers of the tenant's subscribed
// plugins; a slow poll covers anything a wake missed. Delivery is
// at-least-once with the event's id stable, in order per device.
package stream

import (
	"context"
	"log/slog"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
)

// Ref is a device as the stream needs it: whose, where, which driver.
type Ref struct {
	ID, TenantID, CommunityID, BuildingID uuid.UUID
	Name, Class, Driver, Place, Direction string
}

// Registry is the device registry (core/device) as the stream and the
// ingress endpoint consume it.
type Registry interface {
	// Ref returns the tenant's device; apperr.NotFound if there is none.
	Ref(ctx context.Context, tenantID, id uuid.UUID) (Ref, error)
	// CheckToken returns the device if token is its ingress token:
	// NotFound, or 401 bad_device_token.
	CheckToken(ctx context.Context, tenantID, id uuid.UUID, token string) (Ref, error)
	// Seen notes that the device spoke at at (cheap, non-blocking).
	Seen(tenantID, id uuid.UUID, at time.Time)
}

// Directory names a tenant's enabled plugins subscribed to an event type
// (the catalogue's Subscribers, as the bus uses it).
type Directory interface {
	Subscribers(ctx context.Context, tenantID uuid.UUID, eventType string) ([]string, error)
}

// Options tune the stream; zero values take the defaults.
type Options struct {
	// MaxWait and MaxBatch bound a group commit (default 2ms, 500 events).
	MaxWait  time.Duration
	MaxBatch int
	// InFlight is how many devices' events one plugin handles at once
	// (default 32): a call's round trip, not the plugin's CPU, bounds a
	// lane, so a busy site needs many at once to reach thousands a second.
	InFlight int
	// Attempts before an event is recorded as failed and skipped (default 10);
	// RetryBase the first backoff, doubling to RetryMax (default 100ms, 5s).
	Attempts  int
	RetryBase time.Duration
	RetryMax  time.Duration
	// CallTimeout bounds one HandleEvent (default 10s).
	CallTimeout time.Duration
	// Poll is the safety poll of every consumer (default 5s); SaveEvery how
	// often a consumer's cursor is written at most (default 100ms).
	Poll      time.Duration
	SaveEvery time.Duration
	// Retention keeps events this long (default 7 days); PruneEvery is the
	// delete's period (default 1h).
	Retention  time.Duration
	PruneEvery time.Duration
	Log        *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.MaxWait, 2*time.Millisecond)
	def(&o.RetryBase, 100*time.Millisecond)
	def(&o.RetryMax, 5*time.Second)
	def(&o.CallTimeout, 10*time.Second)
	def(&o.Poll, 5*time.Second)
	def(&o.SaveEvery, 100*time.Millisecond)
	def(&o.Retention, 7*24*time.Hour)
	def(&o.PruneEvery, time.Hour)
	if o.MaxBatch <= 0 {
		o.MaxBatch = 500
	}
	if o.InFlight <= 0 {
		o.InFlight = 32
	}
	if o.Attempts <= 0 {
		o.Attempts = 10
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Limits of one event.
const (
	MaxPayload = 64 << 10
	MaxPicture = 1 << 20
	maxKey     = 200
)

// Errors of this package.
var (
	ErrBadType = apperr.New(apperr.KindInvalid, "invalid_device_event_type",
		"A device event's type is a canonical type or the driver's own \"<driver>.<name>\".",
		"设备事件类型须为标准类型或驱动自有的“<驱动>.<名称>”。")
	ErrBadPayload = apperr.New(apperr.KindInvalid, "invalid_device_event_payload",
		"A device event's payload must be a JSON object of at most 64 KiB.",
		"设备事件载荷须为不超过 64 KiB 的 JSON 对象。")
	ErrBadPicture = apperr.New(apperr.KindInvalid, "invalid_device_event_picture",
		"A device event's picture must be a JPEG, PNG or WebP image of at most 1 MiB.",
		"设备事件图片须为不超过 1 MiB 的 JPEG、PNG 或 WebP 图片。")
	ErrBadKey = apperr.New(apperr.KindInvalid, "invalid_device_event_key",
		"A device event's de-duplication key is at most 200 bytes.",
		"设备事件去重键不得超过 200 字节。")
	ErrStopped = apperr.New(apperr.KindUnavailable, "device_stream_stopped",
		"The device event stream is shutting down; send again.",
		"设备事件流正在停止,请重新发送。")
)

var typeRe = regexp.MustCompile(`^[a-z0-9_-]+(\.[a-z0-9_-]+)+$`)
