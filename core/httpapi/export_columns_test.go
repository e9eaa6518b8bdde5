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
