package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
)

// Validator is implemented by request types that check their own fields.
type Validator interface {
	Validate() []apperr.FieldError
}

// bindJSON decodes the body strictly (unknown fields, trailing data, invalid
// UTF-8, numbers out of range, duplicate keys and NUL characters are all 400)
// and runs the type's Validate.
func BindJSON(c *gin.Context, dst any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apperr.TooLarge
		}
		return apperr.BadJSON.Wrap(err)
	}
	if !utf8.Valid(body) {
		return apperr.BadJSON.WithDetails(map[string]string{"reason": "invalid UTF-8"})
	}
	if err := scanJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if e, ok := apperr.As(err); ok {
			return e // a field type's own parse error (e.g. an area) keeps its code
		}
		if name, ok := unknownField(err); ok {
			return ErrUnknownField.WithDetails([]apperr.FieldError{{Field: name, Code: "unknown_field",
				EN: name + " is not a field of this request", ZH: name + " 不是此请求的字段"}})
		}
		if fe, rest := idFieldErrors(body, dst); len(fe) > 0 {
			// Decode the rest without the bad IDs and report its own field
			// errors with theirs, so a form shows every mistake at once.
			rdec := json.NewDecoder(bytes.NewReader(rest))
			rdec.DisallowUnknownFields()
			if v, ok := dst.(Validator); ok && rest != nil && rdec.Decode(dst) == nil {
				for _, e := range v.Validate() {
					if !slices.ContainsFunc(fe, func(x apperr.FieldError) bool { return x.Field == e.Field }) {
						fe = append(fe, e)
					}
				}
			}
			return apperr.Invalid.WithDetails(fe)
		}
		return apperr.BadJSON.WithDetails(map[string]string{"reason": jsonReason(err)})
	}
	if dec.More() {
		return apperr.BadJSON.WithDetails(map[string]string{"reason": "trailing data after the JSON value"})
	}
	if v, ok := dst.(Validator); ok {
		if fe := v.Validate(); len(fe) > 0 {
			return apperr.Invalid.WithDetails(fe)
		}
	}
	return nil
}

// Errors of hostile JSON that encoding/json would accept.
var (
	// ErrUnknownField: a misspelt or stale field is refused by name rather
	// than silently dropped, so a client learns which one.
	ErrUnknownField = apperr.New(apperr.KindInvalid, "unknown_field", "The body has a field this endpoint does not take; see details.", "请求体含有此接口不接受的字段,详见 details。")
	// ErrDuplicateKey: encoding/json keeps the last of two equal keys, so a
	// body could say one thing to a proxy or log and another to the handler.
	ErrDuplicateKey = apperr.New(apperr.KindInvalid, "duplicate_json_key", "The JSON body names the same key twice; see details.", "JSON 请求体中有重复的键,详见 details。")
	// errTooDeep: no request of this API nests anywhere near this deep.
	errTooDeep = apperr.BadJSON.WithDetails(map[string]string{"reason": "nested deeper than " + strconv.Itoa(maxJSONDepth) + " levels"})
)

const maxJSONDepth = 64

// nulField is the field error of a NUL character: PostgreSQL refuses NUL in
// text (SQLSTATE 22021, a 500) and SQLite would store it, so it is refused
// at the edge on every engine.
func nulField(field string) *apperr.Error {
	return apperr.Invalid.WithDetails([]apperr.FieldError{{Field: field, Code: "invalid_character",
		EN: field + " must not contain a NUL character (\\u0000)", ZH: field + " 不能包含 NUL 字符(\\u0000)"}})
}

// scanJSON walks body before it is decoded and refuses a key repeated in
// one object and a NUL character (\u0000) in any key or string, naming the
// path (e.g. items[2].name). It is a byte scanner, not a json.Decoder token
// walk (which costs ~300 ms per MiB); what it refuses is refused only when
// the body is valid JSON, so a syntax error is still named by Decode.
func scanJSON(body []byte) error {
	if bytes.IndexByte(body, '"') < 0 {
		return nil // no keys and no strings
	}
	err := scanJSONBytes(body)
	if err != nil && !json.Valid(body) {
		return nil
	}
	return err
}

func scanJSONBytes(body []byte) error {
	type frame struct {
		obj  bool
		key  string              // object: the current key
		idx  int                 // array: the current index
		keys []string            // object: keys seen (few)…
		many map[string]struct{} // …or, past 16, all of them
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(strings.ReplaceAll(f.key, "\x00", `\u0000`))
			} else {
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	expectKey := false
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case '{', '[':
			if len(stack) >= maxJSONDepth {
				return errTooDeep
			}
			stack = append(stack, frame{obj: c == '{'})
			expectKey = c == '{'
			i++
		case '}', ']':
			if len(stack) == 0 {
				return nil // a syntax error: Decode names it
			}
			stack = stack[:len(stack)-1]
			expectKey = false
			i++
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].obj {
					expectKey = true
				} else {
					stack[n-1].idx++
				}
			}
			i++
		case '"':
			j, esc, nul := i+1, false, false
			for ; j < len(body) && body[j] != '"'; j++ {
				if body[j] == '\\' {
					esc = true
					if j+5 < len(body) && body[j+1] == 'u' && string(body[j+2:j+6]) == "0000" {
						nul = true
					}
					j++ // the escaped character (\u's hex digits are plain)
				}
			}
			if j >= len(body) {
				return nil
			}
			if n := len(stack); expectKey && n > 0 {
				f := &stack[n-1]
				k := string(body[i+1 : j])
				if esc && json.Unmarshal(body[i:j+1], &k) != nil {
					return nil
				}
				f.key, expectKey = k, false
				if nul {
					return nulField(path())
				}
				dup := false
				if f.many != nil {
					_, dup = f.many[k]
					f.many[k] = struct{}{}
				} else {
					dup = slices.Contains(f.keys, k)
					if f.keys = append(f.keys, k); len(f.keys) > 16 {
						f.many = make(map[string]struct{}, 32)
						for _, k := range f.keys {
							f.many[k] = struct{}{}
						}
					}
				}
				if dup {
					return ErrDuplicateKey.WithDetails(map[string]string{"key": path()})
				}
			} else if nul {
				return nulField(path())
			}
			i = j + 1
		default:
			i++
		}
	}
	return nil
}

// unknownField reads the field name out of the decoder's DisallowUnknownFields
// error (encoding/json has no typed error for it).
func unknownField(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, e := strconv.Unquote(rest)
	if e != nil {
		name = strings.Trim(rest, `"`)
	}
	return name, true
}

// jsonReason names what was wrong without echoing Go type internals.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + strconv.Quote(te.Field) + " has the wrong type (" + te.Value + ")"
	case errors.Is(err, io.EOF):
		return "empty body"
	default:
		return err.Error()
	}
}

// pathID parses the :name path parameter as a UUID; a malformed id is a 404,
// since no object can have it.
func PathID(c *gin.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, apperr.NotFound
	}
	return id, nil
}
