package resident

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/store"
)

// tagText keeps a reason from splitting the care_tags cell on re-import.
var tagText = strings.NewReplacer(";", ",", "；", "，", "\n", " ")

// ExportSheet returns the persons matching f as rows of ResidentSpec: one row
// per room a person lives in now, or one row with blank room columns for a
// person living nowhere. It goes through Export, so phone and ID numbers are
// masked unless the caller in ctx holds resident.pii.read (and such an export
// is audited); only an unmasked export imports again.
func (s *Service) ExportSheet(ctx context.Context, tenantID uuid.UUID, f Filter) ([][]string, error) {
	var out, batch = [][]string{}, []ExportRow{}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.in(ctx, tenantID, func(tx *gorm.DB) error {
			rows, err := s.sheetRows(tx, tenantID, batch)
			out = append(out, rows...)
			return err
		})
		batch = batch[:0]
		return err
	}
	err := s.Export(ctx, tenantID, f, func(r ExportRow) error {
		batch = append(batch, r)
		if len(batch) == exportBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return out, err
}

// sheetRows adds the occupancies, tag reasons and plates of a batch.
func (s *Service) sheetRows(tx *gorm.DB, tenantID uuid.UUID, batch []ExportRow) ([][]string, error) {
	ids := make([]uuid.UUID, len(batch))
	for i, r := range batch {
		ids[i] = r.ID
	}
	var occ []occupancyRow
	if err := tx.Where("tenant_id = ? AND person_id IN ? AND move_out IS NULL", tenantID, ids).Order("move_in, id").Find(&occ).Error; err != nil {
		return nil, err
	}
	var tags []tagRow
	if err := tx.Where("tenant_id = ? AND person_id IN ?", tenantID, ids).Order("tag").Find(&tags).Error; err != nil {
		return nil, err
	}
	var cars []vehicleRow
	if err := tx.Where("tenant_id = ? AND person_id IN ?", tenantID, ids).Order("plate").Find(&cars).Error; err != nil {
		return nil, err
	}
	roomIDs := make([]uuid.UUID, 0, len(occ))
	occOf := map[uuid.UUID][]occupancyRow{}
	for _, o := range occ {
		roomIDs = append(roomIDs, o.RoomID)
		occOf[o.PersonID] = append(occOf[o.PersonID], o)
	}
	paths, err := s.rooms.RoomPaths(store.Ctx(tx), tenantID, roomIDs)
	if err != nil {
		return nil, err
	}
	tagsOf, platesOf := map[uuid.UUID][]string{}, map[uuid.UUID][]string{}
	for _, t := range tags {
		tagsOf[t.PersonID] = append(tagsOf[t.PersonID], t.Tag+":"+tagText.Replace(t.Reason))
	}
	for _, c := range cars {
		platesOf[c.PersonID] = append(platesOf[c.PersonID], FormatPlate(c.Plate))
	}
	var out [][]string
	for _, r := range batch {
		phones := make([]string, len(r.Phones))
		for i, ph := range r.Phones {
			phones[i] = ph.Number
		}
		person := []string{r.Name, r.Gender, r.BirthDate, r.IDType, r.IDNumber, strings.Join(phones, "; ")}
		extra := []string{strings.Join(tagsOf[r.ID], "; "), strings.Join(platesOf[r.ID], "; ")}
		os := occOf[r.ID]
		if len(os) == 0 {
			os = []occupancyRow{{}}
		}
		for _, o := range os {
			row := append(append([]string{}, person...), make([]string, 7)...)
			if o.RoomID != uuid.Nil {
				p := paths[o.RoomID]
				copy(row[6:], []string{p.Community, p.Building, p.Unit, p.Room, o.Role, o.Relation, o.MoveIn.Format(time.DateOnly)})
			}
			out = append(out, append(row, extra...))
		}
	}
	return out, nil
}
