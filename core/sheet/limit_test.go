package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wuye-project/wuye/core/apperr"
)

var limitSpec = Spec{Kind: "t", Title: "t", Columns: []Column{{Key: "name", Required: true}, {Key: "note"}}}

// BombXLSX is an .xlsx of spec's template whose first sheet is written by
// sheet (a stream, so a huge cell costs little memory) and whose shared
// strings, when sst is not nil, are written by sst. The zip stays small
// when the content repeats.
func BombXLSX(t testing.TB, spec Spec, sheet, sst func(w io.Writer)) []byte {
	t.Helper()
	var tpl bytes.Buffer
	if err := Write(&tpl, XLSX, spec, nil); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(tpl.Bytes()), int64(tpl.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" || (sst != nil && f.Name == "xl/sharedStrings.xml") {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	sheet(w)
	io.WriteString(w, `</sheetData></worksheet>`)
	if sst != nil {
		w, _ := zw.Create("xl/sharedStrings.xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		sst(w)
		io.WriteString(w, `</sst>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// inlineRow writes one row of inline string cells.
func inlineRow(w io.Writer, line int, cells ...string) {
	fmt.Fprintf(w, `<row r="%d">`, line)
	for i, c := range cells {
		fmt.Fprintf(w, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, colName(i), line, c)
	}
	io.WriteString(w, `</row>`)
}

func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// repeat writes n bytes of b in chunks.
func repeat(w io.Writer, b byte, n int) {
	chunk := bytes.Repeat([]byte{b}, 1<<20)
	for ; n > 0; n -= len(chunk) {
		if n < len(chunk) {
			chunk = chunk[:n]
		}
		w.Write(chunk)
	}
}

func wantCode(t *testing.T, err error, code string) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || e.Kind != apperr.KindInvalid {
		t.Fatalf("got %v, want a 400 %s", err, code)
	}
	return e
}

// TestXLSXBombStopsEarly: one cell of 200 MB of 'a' (a zip of a few hundred
// KB) is refused without unpacking it (the cell passes MaxCellBytes long
// before the file passes MaxUnpackedBytes): little memory, little time.
func TestXLSXBombStopsEarly(t *testing.T) {
	file := BombXLSX(t, limitSpec, func(w io.Writer) {
		inlineRow(w, 1, "name")
		io.WriteString(w, `<row r="2"><c r="A2" t="inlineStr"><is><t>`)
		repeat(w, 'a', 200<<20)
		io.WriteString(w, `</t></is></c></row>`)
	}, nil)
	t.Logf("zip of %d KB", len(file)>>10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	wantCode(t, err, "sheet_cell_too_long")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("reading the bomb allocated %d MB", alloc>>20)
	}
	if took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestXLSXLyingSizes: a zip that declares a small part but holds a large one
// is not believed: the bytes actually unpacked are counted.
func TestXLSXLyingSizes(t *testing.T) {
	file := BombXLSX(t, limitSpec, func(w io.Writer) {
		inlineRow(w, 1, "name")
		for i := 0; i < 20; i++ { // 20 cells of 4 MB: 80 MB in all
			io.WriteString(w, fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><t>`, i+2, i+2))
			repeat(w, 'a', 4<<20)
			io.WriteString(w, `</t></is></c></row>`)
		}
	}, nil)
	// Rewrite the declared sizes of the sheet (local and central headers) to 1 KB.
	zr, _ := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		size := []byte{byte(f.UncompressedSize64), byte(f.UncompressedSize64 >> 8), byte(f.UncompressedSize64 >> 16), byte(f.UncompressedSize64 >> 24)}
		n := bytes.Count(file, size)
		if n == 0 {
			t.Fatal("size not found")
		}
		file = bytes.ReplaceAll(file, size, []byte{0, 4, 0, 0})
	}
	_, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0)
	wantCode(t, err, "unreadable_file")
}

func TestXLSXLimits(t *testing.T) {
	t.Run("long cell", func(t *testing.T) {
		file := BombXLSX(t, limitSpec, func(w io.Writer) {
			inlineRow(w, 1, "name")
			inlineRow(w, 2, strings.Repeat("长", MaxCellBytes/3+1))
		}, nil)
		wantCode(t, func() error { _, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0); return err }(), "sheet_cell_too_long")
	})
	t.Run("long CDATA cell", func(t *testing.T) {
		file := BombXLSX(t, limitSpec, func(w io.Writer) {
			inlineRow(w, 1, "name")
			inlineRow(w, 2, "<![CDATA["+strings.Repeat("a<b>", MaxCellBytes/4)+"]]>")
		}, nil)
		wantCode(t, func() error { _, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0); return err }(), "sheet_cell_too_long")
	})
	t.Run("long shared string", func(t *testing.T) {
		file := BombXLSX(t, limitSpec, func(w io.Writer) {
			inlineRow(w, 1, "name")
			io.WriteString(w, `<row r="2"><c r="A2" t="s"><v>0</v></c></row>`)
		}, func(w io.Writer) {
			io.WriteString(w, `<si><t>`)
			repeat(w, 'x', 1<<20)
			io.WriteString(w, `</t></si>`)
		})
		wantCode(t, func() error { _, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0); return err }(), "sheet_cell_too_long")
	})
	t.Run("too many shared strings", func(t *testing.T) {
		file := BombXLSX(t, limitSpec, func(w io.Writer) { inlineRow(w, 1, "name") }, func(w io.Writer) {
			repeat(w, 0, 0)
			io.WriteString(w, strings.Repeat("<si/>", MaxSharedStrings+1))
		})
		wantCode(t, func() error { _, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0); return err }(), "sheet_too_large")
	})
	t.Run("wide row", func(t *testing.T) {
		file := BombXLSX(t, limitSpec, func(w io.Writer) {
			inlineRow(w, 1, "name")
			inlineRow(w, 2, strings.Split(strings.Repeat("x,", MaxColumns+1)+"x", ",")...)
		}, nil)
		e := wantCode(t, func() error { _, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0); return err }(), "sheet_row_too_wide")
		if e.Details.(map[string]any)["row"] != 2 {
			t.Errorf("details %v", e.Details)
		}
	})
	t.Run("NUL is a row problem", func(t *testing.T) {
		file := BombXLSX(t, limitSpec, func(w io.Writer) {
			inlineRow(w, 1, "name", "note")
			inlineRow(w, 2, "a_x0000_b", "ok")
			inlineRow(w, 3, "fine")
		}, nil)
		rows, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || len(rows[0].Problems) != 1 || rows[0].Problems[0].Code != "invalid_character" || rows[0].Values["name"] != "ab" || len(rows[1].Problems) != 0 {
			t.Fatalf("rows %+v", rows)
		}
	})
}

func TestCSVLimits(t *testing.T) {
	read := func(data string) ([]Row, error) { return Read(strings.NewReader(data), CSV, limitSpec, 0) }
	_, err := read("name\n" + strings.Repeat("a", MaxCellBytes+1) + "\n")
	e := wantCode(t, err, "sheet_cell_too_long")
	if v := e.Details.(map[string]any)["value"].(string); utf8.RuneCountInString(v) != shortValue+1 {
		t.Errorf("error echoes %d characters", len(v))
	}
	_, err = read("name\n" + strings.Repeat("x,", MaxColumns) + "x\n")
	wantCode(t, err, "sheet_row_too_wide")
	// Trailing blank cells are formatting, not width.
	if _, err = read("name\nx" + strings.Repeat(",", MaxColumns+10) + "\n"); err != nil {
		t.Fatal(err)
	}
	_, err = Read(io.MultiReader(strings.NewReader("name\n"), io.LimitReader(zeros{}, MaxUnpackedBytes)), CSV, limitSpec, 0)
	wantCode(t, err, "sheet_too_large")
	rows, err := read("name,note\n\"a\x00b\",x\n")
	if err != nil || len(rows) != 1 || len(rows[0].Problems) != 1 || rows[0].Problems[0].Code != "invalid_character" || rows[0].Values["name"] != "ab" {
		t.Fatalf("NUL: %+v %v", rows, err)
	}
	// A header that names unknown columns echoes only their prefix.
	_, err = read("name," + strings.Repeat("z", 10000) + "\nx,y\n")
	e = wantCode(t, err, "bad_header")
	if u := e.Details.(map[string]any)["unknown_columns"].([]string); len(u[0]) > 100 {
		t.Errorf("header echoed %d bytes", len(u[0]))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestShort(t *testing.T) {
	if Short("短") != "短" {
		t.Fatal("short value changed")
	}
	v := Short(strings.Repeat("长", 1000))
	if utf8.RuneCountInString(v) != shortValue+1 || !strings.HasSuffix(v, "…") || !utf8.ValidString(v) {
		t.Fatalf("%q", v)
	}
}

// TestXLSXTooLargeInAll: cells each within the limit but unpacking to more
// than MaxUnpackedBytes in all are refused as sheet_too_large.
func TestXLSXTooLargeInAll(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 260 MB sheet")
	}
	cell := strings.Repeat("a", 16<<10)
	file := BombXLSX(t, limitSpec, func(w io.Writer) {
		inlineRow(w, 1, "name")
		for i := 0; i < (MaxUnpackedBytes>>14)+64; i++ {
			fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>`, i+2, i+2, cell)
		}
	}, nil)
	_, err := Read(bytes.NewReader(file), XLSX, limitSpec, 0)
	wantCode(t, err, "sheet_too_large")
}
