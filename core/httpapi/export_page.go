package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/paging"
)

// exportPage is the context value of one page an export reads: the keyset
// ListPaging hands the list, and the page itself when the handler answers
// with WritePage. WritePage then encodes the items one by one, each exactly
// as the Page's JSON holds it, into a buffer the export reuses page after
// page, instead of one page-sized JSON body the exporter would split again:
// that body (encoded, copied, grown in fresh memory for every page) cost
// more than the rows' own encoding. Handlers writing their page by hand go
// through the captured body as before.
type exportPage struct {
	keyset *paging.Keyset
	filled bool // WritePage answered this page
	list   listJSON
	buf    bytes.Buffer
	ends   []int // each item's end in buf
}

// exportPageOf is the export's page for c, or nil outside an export.
func exportPageOf(c *gin.Context) *exportPage {
	if c.Request == nil {
		return nil
	}
	e, _ := c.Request.Context().Value(exportKey{}).(*exportPage)
	return e
}

// start readies e for the next page.
func (e *exportPage) start() {
	e.keyset.Start()
	e.filled = false
	e.buf.Reset()
	e.ends = e.ends[:0]
	e.list = listJSON{}
}

// fillExportPage gives an export its page (reporting whether it did): the
// paging and each item's JSON, encoded as an element of Page.Items is
// (through its address, so a pointer receiver's MarshalJSON applies).
func fillExportPage[T any](e *exportPage, pq PageQuery, items []T, total int64) bool {
	enc := json.NewEncoder(&e.buf) // escapes HTML as json.Marshal does
	for i := range items {
		if err := enc.Encode(&items[i]); err != nil {
			e.buf.Reset()
			e.ends = e.ends[:0]
			return false // the answer as any list gives it
		}
		e.ends = append(e.ends, e.buf.Len()-1) // before Encode's newline
		if i == 0 && e.buf.Cap() < e.buf.Len()*len(items) {
			// Room for the page at the first item's size, at once (the
			// buffer serves the next pages too).
			e.buf.Grow(e.buf.Len() * len(items) * 5 / 4)
		}
	}
	b := e.buf.Bytes()
	e.list = listJSON{Total: total, Page: pq.Page, PageSize: pq.PageSize, items: make([][]byte, len(e.ends))}
	start := 0
	for i, end := range e.ends {
		e.list.items[i] = b[start:end]
		start = end + 1
	}
	e.filled = true
	return true
}
