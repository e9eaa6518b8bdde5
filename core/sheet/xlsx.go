package sheet

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The .xlsx writer. A workbook of one sheet whose cells are all inline text
// needs only six small parts besides the sheet, so the sheet's XML is
// written here row by row into a zip at flate's fastest level: excelize's
// stream writer (a struct, a cell name and an interface per cell, a temp
// file, default compression) cost more than the whole rest of a 100,000-row
// export. The cells are written exactly as excelize writes a string cell —
// inline text, at most 32,767 UTF-16 units, characters XML 1.0 forbids
// replaced by U+FFFD, a literal _xHHHH_ escaped so a reader does not decode
// it, xml:space="preserve" when the text starts or ends with white space —
// and the file is read back by excelize (Read) in tests.

// maxCellChars is Excel's limit of a cell's text, in UTF-16 units.
const maxCellChars = 32767

// xlsxWriter writes an .xlsx file of one sheet, a bold header row first.
type xlsxWriter struct {
	zw   *zip.Writer
	bw   *bufio.Writer
	cols []string // column letters
	row  int      // rows written
	num  []byte   // scratch for the row number
}

// newXLSXWriter starts a file of sheet name with the header row.
func newXLSXWriter(w io.Writer, name string, headers []string) (*xlsxWriter, error) {
	if err := checkSheetName(name); err != nil {
		return nil, err
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", rootRels},
		{"xl/workbook.xml", workbookHead + xmlText(name) + workbookTail},
		{"xl/_rels/workbook.xml.rels", workbookRels},
		{"xl/styles.xml", styles},
	}
	for _, p := range parts {
		f, err := zw.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return nil, err
		}
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{zw: zw, bw: bufio.NewWriterSize(f, 64<<10)}
	x.cols = make([]string, len(headers))
	for i := range headers {
		x.cols[i] = columnName(i + 1)
	}
	x.bw.WriteString(sheetHead)
	x.writeRow(headers, ` s="1"`)
	return x, nil
}

// WriteRow adds a row of text cells; empty cells are left out.
func (x *xlsxWriter) WriteRow(cells []string) { x.writeRow(cells, "") }

func (x *xlsxWriter) writeRow(cells []string, style string) {
	x.row++
	bw := x.bw
	x.num = strconv.AppendInt(x.num[:0], int64(x.row), 10)
	bw.WriteString(`<row r="`)
	bw.Write(x.num)
	bw.WriteString(`">`)
	for i, v := range cells {
		if v == "" || i >= len(x.cols) {
			continue
		}
		bw.WriteString(`<c r="`)
		bw.WriteString(x.cols[i])
		bw.Write(x.num)
		bw.WriteString(`"`)
		bw.WriteString(style)
		bw.WriteString(` t="inlineStr"><is><t`)
		v = truncateCell(v)
		if spaceAtEdge(v) {
			bw.WriteString(` xml:space="preserve"`)
		}
		bw.WriteByte('>')
		writeCellText(bw, v)
		bw.WriteString(`</t></is></c>`)
	}
	bw.WriteString(`</row>`)
}

// Close ends the sheet and the file.
func (x *xlsxWriter) Close() error {
	x.bw.WriteString(sheetTail)
	if err := x.bw.Flush(); err != nil {
		return err
	}
	return x.zw.Close()
}

// columnName is the letters of column n (1: A, 27: AA).
func columnName(n int) string {
	var b []byte
	for ; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// checkSheetName refuses a name Excel does not accept, as excelize does.
func checkSheetName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 31 {
		return errors.New("sheet: the sheet name must be 1 to 31 characters")
	}
	if strings.ContainsAny(name, `:\/?*[]`) || name[0] == '\'' || name[len(name)-1] == '\'' {
		return errors.New("sheet: the sheet name cannot contain : \\ / ? * [ ] or begin or end with '")
	}
	return nil
}

// truncateCell cuts v to Excel's cell limit (a UTF-8 string has at least as
// many bytes as UTF-16 units, so short ones need no count).
func truncateCell(v string) string {
	if len(v) <= maxCellChars {
		return v
	}
	n := 0
	for i, r := range v {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if n+w > maxCellChars {
			return v[:i]
		}
		n += w
	}
	return v
}

func spaceAtEdge(v string) bool {
	isSpace := func(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
	return v != "" && (isSpace(v[0]) || isSpace(v[len(v)-1]))
}

// writeCellText writes v as XML text: markup characters escaped, a
// character XML 1.0 forbids (or a byte that is not UTF-8) as U+FFFD, and a
// literal _xHHHH_ prefixed by _x005F (the escaped "_"), so a reader's
// decoding of _xHHHH_ gives v back.
func writeCellText(bw *bufio.Writer, v string) {
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '_' {
			i++
			continue
		}
		var esc string
		width := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\t':
			esc = "&#x9;"
		case c == '\r':
			esc = "&#xD;"
		case c == '\n':
			i++
			continue
		case c == '_':
			if bstrAt(v, i) {
				bw.WriteString(v[start:i])
				bw.WriteString("_x005F")
				start = i
			}
			i++
			continue
		case c < 0x20:
			esc = "\uFFFD"
		default:
			r, w := utf8.DecodeRuneInString(v[i:])
			width = w
			if (r != utf8.RuneError || w != 1) && xmlChar(r) {
				i += w
				continue
			}
			esc = "\uFFFD"
		}
		bw.WriteString(v[start:i])
		bw.WriteString(esc)
		i += width
		start = i
	}
	bw.WriteString(v[start:])
}

// bstrAt: v[i:] starts with _xHHHH_ (H a hex digit).
func bstrAt(v string, i int) bool {
	if i+7 > len(v) || v[i+1] != 'x' || v[i+6] != '_' {
		return false
	}
	for _, c := range []byte(v[i+2 : i+6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// xmlChar: r may appear in XML 1.0 text (beyond ASCII).
func xmlChar(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// xmlText escapes s for an attribute or text.
func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

const (
	contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`
	rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`
	workbookHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="`
	workbookTail = `" sheetId="1" r:id="rId1"/></sheets></workbook>`
	workbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`
	// styles: font 1 is bold; cell format 1 (the header's s="1") uses it.
	styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
		`</styleSheet>`
	sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetData>`
	sheetTail = `</sheetData></worksheet>`
)
