package resident

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/pii"
)

// Filter selects persons. Every set field must match.
type Filter struct {
	// Name: one character matches names starting with it (a surname); two or
	// more match names containing the text.
	Name string `form:"name" json:"name,omitempty"`
	// Phone is a full number (exact match through the blind index) or its last four digits.
	Phone    string    `form:"phone" json:"phone,omitempty"`
	IDNumber string    `form:"id_number" json:"id_number,omitempty"` // exact, through the blind index
	RoomID   uuid.UUID `form:"room_id" json:"room_id,omitempty"`     // people living in the room now
	Tag      string    `form:"tag" json:"tag,omitempty"`             // care tag
}

// MaxCount bounds the total a search counts; beyond it Total is MaxCount and Capped is true.
const MaxCount = 10000

// Result is one page of a person search.
type Result struct {
	Items  []PersonSummary `json:"items"`
	Total  int64           `json:"total"`
	Capped bool            `json:"total_capped,omitempty"` // more than Total matched
}

// likeEscape escapes LIKE wildcards in user text (the queries say ESCAPE '\').
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// where builds the SQL condition of a search over persons p. unordered
// says the rows come from the name-gram index: the caller then sorts those
// few matches rather than letting the planner filter the name btree in order
// (see orderBy).
func (s *Service) where(tenantID uuid.UUID, f Filter) (cond string, args []any, unordered bool, err error) {
	conds := []string{"p.tenant_id = ?"}
	args = []any{tenantID}
	if name := strings.TrimSpace(f.Name); name != "" {
		e := likeEscape.Replace(name)
		if utf8.RuneCountInString(name) == 1 {
			// A surname: a range on the name btree, read in order. (LIKE 'x%'
			// would do under RLS only if LIKE were leakproof; < and >= are.)
			conds, args = append(conds, "p.name >= ? AND p.name < ?"), append(args, name, prefixEnd(name))
		} else {
			// Persons having every two-character sequence of the text, then
			// the exact contains check on those few.
			gs := grams(name)
			conds = append(conds, "p.id IN (SELECT person_id FROM person_name_grams WHERE tenant_id = ? AND gram IN ? GROUP BY person_id HAVING count(*) = ?)",
				`p.name LIKE ? ESCAPE '\'`)
			args = append(args, tenantID, gs, len(gs), "%"+e+"%")
			unordered = true
		}
	}
	if ph := strings.TrimSpace(f.Phone); ph != "" {
		var idx string
		if len(ph) == 4 && strings.Trim(ph, "0123456789") == "" {
			idx = "last4_index = ?"
			args = append(args, tenantID, s.keys.Index(tenantID, indexPhoneLast4, ph))
		} else {
			n, ok := NormalisePhone(ph)
			if !ok {
				return "", nil, false, ErrInvalidPhone.WithDetails(field("phone"))
			}
			idx = "phone_index = ?"
			args = append(args, tenantID, s.keys.Index(tenantID, indexPhone, n))
		}
		conds = append(conds, "p.id IN (SELECT person_id FROM person_phones WHERE tenant_id = ? AND "+idx+")")
	}
	if id := normaliseID(f.IDNumber); id != "" {
		conds, args = append(conds, "p.id_index = ?"), append(args, s.keys.Index(tenantID, indexID, id))
	}
	if f.RoomID != uuid.Nil {
		conds = append(conds, "p.id IN (SELECT person_id FROM occupancies WHERE tenant_id = ? AND room_id = ? AND move_out IS NULL)")
		args = append(args, tenantID, f.RoomID)
	}
	if f.Tag != "" {
		t, _ := normaliseTag(f.Tag)
		conds = append(conds, "p.id IN (SELECT person_id FROM care_tags WHERE tenant_id = ? AND tag = ?)")
		args = append(args, tenantID, t)
	}
	return strings.Join(conds, " AND "), args, unordered, nil
}

// prefixEnd is the smallest string after every string starting with p
// (code-point order, which is Postgres "C" and SQLite BINARY order).
func prefixEnd(p string) string {
	r := []rune(p)
	last := r[len(r)-1]
	switch {
	case last == 0xD7FF:
		last = 0xE000 // skip the surrogates
	case last < utf8.MaxRune:
		last++
	}
	r[len(r)-1] = last
	return string(r)
}

// orderBy is the list order: name, then id. For gram matches the sort key is
// an expression, so no plan walks the whole name index looking for them.
func orderBy(unordered bool) string {
	if unordered {
		return " ORDER BY p.name || '', p.id"
	}
	return " ORDER BY p.name, p.id"
}

// Search lists persons matching f, ordered by name, numbers masked. The
// total is counted up to MaxCount so a broad search stays fast at millions.
// The order is fixed (name, id): the paging's order is not used.
func (s *Service) Search(ctx context.Context, tenantID uuid.UUID, f Filter, pg paging.Paging) (res Result, err error) {
	if pg.Offset < 0 || pg.Limit < 1 || pg.Limit > 1000 {
		return Result{}, apperr.Invalid.WithDetails([]apperr.FieldError{fieldErr("page_size", "out_of_range", "page_size is 1-1000", "每页条数须为 1 到 1000")})
	}
	where, args, unordered, err := s.where(tenantID, f)
	if err != nil {
		return Result{}, err
	}
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		res, err = s.search(tx, tenantID, where, args, unordered, pg)
		return err
	})
	return res, err
}

func (s *Service) search(tx *gorm.DB, tenantID uuid.UUID, where string, args []any, unordered bool, pg paging.Paging) (Result, error) {
	page, pageSize := pg.Offset, pg.Limit
	var rows []struct {
		ID       uuid.UUID
		Name     string
		Gender   string
		IDType   string
		IDCipher string
	}
	if err := tx.Raw("SELECT p.id, p.name, p.gender, p.id_type, p.id_cipher FROM persons p WHERE "+where+ // unscoped: where starts with p.tenant_id = ? (see where)
		orderBy(unordered)+" LIMIT ? OFFSET ?", append(args, pageSize, page)...).Scan(&rows).Error; err != nil {
		return Result{}, err
	}
	res := Result{Items: make([]PersonSummary, 0, len(rows))}
	// A short first page is the whole answer; only otherwise is counting needed.
	if page == 0 && len(rows) < pageSize {
		res.Total = int64(len(rows))
	} else {
		if err := tx.Raw("SELECT count(*) FROM (SELECT 1 FROM persons p WHERE "+where+" LIMIT ?) c", append(args, MaxCount+1)...).Scan(&res.Total).Error; err != nil { // unscoped: where starts with p.tenant_id = ?
			return Result{}, err
		}
		if res.Total > MaxCount {
			res.Total, res.Capped = MaxCount, true
		}
	}
	if len(rows) == 0 {
		return res, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	phones, err := s.firstPhones(tx, tenantID, ids)
	if err != nil {
		return Result{}, err
	}
	rooms, err := currentRooms(tx, tenantID, ids)
	if err != nil {
		return Result{}, err
	}
	tags, err := tagsOf(tx, tenantID, ids)
	if err != nil {
		return Result{}, err
	}
	for _, r := range rows {
		idn, err := s.decrypt(r.IDCipher, tenantID, fieldIDNumber)
		if err != nil {
			return Result{}, err
		}
		it := PersonSummary{ID: r.ID, Name: r.Name, Gender: r.Gender, Phone: phones[r.ID], IDType: r.IDType,
			IDNumber: pii.MaskID(idn), Tags: tags[r.ID], RoomIDs: rooms[r.ID]}
		if it.Tags == nil {
			it.Tags = []string{}
		}
		if it.RoomIDs == nil {
			it.RoomIDs = []uuid.UUID{}
		}
		res.Items = append(res.Items, it)
	}
	return res, nil
}

func tagsOf(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]string, error) {
	var rows []tagRow
	if err := tx.Select("person_id, tag").Where("tenant_id = ? AND person_id IN ?", tenantID, ids).Order("tag").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]string{}
	for _, r := range rows {
		out[r.PersonID] = append(out[r.PersonID], r.Tag)
	}
	return out, nil
}
