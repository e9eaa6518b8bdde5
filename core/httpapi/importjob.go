package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/sheet"
)

// importJobPrefix starts the kind of a queued import's job ("import.rooms").
const importJobPrefix = "import."

// importJob is everything a node needs to run a queued import: the parsed
// rows (not the file, so the work of reading it is not repeated), the
// options and the uploader, who stays the actor (care tags record who set them).
type importJob struct {
	Rows         []sheet.Row `json:"rows"`
	GoodRowsOnly bool        `json:"good_rows_only"`
	DryRun       bool        `json:"dry_run"`
	Actor        actor.Actor `json:"actor"`
}

// encodeImportJob is gzip'd JSON: rows repeat their column keys, which
// compress about tenfold.
func encodeImportJob(j importJob) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(j); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeImportJob(b []byte) (importJob, error) {
	var j importJob
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return j, err
	}
	err = json.NewDecoder(io.LimitReader(zr, 1<<30)).Decode(&j)
	return j, err
}

// RunJob runs a job StartJob queued, on whichever node took its task: kind
// and payload are what StartJob was given. Its result is the import's report.
func (s *Server) RunJob(ctx context.Context, tenantID uuid.UUID, kind string, payload []byte, progress func(done, total int)) (any, error) {
	name, _ := strings.CutPrefix(kind, importJobPrefix)
	var im sheet.Importer
	for _, f := range s.importers {
		if c := f(); c.Spec().Kind == name {
			im = c
			break
		}
	}
	if !strings.HasPrefix(kind, importJobPrefix) || im == nil {
		return nil, fmt.Errorf("httpapi: no job kind %q", kind)
	}
	j, err := decodeImportJob(payload)
	if err != nil {
		return nil, fmt.Errorf("httpapi: job %s: %w", kind, err)
	}
	job := &sheet.Job{DB: s.Sheets, TenantID: tenantID, Importer: im, Rows: j.Rows, GoodRowsOnly: j.GoodRowsOnly, DryRun: j.DryRun}
	rep, err := job.Run(actor.With(ctx, j.Actor), progress)
	if err == nil && rep.BadRows > 0 && !j.GoodRowsOnly && !j.DryRun {
		// Nothing was written: the job fails, its result is the report.
		err = sheet.ErrRejected
	}
	return rep, err
}
