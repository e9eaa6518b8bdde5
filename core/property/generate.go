package property

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// GenerateSpec describes a building to create in one go: Units × Floors ×
// RoomsPerFloor rooms, numbered by a rule. Tokens {unit}, {floor} and {room}
// may carry a zero-padded width: "{floor}{room:02}" numbers floor 12 room 1
// as 1201; "{unit}-{floor:02}{room:02}" as 1-1201.
type GenerateSpec struct {
	CommunityID    uuid.UUID    `json:"community_id"`
	Name           string       `json:"name"`
	Units          int          `json:"units"`
	Floors         int          `json:"floors"`
	RoomsPerFloor  int          `json:"rooms_per_floor"`
	StartFloor     int          `json:"start_floor"` // 1 when zero; -2 starts two basement floors down (there is no floor 0)
	UnitName       string       `json:"unit_name"`   // "{unit}单元" when empty
	Numbering      string       `json:"numbering"`   // "{floor}{room:02}" when empty
	BuiltArea      *Area        `json:"built_area,omitempty"`
	InteriorArea   *Area        `json:"interior_area,omitempty"`
	Layout         string       `json:"layout"`
	Usage          *Usage       `json:"usage,omitempty"`
	FeeCoefficient *Coefficient `json:"fee_coefficient,omitempty"`
	Preview        bool         `json:"preview"`
}

func (g GenerateSpec) Validate() []apperr.FieldError {
	fe := required("name", g.Name)
	rng := func(field string, v, max int) {
		if v < 1 || v > max {
			fe = append(fe, apperr.FieldError{Field: field, Code: "out_of_range", EN: fmt.Sprintf("%s must be between 1 and %d", field, max), ZH: fmt.Sprintf("%s 必须在 1 到 %d 之间", field, max)})
		}
	}
	rng("units", g.Units, 50)
	rng("floors", g.Floors, 200)
	rng("rooms_per_floor", g.RoomsPerFloor, 50)
	if g.StartFloor < -10 || g.StartFloor > 200 {
		fe = append(fe, apperr.FieldError{Field: "start_floor", Code: "out_of_range", EN: "start_floor must be between -10 and 200", ZH: "start_floor 必须在 -10 到 200 之间"})
	} else if len(fe) == 0 {
		if fs := g.floorNumbers(); fs[len(fs)-1] > 200 {
			fe = append(fe, apperr.FieldError{Field: "floors", Code: "out_of_range", EN: "the top floor must be at most 200", ZH: "最高楼层不能超过 200"})
		}
	}
	return fe
}

// floorNumbers lists the floors to generate from StartFloor upwards. Chinese
// buildings have no floor 0: the floor above -1 is 1.
func (g GenerateSpec) floorNumbers() []int {
	f := g.StartFloor
	if f == 0 {
		f = 1
	}
	out := make([]int, 0, g.Floors)
	for ; len(out) < g.Floors; f++ {
		if f != 0 {
			out = append(out, f)
		}
	}
	return out
}

// aboveGround is the building's floor count as recorded on it: the floors
// above ground, the top floor's number (basements are not counted).
func aboveGround(floors []int) int {
	return max(floors[len(floors)-1], 0)
}

// GenerateResult tells what was (or, in preview, would be) created.
type GenerateResult struct {
	Preview  bool        `json:"preview"`
	Building Building    `json:"building"`
	Units    []string    `json:"units"`
	Rooms    int         `json:"rooms"`
	Sample   []string    `json:"sample"` // the first unit's numbers, up to 50
	UnitIDs  []uuid.UUID `json:"unit_ids,omitempty"`
}

// numbering is a parsed rule: literal text and tokens.
type numbering []part

type part struct {
	lit   string
	token string // unit, floor, room; empty for literal text
	width int
}

func parseNumbering(rule string) (numbering, error) {
	var n numbering
	rest := rule
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			n = append(n, part{lit: rest})
			break
		}
		if i > 0 {
			n = append(n, part{lit: rest[:i]})
		}
		j := strings.IndexByte(rest, '}')
		if j < i {
			return nil, ErrInvalidNumbering.Withf("unclosed {")
		}
		name, w, _ := strings.Cut(rest[i+1:j], ":")
		if name != "unit" && name != "floor" && name != "room" {
			return nil, ErrInvalidNumbering.Withf("unknown token {" + name + "}; use {unit}, {floor} or {room}")
		}
		width := 0
		if w != "" {
			v, err := strconv.Atoi(w)
			if err != nil || v < 1 || v > 6 {
				return nil, ErrInvalidNumbering.Withf("width of {" + name + "} must be 1 to 6, as in {room:02}")
			}
			width = v
		}
		n = append(n, part{token: name, width: width})
		rest = rest[j+1:]
	}
	return n, nil
}

func (n numbering) format(unit, floor, room int) string {
	var b strings.Builder
	for _, p := range n {
		if p.token == "" {
			b.WriteString(p.lit)
			continue
		}
		v := map[string]int{"unit": unit, "floor": floor, "room": room}[p.token]
		b.WriteString(fmt.Sprintf("%0*d", p.width, v))
	}
	return b.String()
}

// GenerateBuilding creates a building with its units and rooms in one
// transaction, or with Preview only reports what it would create.
func (s *Service) GenerateBuilding(ctx context.Context, tenantID uuid.UUID, g GenerateSpec) (res GenerateResult, err error) {
	if err := invalid(g.Validate()); err != nil {
		return res, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res, err = s.generate(ctx, tx, tenantID, g)
		return err
	})
	if err == errPreview {
		res.Building.ID = uuid.Nil
		return res, nil
	}
	return res, err
}

// generate does GenerateBuilding's work inside tx; a preview returns errPreview
// after its checks so the caller rolls back.
func (s *Service) generate(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, g GenerateSpec) (res GenerateResult, err error) {
	if err := invalid(g.Validate()); err != nil {
		return res, err
	}
	if g.Units*g.Floors*g.RoomsPerFloor > 20000 {
		return res, ErrGenerateTooLarge
	}
	if g.Numbering == "" {
		g.Numbering = "{floor}{room:02}"
	}
	if g.UnitName == "" {
		g.UnitName = "{unit}单元"
	}
	floorList := g.floorNumbers()
	rule, err := parseNumbering(g.Numbering)
	if err != nil {
		return res, err
	}
	unitRule, err := parseNumbering(g.UnitName)
	if err != nil {
		return res, err
	}
	// Numbers must be unique within a unit, unit names within the building.
	numbers := make([]string, 0, g.Floors*g.RoomsPerFloor)
	floors := make([]int, 0, cap(numbers))
	seen := map[string]bool{}
	for _, f := range floorList {
		for r := 1; r <= g.RoomsPerFloor; r++ {
			num := rule.format(1, f, r)
			if seen[num] {
				return res, ErrDuplicateRoom.WithDetails(map[string]string{"number": num, "hint": "include {floor} and {room} in the numbering rule"})
			}
			seen[num] = true
			numbers = append(numbers, num)
			floors = append(floors, f)
		}
	}
	unitNames := make([]string, g.Units)
	seenUnit := map[string]bool{}
	for u := range unitNames {
		unitNames[u] = unitRule.format(u+1, 0, 0)
		if seenUnit[unitNames[u]] {
			return res, ErrInvalidNumbering.Withf("unit names repeat; include {unit}")
		}
		seenUnit[unitNames[u]] = true
	}
	res = GenerateResult{Preview: g.Preview, Units: unitNames, Rooms: g.Units * len(numbers)}
	res.Sample = numbers[:min(len(numbers), 50)]
	template := newRoom(tenantID)
	RoomInput{BuiltArea: g.BuiltArea, InteriorArea: g.InteriorArea, Layout: &g.Layout, Usage: g.Usage, FeeCoefficient: g.FeeCoefficient}.apply(&template)
	template.Number = "x"
	if err := invalid(checkRoom(template)); err != nil {
		return res, err
	}
	b, err := createBuilding(tx, tenantID, BuildingInput{CommunityID: g.CommunityID, Name: g.Name, Floors: aboveGround(floorList)})
	if err != nil {
		return res, err
	}
	res.Building = b
	if err := s.checkQuota(ctx, tx, tenantID, ResourceRooms, res.Rooms); err != nil {
		return res, err
	}
	if g.Preview {
		return res, errPreview
	}
	units := make([]Unit, len(unitNames))
	for i, n := range unitNames {
		units[i] = Unit{TenantID: tenantID, BuildingID: b.ID, Name: n}
	}
	if err := tx.Create(&units).Error; err != nil {
		return res, err
	}
	rooms := make([]Room, 0, res.Rooms)
	for ui, u := range units {
		res.UnitIDs = append(res.UnitIDs, u.ID)
		for i := range numbers {
			r := template
			r.CommunityID, r.BuildingID, r.UnitID = b.CommunityID, b.ID, u.ID
			r.Number, r.Floor = rule.format(ui+1, floors[i], (i%g.RoomsPerFloor)+1), floors[i]
			rooms = append(rooms, r)
		}
	}
	return res, uniqueAs(tx.CreateInBatches(&rooms, 500).Error, ErrDuplicateRoom)
}

// errPreview rolls a preview's transaction back after its checks ran.
var errPreview = fmt.Errorf("property: preview only")
