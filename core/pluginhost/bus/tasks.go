package bus

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// taskRow is a plugin's one-off task waiting to run.
type taskRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	Plugin    string    `gorm:"primaryKey"`
	Key       string    `gorm:"primaryKey"`
	Token     uuid.UUID
	Name      string
	Payload   string
	RunAt     time.Time
	CreatedAt time.Time
}

func (taskRow) TableName() string { return "plugin_tasks" }

// Schedule queues a one-off task of a plugin to run at runAt (now when zero
// or past) with the plugin's RunTask. key is unique per tenant and plugin:
// scheduling a key again replaces the waiting task. The returned id (new
// with every scheduling) is the TaskRequest.id the plugin sees, on every
// attempt. Inside a transaction (store.Ctx) it commits with it.
func (b *Bus) Schedule(ctx context.Context, tenantID uuid.UUID, plugin, name string, payload json.RawMessage, runAt time.Time, key string) (uuid.UUID, error) {
	if err := checkPlugin(plugin); err != nil {
		return uuid.Nil, err
	}
	if len(name) == 0 || len(name) > 100 || !taskRe.MatchString(name) {
		return uuid.Nil, ErrBadTask
	}
	if err := checkKey(key); err != nil {
		return uuid.Nil, err
	}
	p, err := payloadOf(payload)
	if err != nil {
		return uuid.Nil, err
	}
	now := b.now().UTC()
	if runAt.Before(now) {
		runAt = now
	}
	row := taskRow{TenantID: tenantID, Plugin: plugin, Key: key, Token: store.NewID(), Name: name, Payload: string(p), RunAt: runAt.UTC(), CreatedAt: now}
	body, _ := json.Marshal(runTask{Plugin: plugin, Kind: kindOnce, Key: key, Token: row.Token.String()})
	err = b.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var waiting int64
		if err := tx.Model(&taskRow{}).Where("tenant_id = ? AND plugin = ?", tenantID, plugin).Count(&waiting).Error; err != nil {
			return err
		}
		if waiting >= b.opt.MaxPending {
			// A replacement of an existing key adds nothing; only a new one is refused.
			var n int64
			if err := tx.Model(&taskRow{}).Where("tenant_id = ? AND plugin = ? AND key = ?", tenantID, plugin, key).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return ErrTooMany
			}
		}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "plugin"}, {Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"token", "name", "payload", "run_at", "created_at"}),
		}).Create(&row).Error
		if err != nil {
			return err
		}
		_, err = queue.Enqueue(tx, queue.Task{Type: TaskRun, Payload: body, RunAt: row.RunAt, Key: "once:" + row.Token.String(), MaxRetry: b.opt.MaxRetry})
		return err
	})
	if err != nil {
		return uuid.Nil, err
	}
	return row.Token, nil
}

// Cancel removes a plugin's waiting one-off task; it reports whether there
// was one. A task already running finishes.
func (b *Bus) Cancel(ctx context.Context, tenantID uuid.UUID, plugin, key string) (bool, error) {
	if err := checkPlugin(plugin); err != nil {
		return false, err
	}
	if err := checkKey(key); err != nil {
		return false, err
	}
	var n int64
	err := b.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND plugin = ? AND key = ?", tenantID, plugin, key).Delete(&taskRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n > 0, err
}

// runOnce runs a one-off task if its scheduling is still the current one,
// then removes it (unless it was scheduled again meanwhile).
func (b *Bus) runOnce(ctx context.Context, t queue.Task, r runTask) error {
	var row taskRow
	err := b.db.InTenant(ctx, t.TenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND plugin = ? AND key = ? AND token = ?", t.TenantID, r.Plugin, r.Key, r.Token).Take(&row).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // cancelled, replaced, or already run
	}
	if err != nil {
		return err
	}
	err = b.call(ctx, t, r.Plugin, func(ctx context.Context, c wuyepb.PluginClient, _ *wuyepb.Manifest) error {
		_, err := c.RunTask(ctx, &wuyepb.TaskRequest{Id: row.Token.String(), Name: row.Name, Payload: []byte(row.Payload),
			Attempt: attempt(ctx), ScheduledAtUnixMs: row.RunAt.UnixMilli()})
		return err
	})
	if err != nil {
		return err
	}
	return b.db.InTenant(ctx, t.TenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND plugin = ? AND key = ? AND token = ?", t.TenantID, r.Plugin, r.Key, r.Token).Delete(&taskRow{}).Error
	})
}
