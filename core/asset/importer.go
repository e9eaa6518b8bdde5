package asset

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
)

var (
	errImportCommunity = apperr.New(apperr.KindInvalid, "unknown_community", "No community of that name.", "没有该名称的小区。")
	errImportLocation  = apperr.New(apperr.KindInvalid, "unknown_location", "No room (building unit number) or common area of that name in the community.", "该小区没有此名称的房屋(楼栋 单元 房号)或公共区域。")
	errImportDupCode   = apperr.New(apperr.KindConflict, "duplicate_asset_code", "The same code appears earlier in the file (row %d).", "相同的设备编号已在文件第 %d 行出现。")
)

// AssetImporter imports assets into existing communities and locations; make
// one per import.
type AssetImporter struct {
	s      *Service
	parsed map[int]AssetInput
}

// NewAssetImporter returns an importer for one file.
func (s *Service) NewAssetImporter() *AssetImporter { return &AssetImporter{s: s} }

func (im *AssetImporter) Spec() sheet.Spec { return AssetSpec }

// Check parses every row, resolves community and location by name, validates
// the asset as the API does and looks for codes taken in the file or tenant.
func (im *AssetImporter) Check(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row) ([]sheet.Problem, error) {
	names, err := im.s.places.CommunityNames(store.Ctx(tx), tenantID)
	if err != nil {
		return nil, err
	}
	comm := map[string]uuid.UUID{}
	for id, n := range names {
		comm[n] = id
	}
	var probs []sheet.Problem
	bad := func(r sheet.Row, col string, e *apperr.Error) {
		probs = append(probs, sheet.Problemf(r.Line, col, r.Get(col), e))
	}
	type locKey struct {
		community uuid.UUID
		name      string
	}
	locs := map[locKey]*uuid.UUID{} // nil: not found
	firstLine := map[string]int{}
	im.parsed = make(map[int]AssetInput, len(rows))
	for _, r := range rows {
		n := len(probs)
		inp := AssetInput{Code: r.Get("code"), Name: r.Get("name"), Category: r.Get("category"), Brand: r.Get("brand"),
			Model: r.Get("model"), Serial: r.Get("serial"), Supplier: r.Get("supplier"), Status: r.Get("status"), Notes: r.Get("notes")}
		inp.canonical()
		for _, d := range []struct {
			key string
			dst *Date
		}{{"purchase_date", &inp.PurchaseDate}, {"install_date", &inp.InstallDate}, {"warranty_end", &inp.WarrantyEnd}} {
			if v := r.Get(d.key); v != "" {
				day, err := ParseDate(v)
				if err != nil {
					bad(r, d.key, ErrBadDate.Withf(v))
					continue
				}
				*d.dst = day
			}
		}
		for _, fe := range inp.Validate() {
			probs = append(probs, sheet.Problem{Line: r.Line, Column: fe.Field, Value: r.Get(fe.Field), Code: fe.Code, Message: fe.EN, ZH: fe.ZH})
		}
		cname := r.Get("community")
		cid, ok := comm[cname]
		if !ok {
			bad(r, "community", errImportCommunity)
		}
		inp.CommunityID = cid
		if loc := r.Get("location"); loc != "" && ok {
			// An export writes the location's full name, community first.
			name := strings.TrimSpace(strings.TrimPrefix(loc, cname+" "))
			k := locKey{cid, name}
			id, seen := locs[k]
			if !seen {
				found, hit, err := im.s.places.FindPlace(store.Ctx(tx), tenantID, cid, name)
				if err != nil {
					return nil, err
				}
				if hit {
					id = &found
				}
				locs[k] = id
			}
			if id == nil {
				bad(r, "location", errImportLocation)
			}
			inp.LocationID = id
		}
		if code := strings.TrimSpace(inp.Code); code != "" {
			if prev, dup := firstLine[code]; dup {
				bad(r, "code", errImportDupCode.Withf(prev))
			} else {
				firstLine[code] = r.Line
			}
		}
		if len(probs) == n {
			im.parsed[r.Line] = inp
		}
	}
	// Codes already taken in the tenant.
	codes := make([]string, 0, len(firstLine))
	for c := range firstLine {
		codes = append(codes, c)
	}
	for i := 0; i < len(codes); i += 500 {
		var taken []string
		if err := in(tx.Model(&Asset{}), tenantID).Where("code IN ?", codes[i:min(i+500, len(codes))]).Pluck("code", &taken).Error; err != nil {
			return nil, err
		}
		for _, c := range taken {
			line := firstLine[c]
			probs = append(probs, sheet.Problem{Line: line, Column: "code", Value: c, Code: ErrDuplicateCode.Code, Message: ErrDuplicateCode.EN, ZH: ErrDuplicateCode.ZH})
			delete(im.parsed, line)
		}
	}
	return probs, nil
}

// Write registers the assets of rows through the normal create path.
func (im *AssetImporter) Write(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []sheet.Row, progress func(int)) error {
	for i, r := range rows {
		inp, ok := im.parsed[r.Line]
		if !ok {
			continue
		}
		loc, err := im.s.resolve(tx, tenantID, inp)
		if err == nil {
			_, err = createAsset(tx, tenantID, inp, loc)
		}
		if err != nil {
			if ae, ok := apperr.As(err); ok {
				return ae.WithDetails(map[string]any{"row": r.Line})
			}
			return fmt.Errorf("asset import row %d: %w", r.Line, err)
		}
		if (i+1)%100 == 0 || i == len(rows)-1 {
			progress(i + 1)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}
