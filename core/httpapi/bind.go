package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
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
// UTF-8 and numbers out of range are all 400) and runs the type's Validate.
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
