// Package apperr holds the one error type the API shows to people: a kind
// (what sort of failure), a stable snake_case code, and a message in English
// and Chinese.
//
// Domain packages declare their errors as package variables built with New and
// return them (optionally with details). The edge chooses the transport's
// status from the kind: httpapi.StatusOf for HTTP (and, later, the plugin
// host for gRPC), so domains never name an HTTP status. Any other error is
// internal: it is logged and answered as internal_error without its text.
package apperr

import (
	"errors"
	"fmt"
)

// Kind is the sort of failure, from which each transport picks its status.
type Kind uint8

// Kinds of failure.
const (
	KindInternal        Kind = iota // the server failed; never the client's fault
	KindInvalid                     // the input is wrong (HTTP 400)
	KindUnauthenticated             // no valid credential (401)
	KindForbidden                   // the credential may not do this (403)
	KindNotFound                    // no such object, or not visible to the caller (404)
	KindConflict                    // the object's state refuses it (409)
	KindTooLarge                    // the input is too big (413)
	KindUnsupported                 // a file type or media type that is not accepted (415)
	KindUnprocessable               // well-formed but cannot be processed (422)
	KindLocked                      // locked for a while (423: an account after failed sign-ins)
	KindRateLimited                 // too many requests (429)
	KindUnavailable                 // a dependency is down; retry later (503)
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not_found", "conflict",
	"too_large", "unsupported", "unprocessable", "locked", "rate_limited", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error is a failure a client can act on.
type Error struct {
	Kind    Kind   // sort of failure; the edge maps it to a status
	Code    string // stable snake_case code, part of the API contract
	EN, ZH  string // message for people
	Details any    // optional structured details (field errors, limits …)
	cause   error
}

// New declares an error. Call it once per code, at package level.
func New(kind Kind, code, en, zh string) *Error {
	return &Error{Kind: kind, Code: code, EN: en, ZH: zh}
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.EN + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.EN
}

func (e *Error) Unwrap() error { return e.cause }

// Is matches by code, so a copy made by WithDetails still matches its declaration.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// WithDetails returns a copy carrying details for the client.
func (e *Error) WithDetails(d any) *Error {
	c := *e
	c.Details = d
	return &c
}

// Withf returns a copy whose messages have args formatted into them
// (both messages use the same verbs in the same order).
func (e *Error) Withf(args ...any) *Error {
	c := *e
	c.EN = fmt.Sprintf(e.EN, args...)
	c.ZH = fmt.Sprintf(e.ZH, args...)
	return &c
}

// Wrap returns a copy that keeps cause for logs; the client sees only the code and message.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Message picks the message for a language tag ("zh…" gets Chinese, everything else English).
func (e *Error) Message(lang string) string {
	if len(lang) >= 2 && (lang[:2] == "zh" || lang[:2] == "ZH") {
		return e.ZH
	}
	return e.EN
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// FieldError names one invalid input field; Validation errors carry a list of them.
type FieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	EN    string `json:"message"`
	ZH    string `json:"message_zh"`
}

// Errors shared by every part of the API.
var (
	Internal        = New(KindInternal, "internal_error", "Something went wrong on our side; the request id identifies it in the logs.", "服务器内部错误,请凭请求编号联系管理员。")
	NotFound        = New(KindNotFound, "not_found", "The object does not exist or you cannot see it.", "对象不存在或您无权查看。")
	Invalid         = New(KindInvalid, "invalid_input", "Some input is invalid; see details for each field.", "输入有误,请查看各字段的详细说明。")
	BadJSON         = New(KindInvalid, "malformed_json", "The request body is not valid JSON for this endpoint.", "请求体不是此接口可接受的 JSON。")
	Unauthenticated = New(KindUnauthenticated, "unauthenticated", "Sign in first: the credential is missing, expired or invalid.", "请先登录:凭证缺失、过期或无效。")
	Forbidden       = New(KindForbidden, "forbidden", "Your roles do not allow this action.", "您的角色无权执行此操作。")
	Conflict        = New(KindConflict, "conflict", "The object was changed or already exists.", "对象已被修改或已存在。")
	TooLarge        = New(KindTooLarge, "body_too_large", "The request body is too large.", "请求体过大。")
	RateLimited     = New(KindRateLimited, "rate_limited", "Too many requests; wait a moment and try again.", "请求过于频繁,请稍后再试。")
)
