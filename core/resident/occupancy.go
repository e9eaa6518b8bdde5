package resident

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/chunk"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
)

// Households: the people living in one room at one time form its open
// household. The first move-in to an empty room opens one; everyone who moves
// in while it is open joins it; the last move-out closes it. A room's history
// is therefore a sequence of households (one per owner family or letting).

func occupancyView(o occupancyRow) Occupancy {
	return Occupancy{ID: o.ID, PersonID: o.PersonID, RoomID: o.RoomID, HouseholdID: o.HouseholdID, Role: o.Role,
		Relation: o.Relation, MoveIn: o.MoveIn.Format(time.DateOnly), MoveOut: dateString(o.MoveOut)}
}

// MoveIn records that a person lives in a room from a date. The role may be
// given as owner/tenant/family or as 业主/租户/家属, as in an import.
func (s *Service) MoveIn(ctx context.Context, tenantID, personID uuid.UUID, in OccupancyInput) (out Occupancy, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.moveIn(tx, joinedRooms{s.rooms}, tenantID, personID, in)
		return err
	})
	return out, err
}

func (s *Service) moveIn(tx *gorm.DB, rooms txRooms, tenantID, personID uuid.UUID, in OccupancyInput) (Occupancy, error) {
	var fe []apperr.FieldError
	in.Role = choice(roleNames, in.Role)
	if in.Role != RoleOwner && in.Role != RoleTenant && in.Role != RoleFamily {
		fe = append(fe, fieldErr("role", "invalid_choice", "role is owner (业主), tenant (租户) or family (家属)", "身份须为业主、租户或家属"))
	}
	in.Relation = strings.TrimSpace(in.Relation)
	if utf8.RuneCountInString(in.Relation) > 32 {
		fe = append(fe, tooLong("relation", 32))
	}
	moveIn, ok := parseDate(in.MoveIn)
	if !ok {
		fe = append(fe, fieldErr("move_in", "invalid_date", "move_in is a date written 2006-01-02", "入住日期格式为 2006-01-02"))
	}
	if in.RoomID == uuid.Nil {
		fe = append(fe, fieldErr("room_id", "required", "room_id is required", "须指定房屋"))
	}
	if len(fe) > 0 {
		return Occupancy{}, apperr.Invalid.WithDetails(fe)
	}
	if _, err := loadPerson(tx, tenantID, personID); err != nil {
		return Occupancy{}, err
	}
	exists, err := rooms.roomExists(tx, tenantID, in.RoomID)
	if err != nil {
		return Occupancy{}, err
	}
	if !exists {
		return Occupancy{}, ErrUnknownRoom.WithDetails(field("room_id"))
	}
	var dup int64
	if err := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND person_id = ? AND room_id = ? AND move_out IS NULL", tenantID, personID, in.RoomID).Count(&dup).Error; err != nil {
		return Occupancy{}, err
	}
	if dup > 0 {
		return Occupancy{}, ErrAlreadyOccupant
	}
	var hh householdRow
	err = tx.Where("tenant_id = ? AND room_id = ? AND closed_at IS NULL", tenantID, in.RoomID).Take(&hh).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		hh = householdRow{TenantID: tenantID, ID: store.NewID(), RoomID: in.RoomID, CreatedAt: s.now()}
		if err := tx.Create(&hh).Error; err != nil {
			if store.IsUniqueViolation(err) { // another move-in opened it at the same moment
				return Occupancy{}, apperr.Conflict
			}
			return Occupancy{}, err
		}
	case err != nil:
		return Occupancy{}, err
	}
	if err := rooms.setOccupied(tx, tenantID, in.RoomID, true); err != nil {
		return Occupancy{}, err
	}
	now := s.now()
	o := occupancyRow{TenantID: tenantID, ID: store.NewID(), PersonID: personID, RoomID: in.RoomID, HouseholdID: hh.ID,
		Role: in.Role, Relation: in.Relation, MoveIn: moveIn, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&o).Error; err != nil {
		if store.IsUniqueViolation(err) {
			return Occupancy{}, ErrAlreadyOccupant
		}
		return Occupancy{}, err
	}
	v := occupancyView(o)
	if s.moved != nil {
		if err := s.moved(store.Ctx(tx), tenantID, Move{Occupancy: v}); err != nil {
			return Occupancy{}, err
		}
	}
	return v, nil
}

// MoveOut ends an occupancy on a date; the household closes with its last member.
func (s *Service) MoveOut(ctx context.Context, tenantID, occupancyID uuid.UUID, in MoveOutInput) (out Occupancy, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.moveOut(tx, tenantID, occupancyID, in)
		return err
	})
	return out, err
}

func (s *Service) moveOut(tx *gorm.DB, tenantID, occupancyID uuid.UUID, in MoveOutInput) (Occupancy, error) {
	out, ok := parseDate(in.MoveOut)
	if !ok {
		return Occupancy{}, apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("move_out", "invalid_date", "move_out is a date written 2006-01-02", "迁出日期格式为 2006-01-02")})
	}
	var o occupancyRow
	if err := tx.Where("tenant_id = ? AND id = ?", tenantID, occupancyID).Take(&o).Error; err != nil {
		return Occupancy{}, store.NotFound(err)
	}
	if o.MoveOut != nil {
		return Occupancy{}, ErrAlreadyMovedOut
	}
	if out.Before(o.MoveIn) {
		return Occupancy{}, ErrMoveOutEarly.WithDetails(map[string]string{"field": "move_out", "move_in": o.MoveIn.Format(time.DateOnly)})
	}
	now := s.now()
	// The move_out IS NULL condition makes a concurrent second move-out update nothing.
	res := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND id = ? AND move_out IS NULL", tenantID, occupancyID).
		Updates(map[string]any{"move_out": out, "updated_at": now})
	if res.Error != nil {
		return Occupancy{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Occupancy{}, ErrAlreadyMovedOut
	}
	var left int64
	if err := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND household_id = ? AND move_out IS NULL", tenantID, o.HouseholdID).Count(&left).Error; err != nil {
		return Occupancy{}, err
	}
	if left == 0 {
		if err := tx.Model(&householdRow{}).Where("tenant_id = ? AND id = ?", tenantID, o.HouseholdID).Update("closed_at", now).Error; err != nil {
			return Occupancy{}, err
		}
		if err := s.rooms.SetOccupied(store.Ctx(tx), tenantID, o.RoomID, false); err != nil {
			return Occupancy{}, err
		}
	}
	o.MoveOut = &out
	v := occupancyView(o)
	if s.moved != nil {
		if err := s.moved(store.Ctx(tx), tenantID, Move{Out: true, Occupancy: v, RoomVacated: left == 0}); err != nil {
			return Occupancy{}, err
		}
	}
	return v, nil
}

func personOccupancies(tx *gorm.DB, tenantID, personID uuid.UUID) ([]Occupancy, error) {
	var rows []occupancyRow
	if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Order("move_in DESC, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := []Occupancy{}
	for _, r := range rows {
		out = append(out, occupancyView(r))
	}
	return out, nil
}

// Occupant is a person living in a room now.
type Occupant struct {
	OccupancyID uuid.UUID `json:"occupancy_id"`
	PersonID    uuid.UUID `json:"person_id"`
	Name        string    `json:"name"`
	Role        string    `json:"role"`
	Relation    string    `json:"relation"`
	MoveIn      string    `json:"move_in"`
	HouseholdID uuid.UUID `json:"household_id"`
	Phone       string    `json:"phone,omitempty"` // masked; set by RoomSection and the self-service views
}

// ActiveOccupants lists who lives in a room now (owners first, then by move-in).
func (s *Service) ActiveOccupants(ctx context.Context, tenantID, roomID uuid.UUID) (out []Occupant, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = activeOccupants(tx, tenantID, roomID)
		return err
	})
	return out, err
}

func activeOccupants(tx *gorm.DB, tenantID, roomID uuid.UUID) ([]Occupant, error) {
	var rows []struct {
		OccupancyID, PersonID, HouseholdID uuid.UUID
		Name, Role, Relation               string
		MoveIn                             time.Time
	}
	// unscoped: a join of two tenant tables, scoped by o.tenant_id = ?
	err := tx.Raw(`SELECT o.id AS occupancy_id, o.person_id, o.household_id, p.name, o.role, o.relation, o.move_in
FROM occupancies o JOIN persons p ON p.tenant_id = o.tenant_id AND p.id = o.person_id
WHERE o.tenant_id = ? AND o.room_id = ? AND o.move_out IS NULL
ORDER BY CASE o.role WHEN 'owner' THEN 0 WHEN 'tenant' THEN 1 ELSE 2 END, o.move_in, o.id`, tenantID, roomID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]Occupant, 0, len(rows))
	for _, r := range rows {
		out = append(out, Occupant{OccupancyID: r.OccupancyID, PersonID: r.PersonID, HouseholdID: r.HouseholdID,
			Name: r.Name, Role: r.Role, Relation: r.Relation, MoveIn: r.MoveIn.Format(time.DateOnly)})
	}
	return out, nil
}

// RoomOccupied tells whether anyone lives in the room now.
func (s *Service) RoomOccupied(ctx context.Context, tenantID, roomID uuid.UUID) (busy bool, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		err := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND room_id = ? AND move_out IS NULL", tenantID, roomID).Limit(1).Count(&n).Error
		busy = n > 0
		return err
	})
	return busy, err
}

// RoomOccupancy counts, of the given rooms, how many someone lives in now
// (occupied) and how many have any residence record, current or past
// (recorded). The property package refuses to delete such rooms, or to mark
// an occupied one vacant; it calls this inside its own transaction.
func (s *Service) RoomOccupancy(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (occupied, recorded int64, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return chunk.Unique(roomIDs, func(part []uuid.UUID) error {
			o, err := countOccupied(tx, tenantID, part)
			if err != nil {
				return err
			}
			r, err := countWithHistory(tx, tenantID, part)
			occupied, recorded = occupied+o, recorded+r
			return err
		})
	})
	return occupied, recorded, err
}

// countOccupied counts how many of the given rooms someone lives in now.
func countOccupied(tx *gorm.DB, tenantID uuid.UUID, roomIDs []uuid.UUID) (int64, error) {
	if len(roomIDs) == 0 {
		return 0, nil
	}
	var n int64
	err := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND room_id IN ? AND move_out IS NULL", tenantID, roomIDs).
		Distinct("room_id").Count(&n).Error
	return n, err
}

// countWithHistory counts how many of the given rooms have any residence
// record: an occupancy (current or moved out) or a household. Such rooms are
// kept (the property package refuses to delete them; so do the foreign keys).
func countWithHistory(tx *gorm.DB, tenantID uuid.UUID, roomIDs []uuid.UUID) (int64, error) {
	if len(roomIDs) == 0 {
		return 0, nil
	}
	var n int64
	// unscoped: a union of two tenant tables, each scoped by tenant_id = ?
	err := tx.Raw(`SELECT count(*) FROM (SELECT room_id FROM occupancies WHERE tenant_id = ? AND room_id IN ?
UNION SELECT room_id FROM households WHERE tenant_id = ? AND room_id IN ?) r`, tenantID, roomIDs, tenantID, roomIDs).Scan(&n).Error
	return n, err
}

// RoomSection is the residents section of a room's file: the current
// occupants with masked phones. The property package calls it while it
// reads the room, so it joins that transaction.
func (s *Service) RoomSection(ctx context.Context, tenantID, roomID uuid.UUID) (any, error) {
	var occ []Occupant
	err := s.in(ctx, tenantID, func(tx *gorm.DB) (err error) {
		if occ, err = activeOccupants(tx, tenantID, roomID); err != nil {
			return err
		}
		return s.fillPhones(tx, tenantID, occ)
	})
	if err != nil {
		return nil, err
	}
	return occ, nil
}

// fillPhones sets each occupant's first phone, masked.
func (s *Service) fillPhones(tx *gorm.DB, tenantID uuid.UUID, occ []Occupant) error {
	ids := make([]uuid.UUID, 0, len(occ))
	for _, o := range occ {
		ids = append(ids, o.PersonID)
	}
	phones, err := s.firstPhones(tx, tenantID, ids)
	if err != nil {
		return err
	}
	for i := range occ {
		occ[i].Phone = phones[occ[i].PersonID]
	}
	return nil
}

// firstPhones returns each person's first phone, masked.
func (s *Service) firstPhones(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := map[uuid.UUID]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []phoneRow
	if err := tx.Where("tenant_id = ? AND person_id IN ? AND position = 0", tenantID, ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		n, err := s.decrypt(r.PhoneCipher, tenantID, fieldPhone)
		if err != nil {
			return nil, err
		}
		out[r.PersonID] = pii.MaskPhone(n)
	}
	return out, nil
}

// Household is one household with its members (current and past).
type Household struct {
	ID       uuid.UUID   `json:"id"`
	RoomID   uuid.UUID   `json:"room_id"`
	Open     bool        `json:"open"`
	Members  []Occupancy `json:"members"`
	Created  time.Time   `json:"created_at"`
	ClosedAt *time.Time  `json:"closed_at,omitempty"`
}

// GetHousehold returns a household and its members.
func (s *Service) GetHousehold(ctx context.Context, tenantID, id uuid.UUID) (out Household, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = getHousehold(tx, tenantID, id)
		return err
	})
	return out, err
}

func getHousehold(tx *gorm.DB, tenantID, id uuid.UUID) (Household, error) {
	var h householdRow
	if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&h).Error; err != nil {
		return Household{}, store.NotFound(err)
	}
	var rows []occupancyRow
	if err := tx.Where("tenant_id = ? AND household_id = ?", tenantID, id).Order("move_in, id").Find(&rows).Error; err != nil {
		return Household{}, err
	}
	out := Household{ID: h.ID, RoomID: h.RoomID, Open: h.ClosedAt == nil, Created: h.CreatedAt, ClosedAt: h.ClosedAt, Members: []Occupancy{}}
	for _, r := range rows {
		out.Members = append(out.Members, occupancyView(r))
	}
	return out, nil
}
