package app

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/identity"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/store"
)

// What the resident domain asks of the others, connected here and nowhere
// else: the property package's rooms and identity's accounts. No rule lives
// here; each adapter only calls the other side.

// residentRooms answers resident.Rooms from the property side's room
// directory, joining the resident's transaction (ctx from store.Ctx).
type residentRooms struct{ db *store.DB }

func (r residentRooms) in(ctx context.Context, tenantID uuid.UUID, fn func(tx *gorm.DB) error) error {
	return r.db.InTenant(ctx, tenantID, fn)
}

func (r residentRooms) RoomExists(ctx context.Context, tenantID, roomID uuid.UUID) (ok bool, err error) {
	err = r.in(ctx, tenantID, func(tx *gorm.DB) error {
		ok, err = RoomDirectory{}.RoomExists(tx, tenantID, roomID)
		return err
	})
	return ok, err
}

func (r residentRooms) SetOccupied(ctx context.Context, tenantID, roomID uuid.UUID, occupied bool) error {
	return r.in(ctx, tenantID, func(tx *gorm.DB) error { return RoomDirectory{}.SetRoomOccupied(tx, tenantID, roomID, occupied) })
}

func (r residentRooms) FindRooms(ctx context.Context, tenantID uuid.UUID, paths []resident.RoomPath) (out map[resident.RoomPath]uuid.UUID, err error) {
	err = r.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = RoomDirectory{}.FindRooms(tx, tenantID, paths)
		return err
	})
	return out, err
}

func (r residentRooms) RoomPaths(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) (out map[uuid.UUID]resident.RoomPath, err error) {
	err = r.in(ctx, tenantID, func(tx *gorm.DB) error {
		out, err = RoomDirectory{}.RoomPaths(tx, tenantID, ids)
		return err
	})
	return out, err
}

// seedRooms is resident.SeedRooms: the demo seeder runs in the tenant
// package's platform transaction, which a tenant transaction cannot join.
type seedRooms struct{ RoomDirectory }

func (seedRooms) SetOccupied(tx *gorm.DB, tenantID, roomID uuid.UUID, occupied bool) error {
	return RoomDirectory{}.SetRoomOccupied(tx, tenantID, roomID, occupied)
}

// residentAccounts answers resident.Accounts from identity's users.
type residentAccounts struct{ ids *identity.Service }

func (r residentAccounts) AccountKind(ctx context.Context, tenantID, userID uuid.UUID) (string, bool, error) {
	u, err := r.ids.GetUser(ctx, tenantID, userID)
	if errors.Is(err, apperr.NotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return u.Kind, true, nil
}

// residentOccupancy is property's OccupancyChecker: the residents' records,
// read in property's transaction.
type residentOccupancy struct{ res *resident.Service }

func (o residentOccupancy) RoomOccupancy(_ context.Context, tx *gorm.DB, tenantID uuid.UUID, roomIDs []uuid.UUID) (occupied, recorded int64, err error) {
	return o.res.RoomOccupancy(store.Ctx(tx), tenantID, roomIDs)
}

// ResidentRooms is the resident domain's view of the rooms, for tests that
// build a server from parts.
func ResidentRooms(db *store.DB) resident.Rooms { return residentRooms{db} }
