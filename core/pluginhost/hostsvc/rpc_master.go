package hostsvc

import (
	"context"
	"encoding/base64"
	"strconv"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Lists of rooms and residents page by offset behind an opaque cursor.
const (
	defaultPage = 100
	maxPage     = 500
)

func page(limit int32, cursor string) (offset, n int, err error) {
	n = int(limit)
	switch {
	case n == 0:
		n = defaultPage
	case n < 0 || n > maxPage:
		return 0, 0, invalid("limit", "out_of_range", "limit is 1–500", "limit 须为 1–500")
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			offset, err = strconv.Atoi(string(b))
		}
		if err != nil || offset < 0 {
			return 0, 0, invalid("cursor", "invalid_cursor", "the cursor is not one a list returned", "游标无效")
		}
	}
	return offset, n, nil
}

func nextCursor(offset, n, got int) string {
	if got <= n {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + n)))
}

func idStr(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

func idStrs(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func (h *host) ListCommunities(ctx context.Context, _ *wuyepb.ListCommunitiesRequest) (*wuyepb.ListCommunitiesResponse, error) {
	return run(h, ctx, "ListCommunities", func(ctx context.Context) (*wuyepb.ListCommunitiesResponse, error) {
		if h.d.Property == nil {
			return nil, errUnavailable
		}
		cs, err := h.d.Property.ListCommunities(ctx, h.spec.TenantID)
		if err != nil {
			return nil, err
		}
		out := &wuyepb.ListCommunitiesResponse{}
		for _, c := range cs {
			out.Communities = append(out.Communities, &wuyepb.Community{Id: c.ID.String(), Code: c.Code, Name: c.Name, Address: c.Address})
		}
		return out, nil
	})
}

func pbRoom(r Room) *wuyepb.Room {
	return &wuyepb.Room{Id: r.ID.String(), CommunityId: idStr(r.CommunityID), BuildingId: idStr(r.BuildingID), Building: r.Building,
		Unit: r.Unit, Number: r.Number, Label: r.Label, Area: r.Area, Status: r.Status}
}

func (h *host) GetRoom(ctx context.Context, in *wuyepb.GetRoomRequest) (*wuyepb.Room, error) {
	return run(h, ctx, "GetRoom", func(ctx context.Context) (*wuyepb.Room, error) {
		if h.d.Property == nil {
			return nil, errUnavailable
		}
		id, err := parseID("id", in.GetId())
		if err != nil {
			return nil, err
		}
		r, err := h.d.Property.GetRoom(ctx, h.spec.TenantID, id)
		if err != nil {
			return nil, err
		}
		return pbRoom(r), nil
	})
}

func (h *host) ListRooms(ctx context.Context, in *wuyepb.ListRoomsRequest) (*wuyepb.ListRoomsResponse, error) {
	return run(h, ctx, "ListRooms", func(ctx context.Context) (*wuyepb.ListRoomsResponse, error) {
		if h.d.Property == nil {
			return nil, errUnavailable
		}
		var f RoomFilter
		var err error
		if f.CommunityID, err = optID("community_id", in.GetCommunityId()); err != nil {
			return nil, err
		}
		if f.BuildingID, err = optID("building_id", in.GetBuildingId()); err != nil {
			return nil, err
		}
		off, n, err := page(in.GetLimit(), in.GetCursor())
		if err != nil {
			return nil, err
		}
		rs, err := h.d.Property.ListRooms(ctx, h.spec.TenantID, f, off, n+1)
		if err != nil {
			return nil, err
		}
		out := &wuyepb.ListRoomsResponse{NextCursor: nextCursor(off, n, len(rs))}
		for i, r := range rs {
			if i == n {
				break
			}
			out.Rooms = append(out.Rooms, pbRoom(r))
		}
		return out, nil
	})
}

func pbResident(r Resident) *wuyepb.Resident {
	return &wuyepb.Resident{Id: r.ID.String(), Name: r.Name, PhoneMasked: r.PhoneMasked, Gender: r.Gender, BirthYear: int32(r.BirthYear),
		RoomIds: idStrs(r.RoomIDs), Tags: r.Tags, UserId: idStr(r.UserID)}
}

func (h *host) GetResident(ctx context.Context, in *wuyepb.GetResidentRequest) (*wuyepb.Resident, error) {
	return run(h, ctx, "GetResident", func(ctx context.Context) (*wuyepb.Resident, error) {
		if h.d.Residents == nil {
			return nil, errUnavailable
		}
		id, err := parseID("id", in.GetId())
		if err != nil {
			return nil, err
		}
		r, err := h.d.Residents.GetResident(ctx, h.spec.TenantID, id)
		if err != nil {
			return nil, err
		}
		return pbResident(r), nil
	})
}

func (h *host) ListResidents(ctx context.Context, in *wuyepb.ListResidentsRequest) (*wuyepb.ListResidentsResponse, error) {
	return run(h, ctx, "ListResidents", func(ctx context.Context) (*wuyepb.ListResidentsResponse, error) {
		if h.d.Residents == nil {
			return nil, errUnavailable
		}
		f := ResidentFilter{Tag: in.GetTag()}
		var err error
		if f.CommunityID, err = optID("community_id", in.GetCommunityId()); err != nil {
			return nil, err
		}
		if f.BuildingID, err = optID("building_id", in.GetBuildingId()); err != nil {
			return nil, err
		}
		if f.RoomID, err = optID("room_id", in.GetRoomId()); err != nil {
			return nil, err
		}
		off, n, err := page(in.GetLimit(), in.GetCursor())
		if err != nil {
			return nil, err
		}
		rs, err := h.d.Residents.ListResidents(ctx, h.spec.TenantID, f, off, n+1)
		if err != nil {
			return nil, err
		}
		out := &wuyepb.ListResidentsResponse{NextCursor: nextCursor(off, n, len(rs))}
		for i, r := range rs {
			if i == n {
				break
			}
			out.Residents = append(out.Residents, pbResident(r))
		}
		return out, nil
	})
}
