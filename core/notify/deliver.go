package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/queue"
)

// Outgoing is one delivery as a channel sees it.
type Outgoing struct {
	ID       uuid.UUID // the delivery id: Message-ID, webhook-id, the SMS OutId
	Event    string
	Template string
	Lang     string
	To       string // phone, email address or webhook URL
	Subject  string
	Body     string
	Vars     map[string]string
	Link     string
}

// Channel makes one delivery. It returns the provider's id for it, if any;
// an error wrapped by Permanent is not retried.
type Channel interface {
	Deliver(ctx context.Context, o Outgoing) (providerID string, err error)
}

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks an error that a retry cannot fix (a malformed address, a
// channel that is not configured, a template the provider does not have).
func Permanent(err error) error { return permanent{err} }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// errInFlight sends a task back to the queue while another worker holds
// its delivery (a crashed worker's claim expires after claimTimeout).
var errInFlight = errors.New("notify: delivery in flight")

// claimTimeout is how long a claim on a delivery holds. A worker that died
// mid-send leaves its delivery "sending"; after this the retry takes it.
const claimTimeout = 10 * time.Minute

// HandleDeliver is the queue handler of TaskDeliver: it claims the delivery,
// makes it outside any transaction, and marks it sent. A delivery marked
// sent is never made again, whatever the queue redelivers.
func (s *Service) HandleDeliver(ctx context.Context, t queue.Task) error {
	var p deliverPayload
	if err := json.Unmarshal(t.Payload, &p); err != nil || p.ID == uuid.Nil {
		return nil // nothing a retry could deliver
	}
	return s.deliver(ctx, t.TenantID, p.ID)
}

func (s *Service) deliver(ctx context.Context, tenantID, id uuid.UUID) error {
	var (
		d   deliveryRow
		st  settingsRow
		ep  *endpointRow
		got bool
	)
	now := s.now().UTC()
	err := s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Model(&deliveryRow{}).
			Where("tenant_id = ? AND id = ? AND (status IN ? OR (status = ? AND updated_at < ?))", tenantID, id,
				[]string{StatusPending, StatusHeld, StatusFailed}, StatusSending, now.Add(-claimTimeout)).
			Updates(map[string]any{"status": StatusSending, "attempts": gorm.Expr("attempts + 1"), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var rows []deliveryRow
			if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) > 0 && rows[0].Status == StatusSending {
				return errInFlight
			}
			return nil // sent already, or dropped by a concurrent Send of the same event
		}
		got = true
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&d).Error; err != nil {
			return err
		}
		var err error
		if st, err = settingsIn(tx, tenantID); err != nil {
			return err
		}
		if d.Channel == ChannelWebhook {
			epID, _ := uuid.Parse(strings.TrimPrefix(d.Recipient, "webhook:"))
			var rows []endpointRow
			if err := tx.Where("tenant_id = ? AND id = ?", tenantID, epID).Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) > 0 {
				ep = &rows[0]
			}
		}
		return nil
	})
	if err != nil || !got {
		return err
	}
	providerID, sendErr := s.make(ctx, tenantID, d, st, ep)
	finish := map[string]any{"updated_at": s.now().UTC()}
	if errors.Is(sendErr, ErrPrivateAddress) {
		sendErr = Permanent(sendErr)
	}
	if sendErr == nil {
		sentAt := s.now().UTC()
		finish["status"], finish["sent_at"], finish["provider_id"], finish["last_error"] = StatusSent, sentAt, providerID, ""
	} else {
		msg := sendErr.Error()
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		finish["status"], finish["last_error"] = StatusFailed, msg
	}
	// The mark survives a cancelled task context: the channel already acted.
	err = s.db.InTenant(context.WithoutCancel(ctx), tenantID, func(tx *gorm.DB) error {
		return tx.Model(&deliveryRow{}).Where("tenant_id = ? AND id = ? AND status = ?", tenantID, id, StatusSending).Updates(finish).Error
	})
	if err != nil {
		return err
	}
	if sendErr != nil && !isPermanent(sendErr) {
		return sendErr // the queue retries with backoff
	}
	return nil
}

// make builds the delivery's channel from the tenant's settings and sends.
func (s *Service) make(ctx context.Context, tenantID uuid.UUID, d deliveryRow, st settingsRow, ep *endpointRow) (string, error) {
	o := Outgoing{ID: d.ID, Event: d.Event, Template: d.Template, Lang: d.Lang, Subject: d.Subject, Body: d.Body, Link: d.Link}
	if d.Vars != "" {
		_ = json.Unmarshal([]byte(d.Vars), &o.Vars)
	}
	if d.AddressEnc != "" {
		to, err := s.deps.Keys.Decrypt(d.AddressEnc, aad(tenantID, "deliveries", d.ID, "address"))
		if err != nil {
			return "", Permanent(err)
		}
		o.To = to
	}
	ch, err := s.channel(tenantID, d.Channel, st, ep)
	if err != nil {
		return "", Permanent(err)
	}
	return ch.Deliver(ctx, o)
}

func (s *Service) channel(tenantID uuid.UUID, name string, st settingsRow, ep *endpointRow) (Channel, error) {
	switch name {
	case ChannelEmail:
		if st.SMTPHost == "" {
			return nil, errors.New("email is not configured")
		}
		pw, err := s.deps.Keys.Decrypt(st.SMTPPasswordEnc, aad(tenantID, "settings", tenantID, "smtp_password"))
		if err != nil {
			return nil, err
		}
		return Mailer{Host: st.SMTPHost, Port: st.SMTPPort, Username: st.SMTPUsername, Password: pw, From: st.SMTPFrom,
			FromName: st.SMTPFromName, TLS: s.opt.SMTPTLS, DialTimeout: s.opt.DialTimeout, Dialer: s.opt.dialer()}, nil
	case ChannelSMS:
		if st.SMSProvider != "aliyun" {
			return nil, errors.New("SMS is not configured")
		}
		secret, err := s.deps.Keys.Decrypt(st.SMSSecretEnc, aad(tenantID, "settings", tenantID, "sms_secret"))
		if err != nil {
			return nil, err
		}
		tpl := map[string]string{}
		_ = json.Unmarshal([]byte(st.SMSTemplates), &tpl)
		return AliyunSMS{Endpoint: st.SMSEndpoint, Region: st.SMSRegion, AccessKeyID: st.SMSAccessKeyID, AccessKeySecret: secret,
			SignName: st.SMSSignName, Templates: tpl, Client: s.opt.HTTPClient}, nil
	case ChannelWebhook:
		if ep == nil || !ep.Enabled {
			return nil, errors.New("the webhook endpoint was deleted or disabled")
		}
		secret, err := s.deps.Keys.Decrypt(ep.SecretEnc, aad(tenantID, "webhook", ep.ID, "secret"))
		if err != nil {
			return nil, err
		}
		return Webhook{URL: ep.URL, Secret: secret, Client: s.opt.HTTPClient, Now: s.now}, nil
	}
	return nil, fmt.Errorf("unknown channel %q", name)
}

// Delivery is one row of the delivery log as staff see it (addresses masked).
type Delivery struct {
	ID        uuid.UUID  `json:"id"`
	Event     string     `json:"event"`
	Recipient string     `json:"recipient"`
	Channel   string     `json:"channel"`
	Template  string     `json:"template"`
	Address   string     `json:"address"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	NotBefore time.Time  `json:"not_before"`
	SentAt    *time.Time `json:"sent_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// DeliveryFilter narrows the delivery log.
type DeliveryFilter struct {
	Status   string `form:"status" json:"status"`
	Channel  string `form:"channel" json:"channel"`
	Template string `form:"template" json:"template"`
	Event    string `form:"event" json:"event"`
}

// Deliveries lists the delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, tenantID uuid.UUID, f DeliveryFilter, p paging.Paging) (out []Delivery, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&deliveryRow{}).Where("tenant_id = ?", tenantID)
		for col, v := range map[string]string{"status": f.Status, "channel": f.Channel, "template": f.Template, "event": f.Event} {
			if v != "" {
				q = q.Where(col+" = ?", v)
			}
		}
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		if p.Order == "" {
			p.Order = "id DESC"
		}
		var rows []deliveryRow
		if err := p.Apply(q).Find(&rows).Error; err != nil {
			return err
		}
		out = make([]Delivery, len(rows))
		for i, r := range rows {
			out[i] = Delivery{ID: r.ID, Event: r.Event, Recipient: r.Recipient, Channel: r.Channel, Template: r.Template, Address: r.AddressMask,
				Subject: r.Subject, Status: r.Status, Attempts: r.Attempts, LastError: r.LastError, NotBefore: r.NotBefore, SentAt: r.SentAt, CreatedAt: r.CreatedAt}
		}
		return nil
	})
	return out, total, err
}
