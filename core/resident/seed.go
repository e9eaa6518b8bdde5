package resident

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/store"
)

// RoomResolver is what the demo seeder needs beyond Rooms: find a room by
// building, unit and number as people write them ("1-1-101"). Called with
// store.Ctx(tx), it joins the seeder's transaction.
type RoomResolver interface {
	ResolveRoom(ctx context.Context, tenantID uuid.UUID, building, unit, room string) (uuid.UUID, error)
}

// DemoResident is one person of the demo data. Room is "building-unit-room", e.g. "1-1-101".
type DemoResident struct {
	Name      string            `json:"name"`
	Gender    string            `json:"gender"`
	BirthDate string            `json:"birth_date"`
	IDNumber  string            `json:"id_number"` // a resident ID; empty for none
	Phone     string            `json:"phone"`
	Room      string            `json:"room"`
	Role      string            `json:"role"`
	Relation  string            `json:"relation"`
	MoveIn    string            `json:"move_in"`
	Tags      map[string]string `json:"tags"` // tag -> reason
	Plates    []string          `json:"plates"`
	Pets      []PetInput        `json:"pets"`
	Contact   *ContactInput     `json:"emergency_contact"`
	Account   string            `json:"account"` // username of a resident account to link, e.g. "resident"
}

// DemoData is the "residents" seed section of a tenant manifest.
type DemoData struct {
	Residents []DemoResident `json:"residents"`
}

// DemoSeeder returns the seeder for tenants/demo.yaml's seed section. It runs
// in one tenant transaction, joining the caller's when ctx carries one, and
// moves people in through the service's Rooms. raw is the decoded YAML (nil
// means the built-in demo residents). It does nothing when the tenant already
// has persons, so a restart does not duplicate them; changed says it added some.
func (s *Service) DemoSeeder(rooms RoomResolver) func(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
	return func(ctx context.Context, tenantID uuid.UUID, raw any) (changed bool, err error) {
		data := DefaultDemo()
		if raw != nil {
			b, err := json.Marshal(raw)
			if err != nil {
				return false, fmt.Errorf("resident seed: %w", err)
			}
			data = DemoData{}
			if err := json.Unmarshal(b, &data); err != nil {
				return false, fmt.Errorf("resident seed: %w", err)
			}
		}
		if _, ok := actor.From(ctx); !ok {
			ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "demo-seed"})
		}
		err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
			var n int64
			if err := tx.Model(&personRow{}).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 || len(data.Residents) == 0 {
				return nil
			}
			for _, d := range data.Residents {
				if err := s.seedOne(ctx, tx, tenantID, rooms, d); err != nil {
					return fmt.Errorf("resident seed %s: %w", d.Name, err)
				}
			}
			changed = true
			return nil
		})
		return changed, err
	}
}

func (s *Service) seedOne(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rooms RoomResolver, d DemoResident) error {
	in := PersonInput{Name: d.Name, Gender: d.Gender, BirthDate: d.BirthDate}
	if d.IDNumber != "" {
		in.IDType, in.IDNumber = IDResident, d.IDNumber
	}
	if d.Phone != "" {
		in.Phones = []PhoneInput{{Label: "手机", Number: d.Phone}}
	}
	if d.Contact != nil {
		in.EmergencyContacts = []ContactInput{*d.Contact}
	}
	p, err := s.createPerson(tx, tenantID, in)
	if err != nil {
		return err
	}
	if d.Account != "" {
		uid, found, err := s.accounts.AccountByUsername(store.Ctx(tx), tenantID, d.Account)
		if err != nil {
			return err
		}
		// A manifest without that account seeds the person unlinked.
		if found {
			if err := s.linkAccount(tx, tenantID, p.ID, uid); err != nil {
				return err
			}
		}
	}
	if d.Room != "" {
		parts := strings.SplitN(d.Room, "-", 3)
		if len(parts) != 3 {
			return fmt.Errorf("room %q is not building-unit-room", d.Room)
		}
		roomID, err := rooms.ResolveRoom(store.Ctx(tx), tenantID, parts[0], parts[1], parts[2])
		if err != nil {
			return fmt.Errorf("room %s: %w", d.Room, err)
		}
		if _, err := s.moveIn(tx, joinedRooms{s.rooms}, tenantID, p.ID, OccupancyInput{RoomID: roomID, Role: d.Role, Relation: d.Relation, MoveIn: d.MoveIn}); err != nil {
			return err
		}
	}
	for tag, reason := range d.Tags {
		if _, err := s.setTag(ctx, tx, tenantID, p.ID, tag, CareTagInput{Reason: reason}); err != nil {
			return err
		}
	}
	for _, plate := range d.Plates {
		if _, err := addVehicle(tx, tenantID, p.ID, VehicleInput{Plate: plate}); err != nil {
			return err
		}
	}
	for _, pet := range d.Pets {
		if _, err := addPet(tx, tenantID, p.ID, pet); err != nil {
			return err
		}
	}
	return nil
}

// DefaultDemo is the built-in demo: five households in buildings 1 and 2,
// an elderly woman living alone who needs visits, a child, cars and pets.
func DefaultDemo() DemoData {
	id := func(region, birth, seq string) string { return residentIDWithCheck(region + birth + seq) }
	return DemoData{Residents: []DemoResident{
		{Name: "陈建国", Gender: "male", BirthDate: "1972-04-18", IDNumber: id("440305", "19720418", "153"), Phone: "13802461357",
			Room: "1-1-101", Role: RoleOwner, Relation: "本人", MoveIn: "2015-06-01", Plates: []string{"粤B·D12345"}, Account: "resident",
			Contact: &ContactInput{Name: "陈晓明", Relation: "儿子", Phone: "13923456781"}},
		{Name: "林秀珍", Gender: "female", BirthDate: "1975-09-02", IDNumber: id("440305", "19750902", "226"), Phone: "13902461358",
			Room: "1-1-101", Role: RoleFamily, Relation: "配偶", MoveIn: "2015-06-01",
			Pets: []PetInput{{Name: "豆豆", Species: "狗", Breed: "柯基", VaccinatedOn: "2024-03-15"}}},
		{Name: "陈思雨", Gender: "female", BirthDate: "2016-11-20", Room: "1-1-101", Role: RoleFamily, Relation: "女儿", MoveIn: "2016-12-01",
			Tags: map[string]string{TagChild: "未满 12 岁,电梯与泳池区域需看护"}},
		{Name: "王秀英", Gender: "female", BirthDate: "1941-02-14", IDNumber: id("440104", "19410214", "028"), Phone: "13600135791",
			Room: "1-1-102", Role: RoleOwner, Relation: "本人", MoveIn: "2003-09-01",
			Tags:    map[string]string{TagElderlyAlone: "老伴去世,子女在外地", TagNeedsVisits: "行动不便,每周二、五上门探访"},
			Contact: &ContactInput{Name: "李强", Relation: "儿子", Phone: "13711112222"}},
		{Name: "张伟", Gender: "male", BirthDate: "1990-07-07", IDNumber: id("430102", "19900707", "351"), Phone: "15012345678",
			Room: "1-2-201", Role: RoleTenant, Relation: "租客", MoveIn: "2023-03-01", Plates: []string{"粤B·8K3Q2"},
			Pets: []PetInput{{Name: "咪咪", Species: "猫", Breed: "英短", VaccinatedOn: "2024-08-01"}}},
		{Name: "刘芳", Gender: "female", BirthDate: "1983-12-30", IDNumber: id("110105", "19831230", "462"), Phone: "18612345670",
			Room: "2-1-301", Role: RoleOwner, Relation: "本人", MoveIn: "2019-01-15", Plates: []string{"粤B·F67890"}},
		{Name: "赵国强", Gender: "male", BirthDate: "1958-05-05", IDNumber: id("440303", "19580505", "113"), Phone: "13509876543",
			Room: "2-1-302", Role: RoleOwner, Relation: "本人", MoveIn: "2010-10-10",
			Tags: map[string]string{TagDisabled: "下肢残疾,轮椅出行;消防疏散需协助"}},
		{Name: "黄丽", Gender: "female", BirthDate: "1960-08-08", Phone: "13509876544",
			Room: "2-1-302", Role: RoleFamily, Relation: "配偶", MoveIn: "2010-10-10"},
	}}
}

// residentIDWithCheck completes 17 digits with the GB 11643 check character.
func residentIDWithCheck(d17 string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(d17[i]-'0') * weights[i]
	}
	return d17 + string("10X98765432"[sum%11])
}
