package httpapi

import (
	"encoding"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
)

// BindQuery reads a list's filters from the query string into dst (a pointer
// to a struct whose fields carry `form:"name"` tags). Every value that does not
// parse is reported at once as a field error naming its query parameter
// (?floor=abc → {field: "floor", code: "invalid"}), never as a Go parse error;
// A field tagged `binding:"required"` that is absent is {code: "required"};
// no other binding rule is read from query structs.
func BindQuery(c *gin.Context, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("httpapi.BindQuery: dst must point to a struct")
	}
	q := c.Request.URL.Query()
	fe := bindQueryStruct(q, v.Elem())
	if len(fe) > 0 {
		return apperr.Invalid.WithDetails(fe)
	}
	return nil
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func bindQueryStruct(q url.Values, v reflect.Value) []apperr.FieldError {
	var fe []apperr.FieldError
	t := v.Type()
	for i := range t.NumField() {
		sf, fv := t.Field(i), v.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("form"), ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct && name == "" {
			fe = append(fe, bindQueryStruct(q, fv)...)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		vals := q[name]
		if fv.Kind() != reflect.String {
			// ?floor= means no floor filter, not floor 0 (nor a parse error)
			vals = slices.DeleteFunc(slices.Clone(vals), func(s string) bool { return s == "" })
		}
		if len(vals) == 0 {
			if slices.Contains(strings.Split(sf.Tag.Get("binding"), ","), "required") {
				fe = append(fe, apperr.FieldError{Field: name, Code: "required", EN: name + " is required", ZH: "必须填写 " + name})
			}
			continue
		}
		if err := setQueryValue(fv, vals); err != nil {
			fe = append(fe, queryFieldError(name, fv.Type()))
		}
	}
	return fe
}

// setQueryValue sets v from the values of one parameter: a slice takes all
// of them, anything else the last.
func setQueryValue(v reflect.Value, vals []string) error {
	if v.Kind() == reflect.Slice && !v.Addr().Type().Implements(textUnmarshaler) {
		s := reflect.MakeSlice(v.Type(), len(vals), len(vals))
		for i, x := range vals {
			if err := setQueryScalar(s.Index(i), x); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}
	return setQueryScalar(v, vals[len(vals)-1])
}

func setQueryScalar(v reflect.Value, s string) error {
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		if err := setQueryScalar(p.Elem(), s); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshaler) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetFloat(f)
	default:
		panic("httpapi.BindQuery: unsupported field type " + v.Type().String())
	}
	return nil
}

// queryFieldError says what a parameter of type t must look like.
func queryFieldError(name string, t reflect.Type) apperr.FieldError {
	for t.Kind() == reflect.Pointer || (t.Kind() == reflect.Slice && !reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = t.Elem()
	}
	en, zh := "is not valid", "的值无效"
	switch {
	case t.String() == "uuid.UUID":
		en, zh = "must be an id (UUID)", "必须是编号(UUID)"
	case reflect.PointerTo(t).Implements(textUnmarshaler):
	case t.Kind() == reflect.Bool:
		en, zh = "must be true or false", "必须是 true 或 false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		en, zh = "must be a whole number", "必须是整数"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		en, zh = "must be a whole number from 0", "必须是不小于 0 的整数"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		en, zh = "must be a number", "必须是数字"
	}
	return apperr.FieldError{Field: name, Code: "invalid", EN: name + " " + en, ZH: name + " " + zh}
}
