package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/paging"
	"github.com/wuye-project/wuye/core/store"
)

// Webhooks follow the Standard Webhooks specification: each request carries
// webhook-id (the delivery id, the same on every retry), webhook-timestamp
// (Unix seconds of this attempt) and webhook-signature "v1,<base64 of
// HMAC-SHA256 over id.timestamp.body>" keyed by the base64 part of the
// endpoint's "whsec_…" secret.

// endpointRow is a tenant's webhook endpoint.
type endpointRow struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	URL         string
	Description string
	Events      string // comma-separated codes or code prefixes ("bill.*"); empty: every event
	SecretEnc   string
	Enabled     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (endpointRow) TableName() string { return "webhook_endpoints" }

// Endpoint is a webhook endpoint as shown. Secret is set only in the answer
// that created it (or rotated it).
type Endpoint struct {
	ID          uuid.UUID `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"`
	Enabled     bool      `json:"enabled"`
	Secret      string    `json:"secret,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// EndpointInput creates or changes an endpoint.
type EndpointInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"` // template codes or code prefixes ("workorder.*"); empty for all
	Enabled     *bool    `json:"enabled"`
}

func (r endpointRow) view() Endpoint {
	ev := []string{}
	if r.Events != "" {
		ev = strings.Split(r.Events, ",")
	}
	return Endpoint{ID: r.ID, URL: r.URL, Description: r.Description, Events: ev, Enabled: r.Enabled, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (in *EndpointInput) check() error {
	var fe []apperr.FieldError
	in.URL = strings.TrimSpace(in.URL)
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.URL) > 1000 {
		fe = append(fe, field("url", "invalid_url", "url must be an http(s) URL", "地址须为 http(s) URL"))
	}
	if len(in.Description) > 500 {
		fe = append(fe, field("description", "too_long", "description is at most 500 bytes", "说明不超过 500 字节"))
	}
	for i, e := range in.Events {
		e = strings.TrimSpace(e)
		in.Events[i] = e
		prefix, star := strings.CutSuffix(e, ".*")
		if _, ok := kindByCode[e]; ok || (star && slices.ContainsFunc(catalogue, func(k Kind) bool { return strings.HasPrefix(k.Code, prefix+".") })) {
			continue
		}
		fe = append(fe, field(fmt.Sprintf("events[%d]", i), "unknown_event", "an event is a template code (bill.overdue) or a code prefix with .* (workorder.*)", "事件须为模板代码(如 bill.overdue)或代码前缀加 .*(如 workorder.*)"))
	}
	return invalid(fe)
}

// NewSecret returns a fresh "whsec_" secret of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CreateEndpoint adds an endpoint; the answer shows its secret, once.
func (s *Service) CreateEndpoint(ctx context.Context, tenantID uuid.UUID, in EndpointInput) (Endpoint, error) {
	if err := in.check(); err != nil {
		return Endpoint{}, err
	}
	now := s.now().UTC()
	r := endpointRow{TenantID: tenantID, ID: store.NewID(), URL: in.URL, Description: strings.TrimSpace(in.Description),
		Events: strings.Join(in.Events, ","), Enabled: in.Enabled == nil || *in.Enabled, CreatedAt: now, UpdatedAt: now}
	secret := NewSecret()
	var err error
	if r.SecretEnc, err = s.deps.Keys.Encrypt(secret, aad(tenantID, "webhook", r.ID, "secret")); err != nil {
		return Endpoint{}, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error { return tx.Create(&r).Error })
	v := r.view()
	v.Secret = secret
	return v, err
}

// UpdateEndpoint changes an endpoint's URL, events, description or state.
func (s *Service) UpdateEndpoint(ctx context.Context, tenantID, id uuid.UUID, in EndpointInput) (out Endpoint, err error) {
	if err := in.check(); err != nil {
		return Endpoint{}, err
	}
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		r, err := endpointIn(tx, tenantID, id)
		if err != nil {
			return err
		}
		r.URL, r.Description, r.Events, r.UpdatedAt = in.URL, strings.TrimSpace(in.Description), strings.Join(in.Events, ","), s.now().UTC()
		if in.Enabled != nil {
			r.Enabled = *in.Enabled
		}
		out = r.view()
		return tx.Save(&r).Error
	})
	return out, err
}

// GetEndpoint returns one endpoint (without its secret).
func (s *Service) GetEndpoint(ctx context.Context, tenantID, id uuid.UUID) (out Endpoint, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		r, err := endpointIn(tx, tenantID, id)
		out = r.view()
		return err
	})
	return out, err
}

// DeleteEndpoint removes an endpoint; its queued deliveries then fail once and stop.
func (s *Service) DeleteEndpoint(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		res := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&endpointRow{})
		if res.Error == nil && res.RowsAffected == 0 {
			return apperr.NotFound
		}
		return res.Error
	})
}

// ListEndpoints lists the tenant's endpoints.
func (s *Service) ListEndpoints(ctx context.Context, tenantID uuid.UUID, p paging.Paging) (out []Endpoint, total int64, err error) {
	err = s.db.InTenant(ctx, tenantID, func(tx *gorm.DB) error {
		q := tx.Model(&endpointRow{}).Where("tenant_id = ?", tenantID)
		if err := q.Count(&total).Error; err != nil {
			return err
		}
		var rows []endpointRow
		if err := p.Apply(q).Find(&rows).Error; err != nil {
			return err
		}
		out = make([]Endpoint, len(rows))
		for i, r := range rows {
			out[i] = r.view()
		}
		return nil
	})
	return out, total, err
}

func endpointIn(tx *gorm.DB, tenantID, id uuid.UUID) (endpointRow, error) {
	var r endpointRow
	err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Take(&r).Error
	if store.IsNotFound(err) {
		return r, apperr.NotFound
	}
	return r, err
}

// endpointsFor lists the enabled endpoints whose filter takes code.
func endpointsFor(tx *gorm.DB, tenantID uuid.UUID, code string) ([]endpointRow, error) {
	var rows []endpointRow
	if err := tx.Where("tenant_id = ? AND enabled = ?", tenantID, true).Find(&rows).Error; err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rows, func(r endpointRow) bool {
		if r.Events == "" {
			return false
		}
		for _, e := range strings.Split(r.Events, ",") {
			if p, star := strings.CutSuffix(e, ".*"); e == code || (star && strings.HasPrefix(code, p+".")) {
				return false
			}
		}
		return true
	}), nil
}

type webhookPayload struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      webhookData `json:"data"`
}

type webhookData struct {
	Event    string            `json:"event"`
	Template string            `json:"template"`
	Vars     map[string]string `json:"vars"`
	Link     string            `json:"link,omitempty"`
	Urgent   bool              `json:"urgent"`
}

// Sign returns the webhook-signature value of a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" keyed by the decoded secret.
func Sign(secret, id string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("notify: webhook secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// ErrBadSignature is Verify's answer to a request it cannot trust.
var ErrBadSignature = errors.New("notify: webhook signature does not match")

// Verify checks a received webhook as a receiver should: the timestamp
// within tolerance of now, and one of the space-separated signatures
// matching (compared in constant time).
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if id == "" || err != nil {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside tolerance", ErrBadSignature)
	}
	want, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Webhook is the webhook channel for one endpoint.
type Webhook struct {
	URL, Secret string
	Client      *http.Client
	Now         func() time.Time
}

// Deliver posts the stored body, signed; any answer but 2xx is a failure to retry.
func (w Webhook) Deliver(ctx context.Context, o Outgoing) (string, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	id := o.ID.String()
	sig, err := Sign(w.Secret, id, ts, []byte(o.Body))
	if err != nil {
		return "", Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader([]byte(o.Body)))
	if err != nil {
		return "", Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Wuye-Webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	res, err := w.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return "", fmt.Errorf("webhook %s answered %d", w.URL, res.StatusCode)
	}
	return strconv.Itoa(res.StatusCode), nil
}
