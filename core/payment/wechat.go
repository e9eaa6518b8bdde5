package payment

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wuye-project/wuye/core/money"
)

// wechat speaks WeChat Pay API v3. Requests carry
// "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,timestamp=…,
// serial_no=…,signature=…", the merchant key's SHA256withRSA signature of
// "METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n". Answers and notifications carry
// Wechatpay-Timestamp/-Nonce/-Signature/-Serial: the platform key's
// signature of "TIMESTAMP\nNONCE\nBODY\n". A notification's resource is
// AES-256-GCM sealed with the merchant's APIv3 key.
type wechat struct {
	http HTTPDoer
	now  func() time.Time
}

// wechatClockSkew is how far a signed timestamp may be from now.
const wechatClockSkew = 5 * time.Minute

// WeChatAuthorization builds the Authorization header of a request.
func WeChatAuthorization(c *Credentials, method, pathQuery string, body []byte, ts int64, nonce string) (string, error) {
	msg := method + "\n" + pathQuery + "\n" + strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + string(body) + "\n"
	sig, err := SignRSA2(c.PrivateKey, []byte(msg))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		c.MchID, nonce, ts, c.MerchantSerial, sig), nil
}

// verifyWeChat checks the Wechatpay-* headers over body with the platform key.
func verifyWeChat(c *Credentials, h http.Header, body []byte, now time.Time) error {
	ts, nonce, sig := h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Signature")
	if serial := h.Get("Wechatpay-Serial"); c.PlatformSerial != "" && serial != c.PlatformSerial {
		return errBadSignature
	}
	if err := VerifyRSA2(c.ProviderKey, []byte(ts+"\n"+nonce+"\n"+string(body)+"\n"), sig); err != nil {
		return err
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > wechatClockSkew || d < -wechatClockSkew {
		return errStale
	}
	return nil
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// do sends a signed request and returns the verified answer's status and body.
func (w wechat) do(ctx context.Context, c *Credentials, method, path string, in any) (int, []byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, nil, err
		}
	}
	auth, err := WeChatAuthorization(c, method, path, body, w.now().Unix(), newNonce())
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Gateway, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	out, err := readAnswer(resp)
	if err != nil {
		return 0, nil, err
	}
	if err := verifyWeChat(c, resp.Header, out, w.now()); err != nil {
		return 0, nil, fmt.Errorf("answer (HTTP %d) signature: %w", resp.StatusCode, err)
	}
	return resp.StatusCode, out, nil
}

// wechatError is the body of a refused request.
type wechatError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func wechatFailure(status int, body []byte) error {
	var e wechatError
	_ = json.Unmarshal(body, &e)
	return fmt.Errorf("HTTP %d %s: %s", status, e.Code, e.Message)
}

func (w wechat) CreateOrder(ctx context.Context, c *Credentials, o OrderRequest) (string, error) {
	in := map[string]any{
		"appid": c.AppID, "mchid": c.MchID, "description": o.Subject, "out_trade_no": o.OrderNo,
		"time_expire": o.ExpiresAt.In(chinaTime).Format(time.RFC3339), "notify_url": c.NotifyURL,
		"amount": map[string]any{"total": o.Amount.Amount, "currency": string(o.Amount.Currency)},
	}
	path := "/v3/pay/transactions/native"
	if o.Channel == ChannelH5 {
		path = "/v3/pay/transactions/h5"
		in["scene_info"] = map[string]any{"payer_client_ip": o.ClientIP, "h5_info": map[string]string{"type": "Wap"}}
	}
	status, body, err := w.do(ctx, c, http.MethodPost, path, in)
	if err == nil && status != http.StatusOK {
		err = wechatFailure(status, body)
	}
	if err != nil {
		return "", providerErr(ProviderWeChat, "order", err)
	}
	var out struct {
		CodeURL string `json:"code_url"`
		H5URL   string `json:"h5_url"`
	}
	_ = json.Unmarshal(body, &out)
	if link := out.CodeURL + out.H5URL; link != "" {
		return link, nil
	}
	return "", providerErr(ProviderWeChat, "order", errors.New("no code_url or h5_url"))
}

// wechatNotice is the envelope of a notification.
type wechatNotice struct {
	ID           string `json:"id"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Resource     struct {
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
	} `json:"resource"`
}

// wechatTransaction is a decrypted payment resource (and a query's answer).
type wechatTransaction struct {
	AppID         string `json:"appid"`
	MchID         string `json:"mchid"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	TradeState    string `json:"trade_state"`
	SuccessTime   string `json:"success_time"`
	Amount        struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// DecryptWeChatResource opens an AEAD_AES_256_GCM resource with the APIv3 key.
func DecryptWeChatResource(apiV3Key []byte, nonce, associatedData, ciphertext string) ([]byte, error) {
	if len(apiV3Key) != 32 {
		return nil, errors.New("the APIv3 key must be 32 bytes")
	}
	block, err := aes.NewCipher(apiV3Key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, []byte(nonce), raw, []byte(associatedData))
}

func (w wechat) VerifyNotification(c *Credentials, h http.Header, body []byte) (Notification, error) {
	if err := verifyWeChat(c, h, body, w.now()); err != nil {
		return Notification{}, err
	}
	var env wechatNotice
	if err := json.Unmarshal(body, &env); err != nil || env.Resource.Algorithm != "AEAD_AES_256_GCM" {
		return Notification{}, errBadSignature
	}
	plain, err := DecryptWeChatResource(c.APIv3Key, env.Resource.Nonce, env.Resource.AssociatedData, env.Resource.Ciphertext)
	if err != nil {
		return Notification{}, errBadSignature
	}
	var t wechatTransaction
	if err := json.Unmarshal(plain, &t); err != nil {
		return Notification{}, errBadSignature
	}
	n := Notification{
		OrderNo: t.OutTradeNo, TxnID: t.TransactionID, Merchant: t.MchID,
		Amount: money.New(t.Amount.Total, money.Currency(t.Amount.Currency)),
		Paid:   env.EventType == "TRANSACTION.SUCCESS" && t.TradeState == "SUCCESS",
	}
	n.PaidAt, _ = time.Parse(time.RFC3339, t.SuccessTime)
	return n, nil
}

func (w wechat) Query(ctx context.Context, c *Credentials, orderNo string) (Trade, error) {
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(orderNo) + "?mchid=" + url.QueryEscape(c.MchID)
	status, body, err := w.do(ctx, c, http.MethodGet, path, nil)
	if err != nil {
		return Trade{}, providerErr(ProviderWeChat, "query", err)
	}
	if status == http.StatusNotFound {
		return Trade{State: StateUnknown}, nil
	}
	if status != http.StatusOK {
		return Trade{}, providerErr(ProviderWeChat, "query", wechatFailure(status, body))
	}
	var t wechatTransaction
	if err := json.Unmarshal(body, &t); err != nil {
		return Trade{}, providerErr(ProviderWeChat, "query", err)
	}
	out := Trade{TxnID: t.TransactionID, Amount: money.New(t.Amount.Total, money.Currency(t.Amount.Currency))}
	switch t.TradeState {
	case "SUCCESS", "REFUND":
		out.State = StatePaid
	case "CLOSED", "REVOKED", "PAYERROR":
		out.State = StateClosed
	default:
		out.State = StateWaiting
	}
	out.PaidAt, _ = time.Parse(time.RFC3339, t.SuccessTime)
	return out, nil
}

func (w wechat) Refund(ctx context.Context, c *Credentials, r RefundRequest) (string, error) {
	in := map[string]any{
		"out_trade_no": r.OrderNo, "out_refund_no": r.RefundNo, "reason": r.Reason, "notify_url": c.NotifyURL,
		"amount": map[string]any{"refund": r.Amount.Amount, "total": r.Total.Amount, "currency": string(r.Amount.Currency)},
	}
	status, body, err := w.do(ctx, c, http.MethodPost, "/v3/refund/domestic/refunds", in)
	if err == nil && status != http.StatusOK {
		err = wechatFailure(status, body)
	}
	if err != nil {
		return "", providerErr(ProviderWeChat, "refund", err)
	}
	var out struct {
		RefundID string `json:"refund_id"`
		Status   string `json:"status"`
	}
	_ = json.Unmarshal(body, &out)
	if out.Status == "ABNORMAL" || out.Status == "CLOSED" {
		return "", providerErr(ProviderWeChat, "refund", fmt.Errorf("refund %s", out.Status))
	}
	return out.RefundID, nil
}

func (w wechat) Close(ctx context.Context, c *Credentials, orderNo string) error {
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(orderNo) + "/close"
	status, body, err := w.do(ctx, c, http.MethodPost, path, map[string]string{"mchid": c.MchID})
	if err == nil && status != http.StatusNoContent && status != http.StatusOK {
		err = wechatFailure(status, body)
	}
	if err != nil {
		return providerErr(ProviderWeChat, "close", err)
	}
	return nil
}

func (wechat) Answer(ok bool, reason string) Answer {
	if ok {
		return Answer{Status: http.StatusNoContent}
	}
	b, _ := json.Marshal(map[string]string{"code": "FAIL", "message": reason})
	return Answer{Status: http.StatusBadRequest, ContentType: "application/json", Body: b}
}
