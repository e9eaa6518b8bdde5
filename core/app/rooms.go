package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
)

// RoomDirectory connects the resident domain's resident.Rooms to the property
// service (the demo seeder's resident.RoomResolver is the service itself): the rules
// and queries are the property domain's; this only converts types.
type RoomDirectory struct{ p *property.Service }

// NewRoomDirectory returns the resident domain's view of p's rooms.
func NewRoomDirectory(p *property.Service) RoomDirectory { return RoomDirectory{p} }

// resident.Rooms: ctx-based, joining the resident's transaction.

func (d RoomDirectory) RoomExists(ctx context.Context, tenantID, roomID uuid.UUID) (bool, error) {
	return d.p.RoomExists(ctx, tenantID, roomID)
}

func (d RoomDirectory) SetOccupied(ctx context.Context, tenantID, roomID uuid.UUID, occupied bool) error {
	return d.p.SetRoomOccupied(ctx, tenantID, roomID, occupied)
}

func (d RoomDirectory) FindRooms(ctx context.Context, tenantID uuid.UUID, paths []resident.RoomPath) (map[resident.RoomPath]uuid.UUID, error) {
	in := make([]property.RoomPath, len(paths))
	for i, p := range paths {
		in[i] = property.RoomPath(p)
	}
	found, err := d.p.FindRooms(ctx, tenantID, in)
	out := make(map[resident.RoomPath]uuid.UUID, len(found))
	for p, id := range found {
		out[resident.RoomPath(p)] = id
	}
	return out, err
}

func (d RoomDirectory) RoomPaths(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]resident.RoomPath, error) {
	found, err := d.p.RoomPaths(ctx, tenantID, ids)
	out := make(map[uuid.UUID]resident.RoomPath, len(found))
	for id, p := range found {
		out[id] = resident.RoomPath(p)
	}
	return out, err
}

// residentOccupancy is property's OccupancyChecker, answered by the
// residents' records. The two services need each other, so it reaches the
// resident service through the App once both are built.
type residentOccupancy struct{ a *App }

func (o residentOccupancy) RoomOccupancy(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) (occupied, recorded int64, err error) {
	return o.a.Residents.RoomOccupancy(ctx, tenantID, roomIDs)
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
