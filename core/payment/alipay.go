package payment

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/wuye-project/wuye/core/money"
)

// alipay speaks the Alipay open platform protocol (RSA2: SHA256withRSA).
// Requests are form posts to the gateway signed over the sorted key=value
// pairs of every non-empty parameter but sign; answers are JSON whose
// "<method>_response" node is signed as raw text; notifications are form
// posts signed over the sorted pairs without sign and sign_type.
type alipay struct {
	http HTTPDoer
	now  func() time.Time
}

// chinaTime is Beijing time, the zone of Alipay's timestamps (fixed: no
// daylight saving, no dependency on the host's zone database).
var chinaTime = time.FixedZone("CST", 8*3600)

const alipayTimeLayout = "2006-01-02 15:04:05"

// AlipaySignContent is the string Alipay signs: the pairs sorted by key,
// key=value joined by &, without the excluded keys and empty values.
func AlipaySignContent(params url.Values, exclude ...string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if params.Get(k) == "" || contains(exclude, k) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + params.Get(k))
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// SignRSA2 signs content with SHA256withRSA, base64 as Alipay and WeChat send it.
func SignRSA2(k *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyRSA2 checks a base64 SHA256withRSA signature.
func VerifyRSA2(k *rsa.PublicKey, content []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || k == nil {
		return errBadSignature
	}
	sum := sha256.Sum256(content)
	if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], raw) != nil {
		return errBadSignature
	}
	return nil
}

// yuan writes an amount as Alipay wants it ("88.88"); Alipay takes CNY only.
func yuan(m money.Money) string { return m.Decimal() }

// params are the signed common parameters of one call.
func (a alipay) params(c *Credentials, method string, biz any, notify bool) (url.Values, error) {
	bizJSON, err := json.Marshal(biz)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	v.Set("app_id", c.AppID)
	v.Set("method", method)
	v.Set("format", "JSON")
	v.Set("charset", "utf-8")
	v.Set("sign_type", "RSA2")
	v.Set("timestamp", a.now().In(chinaTime).Format(alipayTimeLayout))
	v.Set("version", "1.0")
	if notify {
		v.Set("notify_url", c.NotifyURL)
	}
	v.Set("biz_content", string(bizJSON))
	sig, err := SignRSA2(c.PrivateKey, []byte(AlipaySignContent(v, "sign")))
	if err != nil {
		return nil, err
	}
	v.Set("sign", sig)
	return v, nil
}

// alipayAnswer is the common part of every "<method>_response" node.
type alipayAnswer struct {
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

// call posts a method and returns its verified response node.
func (a alipay) call(ctx context.Context, c *Credentials, method string, biz any, notify bool) (json.RawMessage, alipayAnswer, error) {
	v, err := a.params(c, method, biz, notify)
	if err != nil {
		return nil, alipayAnswer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Gateway, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, alipayAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, alipayAnswer{}, err
	}
	body, err := readAnswer(resp)
	if err != nil {
		return nil, alipayAnswer{}, err
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, alipayAnswer{}, fmt.Errorf("answer is not JSON (HTTP %d)", resp.StatusCode)
	}
	node := env[strings.ReplaceAll(method, ".", "_")+"_response"]
	var sig string
	_ = json.Unmarshal(env["sign"], &sig)
	if node == nil {
		return nil, alipayAnswer{}, errors.New("answer has no response node")
	}
	// The node is verified as the exact text received.
	if err := VerifyRSA2(c.ProviderKey, node, sig); err != nil {
		return nil, alipayAnswer{}, errors.New("answer signature does not verify")
	}
	var ans alipayAnswer
	if err := json.Unmarshal(node, &ans); err != nil {
		return nil, ans, err
	}
	return node, ans, nil
}

func (ans alipayAnswer) err() error {
	if ans.Code == "10000" {
		return nil
	}
	return fmt.Errorf("code %s %s: %s %s", ans.Code, ans.Msg, ans.SubCode, ans.SubMsg)
}

func (a alipay) CreateOrder(ctx context.Context, c *Credentials, o OrderRequest) (string, error) {
	biz := map[string]string{
		"out_trade_no": o.OrderNo, "total_amount": yuan(o.Amount), "subject": o.Subject,
		"time_expire": o.ExpiresAt.In(chinaTime).Format(alipayTimeLayout),
	}
	if o.Channel == ChannelH5 {
		// wap.pay is a page the payer's browser opens: the signed request is the link.
		biz["product_code"] = "QUICK_WAP_WAY"
		v, err := a.params(c, "alipay.trade.wap.pay", biz, true)
		if err != nil {
			return "", err
		}
		return c.Gateway + "?" + v.Encode(), nil
	}
	node, ans, err := a.call(ctx, c, "alipay.trade.precreate", biz, true)
	if err == nil {
		err = ans.err()
	}
	if err != nil {
		return "", providerErr(ProviderAlipay, "precreate", err)
	}
	var out struct {
		QRCode string `json:"qr_code"`
	}
	if err := json.Unmarshal(node, &out); err != nil || out.QRCode == "" {
		return "", providerErr(ProviderAlipay, "precreate", errors.New("no qr_code"))
	}
	return out.QRCode, nil
}

func (a alipay) VerifyNotification(c *Credentials, _ http.Header, body []byte) (Notification, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return Notification{}, errBadSignature
	}
	if err := VerifyRSA2(c.ProviderKey, []byte(AlipaySignContent(v, "sign", "sign_type")), v.Get("sign")); err != nil {
		return Notification{}, err
	}
	amount, err := money.Parse(v.Get("total_amount"), money.CNY)
	if err != nil {
		return Notification{}, errWrongAmount
	}
	status := v.Get("trade_status")
	n := Notification{
		OrderNo: v.Get("out_trade_no"), TxnID: v.Get("trade_no"), Amount: amount, Merchant: v.Get("app_id"),
		Paid: status == "TRADE_SUCCESS" || status == "TRADE_FINISHED",
	}
	if t, err := time.ParseInLocation(alipayTimeLayout, v.Get("gmt_payment"), chinaTime); err == nil {
		n.PaidAt = t
	}
	return n, nil
}

func (a alipay) Query(ctx context.Context, c *Credentials, orderNo string) (Trade, error) {
	node, ans, err := a.call(ctx, c, "alipay.trade.query", map[string]string{"out_trade_no": orderNo}, false)
	if err != nil {
		return Trade{}, providerErr(ProviderAlipay, "query", err)
	}
	if ans.SubCode == "ACQ.TRADE_NOT_EXIST" {
		return Trade{State: StateUnknown}, nil
	}
	if err := ans.err(); err != nil {
		return Trade{}, providerErr(ProviderAlipay, "query", err)
	}
	var out struct {
		TradeStatus string `json:"trade_status"`
		TradeNo     string `json:"trade_no"`
		TotalAmount string `json:"total_amount"`
		SendPayDate string `json:"send_pay_date"`
	}
	if err := json.Unmarshal(node, &out); err != nil {
		return Trade{}, providerErr(ProviderAlipay, "query", err)
	}
	t := Trade{TxnID: out.TradeNo}
	switch out.TradeStatus {
	case "TRADE_SUCCESS", "TRADE_FINISHED":
		t.State = StatePaid
	case "TRADE_CLOSED":
		t.State = StateClosed
	default:
		t.State = StateWaiting
	}
	if t.Amount, err = money.Parse(out.TotalAmount, money.CNY); err != nil && t.State == StatePaid {
		return Trade{}, providerErr(ProviderAlipay, "query", err)
	}
	t.PaidAt, _ = time.ParseInLocation(alipayTimeLayout, out.SendPayDate, chinaTime)
	return t, nil
}

func (a alipay) Refund(ctx context.Context, c *Credentials, r RefundRequest) (string, error) {
	biz := map[string]string{"out_trade_no": r.OrderNo, "refund_amount": yuan(r.Amount), "out_request_no": r.RefundNo, "refund_reason": r.Reason}
	_, ans, err := a.call(ctx, c, "alipay.trade.refund", biz, false)
	if err == nil {
		err = ans.err()
	}
	if err != nil {
		return "", providerErr(ProviderAlipay, "refund", err)
	}
	return r.RefundNo, nil
}

func (a alipay) Close(ctx context.Context, c *Credentials, orderNo string) error {
	_, ans, err := a.call(ctx, c, "alipay.trade.close", map[string]string{"out_trade_no": orderNo}, false)
	if err == nil && ans.SubCode != "ACQ.TRADE_NOT_EXIST" { // never scanned: nothing to close
		err = ans.err()
	}
	if err != nil {
		return providerErr(ProviderAlipay, "close", err)
	}
	return nil
}

func (alipay) Answer(ok bool, _ string) Answer {
	body := "failure"
	if ok {
		body = "success"
	}
	return Answer{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(body)}
}
