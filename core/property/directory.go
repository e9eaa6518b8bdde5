package property

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/chunk"
)

// The room directory: what other domains (residents first) ask about rooms.
// Each method opens its own tenant transaction, so called with store.Ctx(tx)
// it joins the caller's.

// RoomPath names a room the way a spreadsheet does.
type RoomPath struct{ Community, Building, Unit, Room string }

func (p RoomPath) String() string {
	return strings.Join([]string{p.Community, p.Building, p.Unit, p.Room}, " ")
}

// RoomExists tells whether roomID is a room of the tenant.
func (s *Service) RoomExists(ctx context.Context, tenantID, roomID uuid.UUID) (ok bool, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		var n int64
		err := in(tx.Model(&Room{}), tenantID).Where("id = ?", roomID).Count(&n).Error
		ok = n > 0
		return err
	})
	return ok, err
}

// SetRoomOccupied keeps a room's status in step with its residents: a move-in
// marks a vacant (or sold, unoccupied) room occupied; the last move-out marks
// it vacant. A room under renovation keeps its status.
func (s *Service) SetRoomOccupied(ctx context.Context, tenantID, roomID uuid.UUID, occupied bool) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := in(tx.Model(&Room{}), tenantID).Where("id = ?", roomID)
		if occupied {
			return q.Where("status IN ?", []Status{Vacant, SoldUnoccupied}).Update("status", Occupied).Error
		}
		return q.Where("status = ?", Occupied).Update("status", Vacant).Error
	})
}

// The Tx forms run in the caller's transaction tx as it is, for the
// resident domain's tx-based interfaces. Every query names tenantID itself.

// FindRoomsTx is FindRooms inside tx.
func (s *Service) FindRoomsTx(tx *gorm.DB, tenantID uuid.UUID, paths []RoomPath) (map[RoomPath]uuid.UUID, error) {
	return findRooms(tx, tenantID, paths)
}

// RoomPathsTx is RoomPaths inside tx.
func (s *Service) RoomPathsTx(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]RoomPath, error) {
	return roomPaths(tx, tenantID, ids)
}

// FindRooms resolves paths level by level (community, building, unit, room)
// through the name indexes; paths not found are absent from the map.
func (s *Service) FindRooms(ctx context.Context, tenantID uuid.UUID, paths []RoomPath) (out map[RoomPath]uuid.UUID, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = findRooms(tx, tenantID, paths)
		return err
	})
	return out, err
}

func findRooms(tx *gorm.DB, tenantID uuid.UUID, paths []RoomPath) (map[RoomPath]uuid.UUID, error) {
	out := map[RoomPath]uuid.UUID{}
	if len(paths) == 0 {
		return out, nil
	}
	names := func(f func(RoomPath) string) []string {
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
	var cs []Community
	if err := chunk.Each(names(func(p RoomPath) string { return p.Community }), func(part []string) error {
		return tx.Select("id", "name").Where("tenant_id = ? AND name IN ?", tenantID, part).Find(&cs).Error
	}); err != nil {
		return nil, err
	}
	comm, cids := map[string]uuid.UUID{}, []uuid.UUID{}
	for _, c := range cs {
		comm[c.Name] = c.ID
		cids = append(cids, c.ID)
	}
	var bs []Building
	if err := chunk.Each(cids, func(part []uuid.UUID) error {
		return tx.Select("id", "community_id", "name").Where("tenant_id = ? AND community_id IN ? AND name IN ?", tenantID, part,
			names(func(p RoomPath) string { return p.Building })).Find(&bs).Error
	}); err != nil {
		return nil, err
	}
	bld, bids := map[key]uuid.UUID{}, []uuid.UUID{}
	for _, b := range bs {
		bld[key{b.CommunityID, b.Name}] = b.ID
		bids = append(bids, b.ID)
	}
	var us []Unit
	if err := chunk.Each(bids, func(part []uuid.UUID) error {
		return tx.Select("id", "building_id", "name").Where("tenant_id = ? AND building_id IN ? AND name IN ?", tenantID, part,
			names(func(p RoomPath) string { return p.Unit })).Find(&us).Error
	}); err != nil {
		return nil, err
	}
	unit, uids := map[key]uuid.UUID{}, []uuid.UUID{}
	for _, u := range us {
		unit[key{u.BuildingID, u.Name}] = u.ID
		uids = append(uids, u.ID)
	}
	var rs []Room
	numbers := names(func(p RoomPath) string { return p.Room })
	if err := chunk.Each(uids, func(part []uuid.UUID) error {
		return chunk.Each(numbers, func(nums []string) error {
			var batch []Room
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
func (s *Service) RoomPaths(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) (out map[uuid.UUID]RoomPath, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = roomPaths(tx, tenantID, ids)
		return err
	})
	return out, err
}

func roomPaths(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]RoomPath, error) {
	out := map[uuid.UUID]RoomPath{}
	var rs []Room
	if err := chunk.Each(ids, func(part []uuid.UUID) error {
		var batch []Room
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
	if err := chunk.Each(parents, func(part []uuid.UUID) error {
		var cs []Community
		var bs []Building
		var us []Unit
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
		out[r.ID] = RoomPath{Community: name[r.CommunityID], Building: name[r.BuildingID], Unit: name[r.UnitID], Room: r.Number}
	}
	return out, nil
}
