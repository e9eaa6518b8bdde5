package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
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
func bindJSON(c *gin.Context, dst any) error {
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
	// ErrDuplicateKey: encoding/json keeps the last of two equal keys, so a
	// body could say one thing to a proxy or log and another to the handler.
	ErrDuplicateKey = apperr.New(http.StatusBadRequest, "duplicate_json_key", "The JSON body names the same key twice; see details.", "JSON 请求体中有重复的键,详见 details。")
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

// scanJSON walks the tokens of body before it is decoded and refuses a key
// repeated in one object and a NUL character in any key or string, naming
// the path (e.g. items[2].name). A syntax error is left for Decode to report.
func scanJSON(body []byte) error {
	if !bytes.Contains(body, []byte(`"`)) {
		return nil // no keys and no strings
	}
	type frame struct {
		obj  bool
		keys map[string]struct{}
		key  string // object: the current key
		idx  int    // array: the current index
		want bool   // object: the next string is a key
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// value is called after each complete value: it advances the parent.
	value := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].want = true
			} else {
				stack[n-1].idx++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // no float parsing: only the shape matters here
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error Decode will name
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return errTooDeep
				}
				stack = append(stack, frame{obj: t == '{', want: true})
			default:
				stack = stack[:len(stack)-1]
				value()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].want {
				f := &stack[n-1]
				f.key, f.want = t, false
				if strings.IndexByte(t, 0) >= 0 {
					f.key = strings.ReplaceAll(t, "\x00", `\u0000`)
					return nulField(path())
				}
				if f.keys == nil {
					f.keys = map[string]struct{}{}
				}
				if _, dup := f.keys[t]; dup {
					return ErrDuplicateKey.WithDetails(map[string]string{"key": path()})
				}
				f.keys[t] = struct{}{}
				continue
			}
			if strings.IndexByte(t, 0) >= 0 {
				return nulField(path())
			}
			value()
		default:
			value()
		}
	}
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
func pathID(c *gin.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, apperr.NotFound
	}
	return id, nil
}
