package property

import (
	"context"
	"sort"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// RoomSection produces one section of a room's file (residents, open work
// orders, balance, devices …). It runs inside the file's tenant transaction:
// ctx carries it (store.Ctx), so the section's own InTenant joins it. It
// returns any JSON-encodable value.
type RoomSection func(ctx context.Context, tenantID uuid.UUID, room Room) (any, error)

// AddRoomSection adds (or replaces) the named section of every room file of
// this service. Features call it at wiring time; this package needs no change.
func (s *Service) AddRoomSection(name string, fn RoomSection) {
	s.sectionsMu.Lock()
	defer s.sectionsMu.Unlock()
	s.sections[name] = fn
}

// RoomSections lists the section names, sorted.
func (s *Service) RoomSections() []string {
	s.sectionsMu.RLock()
	defer s.sectionsMu.RUnlock()
	out := make([]string, 0, len(s.sections))
	for n := range s.sections {
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
	names := s.RoomSections()
	s.sectionsMu.RLock()
	fns := make([]RoomSection, len(names))
	for i, n := range names {
		fns[i] = s.sections[n]
	}
	s.sectionsMu.RUnlock()
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
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
			v, err := fns[i](store.Ctx(tx), tenantID, f.Room)
			if err != nil {
				return err
			}
			f.Sections[n] = v
		}
		return nil
	})
	return f, err
}
