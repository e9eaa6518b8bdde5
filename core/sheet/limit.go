package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/wuye-project/wuye/core/apperr"
)

// Limits of an uploaded file. A small .xlsx can unpack to gigabytes (a zip
// bomb: 1 MB holding one 1 GB cell raised the server to 6 GB), so the reader
// counts what it actually unpacks, never trusting the sizes a zip declares,
// and stops at the first limit passed.
const (
	// MaxUnpackedBytes bounds the unpacked size of a whole .xlsx (every part
	// of the zip, declared and actually read) and the size of a .csv.
	MaxUnpackedBytes = 256 << 20
	// MaxCellBytes bounds one cell (bytes of UTF-8: about 10,000 Chinese
	// characters); in an .xlsx the raw XML text of a cell counts.
	MaxCellBytes = 32 << 10
	// MaxColumns bounds the width of a row (trailing blank cells aside).
	MaxColumns = 256
	// MaxSharedStrings bounds the shared strings table of an .xlsx.
	MaxSharedStrings = 1 << 20
	// maxParts bounds the number of parts (files) in an .xlsx zip.
	maxParts = 1000
	// maxTag bounds one XML tag, comment or processing instruction.
	maxTag = 64 << 10
	// shortValue is how much of a value a report or error echoes.
	shortValue = 64
)

// Errors of a file beyond the limits: the whole file is refused.
var (
	ErrTooLarge    = apperr.New(apperr.KindInvalid, "sheet_too_large", "The spreadsheet unpacks to more than %d MiB, or holds too many parts or strings; split it.", "表格解压后超过 %d MiB,或包含过多部件或字符串,请拆分后上传。")
	ErrCellTooLong = apperr.New(apperr.KindInvalid, "sheet_cell_too_long", "A cell holds more than %d bytes; shorten it.", "有单元格超过 %d 字节,请缩短。")
	ErrRowTooWide  = apperr.New(apperr.KindInvalid, "sheet_row_too_wide", "A row has more than %d columns.", "有一行超过 %d 列。")
	// ErrNUL is a row problem: a cell with a NUL character (the databases
	// refuse or mangle it).
	ErrNUL = apperr.New(apperr.KindInvalid, "invalid_character", "The cell contains a NUL character; remove it.", "单元格包含 NUL 字符,请删除。")
)

func tooLarge(detail map[string]any) error {
	return ErrTooLarge.Withf(MaxUnpackedBytes >> 20).WithDetails(detail)
}

func cellTooLong(detail map[string]any) error {
	detail["limit_bytes"] = MaxCellBytes
	return ErrCellTooLong.Withf(MaxCellBytes).WithDetails(detail)
}

// Short is the prefix of v that reports and errors echo: a cell may hold
// kilobytes an answer has no reason to repeat.
func Short(v string) string {
	if len(v) <= shortValue {
		return v
	}
	n := 0
	for i := range v {
		if n == shortValue {
			return v[:i] + "…"
		}
		n++
	}
	return v
}

// checkXLSX reads every part of the zip in data, counting the bytes it
// actually unpacks, and scans the worksheets and the shared strings for
// over-long cells, before excelize (which keeps every part in memory) sees
// the file. A file that is not a zip is left for excelize to refuse.
func checkXLSX(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	if len(zr.File) > maxParts {
		return tooLarge(map[string]any{"parts": len(zr.File), "limit_parts": maxParts})
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if declared > MaxUnpackedBytes {
			return tooLarge(map[string]any{"limit_bytes": MaxUnpackedBytes})
		}
	}
	budget := int64(MaxUnpackedBytes)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return ErrBadFile.Withf("XLSX").Wrap(err)
		}
		lr := &io.LimitedReader{R: rc, N: budget + 1}
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		switch {
		case strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml"):
			err = scanXML(lr, f.Name, false)
		case name == "xl/sharedstrings.xml":
			err = scanXML(lr, f.Name, true)
		default:
			_, err = io.Copy(io.Discard, lr)
		}
		rc.Close()
		if lr.N == 0 { // read past the budget: larger than declared, or than allowed
			return tooLarge(map[string]any{"limit_bytes": MaxUnpackedBytes})
		}
		if _, ok := apperr.As(err); ok {
			return err
		} else if err != nil { // a damaged part, or one longer than its header says
			return ErrBadFile.Withf("XLSX").Wrap(err)
		}
		budget = lr.N - 1
	}
	return nil
}

// scanXML streams one XML part and refuses a text run (the content of a
// cell, CDATA included) longer than MaxCellBytes, a tag longer than maxTag,
// and, in the shared strings, more than MaxSharedStrings entries. It counts
// raw bytes, so entities make it stricter, never looser.
func scanXML(r io.Reader, part string, sst bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	run, strs := 0, 0
	// skip consumes up to and including end, refusing more than maxTag bytes.
	skip := func(end string, text bool) error {
		var win [3]byte // the last bytes read, to find end (at most 3 bytes)
		for n := 1; ; n++ {
			b, err := br.ReadByte()
			if err != nil {
				return err
			}
			if text {
				if run++; run > MaxCellBytes {
					return cellTooLong(map[string]any{"part": part})
				}
			} else if n > maxTag {
				return cellTooLong(map[string]any{"part": part, "reason": "tag too long"})
			}
			win[0], win[1], win[2] = win[1], win[2], b
			if n >= len(end) && string(win[3-len(end):]) == end {
				return nil
			}
		}
	}
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if b != '<' {
			if run++; run > MaxCellBytes {
				return cellTooLong(map[string]any{"part": part})
			}
			continue
		}
		next, _ := br.Peek(8)
		switch {
		case bytes.HasPrefix(next, []byte("![CDATA[")):
			br.Discard(8)
			err = skip("]]>", true) // CDATA is text of the cell around it
		case bytes.HasPrefix(next, []byte("!--")):
			err = skip("-->", false)
		case bytes.HasPrefix(next, []byte("?")):
			err = skip("?>", false)
		default:
			run = 0 // an element starts or ends: a new text run
			if sst && len(next) >= 3 && next[0] == 's' && next[1] == 'i' && (next[2] == '>' || next[2] == ' ' || next[2] == '/') {
				if strs++; strs > MaxSharedStrings {
					return tooLarge(map[string]any{"shared_strings": strs, "limit_shared_strings": MaxSharedStrings})
				}
			}
			err = skip(">", false)
		}
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// checkRecord refuses a row wider than MaxColumns or with a cell longer
// than MaxCellBytes; trailing blank cells (formatting) do not count.
func checkRecord(line int, rec []string) ([]string, error) {
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	if len(rec) > MaxColumns {
		return nil, ErrRowTooWide.Withf(MaxColumns).WithDetails(map[string]any{"row": line, "columns": len(rec), "limit_columns": MaxColumns})
	}
	for i, v := range rec {
		if len(v) > MaxCellBytes {
			return nil, cellTooLong(map[string]any{"row": line, "column_index": i + 1, "value": Short(v)})
		}
	}
	return rec, nil
}

// validUTF8 replaces what is not UTF-8 (the databases refuse it).
func validUTF8(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}
