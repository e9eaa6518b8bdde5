// Package sheet is the spreadsheet import/export framework: a Spec names a
// file's columns (Chinese and English), Read turns an .xlsx or .csv upload
// into rows, Write produces templates and exports, and Job runs an Importer
// over a whole file: every row is checked first and a Report lists every
// problem by row and column; nothing is written unless the whole file is good,
// or the caller explicitly asked for the good rows only.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/wuye-project/wuye/core/apperr"
)

// Format is a file format.
type Format string

const (
	XLSX Format = "xlsx"
	CSV  Format = "csv"
)

// ContentType is the MIME type of a format.
func (f Format) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
}

// Errors of reading a file.
var (
	ErrFormat      = apperr.New(apperr.KindInvalid, "unsupported_format", "Upload an .xlsx or .csv file (format=xlsx or format=csv).", "请上传 .xlsx 或 .csv 文件(format=xlsx 或 format=csv)。")
	ErrBadFile     = apperr.New(apperr.KindInvalid, "unreadable_file", "The file cannot be read as %s; save it again from Excel and retry.", "无法按 %s 读取该文件,请用 Excel 重新保存后再试。")
	ErrHeader      = apperr.New(apperr.KindInvalid, "bad_header", "The first row must name the columns of the template; see details.", "第一行必须是模板中的列名,详见 details。")
	ErrEmpty       = apperr.New(apperr.KindInvalid, "empty_file", "The file has no data rows.", "文件中没有数据行。")
	ErrTooManyRows = apperr.New(apperr.KindInvalid, "too_many_rows", "The file has more than %d rows; split it.", "文件超过 %d 行,请拆分后上传。")
)

// ParseFormat accepts "xlsx" or "csv" (or a file name ending in them).
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "" || s == "xlsx" || strings.HasSuffix(s, ".xlsx"):
		return XLSX, nil
	case s == "csv" || strings.HasSuffix(s, ".csv"):
		return CSV, nil
	}
	return "", ErrFormat
}

// Column is one column of a file.
type Column struct {
	Key      string // English name, e.g. built_area
	ZH       string // Chinese name, e.g. 建筑面积
	Required bool
	Hint     string // what a good value looks like, for the template
}

// Header is the column's title in templates and exports: "建筑面积 built_area",
// or the key alone for a column without a Chinese name (list exports).
func (c Column) Header() string {
	if c.ZH == "" {
		return c.Key
	}
	return c.ZH + " " + c.Key
}

// Spec is the set of columns of one kind of file.
type Spec struct {
	Kind    string // rooms, assets …
	Title   string // sheet name, e.g. 房屋
	Columns []Column
}

// Headers returns the header row.
func (s Spec) Headers() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Header()
	}
	return out
}

// match finds the column a header cell names: the Chinese name, the English
// key, or both as in the template.
func (s Spec) match(h string) (Column, bool) {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	h = strings.TrimSuffix(strings.TrimSuffix(h, "*"), "*")
	for _, c := range s.Columns {
		if strings.EqualFold(h, c.Key) || h == c.ZH || strings.EqualFold(h, c.Header()) ||
			strings.EqualFold(h, c.ZH+"("+c.Key+")") || strings.EqualFold(h, c.ZH+" ("+c.Key+")") {
			return c, true
		}
	}
	return Column{}, false
}

// Row is one data row: Line is its line number in the file (the header is line 1).
type Row struct {
	Line   int
	Values map[string]string // by column key, trimmed
	// Problems the reader found (a NUL character); Job.Run reports them
	// beside the Importer's.
	Problems []Problem
}

// Get returns the value of a column ("" when absent).
func (r Row) Get(key string) string { return r.Values[key] }

// records calls yield with each record of a file until yield returns false.
type records func(yield func([]string) bool) error

// Read parses an upload into rows keyed by column. The header must name only
// known columns and every required one; blank rows are skipped.
func Read(r io.Reader, f Format, spec Spec, maxRows int) ([]Row, error) {
	var recs records
	switch f {
	case CSV:
		var err error
		if recs, err = csvRecords(r); err != nil {
			return nil, err
		}
	case XLSX:
		var err error
		var done func()
		if recs, done, err = xlsxRecords(r); err != nil {
			return nil, err
		}
		defer done()
	default:
		return nil, ErrFormat
	}
	return readRows(recs, spec, maxRows)
}

// csvRecords reads a CSV upload (UTF-8 with or without BOM, or GB18030).
func csvRecords(r io.Reader) (records, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxUnpackedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxUnpackedBytes {
		return nil, tooLarge(map[string]any{"limit_bytes": MaxUnpackedBytes})
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		// Excel in a Chinese locale saves CSV as GB18030.
		if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data); err == nil {
			data = d
		}
	}
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	cr.FieldsPerRecord = -1
	return func(yield func([]string) bool) error {
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return ErrBadFile.Withf("CSV").Wrap(err)
			}
			if !yield(rec) {
				return nil
			}
		}
	}, nil
}

// xlsxRecords reads the first sheet of an .xlsx upload, after the hostile
// file checks; done closes the workbook.
func xlsxRecords(r io.Reader) (recs records, done func(), err error) {
	data, err := io.ReadAll(r) // the upload itself is size-limited by the caller
	if err != nil {
		return nil, nil, err
	}
	if err := checkXLSX(data); err != nil {
		return nil, nil, err
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnpackedBytes})
	if err != nil {
		return nil, nil, ErrBadFile.Withf("XLSX").Wrap(err)
	}
	rows, err := x.Rows(x.GetSheetName(0))
	if err != nil {
		x.Close()
		return nil, nil, ErrBadFile.Withf("XLSX").Wrap(err)
	}
	done = func() {
		rows.Close()
		x.Close()
	}
	return func(yield func([]string) bool) error {
		for rows.Next() {
			rec, err := rows.Columns()
			if err != nil {
				return ErrBadFile.Withf("XLSX").Wrap(err)
			}
			if !yield(rec) {
				return nil
			}
		}
		return rows.Error()
	}, done, nil
}

// readRows reads the header, then the data rows keyed by column, skipping
// blank ones, up to maxRows (0: no limit).
func readRows(recs records, spec Spec, maxRows int) ([]Row, error) {
	var (
		keys []string // column key per file column ("" = ignored blank header)
		out  []Row
		line int
		perr error
	)
	err := recs(func(rec []string) bool {
		line++
		if rec, perr = checkRecord(line, rec); perr != nil {
			return false
		}
		if keys == nil {
			keys, perr = header(spec, rec)
			return perr == nil
		}
		row, blank := dataRow(line, keys, rec)
		if blank {
			return true
		}
		if maxRows > 0 && len(out) >= maxRows {
			perr = ErrTooManyRows.Withf(maxRows)
			return false
		}
		out = append(out, row)
		return true
	})
	if err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrEmpty
	}
	return out, nil
}

// dataRow keys a record's cells by column (trimmed, a CSV defuse undone);
// blank says the row has no value.
func dataRow(line int, keys, rec []string) (row Row, blank bool) {
	row = Row{Line: line, Values: make(map[string]string, len(keys))}
	blank = true
	for i, v := range rec {
		if i >= len(keys) || keys[i] == "" {
			continue
		}
		v = strings.TrimSpace(restore(validUTF8(v)))
		if strings.IndexByte(v, 0) >= 0 {
			// A row problem; the value goes on without it, so checks and
			// lookups never send a NUL to the database.
			row.Problems = append(row.Problems, Problemf(line, keys[i], strings.ReplaceAll(v, "\x00", `\u0000`), ErrNUL))
			v = strings.ReplaceAll(v, "\x00", "")
		}
		if v != "" {
			blank = false
			row.Values[keys[i]] = v
		}
	}
	return row, blank
}

func header(spec Spec, rec []string) ([]string, error) {
	keys := make([]string, len(rec))
	var unknown, missing, dup []string
	seen := map[string]bool{}
	for i, h := range rec {
		if strings.TrimSpace(h) == "" {
			continue
		}
		c, ok := spec.match(h)
		switch {
		case !ok:
			unknown = append(unknown, Short(h))
		case seen[c.Key]:
			dup = append(dup, Short(h))
		default:
			seen[c.Key] = true
			keys[i] = c.Key
		}
	}
	for _, c := range spec.Columns {
		if c.Required && !seen[c.Key] {
			missing = append(missing, c.Header())
		}
	}
	if len(unknown)+len(missing)+len(dup) > 0 {
		return nil, ErrHeader.WithDetails(map[string]any{
			"unknown_columns": unknown, "missing_columns": missing, "duplicate_columns": dup, "expected": spec.Headers(),
		})
	}
	return keys, nil
}

// defuse keeps a CSV cell from being run as a formula when Excel opens the
// file (CSV injection: a resident named "=HYPERLINK(…)"): text starting with
// = + - @ or a control character gets a leading apostrophe, which Excel shows
// as text. Plain numbers such as a basement floor "-1" stay as they are.
// restore undoes it on import, so an export re-imports unchanged. An .xlsx
// cell is typed as text and needs neither.
func defuse(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return v
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return "'" + v
}

func restore(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
		return v[1:]
	}
	return v
}

// Write writes the header and rows (cells already formatted as text, so
// decimals keep their exact digits) as a file of format f.
func Write(w io.Writer, f Format, spec Spec, rows [][]string) error {
	sw, err := NewWriter(w, f, spec)
	if err != nil {
		return err
	}
	for _, r := range rows {
		sw.WriteRow(r)
	}
	return sw.Close()
}

// Writer writes a file row by row, so a long export need not hold all its
// rows: NewWriter writes the header, WriteRow each row, Close ends the file.
// Cells are text: an .xlsx cell is typed as text (numbers keep their exact
// digits and a formula is never run), a CSV cell is defused.
type Writer struct {
	csv  *csv.Writer
	xlsx *xlsxWriter
	cell []string
}

// NewWriter starts a file of format f with spec's header row.
func NewWriter(w io.Writer, f Format, spec Spec) (*Writer, error) {
	if f == CSV {
		w.Write([]byte("\xef\xbb\xbf")) // so Excel reads UTF-8 Chinese
		cw := csv.NewWriter(w)
		cw.Write(spec.Headers())
		return &Writer{csv: cw, cell: make([]string, 0, len(spec.Columns))}, nil
	}
	name := spec.Title
	if name == "" {
		name = spec.Kind
	}
	x, err := newXLSXWriter(w, name, spec.Headers())
	if err != nil {
		return nil, err
	}
	return &Writer{xlsx: x}, nil
}

// WriteRow adds one row.
func (w *Writer) WriteRow(r []string) {
	if w.xlsx != nil {
		w.xlsx.WriteRow(r)
		return
	}
	w.cell = w.cell[:0]
	for _, v := range r {
		w.cell = append(w.cell, defuse(v))
	}
	w.csv.Write(w.cell)
}

// Close ends the file; its error is the first of any write.
func (w *Writer) Close() error {
	if w.xlsx != nil {
		return w.xlsx.Close()
	}
	w.csv.Flush()
	return w.csv.Error()
}

// Template writes an empty file with the header row; an .xlsx template also
// has a sheet explaining each column (说明).
func Template(w io.Writer, f Format, spec Spec) error {
	if f == CSV {
		return Write(w, f, spec, nil)
	}
	var buf bytes.Buffer
	if err := Write(&buf, f, spec, nil); err != nil {
		return err
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		return err
	}
	defer x.Close()
	const notes = "说明 notes"
	if _, err := x.NewSheet(notes); err != nil {
		return err
	}
	x.SetSheetRow(notes, "A1", &[]any{"列 column", "必填 required", "说明 hint"})
	for i, c := range spec.Columns {
		req := "否 no"
		if c.Required {
			req = "是 yes"
		}
		x.SetSheetRow(notes, fmt.Sprintf("A%d", i+2), &[]any{c.Header(), req, c.Hint})
	}
	x.SetColWidth(notes, "A", "C", 28)
	return x.Write(w)
}
