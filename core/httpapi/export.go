package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/sheet"
)

// Any list exports. Every GET route whose Response is a Page (or embeds one,
// as PersonPage does, or is another list body: see lister) also answers
// ?format=xlsx|csv with a file of ALL the rows its filters match, not one page.
//
// How: New wraps such a route's handler (exportable) so that, given a
// format, it calls the handler again page by page, capturing each JSON
// answer in a buffer, and writes the items with sheet. Going through the
// handler itself means the file holds exactly what the JSON list shows —
// same filters, sort, validation, tenant scope and masking — and the access
// middleware in front has checked the permission for the whole export (half
// the list handlers build their Page by hand, while the route table already
// says which routes answer a Page).
//
// Every page is read in one snapshot (a ledger exported while it is written
// must not show a payment half-way): on a tenant route the pages run inside
// one read-only transaction (Snapshotter: REPEATABLE READ READ ONLY on
// Postgres, a read transaction on SQLite) that the domain's InTenant joins.
// Pages are exportPageSize rows, and a list whose handler pages with
// ListPaging and whose service applies paging.Paging reads them by keyset
// (paging.Keyset: after the last row read, not OFFSET), so each page costs
// the same; others page by offset, in the same snapshot. The file's rows
// are checked against the list's total (same snapshot, so equal): a keyset
// that missed or repeated a row makes the export start again by offset.

// Snapshotter runs fn in one read-only transaction of a tenant that the
// services called with its context join; *store.DB satisfies it (InSnapshot).
type Snapshotter interface {
	InSnapshot(ctx context.Context, tenantID uuid.UUID, fn func(ctx context.Context) error) error
}

// exportPageSize is the page an export reads at a time: large enough that
// the per-page work (the count, a JSON envelope) is small against the rows.
var exportPageSize = 25_000

// exportKey marks the context of an export's page; its value is the
// *exportPage (export_page.go).
type exportKey struct{}

// DefaultMaxExportRows caps one export when Deps.MaxExportRows is zero.
const DefaultMaxExportRows = 100_000

// ErrExportTooLarge answers an export matching more rows than the cap.
var ErrExportTooLarge = apperr.New(apperr.KindInvalid, "export_too_large",
	"More than %d rows match; narrow the filters and export again.",
	"符合条件的数据超过 %d 行,请缩小筛选范围后再导出。")

// lister is implemented by Page[T] and by every type embedding one: a list
// response, whose items can be exported.
type lister interface{ exportItem() reflect.Type }

func (Page[T]) exportItem() reflect.Type { return reflect.TypeFor[T]() }

// List is the body of a short, unpaged list (roles, the permission
// catalogue, plans): {items: [...]}, never a bare array. It exports too (a
// handler that ignores page answers once), and so does any body embedding
// it (the operator's archived tasks).
type List[T any] struct {
	Items []T `json:"items"`
}

func (List[T]) exportItem() reflect.Type { return reflect.TypeFor[T]() }

// WriteList answers a short, unpaged list; an empty one is [], never null.
func WriteList[T any](c *gin.Context, items []T) {
	if items == nil {
		items = []T{}
	}
	c.JSON(http.StatusOK, List[T]{Items: items})
}

// isList reports whether r is a list route that can be exported.
func isList(r Route) (reflect.Type, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	l, ok := r.Response.(lister)
	if !ok {
		return nil, false
	}
	return l.exportItem(), true
}

// exportable returns r's handler, wrapped to answer ?format= on list routes.
func (s *Server) exportable(r Route) HandlerFunc {
	item, ok := isList(r)
	if !ok {
		return r.Handler
	}
	h, cols, kind := r.Handler, exportColumns(item), exportKind(r.Path)
	spec := sheet.Spec{Kind: kind, Title: kind, Columns: make([]sheet.Column, len(cols))}
	if len(spec.Title) > 31 { // an xlsx sheet name's limit
		spec.Title = spec.Title[:31]
	}
	for i, c := range cols {
		spec.Columns[i] = sheet.Column{Key: c.key}
	}
	limit := s.MaxExportRows
	if limit <= 0 {
		limit = DefaultMaxExportRows
	}
	return func(c *gin.Context) error {
		v := c.Query("format")
		if v == "" {
			return h(c)
		}
		var f sheet.Format
		switch strings.ToLower(v) {
		case "xlsx":
			f = sheet.XLSX
		case "csv":
			f = sheet.CSV
		default:
			return sheet.ErrFormat
		}
		var (
			out  bytes.Buffer // the file, kept until every page has been read
			sw   *sheet.Writer
			n    int // rows written
			rr   = newRowReader(cols)
			row  = make([]string, len(cols))
			page = &pageBuffer{}
			ep   = &exportPage{}
		)
		read := func(ctx context.Context, offsets bool) error {
			out.Reset()
			var err error
			if sw, err = sheet.NewWriter(&out, f, spec); err != nil {
				return err
			}
			n = 0
			k := &paging.Keyset{}
			if offsets {
				k.Offsets()
			}
			ep.keyset = k
			pctx := context.WithValue(ctx, exportKey{}, ep)
			keyset := false // some page was read by keyset
			var total int64
			size := exportPageSize
			for num := 1; ; num++ {
				ep.start()
				err := capturePage(c, pctx, h, page, num, size)
				if num == 1 && size > MaxPageSize && refusesPageSize(err) {
					// A list with a page limit of its own (the person
					// search): read it in pages of MaxPageSize.
					size = MaxPageSize
					ep.start()
					err = capturePage(c, pctx, h, page, num, size)
				}
				if err != nil {
					return err
				}
				if page.status != http.StatusOK {
					return errPassOn{page}
				}
				p := &ep.list
				if !ep.filled {
					if err := p.decode(page.body.Bytes()); err != nil {
						return err
					}
				}
				if p.Total > int64(limit) || n+len(p.items) > limit {
					return ErrExportTooLarge.Withf(limit)
				}
				// Rows go to the file as each page arrives: no export holds
				// all its rows, only the file being written.
				for _, it := range p.items {
					rr.row(it, row)
					sw.WriteRow(row)
				}
				if num == 1 && len(p.items) > 0 && p.Total > int64(len(p.items)) {
					out.Grow(int(int64(out.Len()) * (p.Total - int64(len(p.items))) / int64(len(p.items)) * 11 / 10))
				}
				n, total = n+len(p.items), p.Total
				if k.Used() {
					keyset = true
					if !k.Recorded() {
						k.Offsets() // the next pages follow by offset, same order
					}
				}
				// A short page is the last; so is the one page of a handler
				// that does not page (it answers another page number or size),
				// and a full one that brings the rows to the total (same
				// snapshot: nothing follows; a total of a multiple of the
				// page size, the cap itself, needs no empty page).
				if len(p.items) == 0 || len(p.items) < p.PageSize || p.Page != num || p.PageSize != size ||
					int64(n) == total {
					break
				}
			}
			if keyset && !offsets && int64(n) != total {
				return errKeysetMissed
			}
			return sw.Close()
		}
		run := func(ctx context.Context) error {
			err := read(ctx, false)
			if errors.Is(err, errKeysetMissed) {
				// The keyset and the list's order disagree (a key the
				// database sorts otherwise than it compares): read again by offset.
				err = read(ctx, true)
			}
			return err
		}
		ctx := c.Request.Context()
		var err error
		if sn, ok := s.Tx.(Snapshotter); ok && TenantOf(ctx) != uuid.Nil {
			err = sn.InSnapshot(ctx, TenantOf(ctx), run)
		} else {
			err = run(ctx) // platform lists (operators, tenants): no tenant snapshot
		}
		var pass errPassOn
		if errors.As(err, &pass) {
			// Not a page (a handler answering on its own): pass it on as is.
			for k, vs := range pass.w.header {
				c.Writer.Header()[k] = vs
			}
			c.Data(pass.w.status, pass.w.header.Get("Content-Type"), pass.w.body.Bytes())
			return nil
		}
		if err != nil {
			return err
		}
		c.Header("X-Total-Count", strconv.Itoa(n))
		sendFile(c, f, exportName(spec), out.Bytes())
		return nil
	}
}

// refusesPageSize reports whether err is a list's refusal of page_size.
func refusesPageSize(err error) bool {
	e, ok := apperr.As(err)
	if !ok {
		return false
	}
	fe, _ := e.Details.([]apperr.FieldError)
	for _, f := range fe {
		if f.Field == "page_size" {
			return true
		}
	}
	return false
}

// errPassOn carries a handler's answer that is not a page out of the snapshot.
type errPassOn struct{ w *pageBuffer }

func (errPassOn) Error() string { return "httpapi: list answered without a page" }

var errKeysetMissed = errors.New("httpapi: keyset export did not read the list's total")

// capturePage runs h for one page of size rows on a copy of the request,
// keeping its answer in w (emptied first: one buffer serves every page).
// The copy has its own query (gin caches the parsed query per Context) and
// its own writer.
func capturePage(c *gin.Context, ctx context.Context, h HandlerFunc, w *pageBuffer, page, size int) error {
	req := c.Request.Clone(ctx)
	q := req.URL.Query()
	q.Del("format")
	q.Set("page", strconv.Itoa(page))
	q.Set("page_size", strconv.Itoa(size))
	req.URL.RawQuery = q.Encode()
	cp := c.Copy()
	cp.Request = req
	w.ResponseWriter, w.header, w.status, w.written = c.Writer, http.Header{}, http.StatusOK, false
	w.body.Reset()
	cp.Writer = w
	return h(cp)
}

// pageBuffer is a gin.ResponseWriter that keeps the status, headers and
// body for the exporter instead of sending them (idempotency's
// captureWriter, by contrast, sends and keeps a copy).
type pageBuffer struct {
	gin.ResponseWriter
	header  http.Header
	status  int
	written bool
	body    bytes.Buffer
}

func (w *pageBuffer) Header() http.Header { return w.header }
func (w *pageBuffer) WriteHeader(code int) {
	if !w.written {
		w.status = code
	}
}
func (w *pageBuffer) WriteHeaderNow()             { w.written = true }
func (w *pageBuffer) Write(b []byte) (int, error) { w.written = true; return w.body.Write(b) }
func (w *pageBuffer) WriteString(s string) (int, error) {
	w.written = true
	return w.body.WriteString(s)
}
func (w *pageBuffer) Status() int { return w.status }
func (w *pageBuffer) Size() int {
	if !w.written {
		return -1
	}
	return w.body.Len()
}
func (w *pageBuffer) Written() bool { return w.written }
func (w *pageBuffer) Flush()        {}

// exportKind names the file after the route's path: /api/v1/assets/:id/
// maintenance-records becomes assets-maintenance-records.
func exportKind(path string) string {
	var parts []string
	for _, p := range strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/") {
		if p != "" && p[0] != ':' && p[0] != '*' {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "export"
	}
	return strings.Join(parts, "-")
}

// exportColumn is one column of a list file: a JSON field of the item, or
// parent.child for a field of a nested object.
type exportColumn struct {
	key, parent, child string
	whole              bool // the item itself (an item type that is no object)
}

type exportColumnList []exportColumn

// exportColumns lists the JSON fields of the item type in declaration order,
// nested objects flattened one level. Values are later read from the JSON
// the handler wrote, so a column says what the API says, digit for digit.
func exportColumns(t reflect.Type) exportColumnList {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !isObject(t) {
		return exportColumnList{{key: "value", whole: true}}
	}
	var out exportColumnList
	seen := map[string]bool{}
	add := func(c exportColumn) {
		if !seen[c.key] {
			seen[c.key] = true
			out = append(out, c)
		}
	}
	for _, f := range fields(t, "json") {
		ft := f.typ
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if !isObject(ft) {
			add(exportColumn{key: f.name})
			continue
		}
		for _, sub := range fields(ft, "json") {
			add(exportColumn{key: f.name + "." + sub.name, parent: f.name, child: sub.name})
		}
	}
	return out
}

// isObject: t is written as a JSON object with its own fields (not a time,
// id, decimal or other type that chooses its own text).
func isObject(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t == timeType {
		return false
	}
	for _, m := range []reflect.Type{marshalerT, textMarshal} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return false
		}
	}
	return true
}

// listJSON is a list answer: its paging and its items, each the item's
// JSON as the handler wrote it (a slice of the page's body).
type listJSON struct {
	Total    int64 `json:"total"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
	items    [][]byte
}

// decode reads a list answer's paging and splits its items, in one pass
// (an export's cost is mostly JSON). The body is the handler's own
// encoding/json output, split by hand: a map per item, or even
// encoding/json's pass over the items, cost more than the rest of the export.
func (l *listJSON) decode(body []byte) error {
	if !json.Valid(body) {
		return errors.New("httpapi: list answer is not JSON")
	}
	splitObject(body, func(key, v []byte) {
		switch string(key) {
		case "total":
			l.Total, _ = strconv.ParseInt(string(v), 10, 64)
		case "page":
			l.Page, _ = strconv.Atoi(string(v))
		case "page_size":
			l.PageSize, _ = strconv.Atoi(string(v))
		case "items":
			l.items = splitArray(v)
		}
	})
	return nil
}

// rowReader turns an item's JSON into the cells of its row.
type rowReader struct {
	cols  exportColumnList
	index map[string]int // a column by key; -1: a nested object's parent
}

func newRowReader(cols exportColumnList) *rowReader {
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		if c.parent == "" {
			index[c.key] = i
		} else if _, ok := index[c.parent]; !ok {
			index[c.parent] = -1
		}
	}
	return &rowReader{cols: cols, index: index}
}

// row fills row (len(cols) cells, reused from item to item) from item.
func (r *rowReader) row(item []byte, row []string) {
	clear(row)
	if len(r.cols) == 1 && r.cols[0].whole {
		row[0] = cellText(item)
		return
	}
	splitObject(item, func(key, v []byte) {
		switch i, ok := r.index[string(key)]; {
		case !ok:
		case i >= 0:
			row[i] = cellText(v)
		default: // a nested object's columns
			var sub map[string]json.RawMessage
			json.Unmarshal(v, &sub) // null leaves sub nil: empty cells
			for j, c := range r.cols {
				if c.parent == string(key) {
					row[j] = cellText(sub[c.child])
				}
			}
		}
	})
}

// splitArray returns the elements of the JSON array b (checked before).
func splitArray(b []byte) [][]byte {
	var out [][]byte
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil
	}
	for i++; ; {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == ']' {
			return out
		}
		end := skipValue(b, i)
		out = append(out, b[i:end])
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i++
		} else if end == i && (i >= len(b) || b[i] != ']') {
			return out // not progressing: malformed
		}
	}
}

// splitObject calls fn with each member of the JSON object b, which
// encoding/json has already checked: the key unquoted, the value as is
// (both only valid during the call: no string per key and item).
func splitObject(b []byte, fn func(key, v []byte)) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			return
		}
		end := skipValue(b, i) // the key, a string
		if b[i] != '"' || end < i+2 {
			return // malformed
		}
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			json.Unmarshal(b[i:end], &k)
			key = []byte(k)
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // past ':'
		if i >= len(b) {
			return
		}
		end = skipValue(b, i)
		fn(key, b[i:end])
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the (valid) JSON value starting at i.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// cellText writes a JSON value as a cell: strings unquoted, numbers and
// booleans as written (no float round trip), null empty, arrays joined with
// "; ", objects as compact JSON.
func cellText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	switch v[0] {
	case '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return string(v[1 : len(v)-1]) // no escapes: the text itself
		}
		var s string
		json.Unmarshal(v, &s)
		return s
	case '[':
		var items []json.RawMessage
		json.Unmarshal(v, &items)
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = cellText(it)
		}
		return strings.Join(parts, "; ")
	case '{':
		var b bytes.Buffer
		if json.Compact(&b, v) == nil {
			return b.String()
		}
	}
	return string(v)
}
