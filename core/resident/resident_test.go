package resident_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// rooms is a RoomChecker over a set of (tenant, room) pairs.
type rooms struct {
	db       *store.DB // when set, add also writes the room row
	mu       sync.Mutex
	set      map[[2]uuid.UUID]bool
	occupied map[uuid.UUID]bool
}

func (r *rooms) add(tenant uuid.UUID) uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := store.NewID()
	if r.db != nil {
		if err := insertRoom(r.db, tenant, id); err != nil {
			panic(err)
		}
	}
	r.set[[2]uuid.UUID{tenant, id}] = true
	return id
}

// insertRoom writes a room row (with its community, building and unit): the
// residents' records point at rooms with foreign keys.
func insertRoom(db *store.DB, tenant, id uuid.UUID) error {
	c, b, u := store.NewID(), store.NewID(), store.NewID()
	return db.InTenant(context.Background(), tenant, func(tx *gorm.DB) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO communities (tenant_id, id, name) VALUES (?, ?, ?)", []any{tenant, c, c.String()}},
			{"INSERT INTO buildings (tenant_id, id, community_id, name) VALUES (?, ?, ?, '1')", []any{tenant, b, c}},
			{"INSERT INTO units (tenant_id, id, building_id, name) VALUES (?, ?, ?, '1')", []any{tenant, u, b}},
			{"INSERT INTO rooms (tenant_id, id, community_id, building_id, unit_id, number) VALUES (?, ?, ?, ?, ?, '101')", []any{tenant, id, c, b, u}},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

func (r *rooms) RoomExists(_ context.Context, tenantID, roomID uuid.UUID) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set[[2]uuid.UUID{tenantID, roomID}], nil
}

// SetOccupied records the last occupancy news of each room.
func (r *rooms) SetOccupied(_ context.Context, tenantID, roomID uuid.UUID, occupied bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.occupied == nil {
		r.occupied = map[uuid.UUID]bool{}
	}
	r.occupied[roomID] = occupied
	return nil
}

func (r *rooms) FindRooms(context.Context, uuid.UUID, []resident.RoomPath) (map[resident.RoomPath]uuid.UUID, error) {
	return map[resident.RoomPath]uuid.UUID{}, nil
}

func (r *rooms) RoomPaths(context.Context, uuid.UUID, []uuid.UUID) (map[uuid.UUID]resident.RoomPath, error) {
	return map[uuid.UUID]resident.RoomPath{}, nil
}

// accounts knows which user ids are resident accounts and which staff.
type accounts map[uuid.UUID]string

func (a accounts) AccountKind(_ context.Context, _, userID uuid.UUID) (string, bool, error) {
	k, ok := a[userID]
	return k, ok, nil
}

func (a accounts) AccountByUsername(context.Context, uuid.UUID, string) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}

// perms grants permissions per actor id.
type perms map[uuid.UUID][]string

func (p perms) Allowed(_ context.Context, a actor.Actor, perm string) (bool, error) {
	for _, x := range p[a.ID] {
		if x == perm {
			return true, nil
		}
	}
	return false, nil
}

// recorder keeps audit entries in memory.
type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recorder) Record(_ context.Context, e audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func (r *recorder) find(action, object string) []audit.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Entry
	for _, e := range r.entries {
		if e.Action == action && e.Object == object {
			out = append(out, e)
		}
	}
	return out
}

type fixture struct {
	db      *store.DB
	svc     *resident.Service
	rooms   *rooms
	perms   perms
	audit   *recorder
	users   accounts
	cfg     resident.Config
	tenant  uuid.UUID
	other   uuid.UUID
	clerk   actor.Actor // resident.read/manage only
	auditor actor.Actor // also resident.pii.read
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newFixture(t *testing.T, db *store.DB) *fixture {
	f := &fixture{db: db, rooms: &rooms{db: db, set: map[[2]uuid.UUID]bool{}}, perms: perms{}, audit: &recorder{},
		users: accounts{}, tenant: store.NewID(), other: store.NewID()}
	f.cfg = resident.Config{PIIKeys: map[string][]byte{"k1": key(1)}, ActiveKeyID: "k1", IndexKey: key(7)}
	f.clerk = actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "clerk", TenantID: f.tenant}
	f.auditor = actor.Actor{Kind: actor.User, ID: store.NewID(), Name: "manager", TenantID: f.tenant}
	f.perms[f.clerk.ID] = []string{resident.PermRead, resident.PermManage}
	f.perms[f.auditor.ID] = []string{resident.PermRead, resident.PermManage, resident.PermPIIRead}
	f.svc = f.service(t, f.cfg)
	return f
}

func (f *fixture) service(t *testing.T, cfg resident.Config) *resident.Service {
	t.Helper()
	s, err := resident.New(f.db, cfg, resident.Deps{Rooms: f.rooms, Perms: f.perms, Audit: f.audit, Accounts: f.users})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) in(t *testing.T, fn func(tx *gorm.DB) error) error {
	t.Helper()
	return f.db.InTenant(actor.With(context.Background(), f.clerk), f.tenant, fn)
}

// withCheck completes 17 digits with the GB 11643 check character.
func withCheck(d17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(d17[i]-'0') * w[i]
	}
	return d17 + string("10X98765432"[sum%11])
}

var validID = withCheck("11010519491231002")

func (f *fixture) create(t *testing.T, in resident.PersonInput) resident.Person {
	t.Helper()
	var p resident.Person
	if err := f.in(t, func(tx *gorm.DB) error {
		var err error
		p, err = f.svc.CreatePerson(store.Ctx(tx), f.tenant, in)
		return err
	}); err != nil {
		t.Fatalf("create %s: %v", in.Name, err)
	}
	return p
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	if e.Kind == apperr.KindInternal {
		t.Fatalf("error %s is of kind %v", code, e.Kind)
	}
}

func TestPersonStoredEncryptedAndShownMasked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := f.create(t, resident.PersonInput{Name: "王秀英", Gender: "female", BirthDate: "1949-12-31",
			IDType: resident.IDResident, IDNumber: strings.ToLower(validID),
			Phones:            []resident.PhoneInput{{Label: "手机", Number: "+86 138-1234-5678"}, {Label: "家", Number: "010-62345678"}},
			EmergencyContacts: []resident.ContactInput{{Name: "李强", Relation: "儿子", Phone: "13912345678"}}})
		if p.Phones[0].Number != "138****5678" || p.IDNumber != "110***********002X" || p.EmergencyContacts[0].Phone != "139****5678" {
			t.Fatalf("masked view = %+v", p)
		}
		// Raw columns hold neither the number nor its digits.
		var raw struct{ IDCipher, IDIndex, PhoneCipher, PhoneIndex string }
		if err := f.in(t, func(tx *gorm.DB) error {
			return tx.Raw(`SELECT p.id_cipher, p.id_index, ph.phone_cipher, ph.phone_index FROM persons p
JOIN person_phones ph ON ph.tenant_id = p.tenant_id AND ph.person_id = p.id AND ph.position = 0 WHERE p.tenant_id = ? AND p.id = ?`, f.tenant, p.ID).Scan(&raw).Error
		}); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{raw.IDCipher, raw.IDIndex, raw.PhoneCipher, raw.PhoneIndex} {
			if v == "" || strings.Contains(v, "13812345678") || strings.Contains(v, validID) || strings.Contains(v, "5678") && !strings.HasPrefix(v, "k1:") && len(v) != 64 {
				t.Fatalf("raw column %q is empty or leaks the value", v)
			}
		}
		if !strings.HasPrefix(raw.IDCipher, "k1:") || !strings.HasPrefix(raw.PhoneCipher, "k1:") {
			t.Fatalf("ciphertexts lack their key id: %q %q", raw.IDCipher, raw.PhoneCipher)
		}
		// Another tenant cannot see the person.
		err := db.InTenant(context.Background(), f.other, func(tx *gorm.DB) error {
			_, err := f.svc.GetPerson(store.Ctx(tx), f.other, p.ID)
			return err
		})
		if !errors.Is(err, apperr.NotFound) {
			t.Fatalf("other tenant get = %v, want not_found", err)
		}
		// A patch changes what it names; phones replaced whole; bad input writes nothing.
		if err := f.in(t, func(tx *gorm.DB) error {
			name, phones := "王秀英", []resident.PhoneInput{{Label: "手机", Number: "13700001111"}}
			got, err := f.svc.UpdatePerson(store.Ctx(tx), f.tenant, p.ID, resident.PersonPatch{Name: &name, Phones: &phones})
			if err != nil {
				return err
			}
			if len(got.Phones) != 1 || got.Phones[0].Number != "137****1111" || got.IDNumber != p.IDNumber || len(got.EmergencyContacts) != 1 {
				t.Errorf("after patch: %+v", got)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		room := f.rooms.add(f.tenant)
		a := f.create(t, resident.PersonInput{Name: "王秀英", Phones: []resident.PhoneInput{{Number: "13812345678"}}, IDType: resident.IDResident, IDNumber: validID})
		b := f.create(t, resident.PersonInput{Name: "李秀英", Phones: []resident.PhoneInput{{Number: "13900005678"}}})
		c := f.create(t, resident.PersonInput{Name: "王建国", Phones: []resident.PhoneInput{{Number: "13711112222"}}})
		d := f.create(t, resident.PersonInput{Name: "100%_test"})
		// Same phone in another tenant must not be found.
		if err := db.InTenant(context.Background(), f.other, func(tx *gorm.DB) error {
			_, err := f.svc.CreatePerson(store.Ctx(tx), f.other, resident.PersonInput{Name: "王秀英", Phones: []resident.PhoneInput{{Number: "13812345678"}}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := f.in(t, func(tx *gorm.DB) error {
			if _, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, c.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleOwner, MoveIn: "2020-01-01"}); err != nil {
				return err
			}
			_, err := f.svc.SetTag(actor.With(store.Ctx(tx), f.clerk), f.tenant, b.ID, resident.TagElderlyAlone, resident.CareTagInput{Reason: "独居,子女在外地"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			f    resident.Filter
			want []uuid.UUID
		}{
			{"phone exact", resident.Filter{Phone: "+86 138 1234 5678"}, []uuid.UUID{a.ID}},
			{"phone last4", resident.Filter{Phone: "5678"}, []uuid.UUID{b.ID, a.ID}},
			{"id number", resident.Filter{IDNumber: strings.ToLower(validID)}, []uuid.UUID{a.ID}},
			{"surname prefix", resident.Filter{Name: "王"}, []uuid.UUID{c.ID, a.ID}},
			{"given name suffix", resident.Filter{Name: "秀英"}, []uuid.UUID{b.ID, a.ID}},
			{"contains", resident.Filter{Name: "王秀英"}, []uuid.UUID{a.ID}},
			{"wildcards are literal", resident.Filter{Name: "0%_"}, []uuid.UUID{d.ID}},
			{"underscore is not a wildcard", resident.Filter{Name: "1_0"}, nil},
			{"room", resident.Filter{RoomID: room}, []uuid.UUID{c.ID}},
			{"tag", resident.Filter{Tag: "elderly_alone"}, []uuid.UUID{b.ID}},
			{"tag and name", resident.Filter{Tag: "elderly_alone", Name: "王"}, nil},
		}
		for _, tc := range cases {
			var res resident.Result
			if err := f.in(t, func(tx *gorm.DB) error {
				var err error
				res, err = f.svc.Search(store.Ctx(tx), f.tenant, tc.f, paging.Paging{Offset: 0, Limit: 20})
				return err
			}); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []uuid.UUID
			for _, it := range res.Items {
				got = append(got, it.ID)
			}
			if len(got) != len(tc.want) || int(res.Total) != len(tc.want) {
				t.Errorf("%s: got %v (total %d), want %v", tc.name, got, res.Total, tc.want)
				continue
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
				}
			}
		}
		// List rows are masked.
		_ = f.in(t, func(tx *gorm.DB) error {
			res, err := f.svc.Search(store.Ctx(tx), f.tenant, resident.Filter{Phone: "13812345678"}, paging.Paging{Offset: 0, Limit: 20})
			if err != nil || res.Items[0].Phone != "138****5678" || res.Items[0].IDNumber != "110***********002X" {
				t.Errorf("list row = %+v, %v", res.Items, err)
			}
			_, err = f.svc.Search(store.Ctx(tx), f.tenant, resident.Filter{Phone: "12"}, paging.Paging{Offset: 0, Limit: 20})
			wantCode(t, err, "invalid_phone")
			return nil
		})
		// Paging: page 2 of size 1 counts the total.
		_ = f.in(t, func(tx *gorm.DB) error {
			res, err := f.svc.Search(store.Ctx(tx), f.tenant, resident.Filter{}, paging.Paging{Offset: 1, Limit: 1})
			if err != nil || res.Total != 4 || len(res.Items) != 1 {
				t.Errorf("page 2 = %+v, %v", res, err)
			}
			return nil
		})
	})
}

func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		room := f.rooms.add(f.tenant)
		p := f.create(t, resident.PersonInput{Name: "张伟", Phones: []resident.PhoneInput{{Number: "13800000000"}}})
		badPersons := []struct {
			code string
			in   resident.PersonInput
		}{
			{"invalid_id_number", resident.PersonInput{Name: "甲", IDType: resident.IDResident, IDNumber: validID[:17] + "0"}},
			{"invalid_id_number", resident.PersonInput{Name: "甲", IDType: resident.IDResident, IDNumber: withCheck("11010520991231002")}},
			{"invalid_id_number", resident.PersonInput{Name: "甲", IDType: resident.IDResident, IDNumber: "11010519491231"}},
			{"invalid_id_number", resident.PersonInput{Name: "甲", IDType: resident.IDPassport, IDNumber: "E1"}},
			{"invalid_input", resident.PersonInput{Name: "甲", IDType: "driver_licence", IDNumber: "X12345"}},
			{"invalid_input", resident.PersonInput{Name: "  "}},
			{"invalid_input", resident.PersonInput{Name: "甲", BirthDate: "1990-02-30"}},
			{"invalid_phone", resident.PersonInput{Name: "甲", Phones: []resident.PhoneInput{{Number: "12345"}}}},
			{"invalid_phone", resident.PersonInput{Name: "甲", Phones: []resident.PhoneInput{{Number: "1381234567x"}}}},
			{"invalid_phone", resident.PersonInput{Name: "甲", Phones: []resident.PhoneInput{{Number: "13812345678"}, {Number: "23812345678"}}}},
			{"invalid_phone", resident.PersonInput{Name: "甲", EmergencyContacts: []resident.ContactInput{{Name: "乙", Phone: "110"}}}},
		}
		for _, bp := range badPersons {
			err := f.in(t, func(tx *gorm.DB) error { _, err := f.svc.CreatePerson(store.Ctx(tx), f.tenant, bp.in); return err })
			wantCode(t, err, bp.code)
		}
		var count int64
		_ = f.in(t, func(tx *gorm.DB) error {
			return tx.Table("persons").Where("tenant_id = ?", f.tenant).Count(&count).Error
		})
		if count != 1 {
			t.Fatalf("%d persons after bad input, want 1 (nothing half-written)", count)
		}
		// Vehicles.
		for _, plate := range []string{"粤B1234", "XB12345", "粤BI2345", "粤BO1234", "粤B·12345678"} {
			err := f.in(t, func(tx *gorm.DB) error {
				_, err := f.svc.AddVehicle(store.Ctx(tx), f.tenant, p.ID, resident.VehicleInput{Plate: plate})
				return err
			})
			wantCode(t, err, "invalid_plate")
		}
		for _, plate := range []string{"粤B·D12345", "京A·12345", "沪A12345F", "苏E·1234学"} {
			if err := f.in(t, func(tx *gorm.DB) error {
				_, err := f.svc.AddVehicle(store.Ctx(tx), f.tenant, p.ID, resident.VehicleInput{Plate: plate})
				return err
			}); err != nil {
				t.Fatalf("plate %s: %v", plate, err)
			}
		}
		err := f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.AddVehicle(store.Ctx(tx), f.tenant, p.ID, resident.VehicleInput{Plate: "粤bd12345"})
			return err
		})
		wantCode(t, err, "duplicate_plate")
		// The same plate in another tenant is fine.
		if err := db.InTenant(context.Background(), f.other, func(tx *gorm.DB) error {
			q, err := f.svc.CreatePerson(store.Ctx(tx), f.other, resident.PersonInput{Name: "别家"})
			if err != nil {
				return err
			}
			_, err = f.svc.AddVehicle(store.Ctx(tx), f.other, q.ID, resident.VehicleInput{Plate: "粤B·D12345"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Tags.
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.SetTag(store.Ctx(tx), f.tenant, p.ID, resident.TagNeedsVisits, resident.CareTagInput{Reason: "  "})
			return err
		})
		wantCode(t, err, "tag_reason_required")
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.SetTag(store.Ctx(tx), f.tenant, p.ID, "two words", resident.CareTagInput{Reason: "x"})
			return err
		})
		wantCode(t, err, "invalid_tag")
		// Occupancy.
		var occ resident.Occupancy
		otherRoom := f.rooms.add(f.other)
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, p.ID, resident.OccupancyInput{RoomID: otherRoom, Role: resident.RoleOwner, MoveIn: "2020-01-01"})
			return err
		})
		wantCode(t, err, "unknown_room")
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, p.ID, resident.OccupancyInput{RoomID: room, Role: "landlord", MoveIn: "2020-01-01"})
			return err
		})
		wantCode(t, err, "invalid_input")
		if err := f.in(t, func(tx *gorm.DB) error {
			var err error
			occ, err = f.svc.MoveIn(store.Ctx(tx), f.tenant, p.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleOwner, Relation: "本人", MoveIn: "2020-05-01"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, p.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleOwner, MoveIn: "2021-01-01"})
			return err
		})
		wantCode(t, err, "already_occupant")
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.MoveOut(store.Ctx(tx), f.tenant, occ.ID, resident.MoveOutInput{MoveOut: "2020-04-30"})
			return err
		})
		wantCode(t, err, "move_out_before_move_in")
		err = f.in(t, func(tx *gorm.DB) error { return f.svc.DeletePerson(store.Ctx(tx), f.tenant, p.ID) })
		wantCode(t, err, "person_has_occupancy")
		if err := f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.MoveOut(store.Ctx(tx), f.tenant, occ.ID, resident.MoveOutInput{MoveOut: "2020-05-01"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		err = f.in(t, func(tx *gorm.DB) error {
			_, err := f.svc.MoveOut(store.Ctx(tx), f.tenant, occ.ID, resident.MoveOutInput{MoveOut: "2021-01-01"})
			return err
		})
		wantCode(t, err, "already_moved_out")
		// Another tenant's occupancy and person answer not_found.
		err = db.InTenant(context.Background(), f.other, func(tx *gorm.DB) error {
			_, err := f.svc.MoveOut(store.Ctx(tx), f.other, occ.ID, resident.MoveOutInput{MoveOut: "2021-01-01"})
			return err
		})
		wantCode(t, err, "not_found")
		err = db.InTenant(context.Background(), f.other, func(tx *gorm.DB) error { return f.svc.DeletePerson(store.Ctx(tx), f.other, p.ID) })
		wantCode(t, err, "not_found")
		if err := f.in(t, func(tx *gorm.DB) error { return f.svc.DeletePerson(store.Ctx(tx), f.tenant, p.ID) }); err != nil {
			t.Fatalf("delete after move-out: %v", err)
		}
	})
}

func TestHouseholdsAndRoomQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		room, empty := f.rooms.add(f.tenant), f.rooms.add(f.tenant)
		owner := f.create(t, resident.PersonInput{Name: "陈明", Phones: []resident.PhoneInput{{Number: "13811110000"}}})
		wife := f.create(t, resident.PersonInput{Name: "林芳"})
		err := f.in(t, func(tx *gorm.DB) error {
			o1, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, owner.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleOwner, Relation: "本人", MoveIn: "2019-03-01"})
			if err != nil {
				return err
			}
			o2, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, wife.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleFamily, Relation: "配偶", MoveIn: "2019-03-01"})
			if err != nil {
				return err
			}
			if o1.HouseholdID != o2.HouseholdID {
				t.Errorf("two people of one room in different households")
			}
			occ, err := f.svc.ActiveOccupants(store.Ctx(tx), f.tenant, room)
			if err != nil || len(occ) != 2 || occ[0].PersonID != owner.ID || occ[0].MoveIn != "2019-03-01" {
				t.Errorf("active occupants = %+v, %v", occ, err)
			}
			sec, err := f.svc.RoomSection(store.Ctx(tx), f.tenant, room)
			if err != nil || sec.([]resident.Occupant)[0].Phone != "138****0000" {
				t.Errorf("room section = %+v, %v", sec, err)
			}
			if busy, err := f.svc.RoomOccupied(store.Ctx(tx), f.tenant, room); !busy || err != nil {
				t.Errorf("RoomOccupied = %v, %v", busy, err)
			}
			if busy, _ := f.svc.RoomOccupied(store.Ctx(tx), f.tenant, empty); busy {
				t.Errorf("empty room occupied")
			}
			if n, r, err := f.svc.RoomOccupancy(store.Ctx(tx), f.tenant, []uuid.UUID{room, empty, room}); n != 1 || r != 1 || err != nil {
				t.Errorf("RoomOccupancy = %d, %d, %v", n, r, err)
			}
			if !f.rooms.occupied[room] {
				t.Errorf("the room was not told it is occupied")
			}
			for _, o := range []resident.Occupancy{o1, o2} {
				if _, err := f.svc.MoveOut(store.Ctx(tx), f.tenant, o.ID, resident.MoveOutInput{MoveOut: "2023-06-30"}); err != nil {
					return err
				}
			}
			h, err := f.svc.GetHousehold(store.Ctx(tx), f.tenant, o1.HouseholdID)
			if err != nil || h.Open || len(h.Members) != 2 {
				t.Errorf("household after both left = %+v, %v", h, err)
			}
			if busy, _ := f.svc.RoomOccupied(store.Ctx(tx), f.tenant, room); busy {
				t.Errorf("room still occupied after everyone left")
			}
			if f.rooms.occupied[room] {
				t.Errorf("the room was not told it is empty after the last move-out")
			}
			o3, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, owner.ID, resident.OccupancyInput{RoomID: room, Role: resident.RoleTenant, MoveIn: "2024-01-01"})
			if err != nil {
				return err
			}
			if o3.HouseholdID == o1.HouseholdID {
				t.Errorf("a move-in after the household closed joined the old household")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestRevealIsPermittedAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := f.create(t, resident.PersonInput{Name: "赵敏", IDType: resident.IDResident, IDNumber: validID,
			Phones: []resident.PhoneInput{{Label: "手机", Number: "13812345678"}}})
		clerkCtx := actor.With(context.Background(), f.clerk)
		_, err := f.svc.RevealPII(clerkCtx, f.tenant, p.ID)
		wantCode(t, err, "forbidden")
		obj := "person/" + p.ID.String()
		if d := f.audit.find(resident.ActionReveal, obj); len(d) != 1 || d[0].Result != audit.ResultDenied {
			t.Fatalf("denied reveal audit = %+v", d)
		}
		ctx := actor.With(context.Background(), f.auditor)
		full, err := f.svc.RevealPII(ctx, f.tenant, p.ID)
		if err != nil || full.IDNumber != validID || full.Phones[0].Number != "13812345678" {
			t.Fatalf("reveal = %+v, %v", full, err)
		}
		got := f.audit.find(resident.ActionReveal, obj)
		if len(got) != 2 || got[1].Result != audit.ResultOK || got[1].ActorID != f.auditor.ID || got[1].TenantID != f.tenant {
			t.Fatalf("reveal audit = %+v", got)
		}
		// Another tenant's person: not found, whoever asks.
		_, err = f.svc.RevealPII(ctx, f.other, p.ID)
		wantCode(t, err, "not_found")

		// Export: masked for the clerk, full (and audited once) for the manager.
		var rows []resident.ExportRow
		collect := func(r resident.ExportRow) error { rows = append(rows, r); return nil }
		if err := f.svc.Export(clerkCtx, f.tenant, resident.Filter{}, collect); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Phones[0].Number != "138****5678" || rows[0].IDNumber != "110***********002X" {
			t.Fatalf("clerk export = %+v", rows)
		}
		if n := len(f.audit.find(resident.ActionExport, "persons")); n != 0 {
			t.Fatalf("masked export audited %d times as a reveal", n)
		}
		rows = nil
		if err := f.svc.Export(ctx, f.tenant, resident.Filter{}, collect); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Phones[0].Number != "13812345678" || rows[0].IDNumber != validID {
			t.Fatalf("manager export = %+v", rows)
		}
		if n := len(f.audit.find(resident.ActionExport, "persons")); n != 1 {
			t.Fatalf("full export audited %d times, want 1", n)
		}
	})
}

func TestExportPagesThroughBatches(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	if err := f.in(t, func(tx *gorm.DB) error {
		for i := range 1203 {
			if _, err := f.svc.CreatePerson(store.Ctx(tx), f.tenant, resident.PersonInput{Name: "住户" + string(rune('A'+i%26)) + uuid.NewString()[:6]}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]bool{}
	if err := f.svc.Export(actor.With(context.Background(), f.clerk), f.tenant, resident.Filter{}, func(r resident.ExportRow) error {
		seen[r.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1203 {
		t.Fatalf("export yielded %d distinct persons, want 1203", len(seen))
	}
}

func TestRotateKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := f.create(t, resident.PersonInput{Name: "周杰", IDType: resident.IDPassport, IDNumber: "E12345678",
			Phones:            []resident.PhoneInput{{Number: "13812345678"}, {Number: "13912345678"}},
			EmergencyContacts: []resident.ContactInput{{Name: "周母", Phone: "13700000000"}}})
		f.create(t, resident.PersonInput{Name: "无证件"})
		rotated := f.cfg
		rotated.PIIKeys = map[string][]byte{"k1": key(1), "k2": key(2)}
		rotated.ActiveKeyID = "k2"
		svc := f.service(t, rotated)
		n, err := svc.RotateKeys(context.Background(), 2)
		if err != nil || n != 4 {
			t.Fatalf("rotate = %d, %v; want 4 values", n, err)
		}
		if n, err := svc.RotateKeys(context.Background(), 2); err != nil || n != 0 {
			t.Fatalf("second rotate = %d, %v; want 0", n, err)
		}
		use, err := svc.KeyUsage(context.Background())
		if err != nil || use["k1"] != 0 || use["k2"] != 4 {
			t.Fatalf("key usage = %v, %v", use, err)
		}
		// The old key can now go; search by the blind index still works.
		only := f.cfg
		only.PIIKeys = map[string][]byte{"k2": key(2)}
		only.ActiveKeyID = "k2"
		svc2 := f.service(t, only)
		full, err := svc2.RevealPII(actor.With(context.Background(), f.auditor), f.tenant, p.ID)
		if err != nil || full.IDNumber != "E12345678" || full.Phones[1].Number != "13912345678" || full.EmergencyContacts[0].Phone != "13700000000" {
			t.Fatalf("after rotation reveal = %+v, %v", full, err)
		}
		_ = f.in(t, func(tx *gorm.DB) error {
			res, err := svc2.Search(store.Ctx(tx), f.tenant, resident.Filter{Phone: "13912345678"}, paging.Paging{Offset: 0, Limit: 10})
			if err != nil || len(res.Items) != 1 {
				t.Errorf("search after rotation = %+v, %v", res, err)
			}
			return nil
		})
		// The old keyring cannot read rotated data: a configuration fault, not a 4xx.
		err = f.in(t, func(tx *gorm.DB) error { _, err := f.svc.GetPerson(store.Ctx(tx), f.tenant, p.ID); return err })
		if e, ok := apperr.As(err); !ok || e.Code != "pii_key_unavailable" {
			t.Fatalf("old keyring read = %v", err)
		}
	})
}

func TestSelfServiceAndCareList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mine, theirs := f.rooms.add(f.tenant), f.rooms.add(f.tenant)
		me := f.create(t, resident.PersonInput{Name: "刘洋"})
		kid := f.create(t, resident.PersonInput{Name: "刘小洋"})
		stranger := f.create(t, resident.PersonInput{Name: "孙丽"})
		user, staff := store.NewID(), store.NewID()
		f.users[user], f.users[staff] = resident.AccountKindResident, "staff"
		err := f.in(t, func(tx *gorm.DB) error {
			for _, m := range []struct {
				p    uuid.UUID
				room uuid.UUID
				role string
			}{{me.ID, mine, resident.RoleOwner}, {kid.ID, mine, resident.RoleFamily}, {stranger.ID, theirs, resident.RoleOwner}} {
				if _, err := f.svc.MoveIn(store.Ctx(tx), f.tenant, m.p, resident.OccupancyInput{RoomID: m.room, Role: m.role, MoveIn: "2022-01-01"}); err != nil {
					return err
				}
			}
			if err := f.svc.LinkAccount(store.Ctx(tx), f.tenant, me.ID, user); err != nil {
				return err
			}
			wantCode(t, f.svc.LinkAccount(store.Ctx(tx), f.tenant, stranger.ID, user), "account_already_linked")
			wantCode(t, f.svc.LinkAccount(store.Ctx(tx), f.tenant, stranger.ID, staff), "unknown_user")
			wantCode(t, f.svc.LinkAccount(store.Ctx(tx), f.tenant, stranger.ID, store.NewID()), "unknown_user")
			if _, err := f.svc.SetTag(actor.With(store.Ctx(tx), f.clerk), f.tenant, kid.ID, resident.TagChild, resident.CareTagInput{Reason: "8 岁"}); err != nil {
				return err
			}
			_, err := f.svc.SetTag(actor.With(store.Ctx(tx), f.clerk), f.tenant, stranger.ID, "低保户", resident.CareTagInput{Reason: "街道登记"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = f.in(t, func(tx *gorm.DB) error {
			rooms, err := f.svc.MyRooms(store.Ctx(tx), f.tenant, user)
			if err != nil || len(rooms) != 1 || rooms[0].RoomID != mine || len(rooms[0].Occupants) != 2 {
				t.Errorf("my rooms = %+v, %v", rooms, err)
			}
			_, err = f.svc.MyRoomByID(store.Ctx(tx), f.tenant, user, theirs)
			wantCode(t, err, "not_found")
			if rooms, _ := f.svc.MyRooms(store.Ctx(tx), f.tenant, store.NewID()); len(rooms) != 0 {
				t.Errorf("unlinked user sees %v", rooms)
			}
			list, total, err := f.svc.CareList(store.Ctx(tx), f.tenant, "child", paging.Paging{Offset: 0, Limit: 20})
			if err != nil || total != 1 || list[0].Name != "刘小洋" || list[0].SetBy != "clerk" || list[0].SetByID != f.clerk.ID.String() || list[0].RoomIDs[0] != mine {
				t.Errorf("care list = %+v (%d), %v", list, total, err)
			}
			if _, total, _ := f.svc.CareList(store.Ctx(tx), f.tenant, "", paging.Paging{Offset: 0, Limit: 20}); total != 2 {
				t.Errorf("care list of all tags has %d rows", total)
			}
			return nil
		})
		// A built-in tag given by its Chinese label is stored as its code, as
		// the importer does, so the care list (by code or label) finds it.
		_ = f.in(t, func(tx *gorm.DB) error {
			tag, err := f.svc.SetTag(store.Ctx(tx), f.tenant, me.ID, " 独居老人 ", resident.CareTagInput{Reason: "子女在外地"})
			if err != nil || tag.Tag != resident.TagElderlyAlone {
				t.Errorf("set 独居老人 = %+v, %v", tag, err)
			}
			for _, q := range []string{resident.TagElderlyAlone, "独居老人"} {
				if list, total, err := f.svc.CareList(store.Ctx(tx), f.tenant, q, paging.Paging{Offset: 0, Limit: 20}); err != nil || total != 1 || list[0].PersonID != me.ID {
					t.Errorf("care list %q = %+v (%d), %v", q, list, total, err)
				}
			}
			if err := f.svc.RemoveTag(store.Ctx(tx), f.tenant, me.ID, "独居老人"); err != nil {
				t.Errorf("remove by label: %v", err)
			}
			return nil
		})
	})
}

func TestValidators(t *testing.T) {
	for in, want := range map[string]string{
		"+86 138 1234 5678": "13812345678", "0086-13812345678": "13812345678", "8613812345678": "13812345678",
		"(010) 6234-5678": "01062345678", "0755-8888888": "07558888888", "+852 9123 4567": "+85291234567",
	} {
		if got, ok := resident.NormalisePhone(in); !ok || got != want {
			t.Errorf("NormalisePhone(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "12345678901", "1381234567", "138123456789", "+86", "abc", "00123456789", "+1 23"} {
		if _, ok := resident.NormalisePhone(bad); ok {
			t.Errorf("NormalisePhone(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"粤b·d12345": "粤BD12345", "京A 12345": "京A12345", "沪A12345F": "沪A12345F"} {
		if got, ok := resident.NormalisePlate(in); !ok || got != want {
			t.Errorf("NormalisePlate(%q) = %q %v", in, got, ok)
		}
	}
	if resident.FormatPlate("粤BD12345") != "粤B·D12345" {
		t.Error("FormatPlate")
	}
}

// resolver is the seeder's RoomResolver over "building-unit-room" keys; the
// rest is answered by the fixture's rooms (the service's Rooms).
type resolver struct {
	keys map[string]uuid.UUID
}

func (r resolver) ResolveRoom(_ context.Context, _ uuid.UUID, building, unit, room string) (uuid.UUID, error) {
	id, ok := r.keys[building+"-"+unit+"-"+room]
	if !ok {
		return uuid.Nil, apperr.NotFound
	}
	return id, nil
}

func TestDemoSeeder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := resolver{keys: map[string]uuid.UUID{}}
		res := r.keys
		for _, k := range []string{"1-1-101", "1-1-102", "1-2-201", "2-1-301", "2-1-302"} {
			res[k] = f.rooms.add(f.tenant)
		}
		seed := f.svc.DemoSeeder(r)
		for i := range 2 { // the second run must not duplicate anything, and says so
			changed, err := seed(context.Background(), f.tenant, nil)
			if err != nil {
				t.Fatal(err)
			}
			if changed != (i == 0) {
				t.Errorf("run %d: changed = %v", i, changed)
			}
		}
		if !f.rooms.occupied[res["1-1-101"]] {
			t.Error("seeding did not tell 1-1-101 it is occupied")
		}
		_ = f.in(t, func(tx *gorm.DB) error {
			all, err := f.svc.Search(store.Ctx(tx), f.tenant, resident.Filter{}, paging.Paging{Offset: 0, Limit: 50})
			if err != nil || all.Total != int64(len(resident.DefaultDemo().Residents)) {
				t.Errorf("seeded persons = %d, %v", all.Total, err)
			}
			alone, _, err := f.svc.CareList(store.Ctx(tx), f.tenant, resident.TagElderlyAlone, paging.Paging{Offset: 0, Limit: 10})
			if err != nil || len(alone) != 1 || alone[0].Name != "王秀英" || alone[0].SetBy != "demo-seed" {
				t.Errorf("elderly alone = %+v, %v", alone, err)
			}
			occ, err := f.svc.ActiveOccupants(store.Ctx(tx), f.tenant, res["1-1-101"])
			if err != nil || len(occ) != 3 {
				t.Errorf("1-1-101 occupants = %+v, %v", occ, err)
			}
			if v, err := f.svc.FindVehicle(store.Ctx(tx), f.tenant, "粤B·D12345"); err != nil || v.Plate != "粤B·D12345" {
				t.Errorf("seeded plate = %+v, %v", v, err)
			}
			return nil
		})
		// A manifest section replaces the built-in data.
		other := store.NewID()
		raw := map[string]any{"residents": []any{map[string]any{"name": "测试", "phone": "13800000001", "room": "1-1-101", "role": "tenant", "move_in": "2024-01-01"}}}
		f.rooms.set[[2]uuid.UUID{other, res["1-1-101"]}] = true
		if err := insertRoom(db, other, res["1-1-101"]); err != nil {
			t.Fatal(err)
		}
		if _, err := seed(context.Background(), other, raw); err != nil {
			t.Fatal(err)
		}
	})
}
