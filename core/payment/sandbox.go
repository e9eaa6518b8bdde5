package payment

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/money"
	"github.com/wuye-project/wuye/core/store"
)

// sandboxProvider is the built-in provider of the embedded demo. Its "pay
// URL" is a page this server serves; paying there makes the sandbox sign a
// notification with the merchant's sandbox key (HMAC-SHA256) and deliver it
// through the same path as a real provider's. It keeps what it has seen in
// memory, as a provider's own books, so the query job can ask it.
type sandboxProvider struct {
	mu     sync.Mutex
	trades map[string]Trade // by public merchant id + "/" + order no
}

func newSandbox() *sandboxProvider { return &sandboxProvider{trades: map[string]Trade{}} }

// Headers of a sandbox notification.
const (
	SandboxTimestampHeader = "Wuye-Sandbox-Timestamp"
	SandboxSignatureHeader = "Wuye-Sandbox-Signature"
)

// sandboxNotice is the body of a sandbox notification.
type sandboxNotice struct {
	Merchant string `json:"merchant"`
	OrderNo  string `json:"order_no"`
	TxnID    string `json:"txn_id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"` // "paid"
	PaidAt   string `json:"paid_at"`
}

// SandboxSign is the signature of a sandbox notification.
func SandboxSign(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (p *sandboxProvider) CreateOrder(_ context.Context, c *Credentials, o OrderRequest) (string, error) {
	p.mu.Lock()
	p.trades[c.PublicID+"/"+o.OrderNo] = Trade{State: StateWaiting, Amount: o.Amount}
	p.mu.Unlock()
	return strings.TrimRight(c.Gateway, "/") + "/" + url.PathEscape(c.PublicID) + "/" + url.PathEscape(o.OrderNo), nil
}

// pay marks the order paid in the sandbox's books and returns the signed
// notification it sends.
func (p *sandboxProvider) pay(c *Credentials, orderNo string, amount money.Money, now time.Time) (http.Header, []byte) {
	txn := "SBX" + strings.ReplaceAll(orderNo, "-", "")
	p.mu.Lock()
	p.trades[c.PublicID+"/"+orderNo] = Trade{State: StatePaid, TxnID: txn, Amount: amount, PaidAt: now}
	p.mu.Unlock()
	body, _ := json.Marshal(sandboxNotice{Merchant: c.PublicID, OrderNo: orderNo, TxnID: txn, Amount: amount.Amount,
		Currency: string(amount.Currency), Status: "paid", PaidAt: now.UTC().Format(time.RFC3339)})
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(SandboxTimestampHeader, ts)
	h.Set(SandboxSignatureHeader, SandboxSign(c.SandboxKey, ts, body))
	return h, body
}

func (p *sandboxProvider) VerifyNotification(c *Credentials, h http.Header, body []byte) (Notification, error) {
	want := SandboxSign(c.SandboxKey, h.Get(SandboxTimestampHeader), body)
	if len(c.SandboxKey) == 0 || !hmac.Equal([]byte(want), []byte(h.Get(SandboxSignatureHeader))) {
		return Notification{}, errBadSignature
	}
	var n sandboxNotice
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, errBadSignature
	}
	out := Notification{OrderNo: n.OrderNo, TxnID: n.TxnID, Amount: money.New(n.Amount, money.Currency(n.Currency)),
		Paid: n.Status == "paid", Merchant: n.Merchant}
	out.PaidAt, _ = time.Parse(time.RFC3339, n.PaidAt)
	return out, nil
}

func (p *sandboxProvider) Query(_ context.Context, c *Credentials, orderNo string) (Trade, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.trades[c.PublicID+"/"+orderNo]
	if !ok {
		return Trade{State: StateUnknown}, nil
	}
	return t, nil
}

func (p *sandboxProvider) Refund(_ context.Context, _ *Credentials, r RefundRequest) (string, error) {
	return "SBR" + strings.ReplaceAll(r.RefundNo, "-", ""), nil
}

func (p *sandboxProvider) Close(_ context.Context, c *Credentials, orderNo string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := c.PublicID + "/" + orderNo
	if t, ok := p.trades[k]; ok && t.State == StateWaiting {
		t.State = StateClosed
		p.trades[k] = t
	}
	return nil
}

func (p *sandboxProvider) Answer(ok bool, reason string) Answer {
	if ok {
		return Answer{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("OK")}
	}
	return Answer{Status: http.StatusBadRequest, ContentType: "text/plain; charset=utf-8", Body: []byte(reason)}
}

// paidInSandbox reports whether the sandbox already took this order's money.
func (p *sandboxProvider) state(publicID, orderNo string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.trades[publicID+"/"+orderNo].State
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	return base64.StdEncoding.DecodeString(s)
}

// SandboxOrder is what the sandbox's pay page shows.
type SandboxOrder struct {
	OrderNo string      `json:"order_no"`
	Amount  money.Money `json:"amount"`
	Status  string      `json:"status"`
}

// sandboxOrder finds a sandbox account's order for its pay page. Only
// sandbox accounts answer, and only while sandbox payments are allowed.
func (s *Service) sandboxOrder(ctx context.Context, publicID, orderNo string) (merchantRow, Order, error) {
	m, err := s.merchantByPublicID(ctx, publicID)
	if err != nil || m.Provider != ProviderSandbox || !s.opt.Sandbox {
		return m, Order{}, apperr.NotFound
	}
	var o Order
	err = s.in(ctx, m.TenantID, func(tx *gorm.DB) error {
		return tx.Where("tenant_id = ? AND order_no = ? AND merchant_id = ?", m.TenantID, orderNo, m.ID).Take(&o).Error
	})
	return m, o, store.NotFound(err)
}

// SandboxOrder returns the order a sandbox pay page shows.
func (s *Service) SandboxOrder(ctx context.Context, publicID, orderNo string) (SandboxOrder, error) {
	_, o, err := s.sandboxOrder(ctx, publicID, orderNo)
	if err != nil {
		return SandboxOrder{}, err
	}
	return SandboxOrder{OrderNo: o.OrderNo, Amount: o.Money(), Status: o.Status}, nil
}

// SandboxPay is the sandbox's "pay" button: the sandbox takes the (pretend)
// money and delivers its signed notification through Notify, exactly as a
// provider's would arrive at the notify URL.
func (s *Service) SandboxPay(ctx context.Context, publicID, orderNo, ip string) (SandboxOrder, error) {
	m, o, err := s.sandboxOrder(ctx, publicID, orderNo)
	if err != nil {
		return SandboxOrder{}, err
	}
	if o.Status == StatusCreated && s.now().Before(o.ExpiresAt) && s.sandbox.state(publicID, orderNo) != StateClosed {
		c, err := s.credentials(m)
		if err != nil {
			return SandboxOrder{}, err
		}
		h, body := s.sandbox.pay(c, o.OrderNo, o.Money(), s.now())
		if a := s.Notify(ctx, Inbound{Provider: ProviderSandbox, Merchant: publicID, Header: h, Body: body, IP: ip}); a.Status != http.StatusOK {
			return SandboxOrder{}, ErrProvider
		}
	}
	return s.SandboxOrder(ctx, publicID, orderNo)
}
