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

// MoveIn records that a person lives in a room from a date.
func (s *Service) MoveIn(tx *gorm.DB, tenantID, personID uuid.UUID, in OccupancyInput) (Occupancy, error) {
	var fe []apperr.FieldError
	if in.Role != RoleOwner && in.Role != RoleTenant && in.Role != RoleFamily {
		fe = append(fe, fieldErr("role", "invalid_choice", "role is owner, tenant or family", "身份须为 owner(业主)、tenant(租户)或 family(家属)"))
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
	exists, err := s.rooms.RoomExists(tx, tenantID, in.RoomID)
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
	if err := s.setOccupied(tx, tenantID, in.RoomID, true); err != nil {
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
	return occupancyView(o), nil
}

// MoveOut ends an occupancy on a date; the household closes with its last member.
func (s *Service) MoveOut(tx *gorm.DB, tenantID, occupancyID uuid.UUID, in MoveOutInput) (Occupancy, error) {
	out, ok := parseDate(in.MoveOut)
	if !ok {
		return Occupancy{}, apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("move_out", "invalid_date", "move_out is a date written 2006-01-02", "迁出日期格式为 2006-01-02")})
	}
	var o occupancyRow
	if err := tx.Where("tenant_id = ? AND id = ?", tenantID, occupancyID).Take(&o).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Occupancy{}, apperr.NotFound
		}
		return Occupancy{}, err
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
		if err := s.setOccupied(tx, tenantID, o.RoomID, false); err != nil {
			return Occupancy{}, err
		}
	}
	o.MoveOut = &out
	return occupancyView(o), nil
}

// setOccupied tells the room keeper, if there is one, that a room filled or emptied.
func (s *Service) setOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID, occupied bool) error {
	if k, ok := s.rooms.(RoomStatusKeeper); ok {
		return k.SetRoomOccupied(tx, tenantID, roomID, occupied)
	}
	return nil
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
func ActiveOccupants(tx *gorm.DB, tenantID, roomID uuid.UUID) ([]Occupant, error) {
	var rows []struct {
		OccupancyID, PersonID, HouseholdID uuid.UUID
		Name, Role, Relation               string
		MoveIn                             time.Time
	}
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

// RoomOccupied tells whether anyone lives in the room now (the property
// package refuses to delete such a room or its building).
func RoomOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID) (bool, error) {
	var n int64
	err := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND room_id = ? AND move_out IS NULL", tenantID, roomID).Limit(1).Count(&n).Error
	return n > 0, err
}

// CountOccupied counts how many of the given rooms someone lives in now (for
// the property package's "building still has occupied rooms" check).
func CountOccupied(tx *gorm.DB, tenantID uuid.UUID, roomIDs []uuid.UUID) (int64, error) {
	if len(roomIDs) == 0 {
		return 0, nil
	}
	var n int64
	err := tx.Raw("SELECT count(DISTINCT room_id) FROM occupancies WHERE tenant_id = ? AND room_id IN ? AND move_out IS NULL", tenantID, roomIDs).Scan(&n).Error
	return n, err
}

// CountWithHistory counts how many of the given rooms have any residence
// record: an occupancy (current or moved out) or a household. Such rooms are
// kept (the property package refuses to delete them; so do the foreign keys).
func CountWithHistory(tx *gorm.DB, tenantID uuid.UUID, roomIDs []uuid.UUID) (int64, error) {
	if len(roomIDs) == 0 {
		return 0, nil
	}
	var n int64
	err := tx.Raw(`SELECT count(*) FROM (SELECT room_id FROM occupancies WHERE tenant_id = ? AND room_id IN ?
UNION SELECT room_id FROM households WHERE tenant_id = ? AND room_id IN ?) r`, tenantID, roomIDs, tenantID, roomIDs).Scan(&n).Error
	return n, err
}

// RoomSection is the residents section of a room's file: the current
// occupants with masked phones. Its signature is the room-file provider's.
func (s *Service) RoomSection(ctx context.Context, tx *gorm.DB, tenantID, roomID uuid.UUID) (any, error) {
	occ, err := ActiveOccupants(tx.WithContext(ctx), tenantID, roomID)
	if err != nil {
		return nil, err
	}
	if err := s.fillPhones(tx, tenantID, occ); err != nil {
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
func GetHousehold(tx *gorm.DB, tenantID, id uuid.UUID) (Household, error) {
	var h householdRow
	if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&h).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Household{}, apperr.NotFound
		}
		return Household{}, err
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
