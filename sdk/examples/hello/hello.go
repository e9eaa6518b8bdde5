// Command hello is the example plugin of docs/vendor-sdk.md: a guestbook
// that greets people, keeps signed entries in the records store, welcomes
// residents who move in, takes tips charged to a room, and tidies itself
// daily. It uses the SDK only.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/wuye-project/wuye/sdk/plugin"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// config is the plugin's configuration (see schema).
type config struct {
	Greeting string `json:"greeting"`
}

const schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "greeting": {"type": "string", "minLength": 1, "maxLength": 40, "default": "你好"}
  },
  "additionalProperties": false
}`

// entry is one guestbook document.
type entry struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	At      int64  `json:"at"` // unix ms
}

// New builds the plugin; main serves it and tests start a fresh one each.
func New() *plugin.Plugin {
	p := &plugin.Plugin{
		Name: "hello", Version: "1.0.0", TitleEN: "Hello", TitleZH: "你好",
		Description:  "The SDK's example: greetings, a guestbook, welcomes and tips.",
		ConfigSchema: json.RawMessage(schema),
		Collections: []*wuyepb.Collection{{Name: "entries", Indexes: []*wuyepb.IndexField{
			{Field: "name", Unique: true}, {Field: "at"},
		}}},
		Templates: []*wuyepb.Template{{Code: "welcome", TitleZh: "欢迎入住", BodyZh: "{{name}},欢迎入住{{room}}!",
			TitleEn: "Welcome", BodyEn: "Welcome to {{room}}, {{name}}!"}},
	}
	p.Permission("greet", "Be greeted", "接受问候")
	p.Permission("guestbook.write", "Sign the guestbook", "签写留言簿")
	p.Permission("tip", "Tip the staff", "打赏")

	p.Handle("GET", "/greetings/:name", "greet", func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
		var c config
		if err := json.Unmarshal(p.Tenant.Config, &c); err != nil || c.Greeting == "" {
			c.Greeting = "你好"
		}
		return plugin.JSON(http.StatusOK, map[string]string{"greeting": c.Greeting + ", " + r.Params["name"]}), nil
	}, plugin.Summary("Greet someone"))

	p.Handle("POST", "/entries", "guestbook.write", func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
		var in struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		}
		if err := r.Bind(&in); err != nil {
			return nil, err
		}
		in.Name = strings.TrimSpace(in.Name)
		if in.Name == "" || len(in.Message) > 500 {
			return nil, plugin.Invalid(plugin.FieldError{Field: "name", Code: "required", EN: "a name and a message of at most 500 bytes", ZH: "需填写姓名,留言最多 500 字节"})
		}
		rec, err := p.Host.Put(ctx, "entries", "", entry{Name: in.Name, Message: in.Message, At: time.Now().UnixMilli()}, plugin.CreateOnly)
		if plugin.Code(err) == "duplicate" {
			return nil, plugin.Errorf(http.StatusConflict, "already_signed", "This name has signed the guestbook already.", "该姓名已签写过留言簿。")
		}
		if err != nil {
			return nil, err
		}
		if err := p.Host.Audit(ctx, "entry.create", "entry", rec.ID, map[string]string{"name": in.Name}); err != nil {
			return nil, err
		}
		return plugin.JSON(http.StatusCreated, map[string]any{"id": rec.ID, "version": rec.Version}), nil
	}, plugin.MaxBody(4<<10), plugin.Summary("Sign the guestbook"))

	p.Handle("GET", "/entries", "greet", func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
		q := plugin.Query{Collection: "entries", OrderBy: "at", Descending: true, Limit: 20, Cursor: r.Query.Get("cursor")}
		if prefix := r.Query.Get("prefix"); prefix != "" {
			q = q.Where("name", "prefix", prefix)
		}
		recs, next, err := p.Host.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		out := []entry{}
		for _, rec := range recs {
			var e entry
			if err := rec.Decode(&e); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return plugin.JSON(http.StatusOK, map[string]any{"entries": out, "next_cursor": next}), nil
	}, plugin.Summary("Read the guestbook, newest first"))

	// A tip is charged to the caller's room; the route's Idempotency-Key
	// makes the charge's key, so a retried request never charges twice.
	p.Handle("POST", "/tips", "tip", func(ctx context.Context, r *plugin.Request) (*plugin.Response, error) {
		var in struct {
			RoomID    string `json:"room_id"`
			AmountFen int64  `json:"amount_fen"`
		}
		if err := r.Bind(&in); err != nil {
			return nil, err
		}
		if in.AmountFen <= 0 || in.AmountFen > 100_00 {
			return nil, plugin.Invalid(plugin.FieldError{Field: "amount_fen", Code: "out_of_range", EN: "1 fen to 100 yuan", ZH: "金额须在 1 分到 100 元之间"})
		}
		ch, err := p.Host.Charge(ctx, &wuyepb.PostChargeRequest{RoomId: in.RoomID, AmountFen: in.AmountFen,
			Description: "打赏物业服务", IdempotencyKey: "tip:" + r.Header["idempotency-key"]})
		if err != nil {
			return nil, err
		}
		return plugin.JSON(http.StatusCreated, map[string]any{"charge_id": ch.Id, "bill_id": ch.BillId}), nil
	}, plugin.Idempotent(), plugin.Summary("Tip the staff; charged to a room's bill"))

	// Welcome a resident who moves in. Delivery is at least once, so the
	// notification's key is the event's id: a redelivery sends nothing.
	p.On("resident.moved_in", func(ctx context.Context, ev plugin.Event) error {
		var in struct {
			ResidentID string `json:"resident_id"`
			RoomID     string `json:"room_id"`
		}
		if err := ev.Decode(&in); err != nil || in.ResidentID == "" {
			plugin.Logger().Warn("ignoring a malformed event", "id", ev.ID)
			return nil // retrying a malformed event cannot help
		}
		res, err := p.Host.Resident(ctx, in.ResidentID)
		if plugin.IsNotFound(err) {
			return nil // moved out again, or not this tenant's
		}
		if err != nil {
			return err
		}
		room := in.RoomID
		if rm, err := p.Host.Room(ctx, in.RoomID); err == nil {
			room = rm.Label
		}
		_, err = p.Host.Notify(ctx, &wuyepb.NotifyRequest{Template: "welcome", Vars: map[string]string{"name": res.Name, "room": room},
			Recipients: []*wuyepb.Recipient{{ResidentId: res.Id}}, IdempotencyKey: "welcome:" + ev.ID})
		return err
	})

	// Daily, drop guestbook entries older than a year.
	p.Every("tidy", "@daily", "Remove guestbook entries older than a year", func(ctx context.Context, t plugin.Task) error {
		cutoff := time.Now().AddDate(-1, 0, 0).UnixMilli()
		old, err := p.Host.QueryAll(ctx, plugin.Query{Collection: "entries"}.Where("at", "lt", cutoff))
		if err != nil {
			return err
		}
		for _, rec := range old {
			if err := p.Host.Delete(ctx, "entries", rec.ID, rec.Version); err != nil && !plugin.IsNotFound(err) && !plugin.IsConflict(err) {
				return err
			}
		}
		return nil
	})
	return p
}
