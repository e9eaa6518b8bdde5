package httpapi_test

import (
	"strings"
	"testing"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// TestImportWithRows: with_rows=true gives the report the template's
// columns and every row as read, beside the problems (the console's import
// wizard shows each problem next to its row and sends fixed rows back);
// without it the report carries neither, and a rejected file writes nothing.
func TestImportWithRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cs, _ := importAPI(t, db)
		a := cs["a"]
		compound(t, a)
		tpl := a.raw("GET", "/api/v1/imports/residents/template?format=csv", "", nil)
		row := func(name, phone, room string) []string {
			return []string{name, "", "", "", "", phone, "阳光花园", "1栋", "1单元", room, "业主", "", "2020-01-01", "", ""}
		}
		file := csvFile(t, tpl.Body.Bytes(), row("周一", "13700000101", "101"), row("周二", "13700000102", "909"))

		rep := report(t, a.raw("POST", "/api/v1/imports/residents?format=csv&dry_run=true&with_rows=true", "text/csv", file))
		if rep.BadRows != 1 || len(rep.Problems) != 1 || rep.Problems[0].Line != 3 || rep.Problems[0].Column != "room" || rep.Written {
			t.Fatalf("dry run %+v", rep)
		}
		if len(rep.Columns) != 15 || rep.Columns[0].Key != "name" || rep.Columns[0].ZH != "姓名" || !rep.Columns[0].Required {
			t.Fatalf("columns %+v", rep.Columns)
		}
		if len(rep.Data) != 2 || rep.Data[0].Line != 2 || rep.Data[0].Values["name"] != "周一" || rep.Data[1].Line != 3 || rep.Data[1].Values["room"] != "909" {
			t.Fatalf("rows %+v", rep.Data)
		}

		// All or nothing: the rejected import's report has the rows too.
		rep = report(t, a.raw("POST", "/api/v1/imports/residents?format=csv&with_rows=true", "text/csv", file))
		if rep.Written || rep.Imported != 0 || len(rep.Data) != 2 {
			t.Fatalf("rejected %+v", rep)
		}
		if st, page := a.do("GET", "/api/v1/persons?name=周一", nil); st != 200 || page["total"].(float64) != 0 {
			t.Fatalf("a rejected file wrote %d %v", st, page)
		}

		// Fixed, without the option: written, and no rows in the answer.
		file = csvFile(t, tpl.Body.Bytes(), row("周一", "13700000101", "101"), row("周二", "13700000102", "102"))
		rec := a.raw("POST", "/api/v1/imports/residents?format=csv", "text/csv", file)
		if strings.Contains(rec.Body.String(), `"data"`) || strings.Contains(rec.Body.String(), `"columns"`) {
			t.Fatalf("rows without the option: %s", rec.Body.String())
		}
		if rep := report(t, rec); !rep.Written || rep.Imported != 2 {
			t.Fatalf("fixed %+v", rep)
		}
	})
}
