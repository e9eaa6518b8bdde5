package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AliyunSMS is the SMS channel on Aliyun's SendSms API (dysmsapi,
// version 2017-05-25), signed as its RPC-style APIs are: the parameters
// sorted by name, each name and value percent-encoded (RFC 3986: space
// %20, * %2A, ~ kept), joined with & and =; the string to sign is
// METHOD & encode("/") & encode(that query); the signature is the base64
// HMAC-SHA1 of it keyed by the AccessKey secret followed by "&".
type AliyunSMS struct {
	Endpoint        string // https://dysmsapi.aliyuncs.com/
	Region          string
	AccessKeyID     string
	AccessKeySecret string
	SignName        string
	Templates       map[string]string // notification code -> Aliyun TemplateCode
	Client          *http.Client
	Now             func() time.Time
}

// AliyunEncode percent-encodes as Aliyun's signature requires.
func AliyunEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// AliyunSign returns the Signature of a request's parameters (Signature
// itself excluded) for the HTTP method.
func AliyunSign(method string, params map[string]string, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = AliyunEncode(k) + "=" + AliyunEncode(params[k])
	}
	toSign := method + "&" + AliyunEncode("/") + "&" + AliyunEncode(strings.Join(parts, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type aliyunAnswer struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId"`
	RequestID string `json:"RequestId"`
}

// Deliver sends one SMS from the approved template mapped to o.Template,
// the message's variables as its TemplateParam.
func (a AliyunSMS) Deliver(ctx context.Context, o Outgoing) (string, error) {
	code := a.Templates[o.Template]
	if code == "" {
		return "", Permanent(fmt.Errorf("no Aliyun template code is set for %s (notification settings, sms.templates)", o.Template))
	}
	if o.To == "" {
		return "", Permanent(fmt.Errorf("no phone number"))
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	vars, _ := json.Marshal(nonNil(o.Vars))
	p := map[string]string{
		"AccessKeyId": a.AccessKeyID, "Action": "SendSms", "Format": "JSON", "RegionId": a.Region,
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.NewString(), "SignatureVersion": "1.0",
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2017-05-25",
		"PhoneNumbers": o.To, "SignName": a.SignName, "TemplateCode": code, "TemplateParam": string(vars), "OutId": o.ID.String(),
	}
	p["Signature"] = AliyunSign(http.MethodPost, p, a.AccessKeySecret)
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := a.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return "", err
	}
	var ans aliyunAnswer
	if err := json.Unmarshal(b, &ans); err != nil {
		return "", fmt.Errorf("aliyun sms: HTTP %d, unreadable answer", res.StatusCode)
	}
	if ans.Code == "OK" {
		return ans.BizID, nil
	}
	err = fmt.Errorf("aliyun sms: %s: %s (request %s)", ans.Code, ans.Message, ans.RequestID)
	// Flow control and the provider's own faults pass; anything else (a bad
	// number, template, signature or key) a retry repeats.
	if ans.Code == "isv.BUSINESS_LIMIT_CONTROL" || strings.HasPrefix(ans.Code, "Throttling") || strings.HasPrefix(ans.Code, "isp.") || res.StatusCode >= 500 {
		return "", err
	}
	return "", Permanent(err)
}
