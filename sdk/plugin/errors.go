package plugin

import (
	"encoding/json"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// Error is an answer a person can act on: an HTTP status, a stable code and
// a message in Chinese and English. Return it from a handler.
type Error struct {
	Status int
	Code   string
	EN, ZH string
	Fields []FieldError
}

// FieldError names one bad input field; it has the core's JSON shape.
type FieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	EN    string `json:"message"`
	ZH    string `json:"message_zh"`
}

// Errorf makes an *Error.
func Errorf(status int, code, en, zh string) *Error {
	return &Error{Status: status, Code: code, EN: en, ZH: zh}
}

// Invalid is a 400 "invalid" error listing bad fields.
func Invalid(fields ...FieldError) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "validation_failed", EN: "Some fields are not valid; see details.", ZH: "部分字段不合法,详见 details。", Fields: fields}
}

func (e *Error) Error() string { return e.Code + ": " + e.EN }

// HostError is a failure the core's host services answered with: the gRPC
// code and the core's stable error code.
type HostError struct {
	GRPC   codes.Code
	Code   string
	EN, ZH string
	Fields []FieldError
}

func (e *HostError) Error() string { return "host: " + e.Code + ": " + e.EN }

// hostError turns a gRPC error from the host into a *HostError.
func hostError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	he := &HostError{GRPC: st.Code(), Code: codeName(st.Code()), EN: st.Message(), ZH: st.Message()}
	for _, d := range st.Details() {
		if ed, ok := d.(*wuyepb.ErrorDetail); ok {
			he.Code, he.EN, he.ZH = ed.Code, ed.MessageEn, ed.MessageZh
			for _, f := range ed.Fields {
				he.Fields = append(he.Fields, FieldError{Field: f.Field, Code: f.Code, EN: f.MessageEn, ZH: f.MessageZh})
			}
		}
	}
	return he
}

func codeName(c codes.Code) string {
	switch c {
	case codes.NotFound:
		return "not_found"
	case codes.AlreadyExists:
		return "duplicate"
	case codes.Aborted:
		return "version_conflict"
	case codes.InvalidArgument:
		return "invalid"
	case codes.PermissionDenied:
		return "forbidden"
	case codes.ResourceExhausted:
		return "rate_limited"
	case codes.Unavailable:
		return "unavailable"
	case codes.DeadlineExceeded, codes.Canceled:
		return "timeout"
	}
	return "host_error"
}

// Code is the stable error code of err from the host ("" when it is not one).
func Code(err error) string {
	var he *HostError
	if errors.As(err, &he) {
		return he.Code
	}
	return ""
}

func isCode(err error, c codes.Code) bool {
	var he *HostError
	return errors.As(err, &he) && he.GRPC == c
}

// IsNotFound: the object does not exist for this tenant.
func IsNotFound(err error) bool { return isCode(err, codes.NotFound) }

// IsConflict: a create-only write found the id or a unique value taken, or
// a write's expected version was stale. Re-read and decide again.
func IsConflict(err error) bool {
	return isCode(err, codes.AlreadyExists) || isCode(err, codes.Aborted)
}

var statusOfGRPC = map[codes.Code]int{
	codes.NotFound: http.StatusNotFound, codes.AlreadyExists: http.StatusConflict, codes.Aborted: http.StatusConflict,
	codes.FailedPrecondition: http.StatusConflict, codes.InvalidArgument: http.StatusBadRequest,
	codes.PermissionDenied: http.StatusForbidden, codes.ResourceExhausted: http.StatusTooManyRequests,
	codes.Unavailable: http.StatusServiceUnavailable, codes.DeadlineExceeded: http.StatusGatewayTimeout,
}

type errorEnvelope struct {
	Error struct {
		Code      string       `json:"code"`
		Message   string       `json:"message"`
		Details   []FieldError `json:"details,omitempty"`
		RequestID string       `json:"request_id,omitempty"`
	} `json:"error"`
}

// errorResponse renders err in the core's error shape.
func errorResponse(err error, lang, requestID string) *Response {
	var (
		e  *Error
		he *HostError
		st = http.StatusInternalServerError
		ev errorEnvelope
	)
	switch {
	case errors.As(err, &e):
		st, ev.Error.Code, ev.Error.Details = e.Status, e.Code, e.Fields
		ev.Error.Message = pick(lang, e.EN, e.ZH)
	case errors.As(err, &he) && statusOfGRPC[he.GRPC] != 0:
		st, ev.Error.Code, ev.Error.Details = statusOfGRPC[he.GRPC], he.Code, he.Fields
		ev.Error.Message = pick(lang, he.EN, he.ZH)
	default:
		// The cause stays in the plugin's log; callers see a stable code.
		logger.Error("request failed", "request_id", requestID, "err", err)
		ev.Error.Code = "internal_error"
		ev.Error.Message = pick(lang, "The plugin failed to answer; try again later.", "插件处理失败,请稍后重试。")
	}
	ev.Error.RequestID = requestID
	b, _ := json.Marshal(ev)
	return &Response{Status: st, Header: map[string]string{"content-type": "application/json; charset=utf-8"}, Body: b}
}

func pick(lang, en, zh string) string {
	if lang == "zh" && zh != "" {
		return zh
	}
	return en
}
