package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/sheet"
)

// Import limits: files up to maxImportRows rows and maxImportBytes bytes
// (above the server-wide body limit); above syncImportRows an import runs as
// a background job when StartJob is wired.
const (
	maxImportRows  = 200_000
	maxImportBytes = 32 << 20
	syncImportRows = 5_000
)

// ImportAccepted answers an import handed to a background job.
type ImportAccepted struct {
	JobID string `json:"job_id"`
	Rows  int    `json:"rows"`
}

// ImportQuery are the options of an upload.
type ImportQuery struct {
	Format       string `form:"format" json:"format"`                 // xlsx (default) or csv
	GoodRowsOnly bool   `form:"good_rows_only" json:"good_rows_only"` // import good rows even if others are bad
	DryRun       bool   `form:"dry_run" json:"dry_run"`               // check only
}

// ResidentExportQuery are the filters of the residents export (those of the person list).
type ResidentExportQuery struct {
	Format   string `form:"format"`    // xlsx (default) or csv
	Name     string `form:"name"`      // contains (one character: surname)
	Phone    string `form:"phone"`     // full number, or its last four digits
	IDNumber string `form:"id_number"` // exact
	RoomID   string `form:"room_id"`   // people living in the room now
	Tag      string `form:"tag"`       // care tag
}

func (s *Server) importRoutes() []Route {
	const tag = "import"
	rs := []Route{
		{Method: "GET", Path: "/api/v1/imports/rooms/template", Tag: tag, Summary: "Download the rooms template (?format=xlsx|csv)", Permission: permPropertyRead, Handler: s.template(property.RoomSpec)},
		{Method: "POST", Path: "/api/v1/imports/rooms", Tag: tag, Summary: "Import rooms from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: permPropertyManage, Query: ImportQuery{}, Response: sheet.Report{}, MaxBody: maxImportBytes, Handler: s.importFile(func() sheet.Importer { return property.NewRoomImporter(s.Property.Quota) })},
		{Method: "GET", Path: "/api/v1/exports/rooms", Tag: tag, Summary: "Export rooms with the list's filters (?format=xlsx|csv); the file imports again", Permission: permPropertyRead, Query: property.RoomFilter{}, Handler: s.exportRooms},
		{Method: "GET", Path: "/api/v1/imports/assets/template", Tag: tag, Summary: "Download the assets template (?format=xlsx|csv)", Permission: permAssetRead, Handler: s.template(asset.AssetSpec)},
		{Method: "POST", Path: "/api/v1/imports/assets", Tag: tag, Summary: "Import assets from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: permAssetManage, Query: ImportQuery{}, Response: sheet.Report{}, MaxBody: maxImportBytes, Handler: s.importFile(func() sheet.Importer { return asset.NewAssetImporter() })},
		{Method: "GET", Path: "/api/v1/exports/assets", Tag: tag, Summary: "Export assets with the list's filters (?format=xlsx|csv); the file imports again", Permission: permAssetRead, Query: asset.AssetFilter{}, Handler: s.exportAssets},
	}
	if s.Residents != nil {
		rs = append(rs,
			Route{Method: "GET", Path: "/api/v1/imports/residents/template", Tag: tag, Summary: "Download the residents template (?format=xlsx|csv)", Permission: resident.PermRead, Handler: s.template(resident.ResidentSpec)},
			Route{Method: "POST", Path: "/api/v1/imports/residents", Tag: tag, Summary: "Import residents with their rooms (one row per person in a room) from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: resident.PermManage, Query: ImportQuery{}, Response: sheet.Report{}, MaxBody: maxImportBytes, Handler: s.importFile(func() sheet.Importer { return resident.NewImporter(s.Residents, PropertyRooms{}) })},
			Route{Method: "GET", Path: "/api/v1/exports/residents", Tag: tag, Summary: "Export residents with the person list's filters (?format=xlsx|csv); phone and ID numbers masked unless the caller holds resident.pii.read (then audited)", Permission: resident.PermRead, Query: ResidentExportQuery{}, Handler: s.exportResidents},
		)
	}
	return rs
}

func (s *Server) template(spec sheet.Spec) HandlerFunc {
	return func(c *gin.Context) error {
		f, err := sheet.ParseFormat(c.Query("format"))
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := sheet.Template(&buf, f, spec); err != nil {
			return err
		}
		sendFile(c, f, spec.Kind+"-template", buf.Bytes())
		return nil
	}
}

func sendFile(c *gin.Context, f sheet.Format, name string, body []byte) {
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + string(f)}))
	c.Data(http.StatusOK, f.ContentType(), body)
}

// importFile reads an upload (multipart field "file", or the raw body) and
// runs the import: synchronously, or as a job for large files.
func (s *Server) importFile(newImporter func() sheet.Importer) HandlerFunc {
	return func(c *gin.Context) error {
		var q ImportQuery
		if err := bindFilter(c, &q); err != nil {
			return err
		}
		var (
			body io.Reader = c.Request.Body
			name           = q.Format
		)
		if ct, _, _ := mime.ParseMediaType(c.ContentType()); ct == "multipart/form-data" {
			fh, err := c.FormFile("file")
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return apperr.TooLarge
				}
				return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "file", Code: "required", EN: "attach the file as form field \"file\"", ZH: "请以表单字段 file 上传文件"}})
			}
			fd, err := fh.Open()
			if err != nil {
				return err
			}
			defer fd.Close()
			body = fd
			if name == "" {
				name = fh.Filename
			}
		} else if name == "" && c.ContentType() == "text/csv" {
			name = "csv"
		}
		f, err := sheet.ParseFormat(name)
		if err != nil {
			return err
		}
		im := newImporter()
		rows, err := sheet.Read(body, f, im.Spec(), maxImportRows)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return apperr.TooLarge
			}
			return err
		}
		job := &sheet.Job{DB: s.DB, TenantID: reqTenant(c), Importer: im, Rows: rows, GoodRowsOnly: q.GoodRowsOnly, DryRun: q.DryRun}
		if len(rows) > syncImportRows && s.StartJob != nil {
			who, _ := actor.From(c.Request.Context())
			id, err := s.StartJob(c.Request.Context(), job.TenantID, "import."+im.Spec().Kind, func(ctx context.Context, progress func(done, total int)) (any, error) {
				// The uploader stays the actor (care tags record who set them).
				return job.Run(actor.With(ctx, who), progress)
			})
			if err != nil {
				return err
			}
			c.JSON(http.StatusAccepted, ImportAccepted{JobID: id, Rows: len(rows)})
			return nil
		}
		rep, err := job.Run(c.Request.Context(), nil)
		if err != nil {
			return err
		}
		if rep.BadRows > 0 && !q.GoodRowsOnly && !q.DryRun {
			return sheet.ErrRejected.WithDetails(rep)
		}
		c.JSON(http.StatusOK, rep)
		return nil
	}
}

func (s *Server) exportRooms(c *gin.Context) error {
	var flt property.RoomFilter
	if err := bindFilter(c, &flt); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := s.Property.ExportRooms(c, reqTenant(c), flt)
	if err != nil {
		return err
	}
	return writeExport(c, f, property.RoomSpec, rows)
}

func (s *Server) exportAssets(c *gin.Context) error {
	var flt asset.AssetFilter
	if err := bindFilter(c, &flt); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := s.Assets.ExportAssets(c, reqTenant(c), flt)
	if err != nil {
		return err
	}
	return writeExport(c, f, asset.AssetSpec, rows)
}

func (s *Server) exportResidents(c *gin.Context) error {
	var q ResidentExportQuery
	if err := bindFilter(c, &q); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(q.Format)
	if err != nil {
		return err
	}
	flt := resident.Filter{Name: q.Name, Phone: q.Phone, IDNumber: q.IDNumber, Tag: q.Tag}
	if q.RoomID != "" {
		if flt.RoomID, err = uuid.Parse(q.RoomID); err != nil {
			return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: "room_id", Code: "invalid_id", EN: "room_id is a room's id", ZH: "room_id 须为房屋编号"}})
		}
	}
	rows, err := s.Residents.ExportSheet(c.Request.Context(), s.DB, reqTenant(c), flt, PropertyRooms{})
	if err != nil {
		return err
	}
	return writeExport(c, f, resident.ResidentSpec, rows)
}

func writeExport(c *gin.Context, f sheet.Format, spec sheet.Spec, rows [][]string) error {
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f, spec, rows); err != nil {
		return err
	}
	c.Header("X-Total-Count", strconv.Itoa(len(rows)))
	sendFile(c, f, spec.Kind+"-"+time.Now().UTC().Format("20060102"), buf.Bytes())
	return nil
}

// PropertyRooms gives the resident package the property package's rooms:
// by spreadsheet path for imports and exports (resident.RoomDirectory), and
// RoomExists (resident.RoomChecker, so it can also be the resident service's
// Rooms dependency). Every query names the tenant; RLS adds the second lock.
type PropertyRooms struct{}

// RoomExists tells whether roomID is a room of the tenant.
func (PropertyRooms) RoomExists(tx *gorm.DB, tenantID, roomID uuid.UUID) (bool, error) {
	var n int64
	err := tx.Model(&property.Room{}).Where("tenant_id = ? AND id = ?", tenantID, roomID).Count(&n).Error
	return n > 0, err
}

// FindRooms resolves paths level by level (community, building, unit, room)
// through the name indexes; paths not found are absent from the map.
func (PropertyRooms) FindRooms(tx *gorm.DB, tenantID uuid.UUID, paths []resident.RoomPath) (map[resident.RoomPath]uuid.UUID, error) {
	out := map[resident.RoomPath]uuid.UUID{}
	if len(paths) == 0 {
		return out, nil
	}
	names := func(f func(resident.RoomPath) string) []string {
		seen, vs := map[string]bool{}, []string{}
		for _, p := range paths {
			if v := f(p); !seen[v] {
				seen[v] = true
				vs = append(vs, v)
			}
		}
		return vs
	}
	type key struct {
		parent uuid.UUID
		name   string
	}
	var cs []property.Community
	if err := chunked(names(func(p resident.RoomPath) string { return p.Community }), func(part []string) error {
		return tx.Select("id", "name").Where("tenant_id = ? AND name IN ?", tenantID, part).Find(&cs).Error
	}); err != nil {
		return nil, err
	}
	comm, cids := map[string]uuid.UUID{}, []uuid.UUID{}
	for _, c := range cs {
		comm[c.Name] = c.ID
		cids = append(cids, c.ID)
	}
	var bs []property.Building
	if err := chunked(cids, func(part []uuid.UUID) error {
		return tx.Select("id", "community_id", "name").Where("tenant_id = ? AND community_id IN ? AND name IN ?", tenantID, part,
			names(func(p resident.RoomPath) string { return p.Building })).Find(&bs).Error
	}); err != nil {
		return nil, err
	}
	bld, bids := map[key]uuid.UUID{}, []uuid.UUID{}
	for _, b := range bs {
		bld[key{b.CommunityID, b.Name}] = b.ID
		bids = append(bids, b.ID)
	}
	var us []property.Unit
	if err := chunked(bids, func(part []uuid.UUID) error {
		return tx.Select("id", "building_id", "name").Where("tenant_id = ? AND building_id IN ? AND name IN ?", tenantID, part,
			names(func(p resident.RoomPath) string { return p.Unit })).Find(&us).Error
	}); err != nil {
		return nil, err
	}
	unit, uids := map[key]uuid.UUID{}, []uuid.UUID{}
	for _, u := range us {
		unit[key{u.BuildingID, u.Name}] = u.ID
		uids = append(uids, u.ID)
	}
	var rs []property.Room
	numbers := names(func(p resident.RoomPath) string { return p.Room })
	if err := chunked(uids, func(part []uuid.UUID) error {
		return chunked(numbers, func(nums []string) error {
			var batch []property.Room
			err := tx.Select("id", "unit_id", "number").Where("tenant_id = ? AND unit_id IN ? AND number IN ?", tenantID, part, nums).Find(&batch).Error
			rs = append(rs, batch...)
			return err
		})
	}); err != nil {
		return nil, err
	}
	room := map[key]uuid.UUID{}
	for _, r := range rs {
		room[key{r.UnitID, r.Number}] = r.ID
	}
	for _, p := range paths {
		b := bld[key{comm[p.Community], p.Building}]
		if id, ok := room[key{unit[key{b, p.Unit}], p.Room}]; ok && b != uuid.Nil {
			out[p] = id
		}
	}
	return out, nil
}

// RoomPaths names rooms by community, building, unit and number.
func (PropertyRooms) RoomPaths(tx *gorm.DB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]resident.RoomPath, error) {
	out := map[uuid.UUID]resident.RoomPath{}
	var rs []property.Room
	if err := chunked(ids, func(part []uuid.UUID) error {
		var batch []property.Room
		err := tx.Select("id", "community_id", "building_id", "unit_id", "number").Where("tenant_id = ? AND id IN ?", tenantID, part).Find(&batch).Error
		rs = append(rs, batch...)
		return err
	}); err != nil {
		return nil, err
	}
	need := map[uuid.UUID]bool{}
	for _, r := range rs {
		need[r.CommunityID], need[r.BuildingID], need[r.UnitID] = true, true, true
	}
	parents := make([]uuid.UUID, 0, len(need))
	for id := range need {
		parents = append(parents, id)
	}
	name := map[uuid.UUID]string{}
	if err := chunked(parents, func(part []uuid.UUID) error {
		var cs []property.Community
		var bs []property.Building
		var us []property.Unit
		q := func() *gorm.DB { return tx.Select("id", "name").Where("tenant_id = ? AND id IN ?", tenantID, part) }
		if err := q().Find(&cs).Error; err != nil {
			return err
		}
		if err := q().Find(&bs).Error; err != nil {
			return err
		}
		if err := q().Find(&us).Error; err != nil {
			return err
		}
		for _, c := range cs {
			name[c.ID] = c.Name
		}
		for _, b := range bs {
			name[b.ID] = b.Name
		}
		for _, u := range us {
			name[u.ID] = u.Name
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range rs {
		out[r.ID] = resident.RoomPath{Community: name[r.CommunityID], Building: name[r.BuildingID], Unit: name[r.UnitID], Room: r.Number}
	}
	return out, nil
}

// chunked calls fn with at most 500 values at a time (bind-parameter limits).
func chunked[T any](vs []T, fn func([]T) error) error {
	for i := 0; i < len(vs); i += 500 {
		if err := fn(vs[i:min(i+500, len(vs))]); err != nil {
			return err
		}
	}
	return nil
}
