package hostsvc

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

const maxKey = 100

// key checks an idempotency key and namespaces it by plugin, so two plugins
// of a tenant never collide on the same key.
func (h *host) key(field, k string) (string, error) {
	k = strings.TrimSpace(k)
	if k == "" || len(k) > maxKey || !utf8.ValidString(k) {
		return "", invalid(field, "required", field+" is required (at most 100 bytes)", field+" 必填(最多 100 字节)")
	}
	return "plugin:" + h.spec.Name + ":" + k, nil
}

// ErrNotYours: a work order another plugin (or staff) raised. Answered as
// not found: a plugin sees only the orders it raised.
var errNotYours = apperr.NotFound

func (h *host) source() string { return "plugin:" + h.spec.Name }

// PostCharge bills a room. Every plugin charge carries the item code
// "plugin.<name>": bills, statements and arrears then show which plugin
// charged, without the tenant having to set up fee items for plugins; the
// description becomes the line's name.
func (h *host) PostCharge(ctx context.Context, in *wuyepb.PostChargeRequest) (*wuyepb.Charge, error) {
	return run(h, ctx, "PostCharge", func(ctx context.Context) (*wuyepb.Charge, error) {
		if h.d.Billing == nil {
			return nil, errUnavailable
		}
		room, err := parseID("room_id", in.GetRoomId())
		if err != nil {
			return nil, err
		}
		res, err := optID("resident_id", in.GetResidentId())
		if err != nil {
			return nil, err
		}
		key, err := h.key("idempotency_key", in.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
		desc := strings.TrimSpace(in.GetDescription())
		if len(desc) > 200 {
			return nil, invalid("description", "too_long", "description is at most 200 bytes", "说明最多 200 字节")
		}
		if in.GetAmountFen() <= 0 {
			return nil, invalid("amount_fen", "out_of_range", "amount_fen must be positive", "金额须大于 0")
		}
		name := desc
		if name == "" {
			name = h.spec.Name
		}
		c, err := h.d.Billing.PostCharge(ctx, h.spec.TenantID, ChargeIn{RoomID: room, ResidentID: res, Amount: in.GetAmountFen(),
			Currency: in.GetCurrency(), ItemCode: "plugin." + h.spec.Name, ItemName: name, Reason: desc, IdempotencyKey: key, Source: h.source()})
		if err != nil {
			return nil, err
		}
		return &wuyepb.Charge{Id: c.ID.String(), BillId: c.BillID.String(), RoomId: c.RoomID.String(), AmountFen: c.Amount,
			Currency: c.Currency, Replayed: c.Replayed}, nil
	})
}

func pbOrder(o WorkOrder) *wuyepb.WorkOrder {
	return &wuyepb.WorkOrder{Id: o.ID.String(), Number: o.Number, Type: o.Type, Status: o.Status, Title: o.Title, RoomId: idStr(o.RoomID)}
}

func (h *host) CreateWorkOrder(ctx context.Context, in *wuyepb.CreateWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	return run(h, ctx, "CreateWorkOrder", func(ctx context.Context) (*wuyepb.WorkOrder, error) {
		if h.d.WorkOrders == nil {
			return nil, errUnavailable
		}
		room, err := optID("room_id", in.GetRoomId())
		if err != nil {
			return nil, err
		}
		comm, err := optID("community_id", in.GetCommunityId())
		if err != nil {
			return nil, err
		}
		key, err := h.key("idempotency_key", in.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
		if len(in.GetTitle()) > 200 {
			return nil, invalid("title", "too_long", "title is at most 200 bytes", "标题最多 200 字节")
		}
		o, err := h.d.WorkOrders.Raise(ctx, h.spec.TenantID, WorkOrderIn{Type: in.GetType(), Category: in.GetCategory(), Title: in.GetTitle(),
			Description: in.GetDescription(), Priority: in.GetPriority(), Location: in.GetLocation(), RoomID: room, CommunityID: comm,
			Source: h.source(), Key: key})
		if err != nil {
			return nil, err
		}
		return pbOrder(o), nil
	})
}

// own reads an order this plugin raised.
func (h *host) own(ctx context.Context, s string) (WorkOrder, error) {
	id, err := parseID("id", s)
	if err != nil {
		return WorkOrder{}, err
	}
	o, err := h.d.WorkOrders.Get(ctx, h.spec.TenantID, id)
	if err != nil {
		return o, err
	}
	if o.Source != h.source() {
		return o, errNotYours
	}
	return o, nil
}

func (h *host) GetWorkOrder(ctx context.Context, in *wuyepb.GetWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	return run(h, ctx, "GetWorkOrder", func(ctx context.Context) (*wuyepb.WorkOrder, error) {
		if h.d.WorkOrders == nil {
			return nil, errUnavailable
		}
		o, err := h.own(ctx, in.GetId())
		if err != nil {
			return nil, err
		}
		return pbOrder(o), nil
	})
}

func (h *host) UpdateWorkOrder(ctx context.Context, in *wuyepb.UpdateWorkOrderRequest) (*wuyepb.WorkOrder, error) {
	return run(h, ctx, "UpdateWorkOrder", func(ctx context.Context) (*wuyepb.WorkOrder, error) {
		if h.d.WorkOrders == nil {
			return nil, errUnavailable
		}
		note := strings.TrimSpace(in.GetNote())
		if note == "" || len(note) > 2000 {
			return nil, invalid("note", "required", "note is required (at most 2000 bytes)", "备注必填(最多 2000 字节)")
		}
		var fn func(context.Context, uuid.UUID, uuid.UUID, string) (WorkOrder, error)
		switch in.GetAction() {
		case "comment":
			fn = h.d.WorkOrders.Comment
		case "cancel":
			fn = h.d.WorkOrders.Cancel
		default:
			return nil, invalid("action", "invalid_action", "action is comment or cancel", "action 须为 comment 或 cancel")
		}
		o, err := h.own(ctx, in.GetId())
		if err != nil {
			return nil, err
		}
		if o, err = fn(ctx, h.spec.TenantID, o.ID, note); err != nil {
			return nil, err
		}
		return pbOrder(o), nil
	})
}

const maxRecipients = 1000

func (h *host) Notify(ctx context.Context, in *wuyepb.NotifyRequest) (*wuyepb.NotifyResponse, error) {
	return run(h, ctx, "Notify", func(ctx context.Context) (*wuyepb.NotifyResponse, error) {
		if h.d.Notify == nil {
			return nil, errUnavailable
		}
		if !h.templates[in.GetTemplate()] {
			return nil, invalid("template", "unknown_template", "the plugin's manifest declares no such template", "插件清单未声明该模板")
		}
		key, err := h.key("idempotency_key", in.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
		if len(in.GetRecipients()) == 0 || len(in.GetRecipients()) > maxRecipients {
			return nil, invalid("recipients", "out_of_range", "1–1000 recipients", "收件人须为 1–1000 个")
		}
		var users []uuid.UUID
		seen := map[uuid.UUID]bool{}
		for _, r := range in.GetRecipients() {
			var u uuid.UUID
			switch {
			case r.GetUserId() != "":
				if u, err = parseID("recipients.user_id", r.GetUserId()); err != nil {
					return nil, err
				}
			case r.GetResidentId() != "":
				if h.d.Residents == nil {
					return nil, errUnavailable
				}
				id, err := parseID("recipients.resident_id", r.GetResidentId())
				if err != nil {
					return nil, err
				}
				// Another tenant's resident is not found, as everywhere.
				res, err := h.d.Residents.GetResident(ctx, h.spec.TenantID, id)
				if err != nil {
					return nil, err
				}
				u = res.UserID // a resident without an app account is not reached
			default:
				return nil, invalid("recipients", "required", "a recipient names user_id or resident_id", "收件人须填写 user_id 或 resident_id")
			}
			if u != uuid.Nil && !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
		if len(users) > 0 {
			if err := h.d.Notify.Send(ctx, h.spec.TenantID, Notice{Template: h.spec.Name + "." + in.GetTemplate(), Vars: in.GetVars(),
				UserIDs: users, Link: in.GetLink(), Urgent: in.GetUrgent(), Event: key}); err != nil {
				return nil, err
			}
		}
		return &wuyepb.NotifyResponse{Recipients: int32(len(users))}, nil
	})
}
