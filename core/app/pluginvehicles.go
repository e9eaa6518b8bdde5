package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pluginhost/hostsvc"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// hostVehicles is the compound's vehicle list (the resident register's
// vehicles) as plugins read it: the plate without its dot, the owner and
// the owner's first current room.
type hostVehicles struct{ res hostResidents }

var _ hostsvc.Vehicles = hostVehicles{}

// maxOwnerVehicles bounds the vehicles listed for one person or room.
const maxOwnerVehicles = 100

func (h hostVehicles) Find(ctx context.Context, tenantID uuid.UUID, plate string) (*wuyepb.Vehicle, error) {
	v, err := h.res.r.FindVehicle(ctx, tenantID, plate)
	if err != nil {
		return nil, err
	}
	owner, err := h.res.GetResident(ctx, tenantID, v.PersonID)
	if err != nil {
		return nil, err
	}
	return h.view(ctx, tenantID, v, owner)
}

func (h hostVehicles) List(ctx context.Context, tenantID, residentID, roomID uuid.UUID) ([]*wuyepb.Vehicle, error) {
	var owners []hostsvc.Resident
	if residentID != uuid.Nil {
		r, err := h.res.GetResident(ctx, tenantID, residentID)
		if err != nil {
			return nil, err
		}
		owners = append(owners, r)
	} else {
		rs, err := h.res.ListResidents(ctx, tenantID, hostsvc.ResidentFilter{RoomID: roomID}, 0, maxOwnerVehicles)
		if err != nil {
			return nil, err
		}
		owners = rs
	}
	out := []*wuyepb.Vehicle{}
	for _, o := range owners {
		vs, _, err := h.res.r.ListVehicles(ctx, tenantID, resident.VehicleFilter{PersonID: o.ID}, paging.Paging{Limit: maxOwnerVehicles})
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			pb, err := h.view(ctx, tenantID, v, o)
			if err != nil {
				return nil, err
			}
			out = append(out, pb)
		}
	}
	return out, nil
}

func (h hostVehicles) view(ctx context.Context, tenantID uuid.UUID, v resident.Vehicle, owner hostsvc.Resident) (*wuyepb.Vehicle, error) {
	plate, _ := resident.NormalisePlate(v.Plate)
	out := &wuyepb.Vehicle{Id: v.ID.String(), Plate: plate, Color: v.Color, Brand: v.Brand, ResidentId: owner.ID.String()}
	if len(owner.RoomIDs) > 0 {
		room, err := h.res.p.GetRoom(ctx, tenantID, owner.RoomIDs[0])
		if err != nil {
			return nil, err
		}
		out.RoomId, out.CommunityId = room.ID.String(), room.CommunityID.String()
	}
	return out, nil
}
