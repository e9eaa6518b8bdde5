package httpapi_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wuye-project/wuye/core/httpapi"
)

// TestSplitObject: the hand splitter of an export's items gives the members
// encoding/json gives, escapes, nesting and spacing included.
func TestSplitObject(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { } `,
		`{"a":1,"b":"x,y}","c":null,"d":true}`,
		`{ "a" : [1, {"x": "]"}, "q\"}"] , "n":{"k":{"z":[]}}, "e":"\\"}`,
		`{"k\u00e9y":"v","t":"2024-01-31T10:00:00Z","neg":-1.5e3}`,
	} {
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(in, err)
		}
		got := map[string]json.RawMessage{}
		httpapi.SplitObject([]byte(in), func(k, v []byte) { got[string(k)] = json.RawMessage(v) })
		for k, v := range want {
			var a, b any
			json.Unmarshal(v, &a)
			json.Unmarshal(got[k], &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: %q = %s, want %s", in, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d members, want %d", in, len(got), len(want))
		}
	}
}
