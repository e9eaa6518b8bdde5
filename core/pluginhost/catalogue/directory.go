package catalogue

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// What other parts of the plugin host ask the catalogue besides Resolve: the
// event bus (Subscribers, PeriodicTasks) and the proxy (Registered: routes
// for OpenAPI, permissions for RBAC).

// subscribed reports whether a subscription names eventType: the type
// itself, or a family "<prefix>.*" (the bus's Matches; no bare "*").
func subscribed(subs []string, eventType string) bool {
	for _, s := range subs {
		if prefix, ok := strings.CutSuffix(s, ".*"); ok {
			if prefix != "" && strings.HasPrefix(eventType, prefix+".") {
				return true
			}
		} else if s == eventType {
			return true
		}
	}
	return false
}

// PeriodicTask is one enabled plugin's periodic task for one tenant (the
// bus's Periodic).
type PeriodicTask struct {
	TenantID uuid.UUID
	Plugin   string
	Name     string
	Schedule string
}

// PeriodicTasks lists every tenant's enabled plugins' periodic tasks (the
// manifests of their pinned versions). It reads across tenants, on the
// platform pool, for the scheduler.
func (c *Catalogue) PeriodicTasks(ctx context.Context) ([]PeriodicTask, error) {
	all, err := c.versions(ctx, "", true)
	if err != nil {
		return nil, err
	}
	var rows []tenantRow
	if err := c.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Where("enabled").Order("tenant_id, name").Find(&rows).Error
	}); err != nil {
		return nil, err
	}
	var out []PeriodicTask
	for _, r := range rows {
		v, err := all.get(r.Name, r.Version)
		if err != nil || v.RetiredAt != nil {
			continue
		}
		pm, err := c.manifestOf(v)
		if err != nil {
			continue
		}
		for _, t := range pm.m.GetTasks() {
			if t.GetName() != "" && t.GetSchedule() != "" {
				out = append(out, PeriodicTask{TenantID: r.TenantID, Plugin: r.Name, Name: t.GetName(), Schedule: t.GetSchedule()})
			}
		}
	}
	return out, nil
}

// Registered returns the manifest of every registered plugin's latest
// unretired version, by name (the proxy's Registered: routes in the served
// OpenAPI, permissions in the role catalogue).
func (c *Catalogue) Registered(ctx context.Context) ([]*wuyepb.Manifest, error) {
	vs, err := c.versions(ctx, "", false)
	if err != nil {
		return nil, err
	}
	var out []*wuyepb.Manifest
	for i, v := range vs {
		if i > 0 && vs[i-1].Name == v.Name {
			continue // older version
		}
		if pm, err := c.manifestOf(v); err == nil {
			out = append(out, pm.m)
		}
	}
	return out, nil
}
