package property_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

func TestParseArea(t *testing.T) {
	good := map[string]property.Area{"89.56": 8956, "89.5": 8950, "89": 8900, "0": 0, "0.01": 1, " 120.00 ": 12000, "100000": 100_000_00, "007.10": 710, "-0": 0}
	for in, want := range good {
		if got, err := property.ParseArea(in); err != nil || got != want {
			t.Errorf("ParseArea(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{"-1": "negative_area", "-0.01": "negative_area", "1.234": "area_too_precise", "100000.01": "area_too_large",
		"99999999999999999999": "area_too_large", "abc": "invalid_area", "": "invalid_area", "1e3": "invalid_area", "1.": "invalid_area", ".5": "invalid_area", "1,5": "invalid_area"}
	for in, code := range bad {
		_, err := property.ParseArea(in)
		if e, ok := apperr.As(err); !ok || e.Code != code {
			t.Errorf("ParseArea(%q) error %v, want %s", in, err, code)
		}
	}
	// JSON: strings and number literals both parse exactly, and print as strings.
	var v struct {
		A property.Area        `json:"a"`
		C property.Coefficient `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a": 89.56, "c": "1.25"}`), &v); err != nil || v.A != 8956 || v.C != 12500 {
		t.Fatalf("unmarshal: %+v %v", v, err)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"a":"89.56","c":"1.2500"}` {
		t.Fatalf("marshal: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"a": "-3"}`), &v); !errors.Is(err, property.ErrAreaNegative) {
		t.Fatalf("negative area in JSON: %v", err)
	}
	if _, err := property.ParseCoefficient("1.00001"); !errors.Is(err, property.ErrCoefPrecision) {
		t.Fatalf("coefficient precision: %v", err)
	}
	if _, err := property.ParseCoefficient("101"); !errors.Is(err, property.ErrCoefTooLarge) {
		t.Fatalf("coefficient too large: %v", err)
	}
}

// fixture is a community with one building and one unit.
type fixture struct {
	svc    *property.Service
	tenant uuid.UUID
	comm   property.Community
	bld    property.Building
	unit   property.Unit
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{svc: newService(t, db), tenant: store.NewID()}
	var err error
	if f.comm, err = f.svc.CreateCommunity(ctx, f.tenant, property.CommunityInput{Name: "阳光花园"}); err != nil {
		t.Fatal(err)
	}
	if f.bld, err = f.svc.CreateBuilding(ctx, f.tenant, property.BuildingInput{CommunityID: f.comm.ID, Name: "1栋", Floors: 18}); err != nil {
		t.Fatal(err)
	}
	if f.unit, err = f.svc.CreateUnit(ctx, f.tenant, property.UnitInput{BuildingID: f.bld.ID, Name: "1单元"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "non-apperr: " + err.Error()
}

func TestRooms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		r, err := f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("1201"), Floor: ptr(12),
			BuiltArea: ptr(property.Area(8956)), InteriorArea: ptr(property.Area(7520)), Layout: ptr("3室2厅"), Usage: ptr(property.Residential)})
		if err != nil {
			t.Fatal(err)
		}
		if r.SharedArea != 1436 || r.FeeCoefficient != 10000 || r.Status != property.Vacant || r.BuildingID != f.bld.ID || r.CommunityID != f.comm.ID {
			t.Fatalf("room defaults/derived fields wrong: %+v", r)
		}
		got, err := f.svc.GetRoom(ctx, f.tenant, r.ID)
		if err != nil || got.BuiltArea != 8956 || got.Number != "1201" {
			t.Fatalf("read back %+v %v", got, err)
		}

		// Duplicate number within the unit: 409, nothing written.
		_, err = f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("1201")})
		if code(err) != "duplicate_room_number" {
			t.Fatalf("duplicate: %v", err)
		}
		// Same number in another unit is fine.
		u2, _ := f.svc.CreateUnit(ctx, f.tenant, property.UnitInput{BuildingID: f.bld.ID, Name: "2单元"})
		if _, err := f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &u2.ID, Number: ptr("1201")}); err != nil {
			t.Fatal(err)
		}
		// Renumbering onto a taken number is refused too.
		r2, _ := f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("1202")})
		if _, err := f.svc.UpdateRoom(ctx, f.tenant, r2.ID, property.RoomInput{Number: ptr("1201")}); code(err) != "duplicate_room_number" {
			t.Fatalf("renumber onto taken: %v", err)
		}
		// Interior larger than built-up: invalid, with the field named.
		_, err = f.svc.UpdateRoom(ctx, f.tenant, r.ID, property.RoomInput{InteriorArea: ptr(property.Area(9000))})
		if e, ok := apperr.As(err); !ok || e.Code != "invalid_input" {
			t.Fatalf("interior > built: %v", err)
		} else if fe := e.Details.([]apperr.FieldError); fe[0].Code != "area_mismatch" {
			t.Fatalf("details %+v", fe)
		}
		if got, _ := f.svc.GetRoom(ctx, f.tenant, r.ID); got.InteriorArea != 7520 {
			t.Fatalf("failed update wrote: %+v", got)
		}
		if _, err := f.svc.UpdateRoom(ctx, f.tenant, r.ID, property.RoomInput{Usage: ptr(property.Usage("castle"))}); err == nil {
			t.Fatal("unknown usage accepted")
		}

		// Filters.
		rooms, total, err := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{UnitID: f.unit.ID.String()}, paging.Paging{Limit: 10, Order: "number"})
		if err != nil || total != 2 || rooms[0].Number != "1201" {
			t.Fatalf("list by unit: %d %v %v", total, rooms, err)
		}
		if _, total, _ := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{Status: "空置", Number: "12"}, paging.Paging{}); total != 3 {
			t.Fatalf("filter by Chinese status: %d", total)
		}

		// Another tenant sees nothing of it.
		other := store.NewID()
		if _, err := f.svc.GetRoom(ctx, other, r.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant read: %v", err)
		}
		if _, err := f.svc.UpdateRoom(ctx, other, r.ID, property.RoomInput{Notes: ptr("x")}); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant update: %v", err)
		}
		if err := f.svc.DeleteBuilding(ctx, other, f.bld.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant delete: %v", err)
		}
		if _, err := f.svc.CreateRoom(ctx, other, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("9")}); code(err) != "unknown_unit" {
			t.Fatalf("other tenant's unit: %v", err)
		}
	})
}

type occupancy struct{ n, recorded int64 }

func (o occupancy) RoomOccupancy(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (int64, int64, error) {
	return o.n, o.recorded, nil
}

// withOccupancy is f's service with another occupancy checker (same database).
func withOccupancy(t *testing.T, db *store.DB, o property.OccupancyChecker) *property.Service {
	s, err := property.New(db, property.Unlimited, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeleteBuildingWithOccupiedRooms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		r, err := f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("101"), Status: ptr(property.Occupied)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteBuilding(ctx, f.tenant, f.bld.ID); code(err) != "building_has_occupied_rooms" {
			t.Fatalf("delete with occupied room: %v", err)
		}
		if _, err := f.svc.GetRoom(ctx, f.tenant, r.ID); err != nil {
			t.Fatalf("room gone after refused delete: %v", err)
		}
		if err := f.svc.DeleteCommunity(ctx, f.tenant, f.comm.ID); code(err) != "community_not_empty" {
			t.Fatalf("delete non-empty community: %v", err)
		}
		// Vacant by status, but the residents' records say occupied: the
		// status may not be set vacant, and the records decide.
		f.svc = withOccupancy(t, db, occupancy{n: 1, recorded: 1})
		if _, err := f.svc.UpdateRoom(ctx, f.tenant, r.ID, property.RoomInput{Status: ptr(property.Vacant)}); code(err) != "room_occupied" {
			t.Fatalf("set vacant while lived in: %v", err)
		}
		if _, err := f.svc.UpdateRoom(ctx, f.tenant, r.ID, property.RoomInput{Status: ptr(property.Renovating)}); err != nil {
			t.Fatalf("renovating while lived in: %v", err)
		}
		for _, del := range []func() error{
			func() error { return f.svc.DeleteBuilding(ctx, f.tenant, f.bld.ID) },
			func() error { return f.svc.DeleteUnit(ctx, f.tenant, f.unit.ID) },
		} {
			if err := del(); code(err) != "building_has_occupied_rooms" {
				t.Fatalf("delete with occupancy records: %v", err)
			}
		}
		if err := f.svc.DeleteRoom(ctx, f.tenant, r.ID); code(err) != "room_occupied" {
			t.Fatalf("delete room with occupancy records: %v", err)
		}
		// Moved out: the history keeps the room.
		f.svc = withOccupancy(t, db, occupancy{recorded: 1})
		if _, err := f.svc.UpdateRoom(ctx, f.tenant, r.ID, property.RoomInput{Status: ptr(property.Vacant)}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteRoom(ctx, f.tenant, r.ID); code(err) != "room_has_history" {
			t.Fatalf("delete room with history: %v", err)
		}
		if err := f.svc.DeleteBuilding(ctx, f.tenant, f.bld.ID); code(err) != "room_has_history" {
			t.Fatalf("delete building with history: %v", err)
		}
		f.svc = withOccupancy(t, db, occupancy{})
		if err := f.svc.DeleteBuilding(ctx, f.tenant, f.bld.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetRoom(ctx, f.tenant, r.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("room survived its building: %v", err)
		}
		if _, total, _ := f.svc.ListUnits(ctx, f.tenant, property.UnitFilter{BuildingID: f.bld.ID.String()}, paging.Paging{}); total != 0 {
			t.Fatalf("%d units survived", total)
		}
		if err := f.svc.DeleteCommunity(ctx, f.tenant, f.comm.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGenerateBuilding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		var quotaAsked []int
		var err error
		f.svc, err = property.New(db, func(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, resource string, adding int) error {
			if resource == property.ResourceRooms {
				quotaAsked = append(quotaAsked, adding)
			}
			return nil
		}, property.NoResidents{})
		if err != nil {
			t.Fatal(err)
		}
		spec := property.GenerateSpec{CommunityID: f.comm.ID, Name: "2栋", Units: 2, Floors: 3, RoomsPerFloor: 4, BuiltArea: ptr(property.Area(9000)), Preview: true}
		res, err := f.svc.GenerateBuilding(ctx, f.tenant, spec)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rooms != 24 || len(res.Sample) != 12 || res.Sample[0] != "101" || res.Sample[11] != "304" || res.Units[1] != "2单元" {
			t.Fatalf("preview %+v", res)
		}
		if _, total, _ := f.svc.ListBuildings(ctx, f.tenant, property.BuildingFilter{}, paging.Paging{}); total != 1 {
			t.Fatalf("preview created a building (%d)", total)
		}
		spec.Preview = false
		if res, err = f.svc.GenerateBuilding(ctx, f.tenant, spec); err != nil {
			t.Fatal(err)
		}
		rooms, total, _ := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{BuildingID: res.Building.ID.String()}, paging.Paging{})
		if total != 24 || rooms[0].BuiltArea != 9000 {
			t.Fatalf("generated %d rooms", total)
		}
		if len(quotaAsked) != 2 || quotaAsked[1] != 24 {
			t.Fatalf("quota asked %v", quotaAsked)
		}
		// Basements: -2, -1, then 1, 2 (no floor 0); the building records the
		// two floors above ground.
		base := property.GenerateSpec{CommunityID: f.comm.ID, Name: "B栋", Units: 1, Floors: 4, RoomsPerFloor: 1, StartFloor: -2}
		bres, err := f.svc.GenerateBuilding(ctx, f.tenant, base)
		if err != nil {
			t.Fatal(err)
		}
		if bres.Building.Floors != 2 || strings.Join(bres.Sample, ",") != "-201,-101,101,201" {
			t.Fatalf("basement generate: floors %d, sample %v", bres.Building.Floors, bres.Sample)
		}
		brooms, _, _ := f.svc.ListRooms(ctx, f.tenant, property.RoomFilter{BuildingID: bres.Building.ID.String()}, paging.Paging{Order: "floor"})
		var got []int
		for _, r := range brooms {
			got = append(got, r.Floor)
		}
		if fmt.Sprint(got) != "[-2 -1 1 2]" {
			t.Fatalf("generated floors %v", got)
		}
		base.Name, base.StartFloor, base.Floors = "C栋", 199, 3
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, base); code(err) != "invalid_input" {
			t.Fatalf("top floor 201: %v", err)
		}
		// Same name again: conflict, nothing half-written.
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, spec); code(err) != "duplicate_name" {
			t.Fatalf("second generate: %v", err)
		}
		spec.Name, spec.Numbering = "3栋", "{room}"
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, spec); code(err) != "duplicate_room_number" {
			t.Fatalf("numbering without floor: %v", err)
		}
		spec.Numbering = "{unit}-{floor}{room:03}"
		res, err = f.svc.GenerateBuilding(ctx, f.tenant, spec)
		if err != nil || res.Sample[0] != "1-1001" {
			t.Fatalf("custom numbering %+v %v", res.Sample, err)
		}
		spec.Name, spec.Numbering = "4栋", "{storey}"
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, spec); code(err) != "invalid_numbering" {
			t.Fatalf("bad token: %v", err)
		}
		spec.Units, spec.Floors, spec.RoomsPerFloor = 50, 200, 50
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, spec); code(err) != "generate_too_large" {
			t.Fatalf("too large: %v", err)
		}
		// A quota refusal rolls everything back.
		f.svc, _ = property.New(db, func(context.Context, *gorm.DB, uuid.UUID, string, int) error { return apperr.Conflict }, property.NoResidents{})
		spec = property.GenerateSpec{CommunityID: f.comm.ID, Name: "5栋", Units: 1, Floors: 1, RoomsPerFloor: 1}
		if _, err := f.svc.GenerateBuilding(ctx, f.tenant, spec); err == nil {
			t.Fatal("quota refusal ignored")
		}
		if n, _ := countRooms(db, f.tenant); n != 52 { // 24 + 24 + the 4 basement-test rooms
			t.Fatalf("rooms after refused generate: %d", n)
		}
	})
}

func countRooms(db *store.DB, tenant uuid.UUID) (n int64, err error) {
	err = db.InTenant(context.Background(), tenant, func(tx *gorm.DB) error {
		n, err = property.CountRooms(tx, tenant)
		return err
	})
	return n, err
}

func TestRoomFileAndLocations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		r, _ := f.svc.CreateRoom(ctx, f.tenant, property.RoomInput{UnitID: &f.unit.ID, Number: ptr("301")})
		f.svc.AddRoomSection("test_balance", func(ctx context.Context, tenantID uuid.UUID, room property.Room) (any, error) {
			return map[string]string{"number": room.Number}, nil
		})
		file, err := f.svc.RoomFile(ctx, f.tenant, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if file.Location.Name != "阳光花园 1栋 1单元 301" || file.Sections["test_balance"].(map[string]string)["number"] != "301" {
			t.Fatalf("room file %+v", file)
		}
		if _, err := f.svc.RoomFile(ctx, store.NewID(), r.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant's room file: %v", err)
		}
		ca, err := f.svc.CreateCommonArea(ctx, f.tenant, property.CommonAreaInput{CommunityID: f.comm.ID, Name: "会所", Category: "clubhouse", Area: 50000})
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[uuid.UUID]property.LocationKind{r.ID: property.LocationRoom, ca.ID: property.LocationCommonArea} {
			l, err := f.svc.Location(ctx, f.tenant, id)
			if err != nil || l.Kind != want || l.CommunityID != f.comm.ID {
				t.Fatalf("location %v: %+v %v", id, l, err)
			}
		}
		if _, err := f.svc.Location(ctx, store.NewID(), ca.ID); !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant's location: %v", err)
		}
		if _, err := f.svc.CreateCommonArea(ctx, f.tenant, property.CommonAreaInput{CommunityID: f.comm.ID, Name: "x", Category: "castle"}); code(err) != "invalid_input" {
			t.Fatalf("bad category: %v", err)
		}
		var n int64
		db.InTenant(ctx, f.tenant, func(tx *gorm.DB) error { n, err = property.CountCommunities(tx, f.tenant); return err })
		if n != 1 {
			t.Fatalf("CountCommunities = %d", n)
		}
	})
}

func newService(t testing.TB, db *store.DB) *property.Service {
	t.Helper()
	s, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
