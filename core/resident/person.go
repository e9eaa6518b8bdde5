package resident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/store"
)

// Encryption contexts (pii.Context field names) and blind-index kinds.
const (
	fieldPhone        = "phone"
	fieldIDNumber     = "id_number"
	fieldContactPhone = "contact_phone"
	indexPhone        = "phone"
	indexPhoneLast4   = "phone_last4"
	indexID           = "id_number"
)

const (
	maxPhones   = 5
	maxContacts = 5
)

// cleanPerson is a checked and normalised PersonInput.
type cleanPerson struct {
	name, gender, notes string
	birth               *time.Time
	idType, idNumber    string
	phones              []PhoneInput
	contacts            []ContactInput
}

func fieldErr(field, code, en, zh string) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: code, EN: en, ZH: zh}
}

// fieldNamesZH name fields in Chinese messages (which carry no English).
var fieldNamesZH = map[string]string{"name": "姓名", "notes": "备注", "relation": "关系", "reason": "原因", "brand": "品牌",
	"color": "颜色", "breed": "品种", "label": "电话标签"}

func tooLong(field string, max int) apperr.FieldError {
	last := field[strings.LastIndex(field, ".")+1:]
	zh, ok := fieldNamesZH[last]
	if !ok {
		zh = "此项"
	}
	return fieldErr(field, "too_long", fmt.Sprintf("%s has at most %d characters", field, max), fmt.Sprintf("%s最多 %d 个字符", zh, max))
}

func field(name string) map[string]string { return map[string]string{"field": name} }

// clean checks every field of a person. Shape problems come back together as
// invalid_input; a bad phone or ID number has its own code.
func (s *Service) clean(in PersonInput) (cleanPerson, error) {
	var fe []apperr.FieldError
	c := cleanPerson{name: strings.TrimSpace(in.Name), gender: choice(genderNames, in.Gender), notes: in.Notes, idType: choice(idTypeNames, in.IDType)}
	switch n := utf8.RuneCountInString(c.name); {
	case n == 0:
		fe = append(fe, fieldErr("name", "required", "name is required", "姓名必填"))
	case n > 64:
		fe = append(fe, tooLong("name", 64))
	}
	if c.gender != "" && c.gender != "male" && c.gender != "female" {
		fe = append(fe, fieldErr("gender", "invalid_choice", "gender is male (男), female (女) or empty", "性别须为男、女或留空"))
	}
	if in.BirthDate != "" {
		d, ok := parseDate(in.BirthDate)
		if !ok || d.After(s.now()) || d.Year() < 1900 {
			fe = append(fe, fieldErr("birth_date", "invalid_date", "birth_date is a past date written 2006-01-02", "出生日期须为过去的日期,格式 2006-01-02"))
		} else {
			c.birth = &d
		}
	}
	if utf8.RuneCountInString(c.notes) > 1000 {
		fe = append(fe, tooLong("notes", 1000))
	}
	c.idNumber = normaliseID(in.IDNumber)
	if c.idType == "" && c.idNumber != "" {
		c.idType = IDResident // the one default of the API and the importer
	}
	switch {
	case c.idType != "" && !idTypes[c.idType]:
		fe = append(fe, fieldErr("id_type", "invalid_choice", "id_type is resident_id (居民身份证), passport (护照), hk_macau_permit (港澳通行证), taiwan_permit (台湾通行证) or other (其他)", "证件类型须为居民身份证、护照、港澳通行证、台湾通行证或其他"))
	case c.idType != "" && c.idNumber == "":
		fe = append(fe, fieldErr("id_number", "required", "id_number is required with an id_type", "选择证件类型后须填写证件号码"))
	case c.idNumber != "" && !validID(c.idType, c.idNumber):
		fe = append(fe, fieldFrom("id_number", ErrInvalidIDNumber))
	}
	if len(in.Phones) > maxPhones {
		fe = append(fe, fieldErr("phones", "too_many", fmt.Sprintf("at most %d phones", maxPhones), fmt.Sprintf("最多 %d 个电话", maxPhones)))
	}
	if len(in.EmergencyContacts) > maxContacts {
		fe = append(fe, fieldErr("emergency_contacts", "too_many", fmt.Sprintf("at most %d emergency contacts", maxContacts), fmt.Sprintf("最多 %d 个紧急联系人", maxContacts)))
	}
	for i, ct := range in.EmergencyContacts {
		if n := utf8.RuneCountInString(strings.TrimSpace(ct.Name)); n == 0 || n > 64 {
			fe = append(fe, fieldErr(fmt.Sprintf("emergency_contacts[%d].name", i), "required", "an emergency contact needs a name (up to 64 characters)", "紧急联系人须填写姓名(最多 64 字)"))
		}
		if utf8.RuneCountInString(ct.Relation) > 32 {
			fe = append(fe, tooLong(fmt.Sprintf("emergency_contacts[%d].relation", i), 32))
		}
	}
	seen := map[string]bool{}
	for i, p := range in.Phones {
		if utf8.RuneCountInString(p.Label) > 16 {
			fe = append(fe, tooLong(fmt.Sprintf("phones[%d].label", i), 16))
		}
		n, ok := NormalisePhone(p.Number)
		if !ok {
			fe = append(fe, fieldFrom(fmt.Sprintf("phones[%d].number", i), ErrInvalidPhone))
			continue
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		c.phones = append(c.phones, PhoneInput{Label: strings.TrimSpace(p.Label), Number: n})
	}
	for i, ct := range in.EmergencyContacts {
		n, ok := NormalisePhone(ct.Phone)
		if !ok {
			fe = append(fe, fieldFrom(fmt.Sprintf("emergency_contacts[%d].phone", i), ErrInvalidPhone))
			continue
		}
		c.contacts = append(c.contacts, ContactInput{Name: strings.TrimSpace(ct.Name), Relation: strings.TrimSpace(ct.Relation), Phone: n})
	}
	return c, fieldsError(fe)
}

// fieldFrom is a field problem carrying a package error's code and messages.
func fieldFrom(field string, e *apperr.Error) apperr.FieldError {
	return apperr.FieldError{Field: field, Code: e.Code, EN: e.EN, ZH: e.ZH}
}

// specific are the errors whose own code answers when every problem of an
// input is of that one kind (a bad phone is 400 invalid_phone); a mix is
// 400 invalid_input. Either way every problem is listed.
var specific = map[string]*apperr.Error{}

func init() {
	for _, e := range []*apperr.Error{ErrInvalidIDNumber, ErrInvalidPhone, ErrInvalidPlate, ErrInvalidTag, ErrTagReason} {
		specific[e.Code] = e
	}
}

// fieldsError reports every field problem at once; nil when there is none.
func fieldsError(fe []apperr.FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	code := fe[0].Code
	for _, f := range fe[1:] {
		if f.Code != code {
			code = ""
		}
	}
	if e, ok := specific[code]; ok {
		return e.WithDetails(fe)
	}
	return apperr.Invalid.WithDetails(fe)
}

// choice maps an accepted label (业主, 男, 身份证 …) to its stored value; other
// text comes back trimmed and lowercased, for the caller's check.
func choice(labels map[string]string, v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if code, ok := labels[v]; ok {
		return code
	}
	return v
}

// CreatePerson adds a person.
func (s *Service) CreatePerson(ctx context.Context, tenantID uuid.UUID, in PersonInput) (out Person, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.createPerson(tx, tenantID, in)
		return err
	})
	return out, err
}

func (s *Service) createPerson(tx *gorm.DB, tenantID uuid.UUID, in PersonInput) (Person, error) {
	c, err := s.clean(in)
	if err != nil {
		return Person{}, err
	}
	row := personRow{TenantID: tenantID, ID: store.NewID(), Name: c.name, Gender: c.gender, BirthDate: c.birth, Notes: c.notes}
	if err := s.setID(&row, c.idType, c.idNumber); err != nil {
		return Person{}, err
	}
	if err := tx.Create(&row).Error; err != nil {
		return Person{}, err
	}
	if err := writeGrams(tx, tenantID, row.ID, row.Name); err != nil {
		return Person{}, err
	}
	if err := s.writePhones(tx, tenantID, row.ID, c.phones, c.contacts); err != nil {
		return Person{}, err
	}
	return s.getPerson(tx, tenantID, row.ID)
}

func (s *Service) setID(row *personRow, typ, num string) error {
	ct, err := s.keys.Encrypt(num, pii.Context(row.TenantID, fieldIDNumber))
	if err != nil {
		return err
	}
	row.IDType, row.IDCipher, row.IDIndex = typ, ct, ""
	if num != "" {
		row.IDIndex = s.keys.Index(row.TenantID, indexID, num)
	}
	return nil
}

// writePhones replaces a person's phones and emergency contacts (nil leaves that list alone).
func (s *Service) writePhones(tx *gorm.DB, tenantID, personID uuid.UUID, phones []PhoneInput, contacts []ContactInput) error {
	if phones != nil {
		if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Delete(&phoneRow{}).Error; err != nil {
			return err
		}
		for i, p := range phones {
			ct, err := s.keys.Encrypt(p.Number, pii.Context(tenantID, fieldPhone))
			if err != nil {
				return err
			}
			r := phoneRow{TenantID: tenantID, ID: store.NewID(), PersonID: personID, Label: p.Label, Position: i,
				PhoneCipher: ct, PhoneIndex: s.keys.Index(tenantID, indexPhone, p.Number),
				Last4Index: s.keys.Index(tenantID, indexPhoneLast4, last4(p.Number))}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
		}
	}
	if contacts != nil {
		if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Delete(&contactRow{}).Error; err != nil {
			return err
		}
		for i, c := range contacts {
			ct, err := s.keys.Encrypt(c.Phone, pii.Context(tenantID, fieldContactPhone))
			if err != nil {
				return err
			}
			r := contactRow{TenantID: tenantID, ID: store.NewID(), PersonID: personID, Name: c.Name, Relation: c.Relation, Position: i, PhoneCipher: ct}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// grams returns the distinct two-character sequences of s.
func grams(s string) []string {
	r := []rune(s)
	seen := map[string]bool{}
	var out []string
	for i := 0; i+1 < len(r); i++ {
		g := string(r[i : i+2])
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// writeGrams replaces the name-search grams of a person.
func writeGrams(tx *gorm.DB, tenantID, personID uuid.UUID, name string) error {
	if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, personID).Delete(&nameGramRow{}).Error; err != nil {
		return err
	}
	gs := grams(name)
	if len(gs) == 0 {
		return nil
	}
	rows := make([]nameGramRow, len(gs))
	for i, g := range gs {
		rows[i] = nameGramRow{TenantID: tenantID, Gram: g, PersonID: personID}
	}
	return tx.Create(&rows).Error
}

func last4(n string) string {
	if len(n) <= 4 {
		return n
	}
	return n[len(n)-4:]
}

// loadPerson reads the person row or answers not_found.
func loadPerson(tx *gorm.DB, tenantID, id uuid.UUID) (personRow, error) {
	var row personRow
	err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, apperr.NotFound
	}
	return row, err
}

// decrypt opens a stored value; a missing key is a configuration fault.
func (s *Service) decrypt(ct string, tenantID uuid.UUID, fieldName string) (string, error) {
	v, err := s.keys.Decrypt(ct, pii.Context(tenantID, fieldName))
	if err != nil {
		return "", ErrPIIUnavailable.Wrap(err)
	}
	return v, nil
}

// GetPerson returns a person with everything attached, numbers masked.
func (s *Service) GetPerson(ctx context.Context, tenantID, id uuid.UUID) (out Person, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.getPerson(tx, tenantID, id)
		return err
	})
	return out, err
}

func (s *Service) getPerson(tx *gorm.DB, tenantID, id uuid.UUID) (Person, error) {
	row, err := loadPerson(tx, tenantID, id)
	if err != nil {
		return Person{}, err
	}
	full, err := s.personPII(tx, row)
	if err != nil {
		return Person{}, err
	}
	p := Person{ID: row.ID, Name: row.Name, Gender: row.Gender, BirthDate: dateString(row.BirthDate),
		IDType: row.IDType, IDNumber: pii.MaskID(full.IDNumber), Notes: row.Notes, UserID: row.UserID,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
		Phones: []Phone{}, EmergencyContacts: []Contact{}}
	for _, ph := range full.Phones {
		p.Phones = append(p.Phones, Phone{Label: ph.Label, Number: pii.MaskPhone(ph.Number)})
	}
	for _, c := range full.EmergencyContacts {
		p.EmergencyContacts = append(p.EmergencyContacts, Contact{Name: c.Name, Relation: c.Relation, Phone: pii.MaskPhone(c.Phone)})
	}
	if p.Tags, err = personTags(tx, tenantID, id); err != nil {
		return Person{}, err
	}
	if p.Occupancies, err = personOccupancies(tx, tenantID, id); err != nil {
		return Person{}, err
	}
	if p.Vehicles, err = personVehicles(tx, tenantID, id); err != nil {
		return Person{}, err
	}
	if p.Pets, err = personPets(tx, tenantID, id); err != nil {
		return Person{}, err
	}
	return p, nil
}

// personPII decrypts a person's numbers. Callers mask them unless the reader may see them.
func (s *Service) personPII(tx *gorm.DB, row personRow) (PII, error) {
	out := PII{PersonID: row.ID, IDType: row.IDType, Phones: []Phone{}, EmergencyContacts: []Contact{}}
	var err error
	if out.IDNumber, err = s.decrypt(row.IDCipher, row.TenantID, fieldIDNumber); err != nil {
		return out, err
	}
	var phones []phoneRow
	if err := tx.Where("tenant_id = ? AND person_id = ?", row.TenantID, row.ID).Order("position").Find(&phones).Error; err != nil {
		return out, err
	}
	for _, ph := range phones {
		n, err := s.decrypt(ph.PhoneCipher, row.TenantID, fieldPhone)
		if err != nil {
			return out, err
		}
		out.Phones = append(out.Phones, Phone{Label: ph.Label, Number: n})
	}
	var contacts []contactRow
	if err := tx.Where("tenant_id = ? AND person_id = ?", row.TenantID, row.ID).Order("position").Find(&contacts).Error; err != nil {
		return out, err
	}
	for _, c := range contacts {
		n, err := s.decrypt(c.PhoneCipher, row.TenantID, fieldContactPhone)
		if err != nil {
			return out, err
		}
		out.EmergencyContacts = append(out.EmergencyContacts, Contact{Name: c.Name, Relation: c.Relation, Phone: n})
	}
	return out, nil
}

// UpdatePerson applies a patch. The whole patch is checked before anything is written.
func (s *Service) UpdatePerson(ctx context.Context, tenantID, id uuid.UUID, p PersonPatch) (out Person, err error) {
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = s.updatePerson(tx, tenantID, id, p)
		return err
	})
	return out, err
}

func (s *Service) updatePerson(tx *gorm.DB, tenantID, id uuid.UUID, p PersonPatch) (Person, error) {
	row, err := loadPerson(tx, tenantID, id)
	if err != nil {
		return Person{}, err
	}
	if (p.IDType == nil) != (p.IDNumber == nil) {
		return Person{}, apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("id_number", "together",
			"id_type and id_number change together", "证件类型与证件号码须同时修改")})
	}
	// Build a full input from the row and the patch, so one check covers both.
	in := PersonInput{Name: row.Name, Gender: row.Gender, BirthDate: dateString(row.BirthDate), Notes: row.Notes}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.Name, p.Name)
	set(&in.Gender, p.Gender)
	set(&in.BirthDate, p.BirthDate)
	set(&in.Notes, p.Notes)
	set(&in.IDType, p.IDType)
	set(&in.IDNumber, p.IDNumber)
	if p.Phones != nil {
		in.Phones = *p.Phones
	}
	if p.EmergencyContacts != nil {
		in.EmergencyContacts = *p.EmergencyContacts
	}
	c, err := s.clean(in)
	if err != nil {
		return Person{}, err
	}
	row.Name, row.Gender, row.BirthDate, row.Notes = c.name, c.gender, c.birth, c.notes
	if p.IDType != nil {
		if err := s.setID(&row, c.idType, c.idNumber); err != nil {
			return Person{}, err
		}
	}
	row.UpdatedAt = s.now()
	if err := tx.Model(&personRow{}).Where("tenant_id = ? AND id = ?", tenantID, id).Updates(map[string]any{
		"name": row.Name, "gender": row.Gender, "birth_date": row.BirthDate, "notes": row.Notes,
		"id_type": row.IDType, "id_cipher": row.IDCipher, "id_index": row.IDIndex, "updated_at": row.UpdatedAt,
	}).Error; err != nil {
		return Person{}, err
	}
	if err := writeGrams(tx, tenantID, id, row.Name); err != nil {
		return Person{}, err
	}
	var phones []PhoneInput
	var contacts []ContactInput
	if p.Phones != nil {
		phones = append([]PhoneInput{}, c.phones...)
	}
	if p.EmergencyContacts != nil {
		contacts = append([]ContactInput{}, c.contacts...)
	}
	if err := s.writePhones(tx, tenantID, id, phones, contacts); err != nil {
		return Person{}, err
	}
	return s.getPerson(tx, tenantID, id)
}

// DeletePerson removes a person who no longer lives anywhere, with their
// phones, contacts, tags, vehicles, pets and past occupancies.
func (s *Service) DeletePerson(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.in(ctx, tenantID, func(tx *gorm.DB) error { return deletePerson(tx, tenantID, id) })
}

func deletePerson(tx *gorm.DB, tenantID, id uuid.UUID) error {
	if _, err := loadPerson(tx, tenantID, id); err != nil {
		return err
	}
	var active int64
	if err := tx.Model(&occupancyRow{}).Where("tenant_id = ? AND person_id = ? AND move_out IS NULL", tenantID, id).Count(&active).Error; err != nil {
		return err
	}
	if active > 0 {
		return ErrHasOccupancy
	}
	for _, m := range []any{&nameGramRow{}, &phoneRow{}, &contactRow{}, &tagRow{}, &vehicleRow{}, &petRow{}, &occupancyRow{}} {
		if err := tx.Where("tenant_id = ? AND person_id = ?", tenantID, id).Delete(m).Error; err != nil {
			return err
		}
	}
	return tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&personRow{}).Error
}
