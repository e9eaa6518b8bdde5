package device_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/device"
	"github.com/wuye-project/wuye/core/pluginhost"
	"github.com/wuye-project/wuye/core/pluginhost/bus"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// parkingSubscribes: the parking plugin subscribes to every device event.
type parkingSubscribes struct{}

func (parkingSubscribes) Subscribers(context.Context, uuid.UUID, string) ([]string, error) {
	return []string{"parking"}, nil
}
func (parkingSubscribes) PeriodicTasks(context.Context) ([]bus.Periodic, error) { return nil, nil }

type noRunner struct{}

func (noRunner) Call(context.Context, uuid.UUID, string, func(context.Context, wuyepb.PluginClient, *wuyepb.Manifest) error) error {
	return pluginhost.ErrUnavailable
}

// TestStatusOnTheBus: a status change writes its delivery to the durable
// outbox in the change's own transaction, on both engines.
func TestStatusOnTheBus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		b, err := bus.New(db, bus.Deps{Directory: parkingSubscribes{}, Runner: noRunner{},
			Zone: func(context.Context, uuid.UUID) *time.Location { return time.UTC }}, bus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := device.New(db, device.Options{Catalog: catalog{enabled: map[uuid.UUID]map[string]*wuyepb.Manifest{f.tid: {"isapi-lpr": lprManifest()}}},
			Keys: keyring(t), Bus: b})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Create(ctx, f.tid, f.input("东门入口"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ReportStatus(ctx, f.tid, "isapi-lpr", &wuyepb.DeviceStatus{DeviceId: c.ID.String(), Status: "offline", Detail: "link down"}); err != nil {
			t.Fatal(err)
		}
		var payloads []string
		err = db.Platform(ctx, func(tx *gorm.DB) error {
			return tx.Table("outbox").Select("payload").Where("tenant_id = ?", f.tid).Find(&payloads).Error
		})
		if err != nil || len(payloads) != 1 || !strings.Contains(payloads[0], `"type":"device.offline"`) || !strings.Contains(payloads[0], "link down") {
			t.Fatalf("outbox: %v %v", payloads, err)
		}
	})
}
