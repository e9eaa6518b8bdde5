package hostsvc

import (
	"context"
	"encoding/json"
	"regexp"
	"time"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// maxPayload bounds an event's or task's JSON.
const maxPayload = 256 << 10

var localName = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,99}$`)

func checkPayload(field string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if len(b) > maxPayload {
		return invalid(field, "too_large", field+" is at most 256 KiB", field+" 最多 256 KiB")
	}
	if !json.Valid(b) {
		return invalid(field, "invalid_json", field+" must be JSON", field+" 须为 JSON")
	}
	return nil
}

func (h *host) Publish(ctx context.Context, in *wuyepb.PublishRequest) (*wuyepb.PublishResponse, error) {
	return run(h, ctx, "Publish", func(ctx context.Context) (*wuyepb.PublishResponse, error) {
		if h.d.Bus == nil {
			return nil, errUnavailable
		}
		if !localName.MatchString(in.GetType()) {
			return nil, invalid("type", "invalid_type", "type is lowercase letters, digits, _ . - (at most 100)", "type 须为小写字母、数字或 _ . -(最多 100 个)")
		}
		if err := checkPayload("payload", in.GetPayload()); err != nil {
			return nil, err
		}
		key, err := h.key("idempotency_key", in.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
		id, err := h.d.Bus.Publish(ctx, h.spec.TenantID, h.spec.Name, in.GetType(), in.GetPayload(), key)
		if err != nil {
			return nil, err
		}
		return &wuyepb.PublishResponse{EventId: id}, nil
	})
}

// maxAhead bounds how far ahead a task may be scheduled.
const maxAhead = 366 * 24 * time.Hour

func (h *host) ScheduleTask(ctx context.Context, in *wuyepb.ScheduleTaskRequest) (*wuyepb.ScheduleTaskResponse, error) {
	return run(h, ctx, "ScheduleTask", func(ctx context.Context) (*wuyepb.ScheduleTaskResponse, error) {
		if h.d.Bus == nil {
			return nil, errUnavailable
		}
		if !localName.MatchString(in.GetName()) {
			return nil, invalid("name", "invalid_name", "name is lowercase letters, digits, _ . - (at most 100)", "name 须为小写字母、数字或 _ . -(最多 100 个)")
		}
		if err := checkPayload("payload", in.GetPayload()); err != nil {
			return nil, err
		}
		at := time.UnixMilli(in.GetRunAtUnixMs())
		if in.GetRunAtUnixMs() <= 0 || time.Until(at) > maxAhead {
			return nil, invalid("run_at_unix_ms", "out_of_range", "run_at is a time within a year", "run_at 须为一年以内的时间")
		}
		key, err := h.key("key", in.GetKey())
		if err != nil {
			return nil, err
		}
		id, err := h.d.Bus.Schedule(ctx, h.spec.TenantID, h.spec.Name, in.GetName(), in.GetPayload(), at, key)
		if err != nil {
			return nil, err
		}
		return &wuyepb.ScheduleTaskResponse{TaskId: id}, nil
	})
}

func (h *host) CancelTask(ctx context.Context, in *wuyepb.CancelTaskRequest) (*wuyepb.CancelTaskResponse, error) {
	return run(h, ctx, "CancelTask", func(ctx context.Context) (*wuyepb.CancelTaskResponse, error) {
		if h.d.Bus == nil {
			return nil, errUnavailable
		}
		key, err := h.key("key", in.GetKey())
		if err != nil {
			return nil, err
		}
		ok, err := h.d.Bus.Cancel(ctx, h.spec.TenantID, h.spec.Name, key)
		if err != nil {
			return nil, err
		}
		return &wuyepb.CancelTaskResponse{Cancelled: ok}, nil
	})
}

// Audit records "<plugin>.<action>" as the HTTP caller the call was made
// for (its call token), else as the plugin itself.
func (h *host) Audit(ctx context.Context, in *wuyepb.AuditRequest) (*wuyepb.AuditResponse, error) {
	return run(h, ctx, "Audit", func(ctx context.Context) (*wuyepb.AuditResponse, error) {
		if h.d.Audit == nil {
			return nil, errUnavailable
		}
		if !localName.MatchString(in.GetAction()) {
			return nil, invalid("action", "invalid_action", "action is lowercase letters, digits, _ . - (at most 100)", "action 须为小写字母、数字或 _ . -(最多 100 个)")
		}
		if len(in.GetObjectType()) > 64 || len(in.GetObjectId()) > 200 {
			return nil, invalid("object_id", "too_long", "object_type is at most 64 bytes, object_id 200", "object_type 最多 64 字节,object_id 最多 200 字节")
		}
		detail := in.GetDetail()
		if len(detail) > 0 {
			var m map[string]any
			if len(detail) > 2000 || json.Unmarshal(detail, &m) != nil || m == nil {
				return nil, invalid("detail", "invalid_detail", "detail is a JSON object of at most 2000 bytes", "detail 须为不超过 2000 字节的 JSON 对象")
			}
		}
		e := AuditEntry{TenantID: h.spec.TenantID, ActorKind: "plugin", ActorName: h.spec.Name, Action: h.spec.Name + "." + in.GetAction(),
			ObjectType: in.GetObjectType(), ObjectID: in.GetObjectId(), Detail: string(detail)}
		if c, ok := h.caller(ctx); ok {
			e.ActorKind, e.ActorID, e.ActorName, e.IP, e.RequestID = c.Kind, c.ID, c.Name, c.IP, c.RequestID
		}
		if err := h.d.Audit.Record(ctx, e); err != nil {
			return nil, err
		}
		return &wuyepb.AuditResponse{}, nil
	})
}

func (h *host) GetConfig(ctx context.Context, _ *wuyepb.GetConfigRequest) (*wuyepb.GetConfigResponse, error) {
	return run(h, ctx, "GetConfig", func(ctx context.Context) (*wuyepb.GetConfigResponse, error) {
		out := &wuyepb.GetConfigResponse{Config: h.spec.Config, Secrets: map[string]string{}}
		if len(out.Config) == 0 {
			out.Config = []byte("{}")
		}
		if h.d.Secrets != nil {
			s, err := h.d.Secrets(ctx, h.spec.TenantID, h.spec.Name)
			if err != nil {
				return nil, err
			}
			for k, v := range s {
				out.Secrets[k] = v
			}
		}
		return out, nil
	})
}
