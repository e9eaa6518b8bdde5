package app

import (
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
)

// RoomDirectory answers the resident package's questions about the property
// package's rooms: whether one exists (resident.RoomChecker), keeping its
// status in step with occupancy (resident.RoomStatusKeeper), and finding rooms
// by spreadsheet path for imports and exports (resident.RoomDirectory). Every
// query names the tenant; RLS adds the second lock.
type RoomDirectory struct{}

// RoomExists tells whether roomID is a room of the tenant.
func (RoomDirectory) RoomExists(tx *gorm.DB, tenantID, roomID uuid.UUID) (bool, error) {
	var n int64
	err := tx.Model(&property.Room{}).Where("tenant_id = ? AND id = ?", tenantID, roomID).Count(&n).Error
	return n > 0, err
}

// FindRooms resolves paths level by level (community, building, unit, room)
// through the name indexes; paths not found are absent from the map.
func (RoomDirectory) FindRooms(tx *gorm.DB, tenantID uuid.UUID, paths []resident.RoomPath) (map[resident.RoomPath]uuid.UUID, error) {
	out := map[resident.RoomPath]uuid.UUID{}
	if len(paths) == 0 {
		return out, nil
	}
	names := func(f func(resident.RoomPath) string) []string {
		seen, vs := map[string]bool{}, []string{}
		for _, p := range paths {
			if v := f(p); !seen[v] {
				seen[v] = true
				vs = append(vs, v)
			}
		}
		return vs
	}
	type key struct {
		parent uuid.UUID
		name   string
	}
	var cs []property.Community
	if err := chunked(names(func(p resident.RoomPath) string { return p.Community }), func(part []string) error {
		return tx.Select("id", "name").Where("tenant_id = ? AND name IN ?", tenantID, part).Find(&cs).Error
	}); err != nil {
		return nil, err
	}
	comm, cids := map[string]uuid.UUID{}, []uuid.UUID{}
	for _, c := range cs {
		comm[c.Name] = c.ID
		cids = append(cids, c.ID)
	}
	var bs []property.Building
	if err := chunked(cids, func(part []uuid.UUID) error {
		return tx.Select("id", "community_id", "name").Where("tenant_id = ? AND community_id IN ? AND name IN ?", tenantID, part,
			names(func(p resident.RoomPath) string { return p.Building })).Find(&bs).Error
	}); err != nil {
		return nil, err
	}
	bld, bids := map[key]uuid.UUID{}, []uuid.UUID{}
	for _, b := range bs {
		bld[key{b.CommunityID, b.Name}] = b.ID
		bids = append(bids, b.ID)
	}
	var us []property.Unit
	if err := chunked(bids, func(part []uuid.UUID) error {
		return tx.Select("id", "building_id", "name").Where("tenant_id = ? AND building_id IN ? AND name IN ?", tenantID, part,
			names(func(p resident.RoomPath) string { return p.Unit })).Find(&us).Error
	}); err != nil {
		return nil, err
	}
	unit, uids := map[key]uuid.UUID{}, []uuid.UUID{}
	for _, u := range us {
		unit[key{u.BuildingID, u.Name}] = u.ID
		uids = append(uids, u.ID)
	}
	var rs []property.Room
	numbers := names(func(p resident.RoomPath) string { return p.Room })
	if err := chunked(uids, func(part []uuid.UUID) error {
		return chunked(numbers, func(nums []string) error {
			var batch []property.Room
			err := tx.Select("id", "unit_id", "number").Where("tenant_id = ? AND unit_id IN ? AND number IN ?", tenantID, part, nums).Find(&batch).Error
			rs = append(rs, batch...)
			return err
		})
	}); err != nil {
		return nil, err
	}
	room := map[key]uuid.UUID{}
	for _, r := range rs {
		room[key{r.UnitID, r.Number}] = r.ID
	}
	for _, p := range paths {
		b := bld[key{comm[p.Community], p.Building}]
		if id, ok := room[key{unit[key{b, p.Unit}], p.Room}]; ok && b != uuid.Nil {
			out[p] = id
		}
	}
	return out, nil
}

// RoomPaths names rooms by community, building, unit and number.
func (RoomDirectory) RoomPaths(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]resident.RoomPath, error) {
	out := map[uuid.UUID]resident.RoomPath{}
	var rs []property.Room
	if err := chunked(ids, func(part []uuid.UUID) error {
		var batch []property.Room
		err := tx.Select("id", "community_id", "building_id", "unit_id", "number").Where("tenant_id = ? AND id IN ?", tenantID, part).Find(&batch).Error
		rs = append(rs, batch...)
		return err
	}); err != nil {
		return nil, err
	}
	need := map[uuid.UUID]bool{}
	for _, r := range rs {
		need[r.CommunityID], need[r.BuildingID], need[r.UnitID] = true, true, true
	}
	parents := make([]uuid.UUID, 0, len(need))
	for id := range need {
		parents = append(parents, id)
	}
	name := map[uuid.UUID]string{}
	if err := chunked(parents, func(part []uuid.UUID) error {
		var cs []property.Community
		var bs []property.Building
		var us []property.Unit
		q := func() *gorm.DB { return tx.Select("id", "name").Where("tenant_id = ? AND id IN ?", tenantID, part) }
		if err := q().Find(&cs).Error; err != nil {
			return err
		}
		if err := q().Find(&bs).Error; err != nil {
			return err
		}
		if err := q().Find(&us).Error; err != nil {
			return err
		}
		for _, c := range cs {
			name[c.ID] = c.Name
		}
		for _, b := range bs {
			name[b.ID] = b.Name
		}
		for _, u := range us {
			name[u.ID] = u.Name
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range rs {
		out[r.ID] = resident.RoomPath{Community: name[r.CommunityID], Building: name[r.BuildingID], Unit: name[r.UnitID], Room: r.Number}
	}
	return out, nil
}

// chunked calls fn with at most 500 values at a time (bind-parameter limits).
func chunked[T any](vs []T, fn func([]T) error) error {
	for i := 0; i < len(vs); i += 500 {
		if err := fn(vs[i:min(i+500, len(vs))]); err != nil {
			return err
		}
	}
	return nil
}
