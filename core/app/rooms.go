package app

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
)

// RoomDirectory connects the resident domain's room interfaces
// (resident.RoomChecker, RoomStatusKeeper, RoomDirectory and the seeder's
// room lookup) to the property service: the rules and queries are the
// property domain's. resident's interfaces hand over a transaction, which may
// be a manifest's platform transaction (the seeder), so the Tx forms are used.
type RoomDirectory struct{ p *property.Service }

// NewRoomDirectory returns the resident domain's view of p's rooms.
func NewRoomDirectory(p *property.Service) RoomDirectory { return RoomDirectory{p} }

func (d RoomDirectory) RoomExists(tx *gorm.DB, tenantID, roomID uuid.UUID) (bool, error) {
	return d.p.RoomExistsTx(tx, tenantID, roomID)
}

func (d RoomDirectory) SetRoomOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID, occupied bool) error {
	return d.p.SetRoomOccupiedTx(tx, tenantID, roomID, occupied)
}

func (d RoomDirectory) FindRooms(tx *gorm.DB, tenantID uuid.UUID, paths []resident.RoomPath) (map[resident.RoomPath]uuid.UUID, error) {
	in := make([]property.RoomPath, len(paths))
	for i, p := range paths {
		in[i] = property.RoomPath(p)
	}
	found, err := d.p.FindRoomsTx(tx, tenantID, in)
	out := make(map[resident.RoomPath]uuid.UUID, len(found))
	for p, id := range found {
		out[resident.RoomPath(p)] = id
	}
	return out, err
}

func (d RoomDirectory) RoomPaths(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]resident.RoomPath, error) {
	found, err := d.p.RoomPathsTx(tx, tenantID, ids)
	out := make(map[uuid.UUID]resident.RoomPath, len(found))
	for id, p := range found {
		out[id] = resident.RoomPath(p)
	}
	return out, err
}

// ResolveRoom runs in a manifest's platform transaction (the residents'
// seeder), which a tenant transaction cannot join: it takes tx itself.
func (d RoomDirectory) ResolveRoom(tx *gorm.DB, tenantID uuid.UUID, building, unit, room string) (uuid.UUID, error) {
	return d.p.ResolveRoom(tx, tenantID, building, unit, room)
}

// occupancy reads rooms' occupancy and history from the residents' records
// for the property domain (property.OccupancyChecker).
type occupancy struct{ db *store.DB }

func (o occupancy) RoomOccupancy(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (occupied, recorded int64, err error) {
	err = o.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		return chunked(roomIDs, func(part []uuid.UUID) error {
			o, err := resident.CountOccupied(tx, tenantID, part)
			if err != nil {
				return err
			}
			r, err := resident.CountWithHistory(tx, tenantID, part)
			occupied, recorded = occupied+o, recorded+r
			return err
		})
	})
	return occupied, recorded, err
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

// AssetPlaces gives the asset domain the property domain's communities and
// locations (asset.Places), converting property's types to asset's.
func AssetPlaces(p *property.Service) asset.Places { return assetPlaces{p} }

type assetPlaces struct{ p *property.Service }

func (a assetPlaces) CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error) {
	return a.p.CommunityExists(ctx, tenantID, id)
}

func (a assetPlaces) CommunityNames(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID]string, error) {
	return a.p.CommunityNames(ctx, tenantID)
}

func (a assetPlaces) Place(ctx context.Context, tenantID, id uuid.UUID) (asset.Place, bool, error) {
	l, err := a.p.ResolveLocation(ctx, tenantID, id)
	if errors.Is(err, property.ErrLocationNotFound) {
		return asset.Place{}, false, nil
	}
	return asset.Place{ID: l.ID, Kind: string(l.Kind), CommunityID: l.CommunityID, Name: l.Name}, err == nil, err
}

func (a assetPlaces) FindPlace(ctx context.Context, tenantID, communityID uuid.UUID, name string) (uuid.UUID, bool, error) {
	return a.p.FindLocation(ctx, tenantID, communityID, name)
}

func (a assetPlaces) SeedCommunity(tx *gorm.DB, tenantID uuid.UUID, name string) (uuid.UUID, bool, error) {
	return a.p.SeedCommunity(tx, tenantID, name)
}

func (a assetPlaces) SeedPlace(tx *gorm.DB, tenantID, communityID uuid.UUID, name string) (asset.Place, bool, error) {
	id, kind, ok, err := a.p.SeedLocation(tx, tenantID, communityID, name)
	return asset.Place{ID: id, Kind: string(kind), CommunityID: communityID}, ok, err
}
