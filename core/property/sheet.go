package property

import (
	"context"
	"strconv"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
)

// RoomSpec is the column set of the rooms template, import and export (an
// export is a valid import file).
var RoomSpec = sheet.Spec{Kind: "rooms", Title: "房屋", Columns: []sheet.Column{
	{Key: "community", ZH: "小区", Required: true, Hint: "小区名称,须已存在 / existing community name"},
	{Key: "building", ZH: "楼栋", Required: true, Hint: "楼栋名称,须已存在 / existing building name"},
	{Key: "unit", ZH: "单元", Required: true, Hint: "单元名称,须已存在 / existing unit name"},
	{Key: "number", ZH: "房号", Required: true, Hint: "1201,单元内唯一 / unique within the unit"},
	{Key: "floor", ZH: "楼层", Hint: "12"},
	{Key: "built_area", ZH: "建筑面积", Hint: "89.56 (m², 最多两位小数 / at most two decimals)"},
	{Key: "interior_area", ZH: "套内面积", Hint: "75.20"},
	{Key: "shared_area", ZH: "公摊面积", Hint: "14.36; 留空则为建筑面积减套内面积 / blank = built − interior"},
	{Key: "layout", ZH: "户型", Hint: "3室2厅"},
	{Key: "orientation", ZH: "朝向", Hint: "南北"},
	{Key: "structure", ZH: "结构", Hint: "钢混"},
	{Key: "year_built", ZH: "建成年份", Hint: "2015"},
	{Key: "usage", ZH: "用途", Hint: "住宅/商业/车位/储藏室 (residential/commercial/parking/storage)"},
	{Key: "status", ZH: "状态", Hint: "空置/已入住/装修中/已售未入住 (vacant/occupied/renovating/sold_unoccupied)"},
	{Key: "fee_coefficient", ZH: "收费系数", Hint: "1.0000"},
	{Key: "notes", ZH: "备注"},
}}

var (
	errImportCommunity = apperr.New(apperr.KindInvalid, "unknown_community", "No community of that name.", "没有该名称的小区。")
	errImportBuilding  = apperr.New(apperr.KindInvalid, "unknown_building", "No building of that name in the community.", "该小区没有此名称的楼栋。")
	errImportUnit      = apperr.New(apperr.KindInvalid, "unknown_unit", "No unit of that name in the building.", "该楼栋没有此名称的单元。")
	errImportInt       = apperr.New(apperr.KindInvalid, "not_a_whole_number", "Not a whole number.", "不是整数。")
	errImportUsage     = apperr.New(apperr.KindInvalid, "unknown_usage", "Usage must be 住宅/商业/车位/储藏室 or residential/commercial/parking/storage.", "用途必须是 住宅/商业/车位/储藏室。")
	errImportStatus    = apperr.New(apperr.KindInvalid, "unknown_status", "Status must be 空置/已入住/装修中/已售未入住 or vacant/occupied/renovating/sold_unoccupied.", "状态必须是 空置/已入住/装修中/已售未入住。")
	errDupInFile       = apperr.New(apperr.KindConflict, "duplicate_room_number", "The same room number appears earlier in the file for this unit (row %d).", "同一单元的相同房号已在文件第 %d 行出现。")
)

// RoomImporter imports rooms into existing communities, buildings and units.
// A row naming a room that exists (same community, building, unit and
// number) updates it: a blank cell leaves that field as it is, as a missing
// field of PATCH does; other rows create rooms.
type RoomImporter struct {
	quota     QuotaFunc
	occupancy OccupancyChecker
	rows      map[int]roomRow // good rows by line, after Check
}

// roomRow is what Check decided for one good row.
type roomRow struct {
	room   Room
	action sheet.Action
}

// NewRoomImporter returns an importer for one file, under the service's
// quota and occupancy rule.
func (s *Service) NewRoomImporter() *RoomImporter {
	return &RoomImporter{quota: s.quota, occupancy: s.occupancy}
}

func (im *RoomImporter) Spec() sheet.Spec { return RoomSpec }

type place struct {
	community, building, unit uuid.UUID
}

// placeIndex is the tenant's community/building/unit tree by name path.
type placeIndex struct {
	units       map[[3]string]place
	buildings   map[[2]string]bool
	communities map[string]bool
}

// places loads every community/building/unit of the tenant by name path.
func places(tx *gorm.DB, tenantID uuid.UUID) (placeIndex, error) {
	var cs []Community
	var bs []Building
	var us []Unit
	if err := in(tx, tenantID).Select("id", "name").Find(&cs).Error; err != nil {
		return placeIndex{}, err
	}
	if err := in(tx, tenantID).Select("id", "community_id", "name").Find(&bs).Error; err != nil {
		return placeIndex{}, err
	}
	if err := in(tx, tenantID).Select("id", "building_id", "name").Find(&us).Error; err != nil {
		return placeIndex{}, err
	}
	ix := placeIndex{units: map[[3]string]place{}, buildings: map[[2]string]bool{}, communities: map[string]bool{}}
	cname := map[uuid.UUID]string{}
	for _, c := range cs {
		cname[c.ID], ix.communities[c.Name] = c.Name, true
	}
	bpath := map[uuid.UUID][2]string{}
	bcomm := map[uuid.UUID]uuid.UUID{}
	for _, b := range bs {
		bpath[b.ID] = [2]string{cname[b.CommunityID], b.Name}
		bcomm[b.ID] = b.CommunityID
		ix.buildings[bpath[b.ID]] = true
	}
	for _, u := range us {
		p := bpath[u.BuildingID]
		ix.units[[3]string{p[0], p[1], u.Name}] = place{bcomm[u.BuildingID], u.BuildingID, u.ID}
	}
	return ix, nil
}

// problems collects the row problems of one Check.
type problems []sheet.Problem

func (ps *problems) add(r sheet.Row, col string, e error) {
	ae, ok := apperr.As(e)
	if !ok {
		ae = apperr.Invalid
	}
	*ps = append(*ps, sheet.Problemf(r.Line, col, r.Get(col), ae))
}

func (ps *problems) fields(r sheet.Row, fe []apperr.FieldError) {
	for _, f := range fe {
		*ps = append(*ps, sheet.Problem{Line: r.Line, Column: f.Field, Value: r.Get(f.Field), Code: f.Code, Message: f.EN, ZH: f.ZH})
	}
}

// parsedRow is a row whose cells parsed: its unit and its input.
type parsedRow struct {
	row   sheet.Row
	place place
	input RoomInput
}

// Check parses every row, resolves its unit by name, finds the rooms it
// names, checks each room as it would be stored (new, or existing with the
// row applied) and refuses emptying the status of a room people live in.
func (im *RoomImporter) Check(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row) ([]sheet.Problem, error) {
	ix, err := places(tx, tenantID)
	if err != nil {
		return nil, err
	}
	var probs problems
	parsed := im.parseRows(ix, rows, &probs)
	existing, err := existingRooms(tx, tenantID, parsed)
	if err != nil {
		return nil, err
	}
	im.rows = make(map[int]roomRow, len(parsed))
	for _, pr := range parsed {
		rr, fe := decide(tenantID, pr, existing)
		if len(fe) > 0 {
			probs.fields(pr.row, fe)
			continue
		}
		im.rows[pr.row.Line] = rr
	}
	if err := im.checkVacating(tx, tenantID, existing, &probs); err != nil {
		return nil, err
	}
	return probs, nil
}

// parseRows parses the cells of every row and refuses a room number given
// twice in the file for one unit; it returns the rows without problems.
func (im *RoomImporter) parseRows(ix placeIndex, rows []sheet.Row, probs *problems) []parsedRow {
	out := make([]parsedRow, 0, len(rows))
	firstLine := map[[2]string]int{} // unit id + number → line
	for _, r := range rows {
		n := len(*probs)
		p, found := resolvePlace(ix, r, probs)
		inp := roomCells(r, probs)
		if number := r.Get("number"); found && number != "" {
			k := [2]string{p.unit.String(), number}
			if prev, dup := firstLine[k]; dup {
				probs.add(r, "number", errDupInFile.Withf(prev))
			} else {
				firstLine[k] = r.Line
			}
		}
		if found && len(*probs) == n {
			out = append(out, parsedRow{row: r, place: p, input: inp})
		}
	}
	return out
}

// resolvePlace finds the row's unit by its name path, naming the first
// level that does not exist.
func resolvePlace(ix placeIndex, r sheet.Row, probs *problems) (place, bool) {
	c, b, u := r.Get("community"), r.Get("building"), r.Get("unit")
	p, found := ix.units[[3]string{c, b, u}]
	switch {
	case found:
	case !ix.communities[c]:
		probs.add(r, "community", errImportCommunity)
	case !ix.buildings[[2]string{c, b}]:
		probs.add(r, "building", errImportBuilding)
	default:
		probs.add(r, "unit", errImportUnit)
	}
	return p, found
}

// roomCells parses the row's cells into a RoomInput; a blank cell stays nil
// (the default for a new room, unchanged for an existing one).
func roomCells(r sheet.Row, probs *problems) RoomInput {
	number := r.Get("number")
	in := RoomInput{Number: &number}
	for _, f := range []struct {
		key string
		dst **Area
	}{{"built_area", &in.BuiltArea}, {"interior_area", &in.InteriorArea}, {"shared_area", &in.SharedArea}} {
		if v := r.Get(f.key); v != "" {
			if a, err := ParseArea(v); err != nil {
				probs.add(r, f.key, err)
			} else {
				*f.dst = &a
			}
		}
	}
	for _, f := range []struct {
		key string
		dst **int
	}{{"floor", &in.Floor}, {"year_built", &in.YearBuilt}} {
		if v := r.Get(f.key); v != "" {
			if n, err := strconv.Atoi(v); err != nil {
				probs.add(r, f.key, errImportInt)
			} else {
				*f.dst = &n
			}
		}
	}
	if v := r.Get("usage"); v != "" {
		if us, ok := ParseUsage(v); ok {
			in.Usage = &us
		} else {
			probs.add(r, "usage", errImportUsage)
		}
	}
	if v := r.Get("status"); v != "" {
		if st, ok := ParseStatus(v); ok {
			in.Status = &st
		} else {
			probs.add(r, "status", errImportStatus)
		}
	}
	if v := r.Get("fee_coefficient"); v != "" {
		if co, err := ParseCoefficient(v); err != nil {
			probs.add(r, "fee_coefficient", err)
		} else {
			in.FeeCoefficient = &co
		}
	}
	for _, f := range []struct {
		key string
		dst **string
	}{{"layout", &in.Layout}, {"orientation", &in.Orientation}, {"structure", &in.Structure}, {"notes", &in.Notes}} {
		if v := r.Get(f.key); v != "" {
			*f.dst = &v
		}
	}
	return in
}

// existingRooms loads the rooms the parsed rows name, by unit and number.
func existingRooms(tx *gorm.DB, tenantID uuid.UUID, parsed []parsedRow) (map[[2]string]Room, error) {
	seen := map[uuid.UUID]bool{}
	ids := []uuid.UUID{}
	for _, pr := range parsed {
		if !seen[pr.place.unit] {
			seen[pr.place.unit] = true
			ids = append(ids, pr.place.unit)
		}
	}
	out := map[[2]string]Room{}
	for i := 0; i < len(ids); i += 500 {
		var rooms []Room
		if err := in(tx, tenantID).Where("unit_id IN ?", ids[i:min(i+500, len(ids))]).Find(&rooms).Error; err != nil {
			return nil, err
		}
		for _, r := range rooms {
			out[[2]string{r.UnitID.String(), r.Number}] = r
		}
	}
	return out, nil
}

// decide builds the room a row stores: the existing room with the row
// applied (updated, or unchanged when nothing differs) or a new room.
func decide(tenantID uuid.UUID, pr parsedRow, existing map[[2]string]Room) (roomRow, []apperr.FieldError) {
	old, found := existing[[2]string{pr.place.unit.String(), *pr.input.Number}]
	room := old
	action := sheet.Updated
	if !found {
		room, action = newRoom(tenantID), sheet.Created
		room.CommunityID, room.BuildingID, room.UnitID = pr.place.community, pr.place.building, pr.place.unit
	}
	pr.input.apply(&room)
	if fe := checkRoom(room); len(fe) > 0 {
		return roomRow{}, fe
	}
	if found && room == old {
		action = sheet.Unchanged
	}
	return roomRow{room: room, action: action}, nil
}

// checkVacating applies the API's rule to status changes: a room someone
// lives in may not be set vacant or sold_unoccupied (their move-out does
// that). One occupancy query for all such rooms; per room only when some are
// lived in, to name the rows.
func (im *RoomImporter) checkVacating(tx *gorm.DB, tenantID uuid.UUID, existing map[[2]string]Room, probs *problems) error {
	var ids []uuid.UUID
	lines := map[uuid.UUID]int{}
	for line, rr := range im.rows {
		old := existing[[2]string{rr.room.UnitID.String(), rr.room.Number}]
		if rr.action == sheet.Updated && rr.room.Status != old.Status && (rr.room.Status == Vacant || rr.room.Status == SoldUnoccupied) {
			ids = append(ids, rr.room.ID)
			lines[rr.room.ID] = line
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ctx := store.Ctx(tx)
	occupied, _, err := im.occupancy.RoomOccupancy(ctx, tenantID, ids)
	if err != nil || occupied == 0 {
		return err
	}
	for _, id := range ids {
		n, _, err := im.occupancy.RoomOccupancy(ctx, tenantID, []uuid.UUID{id})
		if err != nil {
			return err
		}
		if n > 0 {
			line := lines[id]
			*probs = append(*probs, sheet.Problemf(line, "status", string(im.rows[line].room.Status), ErrRoomOccupied))
			delete(im.rows, line)
		}
	}
	return nil
}

// Count says what Write does with the good rows: created, updated or
// unchanged rooms.
func (im *RoomImporter) Count(rows []sheet.Row) sheet.Counts {
	var c sheet.Counts
	for _, r := range rows {
		if rr, ok := im.rows[r.Line]; ok {
			c.Add(rr.action)
		}
	}
	return c
}

// Write inserts the new rooms in batches (after the quota check, which
// counts only them) and saves the changed ones.
func (im *RoomImporter) Write(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row, progress func(int)) error {
	if n := im.Count(rows).Created; n > 0 {
		if err := im.quota(ctx, tx, tenantID, ResourceRooms, n); err != nil {
			return err
		}
	}
	const batch = 1000
	rooms := make([]Room, 0, batch)
	done := 0
	flush := func() error {
		if len(rooms) == 0 {
			return nil
		}
		if err := tx.Create(&rooms).Error; err != nil {
			return uniqueAs(err, ErrDuplicateRoom)
		}
		done += len(rooms)
		rooms = rooms[:0]
		progress(done)
		return ctx.Err()
	}
	for _, r := range rows {
		rr, ok := im.rows[r.Line]
		switch {
		case !ok || rr.action == sheet.Unchanged:
			continue
		case rr.action == sheet.Updated:
			if err := uniqueAs(tx.Save(&rr.room).Error, ErrDuplicateRoom); err != nil {
				return err
			}
			if done++; done%batch == 0 {
				progress(done)
			}
			continue
		}
		rooms = append(rooms, rr.room)
		if len(rooms) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	progress(done)
	return nil
}

// ExportRooms returns the rooms matching f as rows of RoomSpec.
func (s *Service) ExportRooms(ctx context.Context, tenantID uuid.UUID, f RoomFilter) (out [][]string, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var cs []Community
		var bs []Building
		var us []Unit
		var rooms []Room
		if err := in(tx, tenantID).Find(&cs).Error; err != nil {
			return err
		}
		if err := in(tx, tenantID).Find(&bs).Error; err != nil {
			return err
		}
		if err := in(tx, tenantID).Find(&us).Error; err != nil {
			return err
		}
		if err := f.apply(in(tx.Model(&Room{}), tenantID)).Order("community_id, building_id, unit_id, floor, number").Find(&rooms).Error; err != nil {
			return err
		}
		names := map[uuid.UUID]string{}
		for _, c := range cs {
			names[c.ID] = c.Name
		}
		for _, b := range bs {
			names[b.ID] = b.Name
		}
		for _, u := range us {
			names[u.ID] = u.Name
		}
		out = make([][]string, len(rooms))
		for i, r := range rooms {
			year := ""
			if r.YearBuilt != 0 {
				year = strconv.Itoa(r.YearBuilt)
			}
			out[i] = []string{names[r.CommunityID], names[r.BuildingID], names[r.UnitID], r.Number, strconv.Itoa(r.Floor),
				r.BuiltArea.String(), r.InteriorArea.String(), r.SharedArea.String(), r.Layout, r.Orientation, r.Structure,
				year, string(r.Usage), string(r.Status), r.FeeCoefficient.String(), r.Notes}
		}
		return nil
	})
	return out, err
}
