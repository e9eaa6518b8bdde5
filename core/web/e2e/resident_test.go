package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"
)

// The resident H5 at 375×667: paying bills in the sandbox, a repair with a
// photo followed to its rating, announcements, surveys and community events
// with the check-in QR code. Staff steps (dispatch, resolve, publishing a
// survey) go through the API as the staff would do them in the console.

// TestResidentPaysBillInSandbox: the resident ticks the unpaid bills, pays on
// the sandbox provider's page, and the result page sees the order paid; the
// API agrees and the bills are settled.
func TestResidentPaysBillInSandbox(t *testing.T) {
	b := newBrowser(t, 375, 667, true)
	b.expect(404, "/favicon.ico")
	b.signIn("resident")
	b.run(chromedp.WaitVisible(css(`[data-test=my-room]`)))
	b.waitText(`[data-test=my-room]`, "1栋")
	b.shot("resident-home")
	b.clickFor(`[data-test=go-bills]`, `[data-test=unpaid-bill]`)
	n := b.count(`[data-test=unpaid-bill]`)
	if n == 0 {
		t.Fatal("no unpaid bills for the demo resident")
	}
	var picked []string
	b.shot("resident-bills")

	// Pay: tap twice quickly; one order comes back (one key per selection).
	runValue(b, chromedp.Evaluate[bool](`(() => { const x = document.querySelector('[data-test=pay] button'); x.click(); x.click(); return true })()`))
	b.run(chromedp.WaitVisible(css(`[data-test=pay-open]`)))
	b.waitText(`[data-test=pay-status]`, "等待支付")
	orderID := strings.TrimPrefix(b.location(), "/h5/pay/")
	payURL := runValue(b, chromedp.Evaluate[string](`document.querySelector('[data-test=pay-open]').href`))
	b.shot("resident-pay-waiting")

	code, order := residentCall(t, "resident", "GET", "/api/v1/me/payments/"+orderID, nil)
	if code != 200 || order["status"] != "created" {
		t.Fatalf("order before paying: %d %v", code, order)
	}
	for _, id := range order["bill_ids"].([]any) {
		picked = append(picked, id.(string))
	}
	if len(picked) != n {
		t.Fatalf("order covers %d bills, %d were unpaid", len(picked), n)
	}
	// Only one order for those bills: the double tap did not create a second.
	code, orders := residentCall(t, "finance", "GET", "/api/v1/payments/orders?page_size=200", nil)
	if code != 200 {
		t.Fatalf("orders: %d %v", code, orders)
	}
	same := 0
	for _, o := range orders["items"].([]any) {
		ids, _ := o.(map[string]any)["bill_ids"].([]any)
		for _, id := range ids {
			if id == picked[0] {
				same++
			}
		}
	}
	if same != 1 {
		t.Fatalf("%d orders for the same bills after a double tap", same)
	}

	// The sandbox's page, as the payer sees it: confirm.
	b.run(chromedp.Navigate(payURL), chromedp.WaitVisible(css(`form button`)))
	b.shot("sandbox-page")
	b.run(chromedp.Click(css(`form button`)))
	b.waitText(`body`, "支付成功")
	b.run(chromedp.Navigate(server.base + "/h5/pay/" + orderID))
	b.waitText(`[data-test=pay-status]`, "支付成功")
	b.shot("resident-paid")

	code, order = residentCall(t, "resident", "GET", "/api/v1/me/payments/"+orderID, nil)
	if code != 200 || order["status"] != "paid" {
		t.Fatalf("order after paying: %d %v", code, order)
	}
	code, bills := residentCall(t, "resident", "GET", "/api/v1/me/bills?page_size=200", nil)
	if code != 200 {
		t.Fatalf("bills: %d", code)
	}
	for _, x := range bills["items"].([]any) {
		bl := x.(map[string]any)
		for _, id := range picked {
			if bl["id"] == id && bl["outstanding"].(float64) != 0 {
				t.Fatalf("bill %s still owes %v", id, bl["outstanding"])
			}
		}
	}
	b.clickFor(`[data-test=pay-back]`, `[data-test=all-paid]`)
	b.shot("resident-nothing-to-pay")
}

// TestResidentRepairWithPhotoAndRating: the resident reports a leak with a
// photo; the manager dispatches it, the technician accepts, starts and
// resolves it; the resident sees it resolved with its timeline and rates it.
func TestResidentRepairWithPhotoAndRating(t *testing.T) {
	b := newBrowser(t, 375, 667, true)
	b.signIn("resident")
	b.clickFor(`[data-test=go-repairs]`, `[data-test=repair-new]`)
	b.clickFor(`[data-test=repair-new]`, `textarea[name=description]`)

	photo := filepath.Join(t.TempDir(), "leak.png")
	residentPNG(t, photo)
	what := fmt.Sprintf("厨房水槽下水管漏水 E2E-%d", time.Now().UnixNano()%100000)
	b.run(
		chromedp.SendKeys(css(`textarea[name=description]`), what),
		chromedp.SetUploadFiles(css(`[data-test=photos] input[type=file]`), []string{photo}),
		chromedp.WaitVisible(css(`[data-test=photos] .van-uploader__preview`)),
	)
	b.shot("resident-repair-form")
	b.run(chromedp.Click(css(`[data-test=repair-submit]`)), chromedp.WaitVisible(css(`[data-test=repair-detail]`)))
	b.waitText(`[data-test=repair-detail]`, what)
	b.run(chromedp.WaitVisible(css(`[data-test=repair-photo] img`)))
	id := strings.TrimPrefix(b.location(), "/h5/repairs/")
	code, view := residentCall(t, "resident", "GET", "/api/v1/me/work-orders/"+id, nil)
	if code != 200 || len(view["files"].([]any)) != 1 || view["description"] != what {
		t.Fatalf("the reported order: %d %v", code, view)
	}
	// Chasing an open order works once per interval.
	b.run(chromedp.Click(css(`[data-test=repair-chase]`)))
	b.waitText(`[data-test=repair-notice]`, "已催单")
	b.shot("resident-repair-submitted")

	// Staff: dispatch to the technician, who accepts, starts and resolves.
	techID := residentUserID(t, "technician")
	residentMust(t, "manager", "POST", "/api/v1/work-orders/"+id+"/assign", map[string]any{"technician_id": techID, "note": "E2E"}, 200)
	arrival := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	residentMust(t, "technician", "POST", "/api/v1/work-orders/"+id+"/accept", map[string]any{"note": "", "result": "", "expected_arrival": arrival}, 200)
	residentMust(t, "technician", "POST", "/api/v1/work-orders/"+id+"/start", map[string]any{"note": "", "result": ""}, 200)
	residentMust(t, "technician", "POST", "/api/v1/work-orders/"+id+"/resolve", map[string]any{"note": "", "result": "更换下水管密封圈，已不漏水"}, 200)

	b.run(chromedp.Reload(), chromedp.WaitVisible(css(`[data-test=rate-form]`)))
	b.waitText(`[data-test=repair-status]`, "已完成")
	b.waitText(`[data-test=repair-timeline]`, "已完成")
	b.waitText(`[data-test=repair-detail]`, "密封圈")
	b.shot("resident-repair-resolved")
	b.run(
		chromedp.Click(css(`[data-test=rate-stars] .van-rate__item:nth-child(4)`)),
		chromedp.SendKeys(css(`textarea[name=comment]`), "师傅很准时，修得很好"),
		chromedp.Click(css(`[data-test=rate-submit]`)),
		chromedp.WaitVisible(css(`[data-test=my-rating]`)),
	)
	b.waitText(`[data-test=my-rating]`, "师傅很准时")
	b.shot("resident-repair-rated")
	code, view = residentCall(t, "resident", "GET", "/api/v1/me/work-orders/"+id, nil)
	if code != 200 || view["rating"].(float64) != 4 || view["rating_comment"] != "师傅很准时，修得很好" {
		t.Fatalf("rated order: %d rating=%v comment=%v", code, view["rating"], view["rating_comment"])
	}
}

// TestResidentReadsAnnouncementAndAnswersSurvey: the resident opens an
// announcement (which marks it read) and answers a survey the manager just
// published, with every question kind; a missing required answer shows under
// its question first.
func TestResidentReadsAnnouncementAndAnswersSurvey(t *testing.T) {
	// The manager publishes a survey to the community.
	code, comms := residentCall(t, "manager", "GET", "/api/v1/communities?page_size=10", nil)
	if code != 200 || len(comms["items"].([]any)) == 0 {
		t.Fatalf("communities: %d %v", code, comms)
	}
	community := comms["items"].([]any)[0].(map[string]any)["id"]
	title := fmt.Sprintf("E2E 电梯服务调查 %d", time.Now().UnixNano()%100000)
	today := time.Now().Format("2006-01-02")
	_, sv := residentMust(t, "manager", "POST", "/api/v1/surveys", map[string]any{
		"community_id": community, "title": title, "description": "请花一分钟告诉我们您的感受。", "target_kind": "community",
		"opens_on": today, "closes_on": time.Now().AddDate(0, 0, 14).Format("2006-01-02"),
		"questions": []map[string]any{
			{"code": "overall", "kind": "rating", "text": "您对电梯运行的满意度", "required": true},
			{"code": "wait", "kind": "single", "text": "高峰期通常要等多久?", "options": []string{"1 分钟内", "1–3 分钟", "3 分钟以上"}, "required": true},
			{"code": "issues", "kind": "multiple", "text": "您遇到过哪些问题?", "options": []string{"停运", "异响", "按钮失灵", "没有"}},
			{"code": "comment", "kind": "text", "text": "其他建议"},
		},
	}, 201)
	surveyID := sv["id"].(string)
	residentMust(t, "manager", "POST", "/api/v1/surveys/"+surveyID+"/publish", nil, 200)

	// The resident is told (the inbox is written with the publication or just after).
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, inbox := residentCall(t, "resident", "GET", "/api/v1/me/notifications?unread=true&page_size=50", nil)
		raw, _ := json.Marshal(inbox["items"])
		if strings.Contains(string(raw), surveyID) || strings.Contains(string(raw), title) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message about the survey: %s", raw)
		}
		time.Sleep(300 * time.Millisecond)
	}

	b := newBrowser(t, 375, 667, true)
	b.expect(422, "/answers")
	b.signIn("resident")
	// Publishing the survey told the resident: the home's badge counts it.
	b.run(chromedp.WaitVisible(css(`[data-test=go-notices] .van-badge`)))
	b.clickFor(`[data-test=go-notices]`, `[data-test=announcement]`)
	b.waitText(`[data-test=announcements]`, "停水通知")
	b.shot("resident-notices")
	b.clickFor(`[data-test=announcement]`, `[data-test=announcement-detail]`)
	b.waitText(`[data-test=announcement-detail]`, "水箱")
	annID := strings.TrimPrefix(b.location(), "/h5/notices/")
	b.shot("resident-announcement")
	_, anns := residentCall(t, "resident", "GET", "/api/v1/me/announcements?page_size=50", nil)
	read := false
	for _, x := range anns["items"].([]any) {
		a := x.(map[string]any)
		if a["id"] == annID {
			read = a["read_at"] != nil
		}
	}
	if !read {
		t.Fatalf("announcement %s not marked read", annID)
	}

	// The inbox: unread first; "all read" clears the count.
	b.run(chromedp.Navigate(server.base+"/h5/notices"), chromedp.WaitVisible(css(`[data-test=notice-tabs]`)))
	b.clickFor(`[data-test=notice-tabs] .van-tab:nth-child(2)`, `[data-test=inbox-item]`)
	b.shot("resident-inbox")
	b.run(chromedp.Click(css(`[data-test=read-all]`)))
	deadline = time.Now().Add(20 * time.Second)
	for {
		_, n := residentCall(t, "resident", "GET", "/api/v1/me/notifications/unread-count", nil)
		if n["unread"] == float64(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unread after read-all: %v", n)
		}
		time.Sleep(200 * time.Millisecond)
	}

	b.run(chromedp.Navigate(server.base+"/h5/surveys"), chromedp.WaitVisible(css(`[data-test=survey]`)))
	b.waitText(`[data-test=surveys]`, title)
	b.shot("resident-surveys")
	b.run(chromedp.Navigate(server.base+"/h5/surveys/"+surveyID), chromedp.WaitVisible(css(`[data-test=survey-form]`)))
	// The single choice is required: submit without it.
	b.run(
		chromedp.Click(css(`[data-test=rate-overall] .van-rate__item:nth-child(5)`)),
		chromedp.Click(css(`[data-test=survey-submit]`)),
	)
	b.waitText(`[data-test=q-wait] .van-field__error-message`, "必答")
	b.shot("resident-survey-required")
	b.run(
		chromedp.Click(css(`[data-test=q-wait] .van-radio:nth-child(2)`)),
		chromedp.Click(css(`[data-test=q-issues] .van-checkbox:nth-child(2)`)),
		chromedp.Click(css(`[data-test=q-issues] .van-checkbox:nth-child(3)`)),
		chromedp.SendKeys(css(`textarea[name=text-comment]`), "希望高峰期加开一部电梯"),
	)
	b.shot("resident-survey-filled")
	b.run(chromedp.Click(css(`[data-test=survey-submit]`)), chromedp.WaitVisible(css(`[data-test=survey-answered]`)))
	b.shot("resident-survey-answered")
	code, mine := residentCall(t, "resident", "GET", "/api/v1/me/surveys/"+surveyID, nil)
	if code != 200 || mine["answered"] != true {
		t.Fatalf("survey after answering: %d %v", code, mine["answered"])
	}
	b.run(chromedp.Navigate(server.base+"/h5/surveys"), chromedp.WaitVisible(css(`[data-test=survey][data-state=answered]`)))
}

// TestResidentSignsUpForEvent: with the events plugin running, the resident
// signs up for the demo's craft afternoon and sees the check-in QR code (the
// plugin's image and its token), then cancels.
func TestResidentSignsUpForEvent(t *testing.T) {
	eventsPlugin(t)
	b := newBrowser(t, 375, 667, true)
	b.signIn("resident")
	b.clickFor(`[data-test=go-events]`, `[data-test=event]`)
	b.waitText(`[data-test=events]`, "灯笼")
	b.shot("resident-events")
	b.run(chromedp.Navigate(server.base+"/h5/events/demo-activity-kids-craft"), chromedp.WaitVisible(css(`[data-test=event-title]`)))
	// The demo may have signed this resident up already: start from none.
	if b.count(`[data-test=event-cancel]`) > 0 {
		b.clickFor(`[data-test=event-cancel]`, `[data-test=event-signup]`)
	}
	b.run(chromedp.WaitVisible(css(`[data-test=event-signup]`)))
	b.shot("resident-event")
	b.clickFor(`[data-test=event-signup]`, `[data-test=checkin-qr]`)
	b.waitText(`[data-test=my-signup]`, "报名成功")
	runValue(b, chromedp.Poll[bool](`document.querySelector('[data-test=checkin-qr]').naturalWidth > 0`))
	token := runValue(b, chromedp.Evaluate[string](`document.querySelector('[data-test=checkin-token]').innerText`))
	if strings.TrimSpace(token) == "" {
		t.Fatal("no check-in token shown")
	}
	b.shot("resident-event-qr")
	code, signups := residentCall(t, "resident", "GET", "/api/v1/plugins/events/my/signups", nil)
	found := false
	for _, x := range signups["items"].([]any) {
		s := x.(map[string]any)
		if s["activity_id"] == "demo-activity-kids-craft" && s["status"] == "confirmed" {
			found = true
		}
	}
	if code != 200 || !found {
		t.Fatalf("my sign-ups: %d %v", code, signups)
	}
	b.clickFor(`[data-test=event-cancel]`, `[data-test=event-signup]`)
	b.waitText(`[data-test=event-notice]`, "已取消报名")
	if b.count(`[data-test=checkin-qr]`) != 0 {
		t.Fatal("the QR code stays after cancelling")
	}
}

// ---- helpers (prefixed resident) ----

var residentTokens sync.Map // user -> access token

// residentCall calls the API as a demo user; the answer's JSON (arrays as {"list": [...]}).
func residentCall(t *testing.T, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	tok, ok := residentTokens.Load(user)
	if !ok {
		tok = login(t, user)
		residentTokens.Store(user, tok)
	}
	code, raw := apiCall(t, tok.(string), method, path, body)
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '[' {
		var list []any
		_ = json.Unmarshal(raw, &list)
		out["list"] = list
	} else {
		_ = json.Unmarshal(raw, &out)
	}
	return code, out
}

// residentMust calls the API and fails the test on any other status than want.
func residentMust(t *testing.T, user, method, path string, body any, want int) (int, map[string]any) {
	t.Helper()
	code, out := residentCall(t, user, method, path, body)
	if code != want {
		t.Fatalf("%s %s as %s: %d %v", method, path, user, code, out)
	}
	return code, out
}

// residentUserID is a demo user's id.
func residentUserID(t *testing.T, user string) string {
	t.Helper()
	_, me := residentMust(t, user, "GET", "/api/v1/auth/me", nil, 200)
	return me["id"].(string)
}

// residentPNG writes a small photo.
func residentPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for x := range 48 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(40 + x*4), uint8(90 + y*3), 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var eventsPluginOnce sync.Once

// eventsPlugin makes sure the events plugin runs for the demo tenant, for
// every test that needs it: the test server has no plugin folder, so build
// the binary, register it as the operator and enable it as the admin with
// the demo manifest's config (as a first `wuye serve` next to bin/plugins
// would have done), then wait for its process to answer.
func eventsPlugin(t *testing.T) {
	t.Helper()
	var failure string
	eventsPluginOnce.Do(func() {
		if code, out := residentCall(t, "admin", "GET", "/api/v1/tenant/plugins/events", nil); code == 200 && out["enabled"] == true {
			return
		}
		dir, err := os.MkdirTemp("", "wuye-e2e-plugins-")
		if err != nil {
			failure = err.Error()
			return
		}
		bin := filepath.Join(dir, "events")
		if out, err := exec.Command("go", "build", "-o", bin, "../../../plugins/events").CombinedOutput(); err != nil {
			failure = fmt.Sprintf("go build plugins/events: %v\n%s", err, out)
			return
		}
		residentTokens.Store("operator", residentOperatorLogin(t))
		if code, out := residentCall(t, "operator", "POST", "/api/v1/operator/plugins", map[string]any{"path": bin, "replace": true}); code != 200 && code != 201 {
			failure = fmt.Sprintf("register events: %d %v", code, out)
			return
		}
		code, out := residentCall(t, "admin", "POST", "/api/v1/tenant/plugins/events/enable", map[string]any{"config": residentDemoPluginConfig(t, "events")})
		if code != 200 && code != 201 && code != 409 {
			failure = fmt.Sprintf("enable events: %d %v", code, out)
			return
		}
		failure = adminPluginWarm(t, "events", "/ui/activities.js")
	})
	if failure != "" {
		t.Fatal(failure)
	}
}

func residentOperatorLogin(t *testing.T) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"login": "operator", "password": server.password["operator"]})
	res, err := httpClient.Post(server.base+"/api/v1/operator/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || s.AccessToken == "" {
		t.Fatalf("operator login: %d %v", res.StatusCode, err)
	}
	return s.AccessToken
}

// residentDemoPluginConfig is a plugin's config in tenants/demo.yaml.
func residentDemoPluginConfig(t *testing.T, name string) any {
	t.Helper()
	raw, err := os.ReadFile("../../../tenants/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Plugins []struct {
			Name   string         `yaml:"name"`
			Config map[string]any `yaml:"config"`
		} `yaml:"plugins"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Plugins {
		if p.Name == name {
			return p.Config
		}
	}
	t.Fatalf("demo.yaml declares no plugin %s", name)
	return nil
}

// TestResidentRepairFieldErrorAndWithdraw: a report without a description
// shows the API's error under that field, in Chinese; with one it is
// filed, then withdrawn with a reason from its page.
func TestResidentRepairFieldErrorAndWithdraw(t *testing.T) {
	b := newBrowser(t, 375, 667, true)
	b.expect(400, "/api/v1/me/work-orders")
	b.signIn("resident")
	b.run(chromedp.Navigate(server.base+"/h5/repairs/new"), chromedp.WaitVisible(css(`textarea[name=description]`)))
	b.run(chromedp.Click(css(`[data-test=repair-submit]`)))
	b.waitText(`[data-test=field-description] .van-field__error-message`, "问题描述必填")
	b.shot("resident-repair-field-error")
	what := fmt.Sprintf("楼道声控灯不亮 E2E-%d", time.Now().UnixNano()%100000)
	b.run(chromedp.SendKeys(css(`textarea[name=description]`), what), chromedp.Click(css(`[data-test=repair-submit]`)))
	b.run(chromedp.WaitVisible(css(`[data-test=repair-cancel]`)))
	b.waitText(`[data-test=repair-detail]`, what)
	id := strings.TrimPrefix(b.location(), "/h5/repairs/")
	b.clickFor(`[data-test=repair-cancel]`, `[data-test=repair-note] textarea`)
	b.run(chromedp.SendKeys(css(`[data-test=repair-note] textarea`), "灯已经自己好了"), chromedp.Click(css(`.van-dialog__confirm`)))
	b.waitText(`[data-test=repair-status]`, "已取消")
	b.shot("resident-repair-withdrawn")
	if code, v := residentCall(t, "resident", "GET", "/api/v1/me/work-orders/"+id, nil); code != 200 || v["status"] != "cancelled" {
		t.Fatalf("withdrawn order: %d %v", code, v["status"])
	}
	// In English: the same order, its state and timeline.
	b.run(chromedp.Navigate(server.base+"/h5/me"), chromedp.WaitVisible(css(`[data-test=lang-switch]`)))
	b.switchLang(`[data-test=lang-switch]`)
	b.waitText(`[data-test=tabbar]`, "Me")
	b.run(chromedp.Navigate(server.base+"/h5/repairs/"+id), chromedp.WaitVisible(css(`[data-test=repair-detail]`)))
	b.waitText(`[data-test=repair-status]`, "Cancelled")
	b.waitText(`[data-test=repair-detail]`, "Reported")
	b.shot("resident-repair-en")
}
