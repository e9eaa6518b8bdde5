package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/audit"
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
	if s.Residents != nil && s.Rooms != nil {
		rs = append(rs,
			Route{Method: "GET", Path: "/api/v1/imports/residents/template", Tag: tag, Summary: "Download the residents template (?format=xlsx|csv)", Permission: resident.PermRead, Handler: s.template(resident.ResidentSpec)},
			Route{Method: "POST", Path: "/api/v1/imports/residents", Tag: tag, Summary: "Import residents with their rooms (one row per person in a room) from .xlsx/.csv: all or nothing unless good_rows_only=true", Permission: resident.PermManage, Query: ImportQuery{}, Response: sheet.Report{}, MaxBody: maxImportBytes, Handler: s.importFile(func() sheet.Importer { return resident.NewImporter(s.Residents, s.Rooms) })},
			Route{Method: "GET", Path: "/api/v1/exports/residents", Tag: tag, Summary: "Export residents with the person list's filters (?format=xlsx|csv); phone and ID numbers masked unless the caller holds resident.pii.read (then audited)", Permission: resident.PermRead, Query: ResidentExportQuery{}, Handler: s.exportResidents},
		)
	}
	return rs
}

// fillSpreadsheet gives an Import or Template route its handler and, for an
// import, its query, response and body cap.
func (s *Server) fillSpreadsheet(r Route) Route {
	switch {
	case r.Handler != nil:
	case r.Import != nil:
		r.Handler = s.importFile(r.Import)
		if r.Query == nil {
			r.Query = ImportQuery{}
		}
		if r.Response == nil {
			r.Response = sheet.Report{}
		}
		if r.MaxBody == 0 {
			r.MaxBody = maxImportBytes
		}
	case r.Template != nil:
		r.Handler = s.template(*r.Template)
	}
	return r
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
	s.importers = append(s.importers, newImporter)
	return func(c *gin.Context) error {
		var q ImportQuery
		if err := BindQuery(c, &q); err != nil {
			return err
		}
		notes := audit.From(c.Request.Context())
		if q.DryRun {
			notes.DryRun()
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
		job := &sheet.Job{DB: s.DB, TenantID: Tenant(c), Importer: im, Rows: rows, GoodRowsOnly: q.GoodRowsOnly, DryRun: q.DryRun}
		if len(rows) > syncImportRows && s.StartJob != nil {
			who, _ := actor.From(c.Request.Context())
			payload, err := encodeImportJob(importJob{Rows: rows, GoodRowsOnly: q.GoodRowsOnly, DryRun: q.DryRun, Actor: who})
			if err != nil {
				return err
			}
			id, err := s.StartJob(c.Request.Context(), job.TenantID, importJobPrefix+im.Spec().Kind, payload)
			if err != nil {
				return err
			}
			notes.Object("", id)
			notes.Detail(fmt.Sprintf("job %s: %d rows", id, len(rows)))
			c.JSON(http.StatusAccepted, ImportAccepted{JobID: id, Rows: len(rows)})
			return nil
		}
		rep, err := job.Run(c.Request.Context(), nil)
		if err != nil {
			return err
		}
		notes.Detail(fmt.Sprintf("rows %d, imported %d, bad rows %d", rep.Rows, rep.Imported, rep.BadRows))
		if rep.BadRows > 0 && !q.GoodRowsOnly && !q.DryRun {
			return sheet.ErrRejected.WithDetails(rep)
		}
		c.JSON(http.StatusOK, rep)
		return nil
	}
}

func (s *Server) exportRooms(c *gin.Context) error {
	var flt property.RoomFilter
	if err := BindQuery(c, &flt); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := s.Property.ExportRooms(c.Request.Context(), Tenant(c), flt)
	if err != nil {
		return err
	}
	return writeExport(c, f, property.RoomSpec, rows)
}

func (s *Server) exportAssets(c *gin.Context) error {
	var flt asset.AssetFilter
	if err := BindQuery(c, &flt); err != nil {
		return err
	}
	f, err := sheet.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	rows, err := s.Assets.ExportAssets(c.Request.Context(), Tenant(c), flt)
	if err != nil {
		return err
	}
	return writeExport(c, f, asset.AssetSpec, rows)
}

func (s *Server) exportResidents(c *gin.Context) error {
	var q ResidentExportQuery
	if err := BindQuery(c, &q); err != nil {
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
	rows, err := s.Residents.ExportSheet(c.Request.Context(), s.DB, Tenant(c), flt, s.Rooms)
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
