package resident

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Care tags, vehicles, pets and the resident-account link: simple records on a person.

// SetTag puts a care tag on a person (or replaces its reason), recording the
// actor in ctx as who set it.
func (s *Service) SetTag(ctx context.Context, tenantID, personID uuid.UUID, tag string, in CareTagInput) (out CareTag, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.setTag(ctx, tx, tenantID, personID, tag, in)
		return err
	})
	return out, err
}

func (s *Service) setTag(ctx context.Context, tx *gorm.DB, tenantID, personID uuid.UUID, tag string, in CareTagInput) (CareTag, error) {
	var fe []apperr.FieldError
	t, ok := normaliseTag(tag)
	if !ok {
		fe = append(fe, fieldFrom("tag", ErrInvalidTag))
	}
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		fe = append(fe, fieldFrom("reason", ErrTagReason))
	case utf8.RuneCountInString(reason) > 500:
		fe = append(fe, tooLong("reason", 500))
	}
	if err := fieldsError(fe); err != nil {
		return CareTag{}, err
	}
	if _, err := loadPerson(tx, tenantID, personID); err != nil {
		return CareTag{}, err
	}
	a, _ := actor.From(ctx)
	row := tagRow{TenantID: tenantID, ID: store.NewID(), PersonID: personID, Tag: t, Reason: reason,
		SetByKind: string(a.Kind), SetByName: a.Name, SetAt: s.now()}
	if row.SetByKind == "" {
		row.SetByKind = string(actor.System)
	}
	if a.ID != uuid.Nil {
		id := a.ID
		row.SetByID = &id
	}
	if err := tx.Where("tenant_id = ? AND person_id = ? AND tag = ?", tenantID, personID, t).Delete(&tagRow{}).Error; err != nil {
		return CareTag{}, err
	}
	if err := tx.Create(&row).Error; err != nil {
		return CareTag{}, err
	}
	return tagView(row), nil
}

// RemoveTag takes a care tag off a person.
func (s *Service) RemoveTag(ctx context.Context, tenantID, personID uuid.UUID, tag string) error {
	t, _ := normaliseTag(tag)
	return s.in(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND person_id = ? AND tag = ?", tenantID, personID, t).Delete(&tagRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.NotFound
		}
		return nil
	})
}

func tagView(r tagRow) CareTag {
	v := CareTag{PersonID: r.PersonID, Tag: r.Tag, Reason: r.Reason, SetBy: r.SetByName, SetAt: r.SetAt}
	if r.SetByID != nil {
		v.SetByID = r.SetByID.String()
	}
	return v
}

func personTags(tx *gorm.DB, tenantID, personID uuid.UUID) ([]CareTag, error) {
	var rows []tagRow
	if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Order("tag").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := []CareTag{}
	for _, r := range rows {
		out = append(out, tagView(r))
	}
	return out, nil
}

// CareList lists care tags with the person's name and current rooms, for
// staff who visit; tag "" lists every tag. Ordered by tag, then name (the
// paging's order is not used).
func (s *Service) CareList(ctx context.Context, tenantID uuid.UUID, tag string, pg paging.Paging) (out []CareTag, total int64, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, total, err = careList(tx, tenantID, tag, pg)
		return err
	})
	return out, total, err
}

func careList(tx *gorm.DB, tenantID uuid.UUID, tag string, pg paging.Paging) ([]CareTag, int64, error) {
	where, args := "t.tenant_id = ?", []any{tenantID}
	if tag != "" {
		t, _ := normaliseTag(tag)
		where, args = where+" AND t.tag = ?", append(args, t)
	}
	var total int64
	if err := tx.Raw("SELECT count(*) FROM care_tags t WHERE "+where, args...).Scan(&total).Error; err != nil { // unscoped: where starts with t.tenant_id = ?
		return nil, 0, err
	}
	// The scan struct has no TenantID on purpose: the store's tenant scope
	// callback must not rewrite this hand-written, explicitly scoped query.
	var rows []struct {
		PersonID   uuid.UUID
		Tag        string
		Reason     string
		SetByID    *uuid.UUID
		SetByName  string
		SetAt      time.Time
		PersonName string
	}
	// unscoped: where starts with t.tenant_id = ?
	err := tx.Raw(`SELECT t.person_id, t.tag, t.reason, t.set_by_id, t.set_by_name, t.set_at, p.name AS person_name
FROM care_tags t JOIN persons p ON p.tenant_id = t.tenant_id AND p.id = t.person_id
WHERE `+where+` ORDER BY t.tag, p.name, t.person_id LIMIT ? OFFSET ?`, append(args, limit(pg), pg.Offset)...).Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	out := make([]CareTag, 0, len(rows))
	ids := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		out = append(out, tagView(tagRow{PersonID: r.PersonID, Tag: r.Tag, Reason: r.Reason, SetByID: r.SetByID, SetByName: r.SetByName, SetAt: r.SetAt}))
		out[len(out)-1].Name = r.PersonName
		ids = append(ids, r.PersonID)
	}
	rooms, err := currentRooms(tx, tenantID, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].RoomIDs = rooms[out[i].PersonID]
	}
	return out, total, nil
}

// currentRooms maps each person to the rooms they live in now.
func currentRooms(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []occupancyRow
	if err := tx.Select("person_id, room_id").Where("tenant_id = ? AND person_id IN ? AND move_out IS NULL", tenantID, ids).
		Order("move_in").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.PersonID] = append(out[r.PersonID], r.RoomID)
	}
	return out, nil
}

// AddVehicle registers a vehicle on a person; a plate is unique in a tenant.
func (s *Service) AddVehicle(ctx context.Context, tenantID, personID uuid.UUID, in VehicleInput) (out Vehicle, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = addVehicle(tx, tenantID, personID, in)
		return err
	})
	return out, err
}

func addVehicle(tx *gorm.DB, tenantID, personID uuid.UUID, in VehicleInput) (Vehicle, error) {
	var fe []apperr.FieldError
	plate, ok := NormalisePlate(in.Plate)
	if !ok {
		fe = append(fe, fieldFrom("plate", ErrInvalidPlate))
	}
	if utf8.RuneCountInString(in.Brand) > 32 {
		fe = append(fe, tooLong("brand", 32))
	}
	if utf8.RuneCountInString(in.Color) > 16 {
		fe = append(fe, tooLong("color", 16))
	}
	if err := fieldsError(fe); err != nil {
		return Vehicle{}, err
	}
	if _, err := loadPerson(tx, tenantID, personID); err != nil {
		return Vehicle{}, err
	}
	var n int64
	if err := tx.Model(&vehicleRow{}).Where("tenant_id = ? AND plate = ?", tenantID, plate).Count(&n).Error; err != nil {
		return Vehicle{}, err
	}
	if n > 0 {
		return Vehicle{}, ErrDuplicatePlate.WithDetails(map[string]string{"field": "plate", "plate": FormatPlate(plate)})
	}
	r := vehicleRow{TenantID: tenantID, ID: store.NewID(), PersonID: personID, Plate: plate,
		Brand: strings.TrimSpace(in.Brand), Color: strings.TrimSpace(in.Color)}
	if err := tx.Create(&r).Error; err != nil {
		if store.IsUniqueViolation(err) {
			return Vehicle{}, ErrDuplicatePlate.WithDetails(map[string]string{"field": "plate", "plate": FormatPlate(plate)})
		}
		return Vehicle{}, err
	}
	return vehicleView(r), nil
}

func vehicleView(r vehicleRow) Vehicle {
	return Vehicle{ID: r.ID, PersonID: r.PersonID, Plate: FormatPlate(r.Plate), Brand: r.Brand, Color: r.Color}
}

// FindVehicle looks a plate up (gates, parking); not_found when unregistered.
func (s *Service) FindVehicle(ctx context.Context, tenantID uuid.UUID, plate string) (Vehicle, error) {
	p, ok := NormalisePlate(plate)
	if !ok {
		return Vehicle{}, fieldsError([]apperr.FieldError{fieldFrom("plate", ErrInvalidPlate)})
	}
	var r vehicleRow
	err := s.in(ctx, tenantID, func(tx *gorm.DB) error {
		return store.NotFound(tx.Where("tenant_id = ? AND plate = ?", tenantID, p).Take(&r).Error)
	})
	if err != nil {
		return Vehicle{}, err
	}
	return vehicleView(r), nil
}

// VehicleFilter narrows ListVehicles: an exact plate (normalised as on
// registration, so "粤bd12345" finds 粤B·D12345) and/or one person.
type VehicleFilter struct {
	Plate    string
	PersonID uuid.UUID
}

// ListVehicles pages through a tenant's registered vehicles, ordered by plate.
// A plate that is not a valid plate is a 400, not an empty page.
// The paging's order is not used.
func (s *Service) ListVehicles(ctx context.Context, tenantID uuid.UUID, f VehicleFilter, pg paging.Paging) (out []Vehicle, total int64, err error) {
	var plate string
	if f.Plate != "" {
		p, ok := NormalisePlate(f.Plate)
		if !ok {
			return nil, 0, fieldsError([]apperr.FieldError{fieldFrom("plate", ErrInvalidPlate)})
		}
		plate = p
	}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, total, err = listVehicles(tx, tenantID, plate, f.PersonID, pg)
		return err
	})
	return out, total, err
}

func listVehicles(tx *gorm.DB, tenantID uuid.UUID, plate string, personID uuid.UUID, pg paging.Paging) ([]Vehicle, int64, error) {
	q := tx.Model(&vehicleRow{}).Where("tenant_id = ?", tenantID)
	if plate != "" {
		q = q.Where("plate = ?", plate)
	}
	if personID != uuid.Nil {
		q = q.Where("person_id = ?", personID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []vehicleRow
	if err := q.Order("plate").Offset(pg.Offset).Limit(limit(pg)).Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]Vehicle, 0, len(rows))
	for _, r := range rows {
		out = append(out, vehicleView(r))
	}
	return out, total, nil
}

// DeleteVehicle removes a vehicle record.
func (s *Service) DeleteVehicle(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.in(ctx, tenantID, func(tx *gorm.DB) error { return deleteOne(tx, &vehicleRow{}, tenantID, id) })
}

func personVehicles(tx *gorm.DB, tenantID, personID uuid.UUID) ([]Vehicle, error) {
	var rows []vehicleRow
	if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Order("plate").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := []Vehicle{}
	for _, r := range rows {
		out = append(out, vehicleView(r))
	}
	return out, nil
}

// AddPet registers a pet on a person.
func (s *Service) AddPet(ctx context.Context, tenantID, personID uuid.UUID, in PetInput) (out Pet, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = addPet(tx, tenantID, personID, in)
		return err
	})
	return out, err
}

func addPet(tx *gorm.DB, tenantID, personID uuid.UUID, in PetInput) (Pet, error) {
	var fe []apperr.FieldError
	name, species := strings.TrimSpace(in.Name), strings.TrimSpace(in.Species)
	if n := utf8.RuneCountInString(name); n == 0 || n > 32 {
		fe = append(fe, fieldErr("name", "required", "a pet needs a name (up to 32 characters)", "须填写宠物名(最多 32 字)"))
	}
	if n := utf8.RuneCountInString(species); n == 0 || n > 32 {
		fe = append(fe, fieldErr("species", "required", "species is required (dog, cat …, up to 32 characters)", "须填写种类(如 狗、猫,最多 32 字)"))
	}
	if utf8.RuneCountInString(in.Breed) > 32 {
		fe = append(fe, tooLong("breed", 32))
	}
	r := petRow{TenantID: tenantID, ID: store.NewID(), PersonID: personID, Name: name, Species: species, Breed: strings.TrimSpace(in.Breed)}
	if in.VaccinatedOn != "" {
		d, ok := parseDate(in.VaccinatedOn)
		if !ok {
			fe = append(fe, fieldErr("vaccinated_on", "invalid_date", "vaccinated_on is a date written 2006-01-02", "疫苗接种日期格式为 2006-01-02"))
		}
		r.VaccinatedOn = &d
	}
	if len(fe) > 0 {
		return Pet{}, apperr.Invalid.WithDetails(fe)
	}
	if _, err := loadPerson(tx, tenantID, personID); err != nil {
		return Pet{}, err
	}
	if err := tx.Create(&r).Error; err != nil {
		return Pet{}, err
	}
	return petView(r), nil
}

func petView(r petRow) Pet {
	return Pet{ID: r.ID, PersonID: r.PersonID, Name: r.Name, Species: r.Species, Breed: r.Breed, VaccinatedOn: dateString(r.VaccinatedOn)}
}

// DeletePet removes a pet record.
func (s *Service) DeletePet(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.in(ctx, tenantID, func(tx *gorm.DB) error { return deleteOne(tx, &petRow{}, tenantID, id) })
}

func personPets(tx *gorm.DB, tenantID, personID uuid.UUID) ([]Pet, error) {
	var rows []petRow
	if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Order("name").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := []Pet{}
	for _, r := range rows {
		out = append(out, petView(r))
	}
	return out, nil
}

func deleteOne(tx *gorm.DB, model any, tenantID, id uuid.UUID) error {
	res := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(model)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.NotFound
	}
	return nil
}

// LinkAccount links a resident user account to a person (one person per
// account); uuid.Nil unlinks. Only a resident account of the tenant may be
// linked: a staff account is refused like an unknown one.
func (s *Service) LinkAccount(ctx context.Context, tenantID, personID, userID uuid.UUID) error {
	return s.in(ctx, tenantID, func(tx *gorm.DB) error { return s.linkAccount(tx, tenantID, personID, userID) })
}

func (s *Service) linkAccount(tx *gorm.DB, tenantID, personID, userID uuid.UUID) error {
	if _, err := loadPerson(tx, tenantID, personID); err != nil {
		return err
	}
	var uid *uuid.UUID
	if userID != uuid.Nil {
		kind, found, err := s.accounts.AccountKind(store.Ctx(tx), tenantID, userID)
		if err != nil {
			return err
		}
		if !found || kind != AccountKindResident {
			return ErrUnknownUser.WithDetails(field("user_id"))
		}
		var n int64
		if err := tx.Model(&personRow{}).Where("tenant_id = ? AND user_id = ? AND id <> ?", tenantID, userID, personID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAccountLinked
		}
		uid = &userID
	}
	return tx.Model(&personRow{}).Where("tenant_id = ? AND id = ?", tenantID, personID).
		Updates(map[string]any{"user_id": uid, "updated_at": s.now()}).Error
}

// limit is the page size; a paging without one reads everything.
func limit(pg paging.Paging) int {
	if pg.Limit <= 0 {
		return 1<<31 - 1 // a number both engines take as LIMIT
	}
	return pg.Limit
}
