package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/property"
)

type exportInner struct {
	Kind  string   `json:"kind"`
	Dates []string `json:"dates,omitempty"`
	Deep  struct {
		X int `json:"x"`
	} `json:"deep"`
}

type exportBase struct {
	ID     uuid.UUID `json:"id"`
	Secret string    `json:"-"`
}

type exportItem struct {
	exportBase
	Name   string            `json:"name"`
	Area   property.Area     `json:"area"`
	Big    int64             `json:"big"`
	At     time.Time         `json:"at"`
	Inner  *exportInner      `json:"inner"`
	Tags   []string          `json:"tags"`
	Links  []exportInner     `json:"links"`
	Extra  map[string]string `json:"extra"`
	Hidden bool              `json:"-"`
}

// TestExportColumns: JSON names in declaration order, embedded fields in
// place, one nested level flattened; cells keep the JSON's text.
func TestExportColumns(t *testing.T) {
	cols := exportColumns(reflect.TypeFor[exportItem]())
	var keys []string
	for _, c := range cols {
		keys = append(keys, c.key)
	}
	if got, want := strings.Join(keys, ","), "id,name,area,big,at,inner.kind,inner.dates,inner.deep,tags,links,extra"; got != want {
		t.Fatalf("columns %s, want %s", got, want)
	}
	area, _ := property.ParseArea("89.56")
	it := exportItem{exportBase: exportBase{ID: uuid.MustParse("01900000-0000-7000-8000-000000000001")}, Name: `A "q", b <&>`, Area: area,
		Big: 9007199254740993, At: time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.FixedZone("", 8*3600)),
		Inner: &exportInner{Kind: "weeks", Dates: []string{"06-15", "12-15"}}, Tags: []string{"elderly", "needs_visit"},
		Links: []exportInner{{Kind: "a"}}, Extra: map[string]string{"k": "v"}}
	row := func(v any) []string {
		raw, _ := json.Marshal(map[string]any{"items": []any{v}})
		var l listJSON
		if err := l.decode(raw); err != nil || len(l.items) != 1 {
			t.Fatalf("decode %s: %v", raw, err)
		}
		row := make([]string, len(cols))
		newRowReader(cols).row(l.items[0], row)
		return row
	}
	got := row(it)
	want := []string{"01900000-0000-7000-8000-000000000001", `A "q", b <&>`, "89.56", "9007199254740993", "2024-05-06T07:08:09.123+08:00",
		"weeks", "06-15; 12-15", `{"x":0}`, "elderly; needs_visit", `{"kind":"a","deep":{"x":0}}`, `{"k":"v"}`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cells\n%q\nwant\n%q", got, want)
	}
	// A nil nested object and nil slices leave their cells empty.
	got = row(exportItem{})
	if got[5] != "" || got[6] != "" || got[8] != "" || got[1] != "" {
		t.Fatalf("empty item %q", got)
	}
	if k := exportKind("/api/v1/assets/:id/maintenance-records"); k != "assets-maintenance-records" {
		t.Fatal(k)
	}
}

// maskedItem masks through a pointer receiver, as a list item may: an
// element of Page.Items is addressable, so its JSON is the masked one.
type maskedItem struct {
	Phone string `json:"phone"`
}

func (m *maskedItem) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"phone": m.Phone[:3] + "****"})
}

// TestExportPageAsJSON: the page WritePage hands an export item by item
// gives the cells the list's JSON body gives, masking and escapes included.
func TestExportPageAsJSON(t *testing.T) {
	area, _ := property.ParseArea("89.56")
	items := []exportItem{
		{Name: `A "q", b <&> \ 王芳 ` + "\u2028", Area: area, Big: -1, Tags: []string{"<x>"}, Inner: &exportInner{Kind: "k"}},
		{}, {Name: "=1+2", Extra: map[string]string{"a": "<"}},
	}
	compare(t, items)
	compare(t, []maskedItem{{Phone: "13800001234"}, {Phone: "13912345678"}})
	e := &exportPage{}
	fillExportPage(e, PageQuery{}, []maskedItem{{Phone: "13800001234"}}, 1)
	if cell := string(e.list.items[0]); !strings.Contains(cell, "138****") || strings.Contains(cell, "1234") {
		t.Errorf("masked item exported as %s", cell)
	}
	compare(t, []string{"a", `"b"`, "<c>"})
	compare(t, []*exportItem{{Name: "p"}, nil})
}

func compare[T any](t *testing.T, items []T) {
	t.Helper()
	cols := exportColumns(reflect.TypeFor[T]())
	rr := newRowReader(cols)
	body, _ := json.Marshal(Page[T]{Items: items, Total: 7, Page: 2, PageSize: 3})
	var want listJSON
	if err := want.decode(body); err != nil {
		t.Fatal(err)
	}
	e := &exportPage{}
	if !fillExportPage(e, PageQuery{Page: 2, PageSize: 3}, items, 7) {
		t.Fatal("page not filled")
	}
	got := e.list
	if got.Total != 7 || got.Page != 2 || got.PageSize != 3 || len(got.items) != len(want.items) {
		t.Fatalf("page %+v, want %+v", got, want)
	}
	for i := range want.items {
		a, b := make([]string, len(cols)), make([]string, len(cols))
		rr.row(got.items[i], a)
		rr.row(want.items[i], b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("item %d: %q, JSON body gives %q", i, a, b)
		}
	}
}
