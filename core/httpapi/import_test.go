package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/app"
	"github.com/wuye-project/wuye/core/asset"
	"github.com/wuye-project/wuye/core/asset/assetapi"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/httpapi"
	"github.com/wuye-project/wuye/core/idempotency"
	"github.com/wuye-project/wuye/core/property"
	"github.com/wuye-project/wuye/core/property/propertyapi"
	"github.com/wuye-project/wuye/core/resident"
	"github.com/wuye-project/wuye/core/resident/residentapi"
	"github.com/wuye-project/wuye/core/sheet"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/core/store/storetest"
)

// importAPI is a server with property, assets and residents over a real
// store; tokens a, c (fresh) and b are admins of three tenants, clerk is
// tenant a's staff without resident.pii.read.
func importAPI(t *testing.T, db *store.DB) (map[string]client, *auditLog) {
	all := map[string]bool{"property.read": true, "property.manage": true, "asset.read": true, "asset.manage": true,
		resident.PermRead: true, resident.PermManage: true, resident.PermPIIRead: true}
	user := func(tenant uuid.UUID, name string) actor.Actor {
		return actor.Actor{Kind: actor.User, ID: uuid.New(), TenantID: tenant, Name: name}
	}
	ta := uuid.New()
	tk := tokens{
		"a":     {user(ta, "admin-a"), all},
		"clerk": {user(ta, "clerk"), map[string]bool{"property.read": true, "asset.read": true, resident.PermRead: true, resident.PermManage: true}},
		"b":     {user(uuid.New(), "admin-b"), all},
		"c":     {user(uuid.New(), "admin-c"), all},
	}
	log := &auditLog{}
	props, err := property.New(db, property.Unlimited, property.NoResidents{})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := asset.New(db, app.AssetPlaces(props))
	if err != nil {
		t.Fatal(err)
	}
	res, err := resident.New(db, resident.Config{PIIKeys: map[string][]byte{"k1": bytes.Repeat([]byte{1}, 32)}, ActiveKeyID: "k1", IndexKey: bytes.Repeat([]byte{2}, 32)},
		resident.Deps{Rooms: app.NewRoomDirectory(props), Perms: tk, Audit: log, Accounts: noAccounts{}})
	if err != nil {
		t.Fatal(err)
	}
	s := httpapi.New(httpapi.Deps{Tx: db, IsNotFound: store.IsNotFound, Idempotency: idempotency.New(db), Sheets: db, Log: slog.New(slog.DiscardHandler), Auth: tk, Authz: tk,
		Routes: append(append(propertyapi.Routes(props), assetapi.Routes(assets)...), residentapi.Routes(res)...)})
	out := map[string]client{}
	for name := range tk {
		out[name] = client{t, s.Handler(), name}
	}
	return out, log
}

// auditLog keeps audit entries in memory.
type auditLog struct {
	mu sync.Mutex
	es []audit.Entry
}

func (l *auditLog) Record(_ context.Context, e audit.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.es = append(l.es, e)
	return nil
}

// noAccounts knows no user accounts (these tests link none).
type noAccounts struct{}

func (noAccounts) AccountKind(context.Context, uuid.UUID, uuid.UUID) (string, bool, error) {
	return "", false, nil
}

func (noAccounts) AccountByUsername(context.Context, uuid.UUID, string) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}

// compound gives a tenant 阳光花园 with 1栋 1单元 rooms 101-302 and a 会所.
func compound(t *testing.T, c client) {
	t.Helper()
	st, comm := c.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
	if st != 201 {
		t.Fatalf("community %d %v", st, comm)
	}
	if st, b := c.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": 3, "rooms_per_floor": 2}); st != 201 {
		t.Fatalf("generate %d %v", st, b)
	}
	if st, b := c.do("POST", "/api/v1/locations", map[string]any{"community_id": comm["id"], "name": "会所", "category": "clubhouse"}); st != 201 {
		t.Fatalf("common area %d %v", st, b)
	}
}

// csvFile writes rows under the header of a template the server sent.
func csvFile(t *testing.T, template []byte, rows ...[]string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.Write(template)
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	return b.Bytes()
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v %q", err, body)
	}
	return recs
}

// report decodes an import answer: the report itself (200) or the details
// of import_rejected (422).
func report(t *testing.T, rec *httptest.ResponseRecorder) sheet.Report {
	t.Helper()
	var rep sheet.Report
	var wrapped struct {
		Error struct {
			Code    string       `json:"code"`
			Details sheet.Report `json:"details"`
		} `json:"error"`
	}
	switch rec.Code {
	case 200:
		json.Unmarshal(rec.Body.Bytes(), &rep)
	case 422:
		json.Unmarshal(rec.Body.Bytes(), &wrapped)
		if wrapped.Error.Code != "import_rejected" {
			t.Fatalf("422 %s", rec.Body.String())
		}
		rep = wrapped.Error.Details
	default:
		t.Fatalf("import answered %d %s", rec.Code, rec.Body.String())
	}
	return rep
}

// problems lists a report's problems as "row column code", sorted.
func problems(rep sheet.Report) []string {
	out := []string{}
	for _, p := range rep.Problems {
		out = append(out, fmt.Sprintf("%d %s %s", p.Line, p.Column, p.Code))
	}
	sort.Strings(out)
	return out
}

func wantProblems(t *testing.T, rep sheet.Report, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := problems(rep); !slices.Equal(got, want) {
		t.Fatalf("problems\n got %v\nwant %v\n(%+v)", got, want, rep.Problems)
	}
}

// idWithCheck completes 17 digits with the GB 11643 check character.
func idWithCheck(d17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(d17[i]-'0') * w[i]
	}
	return d17 + string("10X98765432"[sum%11])
}

func TestResidentImportExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cs, log := importAPI(t, db)
		a, b, c, clerk := cs["a"], cs["b"], cs["c"], cs["clerk"]
		compound(t, a)
		compound(t, c)
		// A plate already registered in the tenant.
		st, owner := a.do("POST", "/api/v1/persons", map[string]any{"name": "刘芳"})
		if st != 201 {
			t.Fatalf("person %d %v", st, owner)
		}
		if st, v := a.do("POST", "/api/v1/persons/"+owner["id"].(string)+"/vehicles", map[string]any{"plate": "粤B·F67890"}); st != 201 {
			t.Fatalf("vehicle %d %v", st, v)
		}

		tpl := a.raw("GET", "/api/v1/imports/residents/template?format=csv", "", nil)
		if tpl.Code != 200 || !strings.Contains(tpl.Body.String(), "证件号码 id_number") {
			t.Fatalf("template %d %q", tpl.Code, tpl.Body.String())
		}
		id1, id2 := idWithCheck("44030519720418153"), idWithCheck("11010519900707351")
		badID := id2[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", id2[17])+1)%11])
		row := func(name, gender, idNum, phone, room, role, relation, moveIn, tags, plates string) []string {
			return []string{name, gender, "", "", idNum, phone, "阳光花园", "1栋", "1单元", room, role, relation, moveIn, tags, plates}
		}
		file := csvFile(t, tpl.Body.Bytes(),
			row("陈建国", "男", id1, "13802461357", "101", "业主", "本人", "2015-06-01", "elderly_alone:老伴去世,子女在外地; needs_visits", "粤B·D12345"), // 2 good
			row("林秀珍", "女", "", "139-0246-1358", "101", "家属", "配偶", "2015/6/1", "", ""),                                                 // 3 good
			row("王五", "", "", "", "999", "业主", "本人", "2020-01-01", "", ""),                                                              // 4 unknown room
			row("张伟", "", badID, "12345", "102", "tenant", "租客", "2023-03-01", "", ""),                                                  // 5 bad id checksum and phone
			row("赵六", "", "", "", "201", "owner", "", "2020-01-01", "vip", "粤B·D1234X"),                                                 // 6 unknown tag, bad plate
			row("孙七", "", "", "13600135791", "202", "owner", "", "2020-01-01", "", "粤B D12345"),                                         // 7 plate earlier in the file
			row("周八", "", "", "", "301", "房东", "", "yesterday", "", ""),                                                                 // 8 bad role and date
			row("陈建国", "男", id1, "13802461357", "102", "owner", "本人", "2018-01-01", "", ""),                                             // 9 good: same person, second room
			row("吴九", "", "", "", "302", "owner", "", "2020-01-01", "", "粤B·F67890"),                                                    // 10 plate in the tenant
		)
		rep := report(t, a.raw("POST", "/api/v1/imports/residents?format=csv", "text/csv", file))
		if rep.Written || rep.Rows != 9 || rep.BadRows != 6 {
			t.Fatalf("all-or-nothing report %+v", rep)
		}
		wantProblems(t, rep, "4 room unknown_room", "5 id_number invalid_id_number", "5 phone invalid_phone",
			"6 care_tags unknown_tag", "6 plates invalid_plate", "7 plates duplicate_plate", "8 role invalid_choice",
			"8 move_in invalid_date", "10 plates duplicate_plate")
		if st, page := a.do("GET", "/api/v1/persons", nil); st != 200 || page["total"].(float64) != 1 {
			t.Fatalf("rejected import wrote persons: %v", page)
		}

		// Good rows only, asked for explicitly: one person in two rooms.
		rep = report(t, a.raw("POST", "/api/v1/imports/residents?format=csv&good_rows_only=true", "text/csv", file))
		if !rep.Written || rep.Imported != 3 || rep.BadRows != 6 {
			t.Fatalf("good rows report %+v", rep)
		}
		st, page := a.do("GET", "/api/v1/persons?id_number="+id1, nil)
		items, _ := page["items"].([]any)
		if st != 200 || len(items) != 1 {
			t.Fatalf("imported person %d %v", st, page)
		}
		chen := items[0].(map[string]any)
		if len(chen["room_ids"].([]any)) != 2 || fmt.Sprint(chen["tags"]) != "[elderly_alone needs_visits]" || chen["phone"] != "138****1357" {
			t.Fatalf("imported person %v", chen)
		}
		if st, v := a.do("GET", "/api/v1/vehicles?plate=粤B·D12345", nil); st != 200 || len(v["items"].([]any)) != 1 || v["items"].([]any)[0].(map[string]any)["person_id"] != chen["id"] {
			t.Fatalf("imported plate %d %v", st, v)
		}
		// The same rows again: the persons are found, so the rooms are taken.
		rep = report(t, a.raw("POST", "/api/v1/imports/residents?format=csv", "text/csv", csvFile(t, tpl.Body.Bytes(),
			row("陈建国", "男", id1, "13802461357", "101", "业主", "本人", "2015-06-01", "", ""),
			row("林秀珍", "女", "", "13902461358", "101", "家属", "配偶", "2015-06-01", "", ""))))
		wantProblems(t, rep, "2 room already_occupant", "3 room already_occupant")

		// A custom tag in use is accepted; names, rooms and occupancies must agree.
		if st, tg := a.do("PUT", "/api/v1/persons/"+owner["id"].(string)+"/tags/hearing_aid", map[string]any{"reason": "戴助听器"}); st != 200 {
			t.Fatalf("custom tag %d %v", st, tg)
		}
		partial := row("钱十", "", "", "", "", "", "", "", "", "")
		partial[7] = ""
		noName := make([]string, 15)
		noName[5] = "13700000009"
		rep = report(t, a.raw("POST", "/api/v1/imports/residents?format=csv&dry_run=true", "text/csv", csvFile(t, tpl.Body.Bytes(),
			row("陈国建", "男", id1, "", "201", "owner", "", "2020-01-01", "", ""),                    // 2 ID of 陈建国
			row("郑一", "", "", "13700000001", "202", "owner", "", "2020-01-01", "hearing_aid", ""), // 3 good: a bare custom tag in use
			row("郑一", "", "", "13700000001", "202", "family", "", "2020-01-01", "", ""),           // 4 same person, same room
			partial, // 5 community without building, unit, room
			noName,  // 6 no name
		)))
		wantProblems(t, rep, "2 id_number person_name_mismatch", "4 room already_occupant", "5 building required", "5 room required",
			"5 role required", "5 move_in required", "6 name required")
		if rep.Written || !rep.DryRun || rep.BadRows != 4 {
			t.Fatalf("dry run %+v", rep)
		}

		// The xlsx template, filled in and uploaded as a form.
		x := a.raw("GET", "/api/v1/imports/residents/template?format=xlsx", "", nil)
		f, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
		if x.Code != 200 || err != nil {
			t.Fatalf("xlsx template %d %v", x.Code, err)
		}
		cells := []any{"黄丽", "女", "1960-08-08", "居民身份证", idWithCheck("44030319600808113"), "13509876544", "阳光花园", "1栋", "1单元", "201", "业主", "本人", "2010-10-10", "残障:轮椅出行", "粤B·8K3Q2"}
		f.SetSheetRow(f.GetSheetName(0), "A2", &cells)
		var xb bytes.Buffer
		f.Write(&xb)
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		fw, _ := mw.CreateFormFile("file", "residents.xlsx")
		fw.Write(xb.Bytes())
		mw.Close()
		if rep := report(t, a.raw("POST", "/api/v1/imports/residents", mw.FormDataContentType(), mp.Bytes())); rep.Imported != 1 {
			t.Fatalf("xlsx template import %+v", rep)
		}

		// Another tenant never matches tenant A's rooms.
		rep = report(t, b.raw("POST", "/api/v1/imports/residents?format=csv", "text/csv", file))
		for _, p := range rep.Problems {
			if p.Line == 2 || p.Line == 3 || p.Line == 9 {
				if p.Code != "unknown_room" {
					t.Fatalf("tenant B row %d: %+v", p.Line, p)
				}
			}
		}
		if n := len(problems(rep)); rep.BadRows != 9 || n < 9 {
			t.Fatalf("tenant B matched rooms of tenant A: %+v", rep)
		}

		// Export with a filter: masked for the clerk, full (and audited) for the admin.
		exports := func() int {
			log.mu.Lock()
			defer log.mu.Unlock()
			n := 0
			for _, e := range log.es {
				if e.Action == resident.ActionExport {
					n++
				}
			}
			return n
		}
		rec := clerk.raw("GET", "/api/v1/exports/residents?format=csv&tag=elderly_alone", "", nil)
		recs := readCSV(t, rec.Body.Bytes())
		if rec.Code != 200 || len(recs) != 3 || recs[1][0] != "陈建国" || recs[1][5] != "138****1357" || recs[1][4] != id1[:3]+"***********"+id1[14:] || exports() != 0 {
			t.Fatalf("clerk export %d %v (audit %d)", rec.Code, recs, exports())
		}
		if recs[1][9] != "101" || recs[2][9] != "102" || recs[1][10] != "owner" || recs[1][13] != "elderly_alone:老伴去世,子女在外地; needs_visits:批量导入 imported" || recs[1][14] != "粤B·D12345" {
			t.Fatalf("clerk export rows %v", recs)
		}
		rec = a.raw("GET", "/api/v1/exports/residents?format=csv", "", nil)
		full := readCSV(t, rec.Body.Bytes())
		if rec.Code != 200 || len(full) != 6 || exports() != 1 || !strings.Contains(rec.Body.String(), id1) || !strings.Contains(rec.Body.String(), "13802461357") {
			t.Fatalf("admin export %d %v (audit %d)", rec.Code, full, exports())
		}
		if rec := b.raw("GET", "/api/v1/exports/residents?format=csv", "", nil); len(readCSV(t, rec.Body.Bytes())) != 1 {
			t.Fatalf("tenant B export %s", rec.Body.String())
		}
		// The full export imports into a tenant with the same rooms and exports the same.
		rep = report(t, c.raw("POST", "/api/v1/imports/residents?format=csv&good_rows_only=true", "text/csv", rec.Body.Bytes()))
		rec = c.raw("GET", "/api/v1/exports/residents?format=csv", "", nil)
		again := readCSV(t, rec.Body.Bytes())
		// 刘芳 has no room in tenant A: her row imports as a person alone.
		if rep.BadRows != 0 || !slices.EqualFunc(full, again, slices.Equal) {
			t.Fatalf("round trip %+v\n%v\n%v", rep, full, again)
		}
	})
}

func TestAssetImportExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cs, _ := importAPI(t, db)
		a, b := cs["a"], cs["b"]
		compound(t, a)
		_, comm := a.do("GET", "/api/v1/communities", nil)
		cid := comm["items"].([]any)[0].(map[string]any)["id"]
		if st, x := a.do("POST", "/api/v1/assets", map[string]any{"community_id": cid, "code": "X9", "name": "旧水泵", "category": "water_pump"}); st != 201 {
			t.Fatalf("asset %d %v", st, x)
		}
		tpl := a.raw("GET", "/api/v1/imports/assets/template?format=csv", "", nil)
		if tpl.Code != 200 || !strings.Contains(tpl.Body.String(), "设备编号 code") {
			t.Fatalf("template %d %q", tpl.Code, tpl.Body.String())
		}
		row := func(community, code, name, category, purchase, install, location, status string) []string {
			return []string{community, code, name, category, "三菱", "LEHY", "SN1", "某电梯公司", purchase, install, "2030-06-01", location, status, "", ""}
		}
		file := csvFile(t, tpl.Body.Bytes(),
			row("阳光花园", "E1", "1号电梯", "电梯", "2020-05-01", "2020-06-01", "会所", "在用"),             // 2 good
			row("阳光花园", "P1", "生活水泵", "water_pump", "", "2021/3/5", "阳光花园 1栋 1单元 101", ""),      // 3 good
			row("月亮湾", "E2", "2号电梯", "elevator", "", "", "", ""),                                // 4 unknown community
			row("阳光花园", "E3", "3号电梯", "rocket", "2020-13-01", "2019-01-01", "", "broken"),       // 5 category, date, status
			row("阳光花园", "E1", "又一台", "elevator", "", "", "", ""),                                // 6 code earlier in file
			row("阳光花园", "E4", "4号电梯", "elevator", "2020-05-01", "2020-04-01", "9栋 1单元 101", ""), // 7 install before purchase, location
			row("阳光花园", "X9", "新水泵", "water_pump", "", "", "", ""),                              // 8 code in the tenant
		)
		rep := report(t, a.raw("POST", "/api/v1/imports/assets?format=csv", "text/csv", file))
		if rep.Written || rep.BadRows != 5 {
			t.Fatalf("all-or-nothing %+v", rep)
		}
		wantProblems(t, rep, "4 community unknown_community", "5 category unknown_category", "5 purchase_date invalid_date",
			"5 status unknown_status", "6 code duplicate_asset_code", "7 install_date before_purchase", "7 location unknown_location",
			"8 code duplicate_asset_code")
		if _, page := a.do("GET", "/api/v1/assets", nil); page["total"].(float64) != 1 {
			t.Fatalf("rejected import wrote assets: %v", page)
		}
		rep = report(t, a.raw("POST", "/api/v1/imports/assets?format=csv&good_rows_only=true", "text/csv", file))
		if !rep.Written || rep.Imported != 2 {
			t.Fatalf("good rows %+v", rep)
		}
		_, page := a.do("GET", "/api/v1/assets?q=P1", nil)
		p1 := page["items"].([]any)[0].(map[string]any)
		if p1["location_kind"] != "room" || p1["install_date"] != "2021-03-05" || p1["status"] != "in_service" {
			t.Fatalf("imported asset %v", p1)
		}

		// Export with a filter, then everything as xlsx into another tenant.
		rec := a.raw("GET", "/api/v1/exports/assets?format=csv&category=elevator", "", nil)
		if recs := readCSV(t, rec.Body.Bytes()); len(recs) != 2 || recs[1][1] != "E1" || recs[1][11] != "阳光花园 会所" {
			t.Fatalf("filtered export %v", recs)
		}
		xl := a.raw("GET", "/api/v1/exports/assets?format=xlsx", "", nil)
		compound(t, b)
		if rep := report(t, b.raw("POST", "/api/v1/imports/assets?format=xlsx", "application/octet-stream", xl.Body.Bytes())); rep.Imported != 3 {
			t.Fatalf("re-import %+v", rep)
		}
		want := readCSV(t, a.raw("GET", "/api/v1/exports/assets?format=csv", "", nil).Body.Bytes())
		got := readCSV(t, b.raw("GET", "/api/v1/exports/assets?format=csv", "", nil).Body.Bytes())
		if len(got) != 4 || !slices.EqualFunc(want, got, slices.Equal) {
			t.Fatalf("re-imported export differs\n%v\n%v", want, got)
		}
	})
}

func TestImportBodyLimit(t *testing.T) {
	cs, _ := importAPI(t, storetest.SQLite(t))
	a := cs["a"]
	compound(t, a)
	tpl := a.raw("GET", "/api/v1/imports/assets/template?format=csv", "", nil)
	file := csvFile(t, tpl.Body.Bytes(), []string{"阳光花园", "E1", "1号电梯", "elevator"})
	// Blank lines pad the file past the server-wide 1 MiB; the reader skips them.
	big := append(file, bytes.Repeat([]byte("\n"), 2<<20)...)
	if rec := a.raw("POST", "/api/v1/imports/assets?format=csv", "text/csv", big); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"imported":1`) {
		t.Fatalf("2 MiB import %d %s", rec.Code, rec.Body.String())
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "assets.csv")
	fw.Write(bytes.Replace(big, []byte("E1"), []byte("E2"), 1))
	mw.Close()
	if rec := a.raw("POST", "/api/v1/imports/assets", mw.FormDataContentType(), mp.Bytes()); rec.Code != 200 {
		t.Fatalf("2 MiB multipart import %d %s", rec.Code, rec.Body.String())
	}
	huge := append(file, bytes.Repeat([]byte("\n"), 33<<20)...)
	if rec := a.raw("POST", "/api/v1/imports/assets?format=csv", "text/csv", huge); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("33 MiB import %d", rec.Code)
	}
	// Without a declared length the cap applies while reading.
	req := httptest.NewRequest("POST", "/api/v1/imports/assets?format=csv", struct{ *bytes.Reader }{bytes.NewReader(huge)})
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer a")
	req.Header.Set("Content-Type", "text/csv")
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("33 MiB streamed import %d %s", w.Code, w.Body.String())
	}
	// A normal route keeps the 1 MiB limit.
	body := []byte(`{"name":"` + strings.Repeat("x", 2<<20) + `"}`)
	if rec := a.raw("POST", "/api/v1/communities", "application/json", body); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB JSON %d", rec.Code)
	}
}

// BenchmarkResidentImport imports 2,000 residents (one room each, phone, ID
// number, plate) over HTTP: the synchronous path's cost per row.
func BenchmarkResidentImport(b *testing.B) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(d.name, func(b *testing.B) {
			const n = 2000
			t := &testing.T{}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cs, _ := importAPI(t, d.open(b))
				a := cs["a"]
				a.t = t
				st, comm := a.do("POST", "/api/v1/communities", map[string]any{"name": "阳光花园"})
				if st != 201 {
					b.Fatal(comm)
				}
				if st, g := a.do("POST", "/api/v1/buildings/generate", map[string]any{"community_id": comm["id"], "name": "1栋", "units": 1, "floors": 40, "rooms_per_floor": 50}); st != 201 {
					b.Fatal(g)
				}
				var rows [][]string
				for r := 0; r < n; r++ {
					floor, room := r/50+1, r%50+1
					rows = append(rows, []string{fmt.Sprintf("住户%04d", r), "男", "", "", idWithCheck(fmt.Sprintf("1101051980%02d%02d%03d", r%12+1, r%28+1, r%1000)),
						fmt.Sprintf("138%08d", r), "阳光花园", "1栋", "1单元", fmt.Sprintf("%d%02d", floor, room), "业主", "本人", "2020-01-01", "", fmt.Sprintf("粤B%05d", r)})
				}
				file := csvFile(t, a.raw("GET", "/api/v1/imports/residents/template?format=csv", "", nil).Body.Bytes(), rows...)
				b.StartTimer()
				rec := a.raw("POST", "/api/v1/imports/residents?format=csv", "text/csv", file)
				b.StopTimer()
				if !strings.Contains(rec.Body.String(), fmt.Sprintf(`"imported":%d`, n)) {
					b.Fatalf("%d %.500s", rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*n), "ms/row")
		})
	}
}
