package stream

import (
	"context"
	"testing"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// The log reads newest first, filtered by device, exact type or family.
func TestListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s, _ := f.start(t)
		ctx := context.Background()
		cam, gate := f.reg.add(f.tenant, "acme"), f.reg.add(f.tenant, "acme")
		door := &wuyepb.DeviceEvent{DeviceId: gate.ID.String(), Type: driver.DoorAccessed, Key: "d1",
			Payload: []byte(`{"v":1,"method":"card","credential":"12345678","granted":true}`)}
		for _, evs := range [][]*wuyepb.DeviceEvent{{plate(cam, "粤B·12345", "k1")}, {door}, {plate(cam, "粤B·67890", "k2")}} {
			if _, _, err := s.Accept(ctx, f.tenant, "acme", evs); err != nil {
				t.Fatal(err)
			}
		}
		all, total, err := s.List(ctx, f.tenant, EventFilter{}, 0, 10)
		if err != nil || total != 3 || len(all) != 3 || all[0].Type != driver.PlateRecognized || all[1].Type != driver.DoorAccessed {
			t.Fatalf("all = %+v (%d), %v", all, total, err)
		}
		for _, c := range []struct {
			f    EventFilter
			want int64
		}{
			{EventFilter{DeviceID: cam.ID}, 2},
			{EventFilter{Type: driver.DoorAccessed}, 1},
			{EventFilter{Type: "plate.*"}, 2},
			{EventFilter{Type: "elevator.*"}, 0},
			{EventFilter{DeviceID: gate.ID, Type: driver.PlateRecognized}, 0},
		} {
			items, n, err := s.List(ctx, f.tenant, c.f, 0, 10)
			if err != nil || n != c.want || int64(len(items)) != c.want {
				t.Errorf("%+v: %d items, total %d, %v; want %d", c.f, len(items), n, err, c.want)
			}
		}
		page, _, err := s.List(ctx, f.tenant, EventFilter{}, 1, 1)
		if err != nil || len(page) != 1 || page[0].ID != all[1].ID {
			t.Fatalf("second page = %+v, %v", page, err)
		}
	})
}
