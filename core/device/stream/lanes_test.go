package stream

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
	"github.com/wuye-project/wuye/sdk/driver"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// A device whose event the plugin is still handling holds only its own
// lane: the other devices' events flow past it. The cursor stays below the
// unfinished event, so a restart delivers it (at-least-once).
func TestSlowDeviceDoesNotStallOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		slow, fast := f.reg.add(f.tenant, "acme"), f.reg.add(f.tenant, "acme")
		f.rec.hold = func(ctx context.Context, ev *wuyepb.Event) error {
			var d driver.DoorAccess
			env, _ := driver.Open(eventOf(ev), &d)
			if env.Device.ID == slow.ID.String() {
				<-ctx.Done() // until the stream stops
				return ctx.Err()
			}
			return nil
		}
		s, stop := f.start(t)
		ctx := context.Background()
		if _, _, err := s.Accept(ctx, f.tenant, "acme", []*wuyepb.DeviceEvent{door(slow, 0)}); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			if _, _, err := s.Accept(ctx, f.tenant, "acme", []*wuyepb.DeviceEvent{door(fast, i)}); err != nil {
				t.Fatal(err)
			}
		}
		f.rec.waitN(t, 30) // all of the fast device's, while the slow one's is held
		stop()

		f.rec.hold = nil
		f.start(t)
		f.rec.waitN(t, 31)
		got := map[uuid.UUID]int{}
		for _, ev := range f.rec.events() {
			var d driver.DoorAccess
			env, err := driver.Open(eventOf(ev), &d)
			if err != nil {
				t.Fatal(err)
			}
			got[uuid.MustParse(env.Device.ID)]++
		}
		if got[slow.ID] != 1 {
			t.Fatalf("the slow device's event was handled %d times after the restart, want 1", got[slow.ID])
		}
	})
}
