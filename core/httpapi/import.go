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

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
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
	// The report also carries the columns and every row's values (a file
	// imported synchronously, up to 5,000 rows): the console's wizard shows
	// each problem beside its row and lets the row be fixed in the page.
	WithRows bool `form:"with_rows" json:"with_rows"`
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
		job := &sheet.Job{DB: s.Sheets, TenantID: Tenant(c), Importer: im, Rows: rows, GoodRowsOnly: q.GoodRowsOnly, DryRun: q.DryRun}
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
		if q.WithRows {
			rep.AddRows(im.Spec(), rows)
		}
		notes.Detail(fmt.Sprintf("rows %d, imported %d, bad rows %d", rep.Rows, rep.Imported, rep.BadRows))
		if rep.BadRows > 0 && !q.GoodRowsOnly && !q.DryRun {
			return sheet.ErrRejected.WithDetails(rep)
		}
		c.JSON(http.StatusOK, rep)
		return nil
	}
}

// WriteExport answers a dedicated export: rows of spec as a file of format f
// with X-Total-Count, for the domains' route packages.
func WriteExport(c *gin.Context, f sheet.Format, spec sheet.Spec, rows [][]string) error {
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f, spec, rows); err != nil {
		return err
	}
	c.Header("X-Total-Count", strconv.Itoa(len(rows)))
	sendFile(c, f, exportName(spec), buf.Bytes())
	return nil
}

// exportName names an export's file: its kind and the day (UTC).
func exportName(spec sheet.Spec) string {
	return spec.Kind + "-" + time.Now().UTC().Format("20060102")
}
