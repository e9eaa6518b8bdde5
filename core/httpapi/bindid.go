package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
)

// idFieldErrors names the fields of dst's type whose value in body is not a
// UUID. encoding/json reports a UUID that does not parse without saying
// where ("invalid UUID length: 0"), which told a person who left a select
// empty only that the body was bad; this walks the body beside the type to
// name the field: "" is required, anything else is not an ID. It also
// answers the body with those values nulled, for decoding the rest (the
// decoder stops at the first bad UUID).
func idFieldErrors(body []byte, dst any) ([]apperr.FieldError, []byte) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil, nil
	}
	var out []apperr.FieldError
	walkIDs(v, reflect.TypeOf(dst), "", func(any) {}, &out)
	if len(out) == 0 {
		return nil, nil
	}
	rest, err := json.Marshal(v)
	if err != nil {
		return out, nil
	}
	return out, rest
}

// maxIDErrors bounds the answer: a 1 MiB array of bad ids must not become
// a far larger list of errors.
const maxIDErrors = 20

// walkIDs checks v against type t at path; set replaces v in its parent.
func walkIDs(v any, t reflect.Type, path string, set func(any), out *[]apperr.FieldError) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil || v == nil || len(*out) >= maxIDErrors:
	case t == uuidType:
		s, ok := v.(string)
		if !ok {
			return
		}
		if s == "" {
			*out = append(*out, apperr.FieldError{Field: path, Code: "required", EN: path + " is required", ZH: path + " 不能为空"})
			set(nil)
		} else if _, err := uuid.Parse(s); err != nil {
			*out = append(*out, apperr.FieldError{Field: path, Code: "invalid_id", EN: path + " must be the ID of an existing object (a UUID)", ZH: path + " 必须是已有对象的 ID(UUID)"})
			set(nil)
		}
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-" || (!f.IsExported() && !f.Anonymous):
				continue
			case f.Anonymous && name == "":
				walkIDs(v, f.Type, path, set, out) // embedded: its fields are the parent's
				continue
			case name == "":
				name = f.Name
			}
			if fv, ok := m[name]; ok {
				walkIDs(fv, f.Type, join(path, name), func(x any) { m[name] = x }, out)
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		if a, ok := v.([]any); ok {
			for i, e := range a {
				walkIDs(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", func(x any) { a[i] = x }, out)
			}
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
