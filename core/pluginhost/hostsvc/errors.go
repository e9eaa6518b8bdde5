package hostsvc

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/store"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// conflictCodes are the Conflict errors with a gRPC code of their own; any
// other conflict is a state that refuses the call (FailedPrecondition).
var conflictCodes = map[string]codes.Code{
	"version_conflict": codes.Aborted,
	"already_exists":   codes.AlreadyExists,
	"duplicate":        codes.AlreadyExists,
}

// timeoutCodes are errors that mean "no answer in time" whatever their
// kind: a plugin tells them apart from a dependency that is down.
var timeoutCodes = map[string]bool{"device_no_ack": true}

// codeOf picks the gRPC code of an apperr.
func codeOf(e *apperr.Error) codes.Code {
	if timeoutCodes[e.Code] {
		return codes.DeadlineExceeded
	}
	switch e.Kind {
	case apperr.KindInvalid, apperr.KindTooLarge, apperr.KindUnsupported, apperr.KindUnprocessable:
		return codes.InvalidArgument
	case apperr.KindNotFound:
		return codes.NotFound
	case apperr.KindConflict:
		if c, ok := conflictCodes[e.Code]; ok {
			return c
		}
		return codes.FailedPrecondition
	case apperr.KindForbidden, apperr.KindUnauthenticated:
		return codes.PermissionDenied
	case apperr.KindLocked:
		return codes.FailedPrecondition
	case apperr.KindRateLimited:
		return codes.ResourceExhausted
	case apperr.KindUnavailable:
		return codes.Unavailable
	}
	return codes.Internal
}

// status turns err into a gRPC status with an ErrorDetail. Errors that are
// not apperr are logged and answered as internal_error: their text may name
// tables or another tenant's data, and never reaches the plugin.
func (h *host) status(ctx context.Context, method string, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	if err == errUnavailable {
		return err
	}
	e, ok := apperr.As(err)
	if !ok && store.IsNotFound(err) {
		e, ok = apperr.NotFound, true
	}
	if !ok {
		h.d.Log.ErrorContext(ctx, "host call failed", slog.String("plugin", h.spec.Name), slog.String("tenant", h.spec.TenantID.String()),
			slog.String("method", method), slog.Any("err", err))
		e = apperr.Internal
	}
	c := codeOf(e)
	if c == codes.Internal {
		if ok {
			h.d.Log.ErrorContext(ctx, "host call failed", slog.String("plugin", h.spec.Name), slog.String("method", method), slog.Any("err", err))
		}
		e = apperr.Internal
	}
	return statusOf(c, e)
}

func statusOf(c codes.Code, e *apperr.Error) error {
	d := &wuyepb.ErrorDetail{Code: e.Code, MessageEn: e.EN, MessageZh: e.ZH}
	if fe, ok := e.Details.([]apperr.FieldError); ok {
		for _, f := range fe {
			d.Fields = append(d.Fields, &wuyepb.FieldError{Field: f.Field, Code: f.Code, MessageEn: f.EN, MessageZh: f.ZH})
		}
	}
	st, err := status.New(c, e.Code+": "+e.EN).WithDetails(d)
	if err != nil {
		return status.Error(c, e.Code+": "+e.EN)
	}
	return st.Err()
}
