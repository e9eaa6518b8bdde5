package httpapi

import (
	"strings"
	"testing"
)

// TestCheckAccessObject: a tenant route with a path parameter must say
// whether it names a tenant object, so the BOLA test cannot pass it by.
func TestCheckAccessObject(t *testing.T) {
	panics := func(r Route) (msg string) {
		defer func() {
			if p := recover(); p != nil {
				msg, _ = p.(string)
			}
		}()
		checkAccess(r)
		return ""
	}
	for _, c := range []struct {
		r    Route
		want string
	}{
		{Route{Method: "GET", Path: "/api/v1/things/:id", Permission: "thing.read"}, "declare Object, or NotObject"},
		{Route{Method: "GET", Path: "/api/v1/things/*rest", Self: true}, "declare Object, or NotObject"},
		{Route{Method: "GET", Path: "/api/v1/things/:id", Permission: "thing.read", Object: true, NotObject: "x"}, "both"},
		{Route{Method: "GET", Path: "/api/v1/things/:id", Permission: "thing.read", Object: true}, ""},
		{Route{Method: "GET", Path: "/api/v1/kinds/:kind", Permission: "thing.read", NotObject: "a catalogue key"}, ""},
		{Route{Method: "GET", Path: "/api/v1/operator/things/:id", Operator: true}, ""},
		{Route{Method: "GET", Path: "/api/v1/things", Permission: "thing.read"}, ""},
	} {
		got := panics(c.r)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s %+v: panic %q, want %q", c.r.Path, c.r, got, c.want)
		}
	}
}
