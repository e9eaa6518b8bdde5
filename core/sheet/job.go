package sheet

import (
	"context"
	"errors"
	"sort"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
)

// Problem is one thing wrong with one cell (or row, when Column is empty).
type Problem struct {
	Line    int    `json:"row"`    // line in the file; the header is line 1
	Column  string `json:"column"` // column key
	Value   string `json:"value,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	ZH      string `json:"message_zh"`
}

// Problemf builds a Problem from an apperr error (its code and messages).
func Problemf(line int, column, value string, e *apperr.Error) Problem {
	return Problem{Line: line, Column: column, Value: Short(value), Code: e.Code, Message: e.EN, ZH: e.ZH}
}

// Importer validates and writes one kind of row. A new Importer is made per
// import: Check may keep what it parsed for Write.
type Importer interface {
	Spec() Spec
	// Check inspects every row (lookups in tx included) and returns all problems.
	Check(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []Row) ([]Problem, error)
	// Write stores rows, which Check found good, calling progress with the
	// number written so far.
	Write(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, rows []Row, progress func(written int)) error
}

// Action is what an import does with one good row.
type Action int

const (
	Created   Action = iota // a new record
	Updated                 // an existing record changed
	Unchanged               // an existing record the row does not change
)

// Counts tells the good rows apart by Action.
type Counts struct {
	Created, Updated, Unchanged int
}

// Add counts one row.
func (c *Counts) Add(a Action) {
	switch a {
	case Created:
		c.Created++
	case Updated:
		c.Updated++
	default:
		c.Unchanged++
	}
}

// Counter is an Importer whose rows may update existing records: after
// Check, Count says what Write does with the given (good) rows. An Importer
// that is not a Counter creates a record per row.
type Counter interface {
	Count(rows []Row) Counts
}

// Report is the outcome of an import.
type Report struct {
	Kind     string `json:"kind"`
	Rows     int    `json:"rows"`     // data rows in the file
	BadRows  int    `json:"bad_rows"` // rows with at least one problem
	Imported int    `json:"imported"` // rows written (created + updated)
	// Of the good rows, written or (dry run) to be written: new records,
	// changed records and rows matching a record they do not change. All
	// zero when nothing would be written.
	Created      int       `json:"created"`
	Updated      int       `json:"updated"`
	Unchanged    int       `json:"unchanged"`
	Written      bool      `json:"written"` // whether anything was committed
	GoodRowsOnly bool      `json:"good_rows_only"`
	DryRun       bool      `json:"dry_run"`
	Problems     []Problem `json:"problems"`
	// With the upload's with_rows option (files up to 5,000 rows): the
	// template's columns and every data row as read, so a page can show a
	// problem beside its row and send the row back fixed.
	Columns []ReportColumn `json:"columns,omitempty"`
	Data    []RowValues    `json:"data,omitempty"`
}

// ReportColumn is a column of the template, in a Report.
type ReportColumn struct {
	Key      string `json:"key"`
	ZH       string `json:"zh"`
	Required bool   `json:"required"`
	Hint     string `json:"hint"`
}

// RowValues is a data row of the file as read: its line and values by column key.
type RowValues struct {
	Line   int               `json:"row"`
	Values map[string]string `json:"values"`
}

// AddRows puts the spec's columns and the rows' values in the report.
func (r *Report) AddRows(spec Spec, rows []Row) {
	r.Columns = make([]ReportColumn, len(spec.Columns))
	for i, c := range spec.Columns {
		r.Columns[i] = ReportColumn{Key: c.Key, ZH: c.ZH, Required: c.Required, Hint: c.Hint}
	}
	r.Data = make([]RowValues, len(rows))
	for i, row := range rows {
		v := row.Values
		if v == nil {
			v = map[string]string{}
		}
		r.Data[i] = RowValues{Line: row.Line, Values: v}
	}
}

// ErrRejected answers an all-or-nothing import whose file has problems; its
// details are the Report.
var ErrRejected = apperr.New(apperr.KindUnprocessable, "import_rejected", "Nothing was imported: the file has problems, listed by row and column. Fix them, or import the good rows only.", "未导入任何数据:文件有错误(按行列列出)。请修正,或选择只导入正确的行。")

// TenantTx runs fn in a transaction of one tenant (*store.DB is one).
type TenantTx interface {
	InTenant(ctx context.Context, tenantID uuid.UUID, fn func(tx *gorm.DB) error) error
}

// Job is one import: the parsed rows of a file and how to treat bad ones.
type Job struct {
	DB           TenantTx
	TenantID     uuid.UUID
	Importer     Importer
	Rows         []Row
	GoodRowsOnly bool // write the good rows even when others are bad
	DryRun       bool // check only
}

var errRollback = errors.New("sheet: roll back")

// Run checks the whole file, then (unless it must not) writes the good rows,
// all in one tenant transaction. progress(done, total) counts rows written.
// It is the unit of work both the synchronous HTTP path and a background job
// run; the Report says what happened.
func (j *Job) Run(ctx context.Context, progress func(done, total int)) (Report, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	rep := Report{Kind: j.Importer.Spec().Kind, Rows: len(j.Rows), GoodRowsOnly: j.GoodRowsOnly, DryRun: j.DryRun, Problems: []Problem{}}
	err := j.DB.InTenant(ctx, j.TenantID, func(tx *gorm.DB) error {
		probs, err := j.Importer.Check(ctx, tx, j.TenantID, j.Rows)
		if err != nil {
			return err
		}
		for _, r := range j.Rows {
			probs = append(probs, r.Problems...)
		}
		for i := range probs {
			probs[i].Value = Short(probs[i].Value) // never echo a whole cell
		}
		sort.SliceStable(probs, func(a, b int) bool { return probs[a].Line < probs[b].Line })
		rep.Problems = append(rep.Problems, probs...)
		bad := map[int]bool{}
		for _, p := range probs {
			bad[p.Line] = true
		}
		rep.BadRows = len(bad)
		if len(bad) > 0 && !j.GoodRowsOnly {
			return errRollback
		}
		good := j.Rows
		if len(bad) > 0 {
			good = make([]Row, 0, len(j.Rows)-len(bad))
			for _, r := range j.Rows {
				if !bad[r.Line] {
					good = append(good, r)
				}
			}
		}
		counts := Counts{Created: len(good)}
		if c, ok := j.Importer.(Counter); ok {
			counts = c.Count(good)
		}
		rep.Created, rep.Updated, rep.Unchanged = counts.Created, counts.Updated, counts.Unchanged
		if j.DryRun {
			return errRollback
		}
		progress(0, len(good))
		if err := j.Importer.Write(ctx, tx, j.TenantID, good, func(n int) { progress(n, len(good)) }); err != nil {
			return err
		}
		rep.Imported = counts.Created + counts.Updated
		return nil
	})
	if errors.Is(err, errRollback) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.Written = rep.Imported > 0
	return rep, nil
}
