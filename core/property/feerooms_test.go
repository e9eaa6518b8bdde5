package property_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// RoomsAfter walks a community's rooms in id order, batch after batch, and
// sees no other community's or tenant's rooms.
func TestRoomsAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		area := property.Area(8956)
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, property.GenerateSpec{CommunityID: f.comm.ID, Name: "2栋", Units: 1, Floors: 3, RoomsPerFloor: 3, BuiltArea: &area}); err != nil {
			t.Fatal(err)
		}
		other, _ := f.svc.CreateCommunity(ctx, f.tenant, property.CommunityInput{Name: "别的小区"})
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, property.GenerateSpec{CommunityID: other.ID, Name: "1栋", Units: 1, Floors: 1, RoomsPerFloor: 2}); err != nil {
			t.Fatal(err)
		}
		var seen []uuid.UUID
		for after := uuid.Nil; ; {
			rooms, err := f.svc.RoomsAfter(ctx, f.tenant, f.comm.ID, after, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rooms {
				if r.CommunityID != f.comm.ID || r.BuiltArea != area || r.FeeCoefficient != 10000 || r.Status != property.Vacant {
					t.Fatalf("room %+v", r)
				}
				if len(seen) > 0 && r.ID.String() <= seen[len(seen)-1].String() {
					t.Fatal("not in id order")
				}
				seen = append(seen, r.ID)
			}
			if len(rooms) < 4 {
				break
			}
			after = rooms[len(rooms)-1].ID
		}
		if len(seen) != 9 {
			t.Fatalf("%d rooms, want 9", len(seen))
		}
		if rooms, _ := f.svc.RoomsAfter(ctx, store.NewID(), f.comm.ID, uuid.Nil, 100); len(rooms) != 0 {
			t.Fatalf("another tenant sees %d rooms", len(rooms))
		}
	})
}
