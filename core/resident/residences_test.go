package resident_test

import (
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// Residences lists current and past stays of the asked rooms only.
func TestResidences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		room, elsewhere := f.rooms.add(f.tenant), f.rooms.add(f.tenant)
		owner := f.create(t, resident.PersonInput{Name: "王芳"})
		tenant := f.create(t, resident.PersonInput{Name: "李雷"})
		var stay resident.Occupancy
		err := f.in(t, func(tx *gorm.DB) error {
			ctx := store.Ctx(tx)
			if _, err := f.svc.MoveIn(ctx, f.tenant, owner.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleOwner, MoveIn: "2024-01-01"}); err != nil {
				return err
			}
			var err error
			if stay, err = f.svc.MoveIn(ctx, f.tenant, tenant.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleTenant, MoveIn: "2024-03-01"}); err != nil {
				return err
			}
			if _, err := f.svc.MoveOut(ctx, f.tenant, stay.ID, resident.MoveOutInput{MoveOut: "2024-06-30"}); err != nil {
				return err
			}
			_, err = f.svc.MoveIn(ctx, f.tenant, tenant.ID, resident.OccupancyInput{RoomID: elsewhere, Role: resident.RoleTenant, MoveIn: "2024-07-01"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []resident.Residence
		err = f.in(t, func(tx *gorm.DB) error {
			var err error
			got, err = f.svc.Residences(store.Ctx(tx), f.tenant, []uuid.UUID{room})
			return err
		})
		if err != nil || len(got) != 2 {
			t.Fatalf("%d residences, %v", len(got), err)
		}
		roles := map[string]bool{}
		for _, r := range got {
			roles[r.Role] = true
			if r.RoomID != room {
				t.Fatalf("residence of another room: %+v", r)
			}
			if r.Role == resident.RoleTenant && (r.MoveOut == nil || r.MoveOut.Format("2006-01-02") != "2024-06-30") {
				t.Fatalf("moved-out stay %+v", r)
			}
		}
		if !roles[resident.RoleOwner] || !roles[resident.RoleTenant] {
			t.Fatalf("roles %v", roles)
		}
	})
}
