package payment

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wuye-project/wuye/core/money"
)

// Providers.
const (
	ProviderAlipay  = "alipay"
	ProviderWeChat  = "wechat"
	ProviderSandbox = "sandbox"
)

// Channels: how the payer pays.
const (
	ChannelQR = "qr" // a QR code the payer scans (Alipay precreate, WeChat Native)
	ChannelH5 = "h5" // a link opened in the phone's browser (Alipay wap.pay, WeChat H5)
)

// Credentials are one merchant account's decrypted settings, built for a
// call and never stored or logged.
type Credentials struct {
	Provider       string
	PublicID       string // names the account in the notify URL
	AppID          string // Alipay app_id; WeChat appid
	MchID          string // WeChat mchid
	MerchantSerial string // WeChat: serial number of the merchant's API certificate
	PlatformSerial string // WeChat: serial of the platform certificate/public key that signs answers
	PrivateKey     *rsa.PrivateKey
	ProviderKey    *rsa.PublicKey // Alipay public key; WeChat platform public key
	APIv3Key       []byte         // WeChat: decrypts notification resources
	SandboxKey     []byte         // sandbox: HMAC key of notifications
	Gateway        string         // base URL of the provider's API
	NotifyURL      string         // where the provider posts notifications
	ReturnURL      string         // sandbox: the page the payer comes back to
}

// OrderRequest is an order to open at the provider.
type OrderRequest struct {
	OrderNo   string
	Amount    money.Money
	Subject   string
	Channel   string
	ClientIP  string
	ExpiresAt time.Time
}

// Notification is a verified provider notification, tenant-agnostic: the
// tenant is the merchant account's, never a field of the body.
type Notification struct {
	OrderNo  string
	TxnID    string
	Amount   money.Money
	Paid     bool   // the payment succeeded; other states are acknowledged and ignored
	Merchant string // app id / mchid the provider says it is for
	PaidAt   time.Time
}

// Trade states a query reports.
const (
	StatePaid    = "paid"
	StateWaiting = "waiting"
	StateClosed  = "closed"
	StateUnknown = "unknown" // the provider has never heard of the order
)

// Trade is what the provider says of one order.
type Trade struct {
	State  string
	TxnID  string
	Amount money.Money
	PaidAt time.Time
}

// RefundRequest refunds part or all of a paid order at the provider.
type RefundRequest struct {
	OrderNo  string
	TxnID    string
	RefundNo string // idempotency key at the provider
	Amount   money.Money
	Total    money.Money
	Reason   string
}

// Provider is one payment provider's protocol. Implementations hold no
// merchant state: every call gets the account's Credentials.
type Provider interface {
	// CreateOrder opens the order and returns the URL to pay it (a QR
	// code's content or an H5 link).
	CreateOrder(ctx context.Context, c *Credentials, o OrderRequest) (string, error)
	// VerifyNotification checks the notification's signature with the
	// account's keys and reads it.
	VerifyNotification(c *Credentials, h http.Header, body []byte) (Notification, error)
	Query(ctx context.Context, c *Credentials, orderNo string) (Trade, error)
	Refund(ctx context.Context, c *Credentials, r RefundRequest) (providerRefundID string, err error)
	Close(ctx context.Context, c *Credentials, orderNo string) error
	// Answer is the reply the provider expects to a notification: ok stops
	// its retries, a failure makes it deliver again later.
	Answer(ok bool, reason string) Answer
}

// Answer is an HTTP reply to a provider's notification.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// HTTPDoer sends the providers' HTTP requests (*http.Client).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

func defaultHTTP() HTTPDoer { return &http.Client{Timeout: 15 * time.Second} }

// maxAnswer bounds what is read of a provider's answer.
const maxAnswer = 1 << 20

func readAnswer(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
}

// providerErr says which provider call failed and why, for logs; the client
// sees ErrProvider.
func providerErr(provider, call string, err error) error {
	return ErrProvider.Wrap(fmt.Errorf("%s %s: %w", provider, call, err))
}

// ParsePrivateKey reads an RSA private key in PEM (PKCS#8 or PKCS#1) or as
// bare base64 DER, the form providers' consoles hand out.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := pemOrBase64(s, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("not an RSA key")
	}
	return x509.ParsePKCS1PrivateKey(der)
}

// ParsePublicKey reads an RSA public key (PKIX PEM, base64 DER) or the key of
// a PEM certificate (WeChat's platform certificate).
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := pemOrBase64(s, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	if cert, err := x509.ParseCertificate(der); err == nil {
		if k, ok := cert.PublicKey.(*rsa.PublicKey); ok {
			return k, nil
		}
		return nil, errors.New("certificate key is not RSA")
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return x509.ParsePKCS1PublicKey(der)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func pemOrBase64(s, _ string) ([]byte, error) {
	if b, _ := pem.Decode([]byte(s)); b != nil {
		return b.Bytes, nil
	}
	return decodeBase64(s)
}
