package property

import (
	"context"
	"strconv"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/sheet"
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
type RoomImporter struct {
	quota  QuotaFunc
	parsed map[int]Room
}

// NewRoomImporter returns an importer for one file, under the service's quota.
func (s *Service) NewRoomImporter() *RoomImporter { return &RoomImporter{quota: s.quota} }

func (im *RoomImporter) Spec() sheet.Spec { return RoomSpec }

type place struct {
	community, building, unit uuid.UUID
}

// places loads every community/building/unit of the tenant by name path.
func places(tx *gorm.DB, tenantID uuid.UUID) (map[[3]string]place, map[[2]string]bool, map[string]bool, error) {
	var cs []Community
	var bs []Building
	var us []Unit
	if err := in(tx, tenantID).Select("id", "name").Find(&cs).Error; err != nil {
		return nil, nil, nil, err
	}
	if err := in(tx, tenantID).Select("id", "community_id", "name").Find(&bs).Error; err != nil {
		return nil, nil, nil, err
	}
	if err := in(tx, tenantID).Select("id", "building_id", "name").Find(&us).Error; err != nil {
		return nil, nil, nil, err
	}
	cname := map[uuid.UUID]string{}
	comms := map[string]bool{}
	for _, c := range cs {
		cname[c.ID], comms[c.Name] = c.Name, true
	}
	bpath := map[uuid.UUID][2]string{}
	bld := map[[2]string]bool{}
	for _, b := range bs {
		bpath[b.ID] = [2]string{cname[b.CommunityID], b.Name}
		bld[bpath[b.ID]] = true
	}
	bcomm := map[uuid.UUID]uuid.UUID{}
	for _, b := range bs {
		bcomm[b.ID] = b.CommunityID
	}
	units := map[[3]string]place{}
	for _, u := range us {
		p := bpath[u.BuildingID]
		units[[3]string{p[0], p[1], u.Name}] = place{bcomm[u.BuildingID], u.BuildingID, u.ID}
	}
	return units, bld, comms, nil
}

// Check parses every row, resolves its unit by name and looks for duplicate
// numbers within the file and against the database.
func (im *RoomImporter) Check(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row) ([]sheet.Problem, error) {
	units, blds, comms, err := places(tx, tenantID)
	if err != nil {
		return nil, err
	}
	var probs []sheet.Problem
	bad := func(r sheet.Row, col string, e error) {
		ae, ok := apperr.As(e)
		if !ok {
			ae = apperr.Invalid
		}
		probs = append(probs, sheet.Problemf(r.Line, col, r.Get(col), ae))
	}
	im.parsed = make(map[int]Room, len(rows))
	firstLine := map[[2]string]int{} // unit id + number → line
	usedUnits := map[uuid.UUID]bool{}
	for _, r := range rows {
		room := newRoom(tenantID)
		ok := true
		c, b, u := r.Get("community"), r.Get("building"), r.Get("unit")
		p, found := units[[3]string{c, b, u}]
		switch {
		case found:
		case !comms[c]:
			bad(r, "community", errImportCommunity)
		case !blds[[2]string{c, b}]:
			bad(r, "building", errImportBuilding)
		default:
			bad(r, "unit", errImportUnit)
		}
		ok = ok && found
		room.CommunityID, room.BuildingID, room.UnitID = p.community, p.building, p.unit
		room.Number = r.Get("number")
		in := RoomInput{}
		for _, f := range []struct {
			key string
			dst **Area
		}{{"built_area", &in.BuiltArea}, {"interior_area", &in.InteriorArea}, {"shared_area", &in.SharedArea}} {
			if v := r.Get(f.key); v != "" {
				a, err := ParseArea(v)
				if err != nil {
					bad(r, f.key, err)
					ok = false
					continue
				}
				*f.dst = &a
			}
		}
		for _, f := range []struct {
			key string
			dst **int
		}{{"floor", &in.Floor}, {"year_built", &in.YearBuilt}} {
			if v := r.Get(f.key); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					bad(r, f.key, errImportInt)
					ok = false
					continue
				}
				*f.dst = &n
			}
		}
		if v := r.Get("usage"); v != "" {
			if us, good := ParseUsage(v); good {
				in.Usage = &us
			} else {
				bad(r, "usage", errImportUsage)
				ok = false
			}
		}
		if v := r.Get("status"); v != "" {
			if st, good := ParseStatus(v); good {
				in.Status = &st
			} else {
				bad(r, "status", errImportStatus)
				ok = false
			}
		}
		if v := r.Get("fee_coefficient"); v != "" {
			co, err := ParseCoefficient(v)
			if err != nil {
				bad(r, "fee_coefficient", err)
				ok = false
			} else {
				in.FeeCoefficient = &co
			}
		}
		layout, orient, structure, notes := r.Get("layout"), r.Get("orientation"), r.Get("structure"), r.Get("notes")
		in.Layout, in.Orientation, in.Structure, in.Notes = &layout, &orient, &structure, &notes
		in.apply(&room)
		for _, fe := range checkRoom(room) {
			probs = append(probs, sheet.Problem{Line: r.Line, Column: fe.Field, Value: r.Get(fe.Field), Code: fe.Code, Message: fe.EN, ZH: fe.ZH})
			ok = false
		}
		if found && room.Number != "" {
			k := [2]string{p.unit.String(), room.Number}
			if prev, dup := firstLine[k]; dup {
				bad(r, "number", errDupInFile.Withf(prev))
				ok = false
			} else {
				firstLine[k] = r.Line
				usedUnits[p.unit] = true
			}
		}
		if ok {
			im.parsed[r.Line] = room
		}
	}
	// Numbers already taken in the database.
	ids := make([]uuid.UUID, 0, len(usedUnits))
	for id := range usedUnits {
		ids = append(ids, id)
	}
	for i := 0; i < len(ids); i += 500 {
		var existing []Room
		if err := in(tx, tenantID).Select("unit_id", "number").Where("unit_id IN ?", ids[i:min(i+500, len(ids))]).Find(&existing).Error; err != nil {
			return nil, err
		}
		for _, e := range existing {
			if line, hit := firstLine[[2]string{e.UnitID.String(), e.Number}]; hit {
				probs = append(probs, sheet.Problem{Line: line, Column: "number", Value: e.Number, Code: ErrDuplicateRoom.Code, Message: ErrDuplicateRoom.EN, ZH: ErrDuplicateRoom.ZH})
				delete(im.parsed, line)
			}
		}
	}
	return probs, nil
}

// Write inserts the rooms of rows in batches.
func (im *RoomImporter) Write(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row, progress func(int)) error {
	if err := im.quota(ctx, tx, tenantID, ResourceRooms, len(rows)); err != nil {
		return err
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
		room, ok := im.parsed[r.Line]
		if !ok {
			continue
		}
		rooms = append(rooms, room)
		if len(rooms) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
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
