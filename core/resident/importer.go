package resident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/chunk"
	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
)

// Spreadsheet import of residents with their occupancy: one row per person
// in a room. Every row is checked against the whole file and the tenant's
// data first (sheet.Job); the rows are then written through the same
// functions the API uses (CreatePerson, MoveIn, SetTag, AddVehicle), so
// numbers are validated, encrypted and indexed exactly as a normal create.

// RoomPath names a room the way a spreadsheet does.
type RoomPath struct{ Community, Building, Unit, Room string }

func (p RoomPath) String() string {
	return strings.Join([]string{p.Community, p.Building, p.Unit, p.Room}, " ")
}

// ResidentSpec is the column set of the residents template, import and
// export (an export by a holder of resident.pii.read imports again).
var ResidentSpec = sheet.Spec{Kind: "residents", Title: "住户", Columns: []sheet.Column{
	{Key: "name", ZH: "姓名", Required: true, Hint: "张三"},
	{Key: "gender", ZH: "性别", Hint: "男/女 (male/female)"},
	{Key: "birth_date", ZH: "出生日期", Hint: "1980-05-01"},
	{Key: "id_type", ZH: "证件类型", Hint: "居民身份证/护照/港澳通行证/台湾通行证/其他 (resident_id/passport/hk_macau_permit/taiwan_permit/other); 有号码而留空 = 居民身份证 / blank with a number = resident_id"},
	{Key: "id_number", ZH: "证件号码", Hint: "身份证 18 位,校验位须正确 / a resident ID has 18 characters and a valid check digit"},
	{Key: "phone", ZH: "电话", Hint: "13812345678; 多个用分号分隔 / several separated by ;"},
	{Key: "community", ZH: "小区", Hint: "已有小区名称 / existing community; 小区、楼栋、单元、房号全部留空 = 只登记人员 / all four blank = person without a room"},
	{Key: "building", ZH: "楼栋", Hint: "1栋"},
	{Key: "unit", ZH: "单元", Hint: "1单元"},
	{Key: "room", ZH: "房号", Hint: "1201"},
	{Key: "role", ZH: "身份", Hint: "业主/租户/家属 (owner/tenant/family); 有房屋时必填 / required with a room"},
	{Key: "relation", ZH: "关系", Hint: "本人/配偶/子女/租客 …"},
	{Key: "move_in", ZH: "入住日期", Hint: "2020-01-15; 有房屋时必填 / required with a room"},
	{Key: "care_tags", ZH: "关怀标签", Hint: "标签:原因; 标签:原因 / tag:reason; tag:reason — elderly_alone/child/disabled/needs_visits 或 独居老人/儿童/残障/需定期探访,或已在用的标签;带原因的可为新标签 / or a tag in use; a tag with its reason may be new"},
	{Key: "plates", ZH: "车牌", Hint: "粤B·D12345; 多个用分号分隔 / several separated by ;"},
}}

// Problems only an import has.
var (
	errImportUnknownRoom = apperr.New(apperr.KindInvalid, "unknown_room", "No room %q in this tenant: check community, building, unit and room number.", "本租户没有房屋 %q,请核对小区、楼栋、单元和房号。")
	errImportRequired    = apperr.New(apperr.KindInvalid, "required", "This column is required here.", "此列必填。")
	errImportChoice      = apperr.New(apperr.KindInvalid, "invalid_choice", "Not one of the allowed values; see the template's notes.", "不是允许的取值,请参看模板说明。")
	errImportDate        = apperr.New(apperr.KindInvalid, "invalid_date", "Not a date like 2020-01-15.", "不是有效日期,例如 2020-01-15。")
	errImportTooLong     = apperr.New(apperr.KindInvalid, "too_long", "Too long (at most %d characters).", "过长(最多 %d 个字符)。")
	errImportUnknownTag  = apperr.New(apperr.KindInvalid, "unknown_tag", "Unknown care tag %q: use elderly_alone, child, disabled, needs_visits (or 独居老人, 儿童, 残障, 需定期探访) or a tag already in use.", "未知的关怀标签 %q:请使用 独居老人、儿童、残障、需定期探访(或 elderly_alone、child、disabled、needs_visits)或已在用的标签。")
	errImportPlateInFile = apperr.New(apperr.KindConflict, "duplicate_plate", "This plate is given to another person earlier in the file (row %d).", "该车牌已在文件第 %d 行登记给另一人。")
	errImportOccInFile   = apperr.New(apperr.KindConflict, "already_occupant", "The same person is moved into this room earlier in the file (row %d).", "同一人已在文件第 %d 行入住该房屋。")
	errImportOtherName   = apperr.New(apperr.KindConflict, "person_name_mismatch", "This ID number belongs to a person with another name (in the tenant or earlier in the file).", "该证件号码已属于另一姓名的人员(系统中或文件前面的行)。")
)

// importReason is the care-tag reason when a row names a tag without one.
const importReason = "批量导入 imported"

// Importer imports one residents file; make one per import.
type Importer struct {
	svc    *Service
	parsed map[int]*importRow
}

// NewImporter returns an importer writing through s (rooms found through s's Rooms).
func (s *Service) NewImporter() *Importer {
	return &Importer{svc: s}
}

func (im *Importer) Spec() sheet.Spec { return ResidentSpec }

// tagItem is one care tag of a row; explicit when the row gave its reason.
type tagItem struct {
	tag, reason string
	explicit    bool
}

// importRow is a row as Check understood it, kept for Write.
type importRow struct {
	key      string    // the person within the file
	existing uuid.UUID // the person already in the tenant, if any
	person   PersonInput
	path     RoomPath
	hasRoom  bool
	occ      OccupancyInput
	tags     []tagItem
	plates   []string // normalised
	idIndex  string
	phoneIdx string // blind index of the first phone
}

// splitList splits a cell holding several values.
func splitList(s string, seps string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

const listSeps = ";；,，、\n"

// importDate reads the ways a day is written in spreadsheets into 2006-01-02.
func importDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006.1.2", "20060102", "2006年1月2日", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return s, false
}

// parseTags reads "tag:reason; tag:reason" or a plain list of tags. A bare
// tag must be a built-in one or already in use (so a typo is caught); a tag
// given with its reason is deliberate and may be new, as on the API.
func parseTags(s string) []tagItem {
	var out []tagItem
	for _, item := range splitList(s, ";；\n") {
		tag, reason, ok := strings.Cut(strings.Replace(item, "：", ":", 1), ":")
		if ok {
			reason = strings.TrimSpace(reason)
			out = append(out, tagItem{strings.TrimSpace(tag), reason, reason != ""})
			continue
		}
		for _, t := range splitList(item, ",，、") {
			out = append(out, tagItem{tag: t})
		}
	}
	for i := range out {
		if t, ok := tagNames[out[i].tag]; ok {
			out[i].tag = t
		}
		if out[i].reason == "" {
			out[i].reason = importReason
		}
	}
	return out
}

// addFunc records a problem of a row's column.
type addFunc func(r sheet.Row, col string, e *apperr.Error)

// importKeys are the values of a file to look up in the tenant at once.
type importKeys struct {
	paths     []RoomPath
	idIdx     []string
	phoneIdx  []string
	plates    []string
	otherTags []string // neither built in nor given with a reason
}

func (k *importKeys) add(p *importRow) {
	if p.hasRoom {
		k.paths = append(k.paths, p.path)
	}
	if p.idIndex != "" {
		k.idIdx = append(k.idIdx, p.idIndex)
	}
	if p.phoneIdx != "" {
		k.phoneIdx = append(k.phoneIdx, p.phoneIdx)
	}
	k.plates = append(k.plates, p.plates...)
	for _, t := range p.tags {
		if !slices.Contains(KnownTags, t.tag) && !t.explicit {
			k.otherTags = append(k.otherTags, t.tag)
		}
	}
}

// tenantData is what the tenant already has of a file's keys.
type tenantData struct {
	roomIDs    map[RoomPath]uuid.UUID
	usedTags   map[string]bool
	byID       map[string]personRef   // id index -> person
	byPhone    map[string][]personRef // phone index -> persons
	plateOwner map[string]uuid.UUID
}

// Check reads every row, matches rooms, persons, tags and plates against the
// tenant's data and the rest of the file, and reports every problem.
func (im *Importer) Check(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row) ([]sheet.Problem, error) {
	var probs []sheet.Problem
	bad := map[int]bool{}
	seen := map[string]bool{} // one problem per row, column and code
	add := func(r sheet.Row, col string, e *apperr.Error) {
		k := fmt.Sprintf("%d|%s|%s", r.Line, col, e.Code)
		if seen[k] {
			return
		}
		seen[k] = true
		probs = append(probs, sheet.Problemf(r.Line, col, r.Get(col), e))
		bad[r.Line] = true
	}
	im.parsed = make(map[int]*importRow, len(rows))
	var keys importKeys
	for _, r := range rows {
		p := im.parseRow(tenantID, r, add)
		im.parsed[r.Line] = p
		keys.add(p)
	}
	td, err := im.lookup(tx, tenantID, keys)
	if err != nil {
		return nil, err
	}
	matched := im.matchPersons(rows, td, add)
	occupied, err := currentOccupancies(tx, tenantID, matched)
	if err != nil {
		return nil, err
	}
	im.checkConflicts(rows, td, occupied, add)
	for line := range bad {
		delete(im.parsed, line)
	}
	return probs, nil
}

// lookup reads what the tenant already has of keys: rooms, tags in use,
// persons by ID number and phone, plates.
func (im *Importer) lookup(tx *gorm.DB, tenantID uuid.UUID, keys importKeys) (td tenantData, err error) {
	td = tenantData{usedTags: map[string]bool{}, byID: map[string]personRef{}, byPhone: map[string][]personRef{}, plateOwner: map[string]uuid.UUID{}}
	if td.roomIDs, err = im.svc.rooms.FindRooms(store.Ctx(tx), tenantID, keys.paths); err != nil {
		return td, err
	}
	err = chunk.Unique(keys.otherTags, func(part []string) error {
		var ts []string
		if err := tx.Model(&tagRow{}).Distinct("tag").Where("tenant_id = ? AND tag IN ?", tenantID, part).Pluck("tag", &ts).Error; err != nil {
			return err
		}
		for _, t := range ts {
			td.usedTags[t] = true
		}
		return nil
	})
	if err == nil {
		err = chunk.Unique(keys.idIdx, func(part []string) error {
			var ps []personRef
			if err := tx.Raw("SELECT id, name, id_index AS idx FROM persons WHERE tenant_id = ? AND id_index IN ?", tenantID, part).Scan(&ps).Error; err != nil { // unscoped: tenant_id = ? in the query; scan struct without TenantID
				return err
			}
			for _, p := range ps {
				td.byID[p.Idx] = p
			}
			return nil
		})
	}
	if err == nil {
		err = chunk.Unique(keys.phoneIdx, func(part []string) error {
			var ps []personRef
			// unscoped: a join of two tenant tables, both scoped by tenant_id = ?
			if err := tx.Raw(`SELECT p.id, p.name, ph.phone_index AS idx FROM person_phones ph
JOIN persons p ON p.tenant_id = ph.tenant_id AND p.id = ph.person_id
WHERE ph.tenant_id = ? AND ph.phone_index IN ?`, tenantID, part).Scan(&ps).Error; err != nil {
				return err
			}
			for _, p := range ps {
				td.byPhone[p.Idx] = append(td.byPhone[p.Idx], p)
			}
			return nil
		})
	}
	if err == nil {
		err = chunk.Unique(keys.plates, func(part []string) error {
			var vs []vehicleRow
			if err := tx.Select("plate", "person_id").Where("tenant_id = ? AND plate IN ?", tenantID, part).Find(&vs).Error; err != nil {
				return err
			}
			for _, v := range vs {
				td.plateOwner[v.Plate] = v.PersonID
			}
			return nil
		})
	}
	return td, err
}

// matchPersons finds each row's person in the tenant (by ID number, or by
// name and first phone), its room and its tags; it returns the persons found.
func (im *Importer) matchPersons(rows []sheet.Row, td tenantData, add addFunc) []uuid.UUID {
	nameOf := map[string]string{} // person key -> name of its first row
	var matched []uuid.UUID
	for _, r := range rows {
		p := im.parsed[r.Line]
		name := strings.TrimSpace(p.person.Name)
		if p.idIndex != "" {
			if prev, ok := nameOf[p.key]; ok && prev != name {
				add(r, "name", errImportOtherName)
			}
			if ref, ok := td.byID[p.idIndex]; ok {
				if ref.Name != name {
					add(r, "id_number", errImportOtherName)
				}
				p.existing = ref.ID
			}
		} else if p.phoneIdx != "" {
			for _, ref := range td.byPhone[p.phoneIdx] {
				if ref.Name == name {
					p.existing = ref.ID
					break
				}
			}
		}
		if _, ok := nameOf[p.key]; !ok {
			nameOf[p.key] = name
		}
		if p.existing != uuid.Nil {
			matched = append(matched, p.existing)
		}
		if p.hasRoom {
			if id, ok := td.roomIDs[p.path]; ok {
				p.occ.RoomID = id
			} else {
				add(r, "room", errImportUnknownRoom.Withf(p.path.String()))
			}
		}
		for _, t := range p.tags {
			if !slices.Contains(KnownTags, t.tag) && !td.usedTags[t.tag] && !t.explicit {
				add(r, "care_tags", errImportUnknownTag.Withf(t.tag))
			}
		}
	}
	return matched
}

// currentOccupancies returns the (person, room) pairs of persons living there now.
func currentOccupancies(tx *gorm.DB, tenantID uuid.UUID, persons []uuid.UUID) (map[[2]uuid.UUID]bool, error) {
	occupied := map[[2]uuid.UUID]bool{}
	err := chunk.Unique(persons, func(part []uuid.UUID) error {
		var os []occupancyRow
		if err := tx.Select("person_id", "room_id").Where("tenant_id = ? AND person_id IN ? AND move_out IS NULL", tenantID, part).Find(&os).Error; err != nil {
			return err
		}
		for _, o := range os {
			occupied[[2]uuid.UUID{o.PersonID, o.RoomID}] = true
		}
		return nil
	})
	return occupied, err
}

// checkConflicts reports occupancies and plates the file and the tenant
// disagree on: a person moved into a room twice, or already living there; a
// plate registered to someone else, in the tenant or earlier in the file.
func (im *Importer) checkConflicts(rows []sheet.Row, td tenantData, occupied map[[2]uuid.UUID]bool, add addFunc) {
	plateLine := map[string]int{}   // plate -> first row naming it
	plateKey := map[string]string{} // plate -> person key of that row
	occLine := map[string]int{}     // person key + room -> first row
	for _, r := range rows {
		p := im.parsed[r.Line]
		if p.occ.RoomID != uuid.Nil {
			k := p.key + "|" + p.occ.RoomID.String()
			if prev, ok := occLine[k]; ok {
				add(r, "room", errImportOccInFile.Withf(prev))
			} else {
				occLine[k] = r.Line
			}
			if occupied[[2]uuid.UUID{p.existing, p.occ.RoomID}] {
				add(r, "room", ErrAlreadyOccupant)
			}
		}
		for _, pl := range p.plates {
			if owner, ok := td.plateOwner[pl]; ok && owner != p.existing {
				add(r, "plates", ErrDuplicatePlate)
			}
			if prev, ok := plateLine[pl]; ok && plateKey[pl] != p.key {
				add(r, "plates", errImportPlateInFile.Withf(prev))
			} else if !ok {
				plateLine[pl], plateKey[pl] = r.Line, p.key
			}
		}
	}
}

// personRef is a person found by a blind index.
type personRef struct {
	ID   uuid.UUID
	Name string
	Idx  string
}

// parseRow reads one row on its own, reporting what is wrong with it.
func (im *Importer) parseRow(tenantID uuid.UUID, r sheet.Row, add addFunc) *importRow {
	p := &importRow{key: fmt.Sprintf("line:%d", r.Line)}
	im.parsePerson(tenantID, r, p, add)
	parseOccupancy(r, p, add)
	parseTagsAndPlates(r, p, add)
	return p
}

// parsePerson reads the person's columns and checks them as the API does;
// a clean ID number or first phone names the person within the file.
func (im *Importer) parsePerson(tenantID uuid.UUID, r sheet.Row, p *importRow, add addFunc) {
	s := im.svc
	in := PersonInput{Name: r.Get("name"), Gender: r.Get("gender"), IDType: r.Get("id_type"), IDNumber: r.Get("id_number")}
	// Labels (男, 身份证 …) and the id_type default are the service's, as on the API.
	if v := r.Get("birth_date"); v != "" {
		in.BirthDate, _ = importDate(v)
	}
	for _, ph := range splitList(r.Get("phone"), listSeps) {
		in.Phones = append(in.Phones, PhoneInput{Label: "手机", Number: ph})
	}
	// The service's check of the whole person reports every problem at once.
	if c, err := s.clean(in); err != nil {
		ae, ok := apperr.As(err)
		if !ok {
			ae = apperr.Invalid
		}
		fes, _ := ae.Details.([]apperr.FieldError)
		for _, fe := range fes {
			col := fe.Field
			if strings.HasPrefix(col, "phones") {
				col = "phone"
			}
			add(r, col, apperr.New(ae.Kind, fe.Code, fe.EN, fe.ZH))
		}
		if len(fes) == 0 {
			add(r, "name", ae)
		}
	} else {
		if c.idNumber != "" {
			p.idIndex = s.keys.Index(tenantID, indexID, c.idNumber)
			p.key = "id:" + c.idNumber
		} else if len(c.phones) > 0 {
			p.phoneIdx = s.keys.Index(tenantID, indexPhone, c.phones[0].Number)
			p.key = "phone:" + c.name + "|" + c.phones[0].Number
		}
	}
	p.person = in
}

// parseOccupancy reads the room and the occupancy: all four room columns or
// none; with a room, role and move-in date are required.
func parseOccupancy(r sheet.Row, p *importRow, add addFunc) {
	p.path = RoomPath{r.Get("community"), r.Get("building"), r.Get("unit"), r.Get("room")}
	if p.path == (RoomPath{}) {
		return
	}
	p.hasRoom = true
	for col, v := range map[string]string{"community": p.path.Community, "building": p.path.Building, "unit": p.path.Unit, "room": p.path.Room} {
		if v == "" {
			add(r, col, errImportRequired)
			p.hasRoom = false
		}
	}
	role := choice(roleNames, r.Get("role"))
	_, ok := roleNames[role]
	switch {
	case r.Get("role") == "":
		add(r, "role", errImportRequired)
	case !ok:
		add(r, "role", errImportChoice)
	}
	p.occ.Role = role
	p.occ.Relation = r.Get("relation")
	if utf8.RuneCountInString(p.occ.Relation) > 32 {
		add(r, "relation", errImportTooLong.Withf(32))
	}
	if v := r.Get("move_in"); v == "" {
		add(r, "move_in", errImportRequired)
	} else if d, ok := importDate(v); !ok {
		add(r, "move_in", errImportDate)
	} else {
		p.occ.MoveIn = d
	}
}

// parseTagsAndPlates reads the care tags and the plates (normalised, each once).
func parseTagsAndPlates(r sheet.Row, p *importRow, add addFunc) {
	p.tags = parseTags(r.Get("care_tags"))
	for i, t := range p.tags {
		tag, ok := normaliseTag(t.tag)
		if !ok {
			add(r, "care_tags", ErrInvalidTag)
		}
		p.tags[i].tag = tag
		if utf8.RuneCountInString(t.reason) > 500 {
			add(r, "care_tags", errImportTooLong.Withf(500))
		}
	}
	for _, v := range splitList(r.Get("plates"), listSeps) {
		pl, ok := NormalisePlate(v)
		if !ok {
			add(r, "plates", ErrInvalidPlate)
			continue
		}
		if !slices.Contains(p.plates, pl) {
			p.plates = append(p.plates, pl)
		}
	}
}

// Write creates the persons of rows (once per person, or finds the one
// Check matched), moves them in and sets their tags and plates.
func (im *Importer) Write(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row, progress func(int)) error {
	s := im.svc
	rooms := joinedRooms{s.rooms}
	ids := map[string]uuid.UUID{}   // person key -> id
	registered := map[string]bool{} // plates this import registered
	for i, r := range rows {
		p, ok := im.parsed[r.Line]
		if !ok {
			continue
		}
		pid := p.existing
		if pid == uuid.Nil {
			pid = ids[p.key]
		}
		if pid == uuid.Nil {
			created, err := s.createPerson(tx, tenantID, p.person)
			if err != nil {
				return atRow(r.Line, err)
			}
			pid = created.ID
		}
		ids[p.key] = pid
		if p.occ.RoomID != uuid.Nil {
			if _, err := s.moveIn(tx, rooms, tenantID, pid, p.occ); err != nil {
				return atRow(r.Line, err)
			}
		}
		for _, t := range p.tags {
			if _, err := s.setTag(ctx, tx, tenantID, pid, t.tag, CareTagInput{Reason: t.reason}); err != nil {
				return atRow(r.Line, err)
			}
		}
		for _, pl := range p.plates {
			if registered[pl] {
				continue
			}
			var n int64
			if err := tx.Model(&vehicleRow{}).Where("tenant_id = ? AND person_id = ? AND plate = ?", tenantID, pid, pl).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				if _, err := addVehicle(tx, tenantID, pid, VehicleInput{Plate: pl}); err != nil {
					return atRow(r.Line, err)
				}
			}
			registered[pl] = true
		}
		if (i+1)%100 == 0 || i == len(rows)-1 {
			progress(i + 1)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// atRow adds the file row to an error found while writing (a race with
// another writer since Check), so the caller knows where.
func atRow(line int, err error) error {
	if ae, ok := apperr.As(err); ok {
		return ae.WithDetails(map[string]any{"row": line, "details": ae.Details})
	}
	return err
}
