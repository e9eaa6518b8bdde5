package payment_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wuye-project/wuye/core/payment"
)

// Test doubles of the providers' side, built from their published
// specifications with keys the test generates: they verify the merchant's
// request signatures, sign their answers and notifications as the provider
// would, and keep the trades they were told about.

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func privPEM(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pubPEM(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// fakeTrade is what a fake provider knows of one order.
type fakeTrade struct {
	amount  string // alipay: yuan; wechat: fen
	paid    bool
	txn     string
	closed  bool
	refunds map[string]string // refund no → amount
}

// fakeAlipay is the Alipay gateway side.
type fakeAlipay struct {
	t        testing.TB
	key      *rsa.PrivateKey // Alipay's own key: signs answers and notifications
	merchant *rsa.PublicKey  // the app's public key, uploaded to Alipay
	appID    string
	srv      *httptest.Server
	mu       sync.Mutex
	trades   map[string]*fakeTrade
	badSigs  int
	down     int // refunds refused before they are taken
}

func newFakeAlipay(t testing.TB, merchant *rsa.PublicKey, appID string) *fakeAlipay {
	f := &fakeAlipay{t: t, key: rsaKey(t), merchant: merchant, appID: appID, trades: map[string]*fakeTrade{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAlipay) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(body))
	method := v.Get("method")
	node := map[string]any{"code": "10000", "msg": "Success"}
	if err := payment.VerifyRSA2(f.merchant, []byte(payment.AlipaySignContent(v, "sign")), v.Get("sign")); err != nil || v.Get("app_id") != f.appID {
		f.mu.Lock()
		f.badSigs++
		f.mu.Unlock()
		node = map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}
		f.answer(w, method, node)
		return
	}
	var biz map[string]string
	_ = json.Unmarshal([]byte(v.Get("biz_content")), &biz)
	no := biz["out_trade_no"]
	f.mu.Lock()
	defer f.mu.Unlock()
	tr := f.trades[no]
	switch method {
	case "alipay.trade.precreate":
		f.trades[no] = &fakeTrade{amount: biz["total_amount"], refunds: map[string]string{}}
		node["out_trade_no"], node["qr_code"] = no, "https://qr.alipay.test/"+no
	case "alipay.trade.query":
		if tr == nil {
			node = map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
			break
		}
		node["trade_status"], node["total_amount"], node["trade_no"] = "WAIT_BUYER_PAY", tr.amount, tr.txn
		if tr.paid {
			node["trade_status"] = "TRADE_SUCCESS"
		} else if tr.closed {
			node["trade_status"] = "TRADE_CLOSED"
		}
	case "alipay.trade.refund":
		if f.down > 0 {
			f.down--
			node = map[string]any{"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error"}
			break
		}
		if tr == nil || !tr.paid {
			node = map[string]any{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
			break
		}
		tr.refunds[biz["out_request_no"]] = biz["refund_amount"]
		node["fund_change"], node["refund_fee"] = "Y", biz["refund_amount"]
	case "alipay.trade.close":
		if tr != nil {
			tr.closed = true
		}
	}
	f.answer(w, method, node)
}

func (f *fakeAlipay) answer(w http.ResponseWriter, method string, node map[string]any) {
	raw, _ := json.Marshal(node)
	sig, _ := payment.SignRSA2(f.key, raw)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	fmt.Fprintf(w, `{"%s_response":%s,"sign":"%s"}`, strings.ReplaceAll(method, ".", "_"), raw, sig)
}

// pay makes the buyer pay an order at Alipay and returns the notification
// Alipay then posts, signed with signer (Alipay's key, or another to forge).
func (f *fakeAlipay) pay(orderNo string, amount string, signer *rsa.PrivateKey) []byte {
	f.mu.Lock()
	tr := f.trades[orderNo]
	if tr == nil {
		tr = &fakeTrade{amount: amount, refunds: map[string]string{}}
		f.trades[orderNo] = tr
	}
	tr.paid, tr.txn = true, "2026"+strconv.FormatInt(time.Now().UnixNano(), 10)
	txn := tr.txn
	f.mu.Unlock()
	return alipayNotice(f.appID, orderNo, txn, amount, signer)
}

func alipayNotice(appID, orderNo, txn, amount string, signer *rsa.PrivateKey) []byte {
	v := url.Values{}
	v.Set("notify_time", time.Now().Format("2006-01-02 15:04:05"))
	v.Set("notify_type", "trade_status_sync")
	v.Set("notify_id", "ac05099524730693a8b330c5ecf72da9786")
	v.Set("app_id", appID)
	v.Set("charset", "utf-8")
	v.Set("version", "1.0")
	v.Set("trade_no", txn)
	v.Set("out_trade_no", orderNo)
	v.Set("trade_status", "TRADE_SUCCESS")
	v.Set("total_amount", amount)
	v.Set("receipt_amount", amount)
	v.Set("gmt_payment", time.Now().Format("2006-01-02 15:04:05"))
	sig, _ := payment.SignRSA2(signer, []byte(payment.AlipaySignContent(v, "sign", "sign_type")))
	v.Set("sign_type", "RSA2")
	v.Set("sign", sig)
	return []byte(v.Encode())
}

func (f *fakeAlipay) refunds(orderNo string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if tr := f.trades[orderNo]; tr != nil {
		return len(tr.refunds)
	}
	return 0
}

// fakeWeChat is the WeChat Pay API v3 side.
type fakeWeChat struct {
	t        testing.TB
	platform *rsa.PrivateKey // the platform key: signs answers and notifications
	serial   string          // the platform key's serial
	merchant *rsa.PublicKey  // the merchant's API certificate key
	mchID    string
	apiV3Key []byte
	srv      *httptest.Server
	mu       sync.Mutex
	trades   map[string]*fakeTrade
}

func newFakeWeChat(t testing.TB, merchant *rsa.PublicKey, mchID string, apiV3Key []byte) *fakeWeChat {
	f := &fakeWeChat{t: t, platform: rsaKey(t), serial: "5157F09EFDC096DE15EBE81A47057A72", merchant: merchant, mchID: mchID,
		apiV3Key: apiV3Key, trades: map[string]*fakeTrade{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// checkAuth verifies the merchant's Authorization header over the request.
func (f *fakeWeChat) checkAuth(r *http.Request, body []byte) bool {
	h := strings.TrimPrefix(r.Header.Get("Authorization"), "WECHATPAY2-SHA256-RSA2048 ")
	kv := map[string]string{}
	for _, p := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(p, "=")
		kv[k] = strings.Trim(v, `"`)
	}
	msg := r.Method + "\n" + r.URL.RequestURI() + "\n" + kv["timestamp"] + "\n" + kv["nonce_str"] + "\n" + string(body) + "\n"
	return kv["mchid"] == f.mchID && payment.VerifyRSA2(f.merchant, []byte(msg), kv["signature"]) == nil
}

func (f *fakeWeChat) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !f.checkAuth(r, body) {
		f.answer(w, http.StatusUnauthorized, map[string]any{"code": "SIGN_ERROR", "message": "signature wrong"})
		return
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	switch {
	case path == "/v3/pay/transactions/native" || path == "/v3/pay/transactions/h5":
		no := in["out_trade_no"].(string)
		amt := in["amount"].(map[string]any)["total"].(float64)
		f.trades[no] = &fakeTrade{amount: strconv.FormatInt(int64(amt), 10), refunds: map[string]string{}}
		if strings.HasSuffix(path, "h5") {
			f.answer(w, 200, map[string]any{"h5_url": "https://wx.tenpay.test/h5?prepay=" + no})
		} else {
			f.answer(w, 200, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=" + no})
		}
	case strings.HasPrefix(path, "/v3/pay/transactions/out-trade-no/") && strings.HasSuffix(path, "/close"):
		if tr := f.trades[strings.TrimSuffix(strings.TrimPrefix(path, "/v3/pay/transactions/out-trade-no/"), "/close")]; tr != nil {
			tr.closed = true
		}
		f.answer(w, http.StatusNoContent, nil)
	case strings.HasPrefix(path, "/v3/pay/transactions/out-trade-no/"):
		no := strings.TrimPrefix(path, "/v3/pay/transactions/out-trade-no/")
		tr := f.trades[no]
		if tr == nil {
			f.answer(w, 404, map[string]any{"code": "ORDER_NOT_EXIST", "message": "no such order"})
			return
		}
		state := "NOTPAY"
		if tr.paid {
			state = "SUCCESS"
		} else if tr.closed {
			state = "CLOSED"
		}
		total, _ := strconv.ParseInt(tr.amount, 10, 64)
		f.answer(w, 200, map[string]any{"mchid": f.mchID, "out_trade_no": no, "transaction_id": tr.txn, "trade_state": state,
			"amount": map[string]any{"total": total, "currency": "CNY"}})
	case path == "/v3/refund/domestic/refunds":
		tr := f.trades[in["out_trade_no"].(string)]
		if tr == nil || !tr.paid {
			f.answer(w, 400, map[string]any{"code": "INVALID_REQUEST", "message": "not paid"})
			return
		}
		tr.refunds[in["out_refund_no"].(string)] = fmt.Sprint(in["amount"].(map[string]any)["refund"])
		f.answer(w, 200, map[string]any{"refund_id": "50000" + in["out_refund_no"].(string), "status": "PROCESSING"})
	default:
		f.answer(w, 404, map[string]any{"code": "NOT_FOUND", "message": path})
	}
}

// signHeaders writes the Wechatpay-* headers of body, signed with key.
func (f *fakeWeChat) signHeaders(h http.Header, body []byte, key *rsa.PrivateKey, at time.Time) {
	ts, nonce := strconv.FormatInt(at.Unix(), 10), "593BEC0C930BF1AFEB40B4A08C8FB242"
	sig, _ := payment.SignRSA2(key, []byte(ts+"\n"+nonce+"\n"+string(body)+"\n"))
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", f.serial)
}

func (f *fakeWeChat) answer(w http.ResponseWriter, status int, v any) {
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	f.signHeaders(w.Header(), body, f.platform, time.Now())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// pay marks an order paid and returns the notification WeChat posts.
func (f *fakeWeChat) pay(orderNo string, total int64) (http.Header, []byte) {
	f.mu.Lock()
	tr := f.trades[orderNo]
	if tr == nil {
		tr = &fakeTrade{amount: strconv.FormatInt(total, 10), refunds: map[string]string{}}
		f.trades[orderNo] = tr
	}
	tr.paid, tr.txn = true, "42000"+strconv.FormatInt(time.Now().UnixNano(), 10)
	txn := tr.txn
	f.mu.Unlock()
	return f.notice(orderNo, txn, total, f.apiV3Key, f.platform)
}

// notice seals a TRANSACTION.SUCCESS resource with apiV3Key and signs the envelope with key.
func (f *fakeWeChat) notice(orderNo, txn string, total int64, apiV3Key []byte, key *rsa.PrivateKey) (http.Header, []byte) {
	tx, _ := json.Marshal(map[string]any{"appid": "wxd678efh567hg6787", "mchid": f.mchID, "out_trade_no": orderNo, "transaction_id": txn,
		"trade_type": "NATIVE", "trade_state": "SUCCESS", "success_time": time.Now().Format(time.RFC3339),
		"amount": map[string]any{"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"}})
	nonce, aad := "fdasflkja484", "transaction"
	block, _ := aes.NewCipher(apiV3Key)
	gcm, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
	ct := base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), tx, []byte(aad)))
	body, _ := json.Marshal(map[string]any{"id": "EV-2018022511223320873", "create_time": time.Now().Format(time.RFC3339),
		"resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
		"resource": map[string]any{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ct, "associated_data": aad, "nonce": nonce}})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	f.signHeaders(h, body, key, time.Now())
	return h, body
}

func (f *fakeWeChat) refunds(orderNo string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if tr := f.trades[orderNo]; tr != nil {
		return len(tr.refunds)
	}
	return 0
}
