package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/store"
)

// deviceFixture registers a device for tenantID straight in the table: no
// driver binary is registered in these tests, so the API would refuse one.
func deviceFixture(t *testing.T, r *running, tenantID uuid.UUID) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var cid string
	err := r.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return tx.Table("communities").Select("CAST(id AS TEXT)").Where("tenant_id = ?", tenantID).Order("id").Limit(1).Scan(&cid).Error
	})
	community, _ := uuid.Parse(cid)
	if err != nil || community == uuid.Nil {
		t.Fatalf("device fixture: no community (%v)", err)
	}
	now := time.Now().UTC()
	d := device.Device{TenantID: tenantID, ID: store.NewID(), CommunityID: community, Name: "东门入口", Class: "lpr_camera", Driver: "isapi-lpr",
		Place: "东门", Direction: "in", Config: `{"address":"127.0.0.1:18181"}`, Status: device.StatusUnknown, CreatedAt: now, UpdatedAt: now}
	if err := r.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Create(&d).Error }); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// TestDeviceRoutes: the registry's routes answer through the real server:
// a driver the tenant has not enabled is a field error, a device reads back
// with its linked asset, and an asset naming an unknown device is refused.
func TestDeviceRoutes(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			r := start(t, d)
			tok, tenantID, community := demoAdmin(t, r)
			st, body := r.call(t, tok, "POST", "/api/v1/devices", map[string]any{"community_id": community, "name": "东门入口", "class": "lpr_camera",
				"driver": "isapi-lpr", "config": map[string]any{"address": "127.0.0.1:18181"}})
			if st != 400 || fieldCode(body, "driver") != "driver_not_enabled" {
				t.Fatalf("create without driver: %d %v", st, body)
			}
			if st, body := r.call(t, tok, "GET", "/api/v1/device-drivers", nil); st != 200 || len(body["items"].([]any)) != 0 {
				t.Fatalf("drivers: %d %v", st, body)
			}
			id := deviceFixture(t, r, tenantID)
			// An asset may name the device; an unknown id is refused.
			asset := map[string]any{"community_id": community, "code": "LPR-1", "name": "东门车牌识别", "category": "gate", "device_id": store.NewID()}
			if st, body := r.call(t, tok, "POST", "/api/v1/assets", asset); st != 400 || errCode(body) != "unknown_device" {
				t.Fatalf("asset with unknown device: %d %v", st, body)
			}
			asset["device_id"] = id
			if st, body := r.call(t, tok, "POST", "/api/v1/assets", asset); st != 201 {
				t.Fatalf("asset: %d %v", st, body)
			}
			st, body = r.call(t, tok, "GET", "/api/v1/devices/"+id.String(), nil)
			if st != 200 || body["name"] != "东门入口" || body["asset"].(map[string]any)["code"] != "LPR-1" || body["token_hash"] != nil {
				t.Fatalf("get: %d %v", st, body)
			}
			if st, body := r.call(t, tok, "GET", "/api/v1/devices?class=lpr_camera", nil); st != 200 || body["total"].(float64) != 1 {
				t.Fatalf("list: %d %v", st, body)
			}
			// Its driver is not enabled: a command cannot reach it.
			if st, body := r.call(t, tok, "POST", "/api/v1/devices/"+id.String()+"/commands", map[string]any{"command": "gate.open"}); st != 404 || errCode(body) != "plugin_not_enabled" {
				t.Fatalf("command: %d %v", st, body)
			}
			st, body = r.call(t, tok, "POST", "/api/v1/devices/"+id.String()+"/token", nil)
			if st != 200 || body["token"] == "" {
				t.Fatalf("rotate: %d %v", st, body)
			}
			if _, err := r.Devices.CheckToken(context.Background(), tenantID, id, body["token"].(string)); err != nil {
				t.Fatalf("rotated token: %v", err)
			}
		})
	}
}

func fieldCode(body map[string]any, field string) string {
	e, _ := body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		m, _ := d.(map[string]any)
		if m["field"] == field {
			c, _ := m["code"].(string)
			return c
		}
	}
	return ""
}

// demoAdmin applies the short demo and returns its admin's token, the
// tenant and its first community.
func demoAdmin(t *testing.T, r *running) (string, uuid.UUID, string) {
	t.Helper()
	ctx := actor.With(context.Background(), actor.Actor{Kind: actor.Operator, Name: "test"})
	m, err := demoShort()
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Tenants.Apply(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	tok := r.login(t, m.Code, "admin", password(res, "admin"))
	st, body := r.call(t, tok, "GET", "/api/v1/communities", nil)
	items, _ := body["items"].([]any)
	if st != 200 || len(items) == 0 {
		t.Fatalf("communities: %d %v", st, body)
	}
	return tok, res.Tenant.ID, items[0].(map[string]any)["id"].(string)
}
