package httpapi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

type namedInput struct {
	Name  string  `json:"name" doc:"Shown to residents."`
	Notes *string `json:"notes"`
	Size  int     `json:"size,omitempty"`
}

// ApperrFieldError would be named like apperr.FieldError in the document.
type ApperrFieldError struct{ B int }

func TestComponentNames(t *testing.T) {
	for typ, want := range map[reflect.Type]string{
		reflect.TypeOf(apperr.FieldError{}):             "ApperrFieldError",
		reflect.TypeOf(paging.Paging{}):                 "Paging", // already starts with its package
		reflect.TypeOf(Page[apperr.FieldError]{}):       "PageApperrFieldError",
		reflect.TypeOf(List[[]uuid.UUID]{}):             "ListUuidUUIDList",
		reflect.TypeOf(namedInput{}):                    "namedInput",
		reflect.TypeOf(Page[namedInput]{}):              "PagenamedInput",
		reflect.TypeOf(struct{ X int }{}).Field(0).Type: "int",
	} {
		if got := componentName(typ); got != want {
			t.Errorf("%v: %q, want %q", typ, got, want)
		}
	}
	if qualify("propertyapi", "CreateInput") != "PropertyCreateInput" || qualify("audit", "AuditItem") != "AuditItem" {
		t.Errorf("qualify: %q %q", qualify("propertyapi", "CreateInput"), qualify("audit", "AuditItem"))
	}
}

func TestComponentNameClashPanics(t *testing.T) {
	g := newSchemaGen()
	g.inline(reflect.TypeOf(apperr.FieldError{}), false)
	defer func() {
		p, _ := recover().(string)
		if !strings.Contains(p, "ApperrFieldError") || !strings.Contains(p, "httpapi.ApperrFieldError") {
			t.Fatalf("panic %q, want one naming both types", p)
		}
	}()
	g.inline(reflect.TypeOf(ApperrFieldError{}), false)
}

func TestRequestRequiredAndDoc(t *testing.T) {
	g := newSchemaGen()
	g.inline(reflect.TypeOf(namedInput{}), false)
	g.inline(reflect.TypeOf(namedInput{}), true)
	resp, req := g.schemas["namedInput"], g.schemas["namedInputRequest"]
	if resp == nil || req == nil {
		t.Fatalf("schemas %v", keys(g.schemas))
	}
	if got := strings.Join(req.Value.Required, ","); got != "name" {
		t.Errorf("request required %q, want name (notes is a pointer, size omitempty)", got)
	}
	if got := strings.Join(resp.Value.Required, ","); got != "name,notes" {
		t.Errorf("answer required %q", got)
	}
	if d := req.Value.Properties["name"].Value.Description; d != "Shown to residents." {
		t.Errorf("doc tag: %q", d)
	}
	if !strings.Contains(resp.Value.Description, "httpapi.namedInput") {
		t.Errorf("schema description %q", resp.Value.Description)
	}
	// A type that reads the same both ways has one schema.
	g.inline(reflect.TypeOf(apperr.FieldError{}), false)
	if r := g.inline(reflect.TypeOf(apperr.FieldError{}), true); r.Ref != "#/components/schemas/ApperrFieldError" {
		t.Errorf("shared schema: %q", r.Ref)
	}
}

// TestListParameters: every list route documents page, page_size and sort,
// and every operation has a description.
func TestListParameters(t *testing.T) {
	e := newEnv(t, store.SQLite)
	doc := fetchDoc(t, e)
	for _, r := range e.srv.Routes() {
		p, _ := openAPIPath(r.Path)
		op := doc.Paths.Value(p).GetOperation(r.Method)
		if op.Description == "" {
			t.Errorf("%s %s has no description", r.Method, r.Path)
		}
		if _, list := isList(r); !list {
			continue
		}
		for _, name := range []string{"page", "page_size", "sort", "format"} {
			if op.Parameters.GetByInAndName("query", name) == nil {
				t.Errorf("list %s lacks the %s parameter", r.Path, name)
			}
		}
	}
}
