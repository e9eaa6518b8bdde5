package bus

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/hibiken/asynq"

	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// attempt is 1 on a task's first delivery. The queue's handler context is
// asynq's, which counts the retries (a task re-sent after an embedded
// queue's restart counts from 1 again).
func attempt(ctx context.Context) uint32 {
	n, _ := asynq.GetRetryCount(ctx)
	return uint32(n) + 1
}

// handleEvent delivers one event to one plugin. An error (the plugin's, or
// its process unavailable) is returned for the queue to retry; a plugin not
// enabled any more, or no longer subscribed, drops the delivery.
func (b *Bus) handleEvent(ctx context.Context, t queue.Task) error {
	var d delivery
	if err := json.Unmarshal(t.Payload, &d); err != nil {
		b.opt.Log.Error("bus: unreadable event delivery dropped", "task", t.ID, "err", err)
		return nil
	}
	dropped := false
	err := b.call(ctx, t, d.Plugin, func(ctx context.Context, c wuyepb.PluginClient, m *wuyepb.Manifest) error {
		if m != nil && !Subscribed(m.GetSubscriptions(), d.Event.Type) {
			dropped = true // an upgrade dropped the subscription after the event was queued
			return nil
		}
		_, err := c.HandleEvent(ctx, &wuyepb.Event{
			Id: d.Event.ID.String(), Type: d.Event.Type, Source: d.Event.Source,
			OccurredAtUnixMs: d.Event.OccurredAt.UnixMilli(), Payload: d.Event.Payload, Attempt: attempt(ctx),
		})
		return err
	})
	if dropped {
		b.opt.Log.Info("bus: event dropped, plugin no longer subscribed", "tenant", t.TenantID, "plugin", d.Plugin, "type", d.Event.Type, "event", d.Event.ID)
	}
	return err
}

// call runs fn on the tenant's plugin with the call timeout; ErrNotEnabled
// ends the task (nil), anything else is the queue's to retry.
func (b *Bus) call(ctx context.Context, t queue.Task, plugin string, fn func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	ctx, cancel := context.WithTimeout(ctx, b.opt.CallTimeout)
	defer cancel()
	err := b.d.Runner.Call(ctx, t.TenantID, plugin, fn)
	if errors.Is(err, pluginhost.ErrNotEnabled) {
		b.opt.Log.Info("bus: plugin not enabled, delivery dropped", "tenant", t.TenantID, "plugin", plugin, "task", t.Type, "id", t.ID)
		return nil
	}
	return err
}

// runTask is the payload of a TaskRun.
type runTask struct {
	Plugin string `json:"plugin"`
	Kind   string `json:"kind"` // periodic or once
	Name   string `json:"name,omitempty"`
	// Slot is a periodic task's slot (ms since the epoch).
	Slot int64 `json:"slot,omitempty"`
	// Key and Token name a one-off task's row and its scheduling.
	Key   string `json:"key,omitempty"`
	Token string `json:"token,omitempty"`
}

const (
	kindPeriodic = "periodic"
	kindOnce     = "once"
)

// handleTask runs a periodic or one-off task on its plugin.
func (b *Bus) handleTask(ctx context.Context, t queue.Task) error {
	var r runTask
	if err := json.Unmarshal(t.Payload, &r); err != nil {
		b.opt.Log.Error("bus: unreadable task dropped", "task", t.ID, "err", err)
		return nil
	}
	switch r.Kind {
	case kindPeriodic:
		return b.call(ctx, t, r.Plugin, func(ctx context.Context, c wuyepb.PluginClient, m *wuyepb.Manifest) error {
			if m != nil && !slices.ContainsFunc(m.GetTasks(), func(p *wuyepb.PeriodicTask) bool { return p.GetName() == r.Name }) {
				return nil // the running version no longer has the task
			}
			_, err := c.RunTask(ctx, &wuyepb.TaskRequest{Id: t.ID.String(), Name: r.Name, Attempt: attempt(ctx), ScheduledAtUnixMs: r.Slot})
			return err
		})
	case kindOnce:
		return b.runOnce(ctx, t, r)
	}
	b.opt.Log.Error("bus: task of unknown kind dropped", "task", t.ID, "kind", r.Kind)
	return nil
}
