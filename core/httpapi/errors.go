package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wuye-project/wuye/core/apperr"
)

// errorBody is the one error shape of the API.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Details   any    `json:"details,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// statusOf is the one table from an error's kind to its HTTP status.
var statusOf = [...]int{
	apperr.KindInternal:        http.StatusInternalServerError,
	apperr.KindInvalid:         http.StatusBadRequest,
	apperr.KindUnauthenticated: http.StatusUnauthorized,
	apperr.KindForbidden:       http.StatusForbidden,
	apperr.KindNotFound:        http.StatusNotFound,
	apperr.KindConflict:        http.StatusConflict,
	apperr.KindTooLarge:        http.StatusRequestEntityTooLarge,
	apperr.KindUnsupported:     http.StatusUnsupportedMediaType,
	apperr.KindUnprocessable:   http.StatusUnprocessableEntity,
	apperr.KindLocked:          http.StatusLocked,
	apperr.KindRateLimited:     http.StatusTooManyRequests,
	apperr.KindUnavailable:     http.StatusServiceUnavailable,
}

// StatusOf is the HTTP status of an error kind.
func StatusOf(k apperr.Kind) int {
	if int(k) < len(statusOf) {
		return statusOf[k]
	}
	return http.StatusInternalServerError
}

// lang picks zh or en from Accept-Language (first listed language wins).
func lang(c *gin.Context) string {
	al := strings.ToLower(c.GetHeader("Accept-Language"))
	if strings.HasPrefix(strings.TrimSpace(al), "zh") {
		return "zh"
	}
	return "en"
}

// writeError answers with err as an API error. Unknown errors are logged and
// shown as internal_error; a missing record is not_found.
func (s *Server) writeError(c *gin.Context, err error) {
	e, ok := apperr.As(err)
	if !ok {
		if s.IsNotFound != nil && s.IsNotFound(err) {
			e = apperr.NotFound
		} else {
			s.log.ErrorContext(c.Request.Context(), "request failed", slog.String("request_id", requestID(c)), slog.Any("err", err))
			e = apperr.Internal
		}
	}
	status := StatusOf(e.Kind)
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	if status >= 500 && ok {
		s.log.ErrorContext(c.Request.Context(), "request failed", slog.String("request_id", requestID(c)), slog.Any("err", err))
	}
	c.Set(errorCodeKey, e.Code)
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{
		Code: e.Code, Message: e.Message(lang(c)), Details: e.Details, RequestID: requestID(c),
	}})
}

// WithStatus answers e with a status its kind does not name: a gateway's 502
// and 504 (the plugin proxy). The body is e's, in the one error shape.
func WithStatus(status int, e *apperr.Error) error { return &statusError{status: status, e: e} }

type statusError struct {
	status int
	e      *apperr.Error
}

func (s *statusError) Error() string { return s.e.Error() }
func (s *statusError) Unwrap() error { return s.e }

// wrap turns a HandlerFunc into a gin handler.
func (s *Server) wrap(h HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
		}
	}
}

// notFound answers unknown paths in the API's error shape.
func (s *Server) notFound(c *gin.Context) {
	s.writeError(c, apperr.New(apperr.KindNotFound, "route_not_found", "No such endpoint.", "接口不存在。"))
}
