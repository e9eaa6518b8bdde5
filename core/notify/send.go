package notify

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/pii"
	"github.com/wuye-project/wuye/core/queue"
	"github.com/wuye-project/wuye/core/store"
)

// deliveryRow is one delivery of one event to one recipient on one channel:
// the dedupe record (unique per event, recipient and channel) and its log.
type deliveryRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	Event       string
	Recipient   string // user:<id>, phone:<blind index>, email:<blind index>, webhook:<endpoint id>
	Channel     string
	Template    string
	Lang        string
	AddressEnc  string
	AddressMask string
	Subject     string
	Body        string
	Vars        string
	Link        string
	Status      string
	Attempts    int
	LastError   string
	ProviderID  string
	NotBefore   time.Time
	SentAt      *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (deliveryRow) TableName() string { return "notify_deliveries" }

type deliverPayload struct {
	ID uuid.UUID `json:"id"`
}

func (m *Message) check() error {
	var fe []apperr.FieldError
	m.Event = strings.TrimSpace(m.Event)
	if m.Event == "" || len(m.Event) > 200 {
		fe = append(fe, field("event", "required", "event is required (at most 200 bytes)", "事件编号必填(不超过 200 字节)"))
	}
	if _, ok := kindOf(m.Template); !ok {
		return ErrUnknownTemplate
	}
	return invalid(fe)
}

// Send writes inbox rows and queues channel deliveries through the outbox,
// inside the caller's transaction when ctx carries one (store.Ctx). It never
// waits on a channel. Re-sending the same Event is a no-op.
func (s *Service) Send(ctx context.Context, tenantID uuid.UUID, m Message) error {
	if err := m.check(); err != nil {
		return err
	}
	loc := s.deps.Zone(ctx, tenantID)
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		_, err := s.send(tx, tenantID, loc, m)
		return err
	})
}

// sent counts what one Send wrote.
type sent struct{ inbox, deliveries int }

func (s *Service) send(tx *gorm.DB, tenantID uuid.UUID, loc *time.Location, m Message) (sent, error) {
	var out sent
	txt, err := loadTexts(tx, tenantID, m.Template)
	if err != nil {
		return out, err
	}
	st, err := settingsIn(tx, tenantID)
	if err != nil {
		return out, err
	}
	// What this event already reached: a repeated Send writes nothing twice.
	var had []uuid.UUID
	if err := tx.Model(&Item{}).Where("tenant_id = ? AND event = ?", tenantID, m.Event).Pluck("user_id", &had).Error; err != nil {
		return out, err
	}
	inboxDone := map[string]bool{}
	for _, u := range had {
		inboxDone[u.String()] = true
	}
	var prior []struct{ Recipient, Channel string }
	if err := tx.Model(&deliveryRow{}).Select("recipient", "channel").Where("tenant_id = ? AND event = ?", tenantID, m.Event).Scan(&prior).Error; err != nil {
		return out, err
	}
	delDone := map[[2]string]bool{}
	for _, p := range prior {
		delDone[[2]string{p.Recipient, p.Channel}] = true
	}
	var users []uuid.UUID
	for _, r := range m.To {
		if r.UserID != uuid.Nil {
			users = append(users, r.UserID)
		}
	}
	prefs, err := prefsOf(tx, tenantID, users)
	if err != nil {
		return out, err
	}
	smsOn, mailOn := st.SMSProvider != "", st.SMTPHost != ""
	now := s.now().UTC()
	var (
		items    []Item
		dels     []deliveryRow
		contacts = map[uuid.UUID]Recipient{}
	)
	addDelivery := func(recipient, channel, lang, addr string, vars map[string]string, quietStart, quietEnd string) error {
		key := [2]string{recipient, channel}
		if delDone[key] {
			return nil
		}
		delDone[key] = true
		t := txt.text(lang, channel)
		d := deliveryRow{TenantID: tenantID, ID: store.NewID(), Event: m.Event, Recipient: recipient, Channel: channel,
			Template: m.Template, Lang: lang, Subject: render(t.Subject, vars), Body: render(t.Body, vars), Link: m.Link,
			Status: StatusPending, NotBefore: now, CreatedAt: now, UpdatedAt: now}
		if channel == ChannelSMS {
			b, _ := json.Marshal(vars)
			d.Vars = string(b)
		} else {
			d.Vars = "{}"
		}
		var err error
		if d.AddressEnc, err = s.deps.Keys.Encrypt(addr, aad(tenantID, "deliveries", d.ID, "address")); err != nil {
			return err
		}
		d.AddressMask = maskAddress(channel, addr)
		if !m.Urgent {
			if quietStart == "" {
				quietStart, quietEnd = st.QuietStart, st.QuietEnd
			}
			if until := quietUntil(now, loc, quietStart, quietEnd); !until.IsZero() {
				d.NotBefore, d.Status = until.UTC(), StatusHeld
			}
		}
		dels = append(dels, d)
		return nil
	}
	for _, r := range m.To {
		vars := withName(m.Vars, r.Name)
		if r.UserID == uuid.Nil {
			lang := pickLang(r.Lang, st.DefaultLang)
			if p := normPhone(r.Phone); p != "" && smsOn {
				if err := addDelivery("phone:"+s.deps.Keys.Index(tenantID, "notify_phone", p), ChannelSMS, lang, p, vars, "", ""); err != nil {
					return out, err
				}
			}
			if e := strings.ToLower(strings.TrimSpace(r.Email)); e != "" && mailOn {
				if err := addDelivery("email:"+s.deps.Keys.Index(tenantID, "notify_email", e), ChannelEmail, lang, e, vars, "", ""); err != nil {
					return out, err
				}
			}
			continue
		}
		pref := prefs[r.UserID]
		chans := channelsFor(txt.kind, pref.view())
		if slices.Contains(chans, ChannelSMS) && !smsOn {
			chans = slices.DeleteFunc(chans, func(c string) bool { return c == ChannelSMS })
		}
		if slices.Contains(chans, ChannelEmail) && !mailOn {
			chans = slices.DeleteFunc(chans, func(c string) bool { return c == ChannelEmail })
		}
		// The account's own phone, email and language fill what the caller
		// left out, looked up only when a channel needs them.
		if len(chans) > 0 && (r.Phone == "" || r.Email == "" || r.Lang == "") {
			c, ok := contacts[r.UserID]
			if !ok {
				if c, _, err = s.deps.Users.Contact(store.Ctx(tx), tenantID, r.UserID); err != nil {
					return out, err
				}
				contacts[r.UserID] = c
			}
			r.Phone, r.Email, r.Lang = firstOf(r.Phone, c.Phone), firstOf(r.Email, c.Email), firstOf(r.Lang, c.Lang)
			if r.Name == "" {
				vars = withName(m.Vars, c.Name)
			}
		}
		lang := pickLang(r.Lang, st.DefaultLang)
		uid := r.UserID.String()
		if !inboxDone[uid] {
			inboxDone[uid] = true
			t := txt.text(lang, ChannelInbox)
			items = append(items, Item{TenantID: tenantID, ID: store.NewID(), UserID: r.UserID, Event: m.Event, Template: m.Template,
				Category: txt.kind.Category, Title: render(t.Subject, vars), Body: render(t.Body, vars), Link: m.Link, Urgent: m.Urgent, CreatedAt: now})
		}
		for _, ch := range chans {
			addr := r.Phone
			if ch == ChannelEmail {
				addr = strings.TrimSpace(r.Email)
			} else {
				addr = normPhone(addr)
			}
			if addr == "" {
				continue
			}
			if err := addDelivery("user:"+uid, ch, lang, addr, vars, pref.QuietStart, pref.QuietEnd); err != nil {
				return out, err
			}
		}
	}
	eps, err := endpointsFor(tx, tenantID, m.Template)
	if err != nil {
		return out, err
	}
	for _, ep := range eps {
		key := [2]string{"webhook:" + ep.ID.String(), ChannelWebhook}
		if delDone[key] {
			continue
		}
		delDone[key] = true
		id := store.NewID()
		body, _ := json.Marshal(webhookPayload{Type: m.Template, Timestamp: now, Data: webhookData{Event: m.Event, Template: m.Template, Vars: nonNil(m.Vars), Link: m.Link, Urgent: m.Urgent}})
		dels = append(dels, deliveryRow{TenantID: tenantID, ID: id, Event: m.Event, Recipient: key[0], Channel: ChannelWebhook,
			Template: m.Template, Lang: st.DefaultLang, AddressMask: ep.URL, Body: string(body), Vars: "{}", Link: m.Link,
			Status: StatusPending, NotBefore: now, CreatedAt: now, UpdatedAt: now})
	}
	if len(items) > 0 {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&items, 500).Error; err != nil {
			return out, err
		}
	}
	if len(dels) > 0 {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&dels, 300).Error; err != nil {
			return out, err
		}
		// One task per delivery. Under a race with another Send of the same
		// event a row above may have been dropped; its task then finds no
		// row and does nothing.
		tasks := make([]queue.Task, len(dels))
		for i, d := range dels {
			p, _ := json.Marshal(deliverPayload{ID: d.ID})
			tasks[i] = queue.Task{Type: TaskDeliver, Payload: p, Queue: queue.Default, RunAt: d.NotBefore, MaxRetry: s.opt.MaxRetry}
		}
		if err := queue.EnqueueMany(tx, tasks); err != nil {
			return out, err
		}
	}
	return sent{len(items), len(dels)}, nil
}

// channelsFor is the channels beyond the inbox a user gets for kind k: the
// template's defaults, each turned on or off by the user's preference.
func channelsFor(k Kind, p Preferences) []string {
	var out []string
	for _, ch := range PrefChannels {
		on := slices.Contains(k.Channels, ch)
		if v, ok := p.Channels[k.Category][ch]; ok {
			on = v
		}
		if on {
			out = append(out, ch)
		}
	}
	return out
}

func withName(vars map[string]string, name string) map[string]string {
	if name == "" || vars["name"] != "" {
		if vars == nil {
			return map[string]string{}
		}
		return vars
	}
	out := make(map[string]string, len(vars)+1)
	for k, v := range vars {
		out[k] = v
	}
	out["name"] = name
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func pickLang(lang, def string) string {
	if slices.Contains(Langs, lang) {
		return lang
	}
	if strings.HasPrefix(lang, "zh") {
		return "zh"
	}
	if strings.HasPrefix(lang, "en") {
		return "en"
	}
	if def == "" {
		return "zh"
	}
	return def
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// normPhone keeps the digits and a leading +.
func normPhone(p string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(p) {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func maskAddress(channel, addr string) string {
	switch channel {
	case ChannelSMS:
		return pii.MaskPhone(addr)
	case ChannelEmail:
		at := strings.LastIndexByte(addr, '@')
		if at <= 0 {
			return "***"
		}
		return addr[:1] + "***" + addr[at:]
	}
	return addr
}
