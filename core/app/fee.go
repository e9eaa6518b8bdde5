package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/civil"
	"github.com/wuye-project/wuye/core/fee"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
)

// What the fee domain asks of property and residents, connected here; each
// adapter only converts the other side's rows.

type feeRooms struct{ p *property.Service }

func (f feeRooms) CommunityExists(ctx context.Context, tenantID, id uuid.UUID) (bool, error) {
	return f.p.CommunityExists(ctx, tenantID, id)
}

func (f feeRooms) CommunityNames(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID]string, error) {
	return f.p.CommunityNames(ctx, tenantID)
}

func feeRoom(r property.Room) fee.Room {
	return fee.Room{ID: r.ID, CommunityID: r.CommunityID, BuildingID: r.BuildingID, BuiltArea: int64(r.BuiltArea),
		InteriorArea: int64(r.InteriorArea), Coefficient: int64(r.FeeCoefficient), Status: string(r.Status)}
}

func (f feeRooms) FeeRoom(ctx context.Context, tenantID, roomID uuid.UUID) (fee.Room, bool, error) {
	r, err := f.p.GetRoom(ctx, tenantID, roomID)
	if errors.Is(err, apperr.NotFound) {
		return fee.Room{}, false, nil
	}
	return feeRoom(r), err == nil, err
}

func (f feeRooms) FeeRooms(ctx context.Context, tenantID, communityID, after uuid.UUID, limit int) ([]fee.Room, error) {
	rows, err := f.p.RoomsAfter(ctx, tenantID, communityID, after, limit)
	out := make([]fee.Room, len(rows))
	for i, r := range rows {
		out[i] = feeRoom(r)
	}
	return out, err
}

type feeResidents struct{ r *resident.Service }

func (f feeResidents) Residences(ctx context.Context, tenantID uuid.UUID, roomIDs []uuid.UUID) ([]fee.Residence, error) {
	rows, err := f.r.Residences(ctx, tenantID, roomIDs)
	out := make([]fee.Residence, len(rows))
	for i, r := range rows {
		out[i] = fee.Residence{RoomID: r.RoomID, HouseholdID: r.HouseholdID, Owner: r.Role == resident.RoleOwner, MoveIn: civil.DateOf(r.MoveIn)}
		if r.MoveOut != nil {
			out[i].MoveOut = civil.DateOf(*r.MoveOut)
		}
	}
	return out, err
}

// FeeRooms adapts the property service for fee.New (tests build one too).
func FeeRooms(p *property.Service) fee.Rooms { return feeRooms{p} }

// FeeResidents adapts the resident service for fee.New.
func FeeResidents(r *resident.Service) fee.Residents { return feeResidents{r} }
