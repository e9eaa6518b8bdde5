package property

import (
	"context"
	"sort"
	"sync"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// RoomSection produces one section of a room's file (residents, open work
// orders, balance, devices …). It runs inside the file's tenant transaction
// and returns any JSON-encodable value.
type RoomSection func(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, room Room) (any, error)

var (
	sectionsMu sync.RWMutex
	sections   = map[string]RoomSection{}
)

// RegisterRoomSection adds (or replaces) the named section of every room
// file. Features call it at wiring time; this package needs no change.
func RegisterRoomSection(name string, fn RoomSection) {
	sectionsMu.Lock()
	defer sectionsMu.Unlock()
	sections[name] = fn
}

// RoomSections lists the registered section names, sorted.
func RoomSections() []string {
	sectionsMu.RLock()
	defer sectionsMu.RUnlock()
	out := make([]string, 0, len(sections))
	for n := range sections {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// RoomFile is one room with where it is and every registered section.
type RoomFile struct {
	Room      Room           `json:"room"`
	Location  Location       `json:"location"`
	Community Community      `json:"community"`
	Building  Building       `json:"building"`
	Unit      Unit           `json:"unit"`
	Sections  map[string]any `json:"sections"`
}

// RoomFile returns a room's file; a section that fails fails the call.
func (s *Service) RoomFile(ctx context.Context, tenantID, id uuid.UUID) (f RoomFile, err error) {
	names := RoomSections()
	sectionsMu.RLock()
	fns := make([]RoomSection, len(names))
	for i, n := range names {
		fns[i] = sections[n]
	}
	sectionsMu.RUnlock()
	err = s.DB.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		if err := notFound(in(tx, tenantID).First(&f.Room, "id = ?", id).Error); err != nil {
			return err
		}
		if err := in(tx, tenantID).First(&f.Unit, "id = ?", f.Room.UnitID).Error; err != nil {
			return err
		}
		if err := in(tx, tenantID).First(&f.Building, "id = ?", f.Room.BuildingID).Error; err != nil {
			return err
		}
		if err := in(tx, tenantID).First(&f.Community, "id = ?", f.Room.CommunityID).Error; err != nil {
			return err
		}
		bid := f.Building.ID
		f.Location = Location{ID: id, Kind: LocationRoom, CommunityID: f.Community.ID, BuildingID: &bid,
			Name: f.Community.Name + " " + f.Building.Name + " " + f.Unit.Name + " " + f.Room.Number}
		f.Sections = make(map[string]any, len(names))
		for i, n := range names {
			v, err := fns[i](ctx, tx, tenantID, f.Room)
			if err != nil {
				return err
			}
			f.Sections[n] = v
		}
		return nil
	})
	return f, err
}
